/* ember-preferences.c
 *
 * The Preferences window. Every control is bound to a key of the settings
 * it is given, so a change is stored at once; EmberApplication applies the
 * keys (colour scheme, engine environment, threads), the window its device.
 * The Vulkan devices are listed on a worker thread (em_gpu_list_devices
 * loads Vulkan).
 */
#include "config.h"

#include <glib/gi18n.h>
#include <ember/gpu.h>

#include "ember-preferences.h"

struct _EmberPreferences
{
  GtkWindow       parent_instance;

  GSettings      *settings;
  GCancellable   *cancellable;
  gboolean        listed;
  guint           n_gpus;
  gboolean        filling;

  GtkDropDown    *device_dropdown;
  GtkDropDown    *gpu_dropdown;
  GtkStringList  *gpu_list;
  GtkAdjustment  *threads_adjustment;
  GtkDropDown    *scheme_dropdown;
  GtkSwitch      *dark_switch;
};

G_DEFINE_FINAL_TYPE (EmberPreferences, ember_preferences, GTK_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_SETTINGS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char *const devices[] = { "auto", "cpu", "gpu", NULL };
static const char *const schemes[] = { "system", "light", "dark", NULL };

/* A string key with choices <-> a drop-down's "selected"; user data: the
 * choices in the drop-down's order. */
static gboolean
choice_to_selected (GValue   *value,
                    GVariant *variant,
                    gpointer  user_data)
{
  const char *const *choices = user_data;
  const char *s = g_variant_get_string (variant, NULL);

  for (guint i = 0; choices[i] != NULL; i++)
    if (g_str_equal (choices[i], s))
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  g_value_set_uint (value, 0);
  return TRUE;
}

static GVariant *
selected_to_choice (const GValue       *value,
                    const GVariantType *expected_type,
                    gpointer            user_data)
{
  const char *const *choices = user_data;
  guint selected = g_value_get_uint (value);

  if (selected >= g_strv_length ((char **) choices))
    return NULL;
  return g_variant_new_string (choices[selected]);
}

static gboolean
int_to_double (GValue   *value,
               GVariant *variant,
               gpointer  user_data)
{
  g_value_set_double (value, g_variant_get_int32 (variant));
  return TRUE;
}

static GVariant *
double_to_int (const GValue       *value,
               const GVariantType *expected_type,
               gpointer            user_data)
{
  return g_variant_new_int32 ((gint32) (g_value_get_double (value) + 0.5));
}

/* ---- the Vulkan device list ---- */

static void
select_gpu_from_settings (EmberPreferences *self)
{
  g_autofree char *name = g_settings_get_string (self->settings, "vulkan-device");
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->gpu_list));
  guint selected = 0;

  for (guint i = 1; i < n && *name != '\0'; i++)
    if (g_str_equal (gtk_string_list_get_string (self->gpu_list, i), name))
      selected = i;
  /* A device named in the settings but not present now: listed as it is. */
  if (selected == 0 && *name != '\0')
    {
      gtk_string_list_append (self->gpu_list, name);
      selected = n;
    }
  self->filling = TRUE;
  gtk_drop_down_set_selected (self->gpu_dropdown, selected);
  self->filling = FALSE;
}

static void
on_gpu_selected (EmberPreferences *self,
                 GParamSpec       *pspec,
                 GtkDropDown      *dropdown)
{
  guint selected = gtk_drop_down_get_selected (dropdown);

  if (self->filling || selected == GTK_INVALID_LIST_POSITION)
    return;
  g_settings_set_string (self->settings, "vulkan-device",
                         selected == 0 ? "" : gtk_string_list_get_string (self->gpu_list, selected));
}

static void
list_gpus_thread (GTask        *task,
                  gpointer      source,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  em_gpu_info infos[16];
  int n = em_gpu_list_devices (infos, G_N_ELEMENTS (infos));
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);

  for (int i = 0; i < MIN (n, (int) G_N_ELEMENTS (infos)); i++)
    g_ptr_array_add (names, g_strdup (infos[i].name));
  g_task_return_pointer (task, names, (GDestroyNotify) g_ptr_array_unref);
}

static void
on_gpus_listed (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) names = g_task_propagate_pointer (G_TASK (result), &error);
  EmberPreferences *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = EMBER_PREFERENCES (source);
  self->listed = TRUE;
  self->filling = TRUE;
  gtk_string_list_splice (self->gpu_list, 1, g_list_model_get_n_items (G_LIST_MODEL (self->gpu_list)) - 1, NULL);
  for (guint i = 0; names != NULL && i < names->len; i++)
    gtk_string_list_append (self->gpu_list, names->pdata[i]);
  self->n_gpus = names ? names->len : 0;
  self->filling = FALSE;
  select_gpu_from_settings (self);
}

/* ---- the object ---- */

static void
ember_preferences_constructed (GObject *object)
{
  EmberPreferences *self = EMBER_PREFERENCES (object);
  g_autoptr(GTask) task = NULL;

  G_OBJECT_CLASS (ember_preferences_parent_class)->constructed (object);

  g_settings_bind_with_mapping (self->settings, "default-device", self->device_dropdown, "selected",
                                G_SETTINGS_BIND_DEFAULT, choice_to_selected, selected_to_choice,
                                (gpointer) devices, NULL);
  g_settings_bind_with_mapping (self->settings, "color-scheme", self->scheme_dropdown, "selected",
                                G_SETTINGS_BIND_DEFAULT, choice_to_selected, selected_to_choice,
                                (gpointer) schemes, NULL);
  g_settings_bind_with_mapping (self->settings, "cpu-threads", self->threads_adjustment, "value",
                                G_SETTINGS_BIND_DEFAULT, int_to_double, double_to_int, NULL, NULL);
  g_settings_bind (self->settings, "dark-style", self->dark_switch, "active", G_SETTINGS_BIND_DEFAULT);

  gtk_string_list_append (self->gpu_list, _("Automatic"));
  select_gpu_from_settings (self);
  g_signal_connect_object (self->gpu_dropdown, "notify::selected", G_CALLBACK (on_gpu_selected), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed::vulkan-device", G_CALLBACK (select_gpu_from_settings),
                           self, G_CONNECT_SWAPPED);

  self->cancellable = g_cancellable_new ();
  task = g_task_new (self, self->cancellable, on_gpus_listed, NULL);
  g_task_set_return_on_cancel (task, TRUE);
  g_task_run_in_thread (task, list_gpus_thread);
}

static void
ember_preferences_dispose (GObject *object)
{
  EmberPreferences *self = EMBER_PREFERENCES (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), EMBER_TYPE_PREFERENCES);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (ember_preferences_parent_class)->dispose (object);
}

static void
ember_preferences_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  EmberPreferences *self = EMBER_PREFERENCES (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ember_preferences_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  EmberPreferences *self = EMBER_PREFERENCES (object);

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
ember_preferences_class_init (EmberPreferencesClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = ember_preferences_constructed;
  object_class->dispose = ember_preferences_dispose;
  object_class->set_property = ember_preferences_set_property;
  object_class->get_property = ember_preferences_get_property;

  /**
   * EmberPreferences:settings:
   *
   * The settings the controls are bound to (schema org.ember.Workbench).
   */
  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL,
                         G_TYPE_SETTINGS,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/ember/Workbench/ember-preferences.ui");
  gtk_widget_class_bind_template_child (widget_class, EmberPreferences, device_dropdown);
  gtk_widget_class_bind_template_child (widget_class, EmberPreferences, gpu_dropdown);
  gtk_widget_class_bind_template_child (widget_class, EmberPreferences, gpu_list);
  gtk_widget_class_bind_template_child (widget_class, EmberPreferences, threads_adjustment);
  gtk_widget_class_bind_template_child (widget_class, EmberPreferences, scheme_dropdown);
  gtk_widget_class_bind_template_child (widget_class, EmberPreferences, dark_switch);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
ember_preferences_init (EmberPreferences *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

EmberPreferences *
ember_preferences_new (GtkWindow *parent,
                       GSettings *settings)
{
  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  return g_object_new (EMBER_TYPE_PREFERENCES,
                       "transient-for", parent,
                       "settings", settings,
                       NULL);
}

gboolean
ember_preferences_devices_listed (EmberPreferences *self)
{
  g_return_val_if_fail (EMBER_IS_PREFERENCES (self), FALSE);

  return self->listed;
}

guint
ember_preferences_get_n_gpus (EmberPreferences *self)
{
  g_return_val_if_fail (EMBER_IS_PREFERENCES (self), 0);

  return self->n_gpus;
}
