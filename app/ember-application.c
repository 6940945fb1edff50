/* ember-application.c
 *
 * The workbench's GtkApplication: owns the GSettings, installs the
 * application-wide actions (quit, about, dark-style) and their accelerators,
 * loads the style sheet and opens the main window on activate.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "ember-application.h"
#include "ember-window.h"

struct _EmberApplication
{
  GtkApplication  parent_instance;

  /* NULL when the schema is not installed (an uninstalled build run outside
   * `meson devenv`): the workbench then runs without remembering anything. */
  GSettings      *settings;
};

G_DEFINE_FINAL_TYPE (EmberApplication, ember_application, GTK_TYPE_APPLICATION)

enum {
  PROP_0,
  PROP_SETTINGS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GSettings *
load_settings (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, APP_ID, TRUE);

  if (schema == NULL)
    {
      g_message ("GSettings schema %s is not installed; window state and preferences "
                 "will not be kept (run through `meson devenv` or install Ember)", APP_ID);
      return NULL;
    }

  return g_settings_new_full (schema, NULL, NULL);
}

static void
apply_dark_style (EmberApplication *self)
{
  GtkSettings *gtk_settings = gtk_settings_get_default ();
  gboolean dark = FALSE;

  if (self->settings != NULL)
    dark = g_settings_get_boolean (self->settings, "dark-style");

  if (gtk_settings != NULL)
    g_object_set (gtk_settings, "gtk-application-prefer-dark-theme", dark, NULL);
}

static void
on_dark_style_changed (EmberApplication *self,
                       const char       *key,
                       GSettings        *settings)
{
  apply_dark_style (self);
}

static void
ember_application_quit_action (GSimpleAction *action,
                               GVariant      *parameter,
                               gpointer       user_data)
{
  GtkApplication *app = GTK_APPLICATION (user_data);
  GList *windows = g_list_copy (gtk_application_get_windows (app));

  /* Close rather than destroy, so that every window saves its state; the
   * application exits when the last one has gone. */
  for (const GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (GTK_WINDOW (l->data));

  g_list_free (windows);
}

static void
ember_application_about_action (GSimpleAction *action,
                                GVariant      *parameter,
                                gpointer       user_data)
{
  static const char *developers[] = { "The Ember developers", NULL };
  GtkApplication *app = GTK_APPLICATION (user_data);

  gtk_show_about_dialog (gtk_application_get_active_window (app),
                         "program-name", _("Ember"),
                         "logo-icon-name", APP_ID,
                         "version", EMBER_VERSION,
                         "comments", _("Look inside models, train them and generate with them"),
                         "copyright", "© 2026 The Ember developers",
                         "license-type", GTK_LICENSE_MIT_X11,
                         "authors", developers,
                         /* Translators: your name, one translator per line. */
                         "translator-credits", _("translator-credits"),
                         NULL);
}

static const GActionEntry app_actions[] = {
  { .name = "quit", .activate = ember_application_quit_action },
  { .name = "about", .activate = ember_application_about_action },
};

static int
ember_application_handle_local_options (GApplication *app,
                                        GVariantDict *options)
{
  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("ember %s\n", EMBER_VERSION);
      return EXIT_SUCCESS;
    }

  return G_APPLICATION_CLASS (ember_application_parent_class)->handle_local_options (app, options);
}

static void
ember_application_startup (GApplication *app)
{
  EmberApplication *self = EMBER_APPLICATION (app);
  g_autoptr(GtkCssProvider) css = NULL;

  G_APPLICATION_CLASS (ember_application_parent_class)->startup (app);

  /* Here rather than in init: `ember --version` needs no schema. */
  self->settings = load_settings ();
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SETTINGS]);

  g_set_application_name (_("Ember"));
  gtk_window_set_default_icon_name (APP_ID);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit",
                                         (const char *[]) { "<Control>q", NULL });

  if (self->settings != NULL)
    {
      g_autoptr(GAction) dark_style = g_settings_create_action (self->settings, "dark-style");

      g_action_map_add_action (G_ACTION_MAP (self), dark_style);
      g_signal_connect_object (self->settings, "changed::dark-style",
                               G_CALLBACK (on_dark_style_changed), self,
                               G_CONNECT_SWAPPED);
    }
  apply_dark_style (self);

  css = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (css, "/org/ember/Workbench/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                              GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

static void
ember_application_activate (GApplication *app)
{
  EmberApplication *self = EMBER_APPLICATION (app);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window == NULL)
    window = GTK_WINDOW (ember_window_new (GTK_APPLICATION (self), self->settings));

  gtk_window_present (window);
}

/* `ember FILE...` and files opened from a file manager. */
static void
ember_application_open (GApplication  *app,
                        GFile        **files,
                        int            n_files,
                        const char    *hint)
{
  EmberApplication *self = EMBER_APPLICATION (app);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window == NULL)
    window = GTK_WINDOW (ember_window_new (GTK_APPLICATION (self), self->settings));

  gtk_window_present (window);
  ember_window_open_files (EMBER_WINDOW (window), files, (guint) n_files);
}

static void
ember_application_dispose (GObject *object)
{
  EmberApplication *self = EMBER_APPLICATION (object);

  g_clear_object (&self->settings);

  G_OBJECT_CLASS (ember_application_parent_class)->dispose (object);
}

static void
ember_application_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  EmberApplication *self = EMBER_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ember_application_class_init (EmberApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = ember_application_dispose;
  object_class->get_property = ember_application_get_property;

  app_class->handle_local_options = ember_application_handle_local_options;
  app_class->startup = ember_application_startup;
  app_class->activate = ember_application_activate;
  app_class->open = ember_application_open;

  /**
   * EmberApplication:settings:
   *
   * The workbench's preferences (schema org.ember.Workbench), or %NULL when
   * the schema is not installed.
   */
  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL,
                         G_TYPE_SETTINGS,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static const GOptionEntry main_entries[] = {
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print the version and exit"), NULL },
  { NULL }
};

static void
ember_application_init (EmberApplication *self)
{
  g_application_add_main_option_entries (G_APPLICATION (self), main_entries);
}

EmberApplication *
ember_application_new (void)
{
  return g_object_new (EMBER_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", "/org/ember/Workbench",
                       NULL);
}

GSettings *
ember_application_get_settings (EmberApplication *self)
{
  g_return_val_if_fail (EMBER_IS_APPLICATION (self), NULL);

  return self->settings;
}
