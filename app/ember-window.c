/* ember-window.c
 *
 * The main window: a header bar with the panel switcher and the main menu,
 * and a stack of panels (Inspector, Graph, Training, Generate, Log). Its size
 * and maximized state are kept in the GSettings it is given.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "ember-window.h"
#include "ember-status-page.h"

struct _EmberWindow
{
  GtkApplicationWindow  parent_instance;

  GSettings            *settings;

  GtkStack             *stack;
};

G_DEFINE_FINAL_TYPE (EmberWindow, ember_window, GTK_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_SETTINGS,
  PROP_VISIBLE_PANEL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The panels in switcher order; Alt+1 … Alt+5 show them. */
static const char *const panels[] = { "inspector", "graph", "training", "generate", "log" };

static void
ember_window_load_state (EmberWindow *self)
{
  if (self->settings == NULL)
    return;

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));

  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
}

static void
ember_window_save_state (EmberWindow *self)
{
  int width, height;

  if (self->settings == NULL)
    return;

  /* The default size is the unmaximized size, which is what to restore. */
  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);

  g_settings_delay (self->settings);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized",
                          gtk_window_is_maximized (GTK_WINDOW (self)));
  g_settings_apply (self->settings);
}

static gboolean
ember_window_close_request (GtkWindow *window)
{
  ember_window_save_state (EMBER_WINDOW (window));

  return GTK_WINDOW_CLASS (ember_window_parent_class)->close_request (window);
}

static void
show_panel_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  ember_window_set_visible_panel (EMBER_WINDOW (widget), g_variant_get_string (parameter, NULL));
}

static void
on_visible_child_changed (EmberWindow *self,
                          GParamSpec  *pspec,
                          GtkStack    *stack)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VISIBLE_PANEL]);
}

static void
ember_window_constructed (GObject *object)
{
  EmberWindow *self = EMBER_WINDOW (object);

  G_OBJECT_CLASS (ember_window_parent_class)->constructed (object);

  ember_window_load_state (self);
}

static void
ember_window_dispose (GObject *object)
{
  EmberWindow *self = EMBER_WINDOW (object);

  /* GtkWindow unparents its own titlebar and child; this only clears the
   * bound fields. */
  gtk_widget_dispose_template (GTK_WIDGET (self), EMBER_TYPE_WINDOW);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (ember_window_parent_class)->dispose (object);
}

static void
ember_window_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  EmberWindow *self = EMBER_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;

    case PROP_VISIBLE_PANEL:
      g_value_set_string (value, ember_window_get_visible_panel (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ember_window_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  EmberWindow *self = EMBER_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;

    case PROP_VISIBLE_PANEL:
      ember_window_set_visible_panel (self, g_value_get_string (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ember_window_class_init (EmberWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = ember_window_constructed;
  object_class->dispose = ember_window_dispose;
  object_class->get_property = ember_window_get_property;
  object_class->set_property = ember_window_set_property;

  window_class->close_request = ember_window_close_request;

  /**
   * EmberWindow:settings:
   *
   * Where the window keeps its size and maximized state (schema
   * org.ember.Workbench), or %NULL to keep nothing.
   */
  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL,
                         G_TYPE_SETTINGS,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  /**
   * EmberWindow:visible-panel:
   *
   * The name of the panel shown: "inspector", "graph", "training",
   * "generate" or "log".
   */
  properties[PROP_VISIBLE_PANEL] =
    g_param_spec_string ("visible-panel", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (EMBER_TYPE_STATUS_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/ember/Workbench/ember-window.ui");
  gtk_widget_class_bind_template_child (widget_class, EmberWindow, stack);
  gtk_widget_class_bind_template_callback (widget_class, on_visible_child_changed);

  gtk_widget_class_install_action (widget_class, "win.show-panel", "s", show_panel_action);
  for (guint i = 0; i < G_N_ELEMENTS (panels); i++)
    gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1 + i, GDK_ALT_MASK,
                                         "win.show-panel", "s", panels[i]);
}

static void
ember_window_init (EmberWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

EmberWindow *
ember_window_new (GtkApplication *application,
                  GSettings      *settings)
{
  g_return_val_if_fail (GTK_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (settings == NULL || G_IS_SETTINGS (settings), NULL);

  return g_object_new (EMBER_TYPE_WINDOW,
                       "application", application,
                       "settings", settings,
                       NULL);
}

const char *
ember_window_get_visible_panel (EmberWindow *self)
{
  g_return_val_if_fail (EMBER_IS_WINDOW (self), NULL);

  return gtk_stack_get_visible_child_name (self->stack);
}

void
ember_window_set_visible_panel (EmberWindow *self,
                                const char  *panel)
{
  g_return_if_fail (EMBER_IS_WINDOW (self));
  g_return_if_fail (panel != NULL);

  if (gtk_stack_get_child_by_name (self->stack, panel) == NULL)
    {
      g_warning ("No panel named “%s”", panel);
      return;
    }

  /* The stack's notify::visible-child-name reaches on_visible_child_changed. */
  gtk_stack_set_visible_child_name (self->stack, panel);
}
