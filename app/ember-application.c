/* ember-application.c
 *
 * The workbench's GtkApplication: owns the GSettings, installs the
 * application-wide actions (quit, about, dark-style) and their accelerators,
 * loads the style sheet and opens the main window on activate.
 */
#include "config.h"

#include <glib/gi18n.h>

#include <ember/cpu.h>

#include "ember-application.h"
#include "ember-log.h"
#include "ember-preferences.h"
#include "ember-window.h"

struct _EmberApplication
{
  GtkApplication  parent_instance;

  /* NULL when the schema is not installed (an uninstalled build run outside
   * `meson devenv`): the workbench then runs without remembering anything. */
  GSettings      *settings;

  /* The desktop's colour-scheme (the settings portal): 0 no preference or
   * no portal, 1 dark, 2 light. */
  guint           portal_scheme;
  GCancellable   *portal_cancellable;
  guint           portal_signal;
  /* Set in the environment before Ember started: left alone. */
  gboolean        env_vulkan_device;
  gboolean        env_num_threads;
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

/* color-scheme "dark" or "light" decides; "system" follows the desktop
 * (the settings portal) and, where it states nothing, the dark-style key. */
static void
apply_dark_style (EmberApplication *self)
{
  GtkSettings *gtk_settings = gtk_settings_get_default ();
  gboolean dark = FALSE;

  if (self->settings != NULL)
    {
      g_autofree char *scheme = g_settings_get_string (self->settings, "color-scheme");

      if (g_str_equal (scheme, "dark"))
        dark = TRUE;
      else if (g_str_equal (scheme, "light"))
        dark = FALSE;
      else if (self->portal_scheme != 0)
        dark = self->portal_scheme == 1;
      else
        dark = g_settings_get_boolean (self->settings, "dark-style");
    }

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

/* org.freedesktop.appearance color-scheme: a "u" inside one or two "v"s. */
static void
set_portal_scheme (EmberApplication *self,
                   GVariant         *value)
{
  g_autoptr(GVariant) v = g_variant_ref (value);

  while (g_variant_is_of_type (v, G_VARIANT_TYPE_VARIANT))
    {
      GVariant *inner = g_variant_get_variant (v);

      g_variant_unref (v);
      v = inner;
    }
  if (g_variant_is_of_type (v, G_VARIANT_TYPE_UINT32))
    {
      self->portal_scheme = MIN (g_variant_get_uint32 (v), 2);
      apply_dark_style (self);
    }
}

static void
on_portal_setting_changed (GDBusConnection *connection,
                           const char      *sender,
                           const char      *path,
                           const char      *interface,
                           const char      *signal,
                           GVariant        *parameters,
                           gpointer         user_data)
{
  const char *ns, *key;
  g_autoptr(GVariant) value = NULL;

  if (!g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(ssv)")))
    return;
  g_variant_get (parameters, "(&s&sv)", &ns, &key, &value);
  if (g_str_equal (ns, "org.freedesktop.appearance") && g_str_equal (key, "color-scheme"))
    set_portal_scheme (EMBER_APPLICATION (user_data), value);
}

static void
on_portal_read (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  g_autoptr(GVariant) value = NULL;

  /* No portal (a bare session, the tests): the dark-style key decides. */
  if (reply == NULL)
    return;
  g_variant_get (reply, "(v)", &value);
  set_portal_scheme (EMBER_APPLICATION (user_data), value);
}

static void
watch_portal (EmberApplication *self)
{
  GDBusConnection *bus = g_application_get_dbus_connection (G_APPLICATION (self));
  g_autoptr(GDBusConnection) own = NULL;

  if (bus == NULL)
    bus = own = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  if (bus == NULL)
    return;

  self->portal_cancellable = g_cancellable_new ();
  self->portal_signal = g_dbus_connection_signal_subscribe (bus, "org.freedesktop.portal.Desktop",
                                                            "org.freedesktop.portal.Settings", "SettingChanged",
                                                            "/org/freedesktop/portal/desktop", NULL,
                                                            G_DBUS_SIGNAL_FLAGS_NONE,
                                                            on_portal_setting_changed, self, NULL);
  g_object_set_data_full (G_OBJECT (self), "portal-bus", g_object_ref (bus), g_object_unref);
  /* The application lives until the end of the process: the callback's
   * reference is safe; the cancellable ends it early on dispose. */
  g_dbus_connection_call (bus, "org.freedesktop.portal.Desktop", "/org/freedesktop/portal/desktop",
                          "org.freedesktop.portal.Settings", "Read",
                          g_variant_new ("(ss)", "org.freedesktop.appearance", "color-scheme"),
                          G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NO_AUTO_START, 2000,
                          self->portal_cancellable, on_portal_read, self);
}

/* ---- the engine's settings ---- */

static void
apply_vulkan_device (EmberApplication *self)
{
  g_autofree char *device = NULL;

  if (self->settings == NULL || self->env_vulkan_device)
    return;
  device = g_settings_get_string (self->settings, "vulkan-device");
  /* Read by the engine when it starts the GPU (engine/include/ember/gpu.h). */
  if (*device != '\0')
    g_setenv ("EMBER_VULKAN_DEVICE", device, TRUE);
  else
    g_unsetenv ("EMBER_VULKAN_DEVICE");
}

static void
apply_cpu_threads (EmberApplication *self,
                   gboolean          startup)
{
  int threads;

  if (self->settings == NULL || self->env_num_threads)
    return;
  threads = g_settings_get_int (self->settings, "cpu-threads");
  if (startup)
    {
      /* The engine's pool reads it when it starts (its first parallel op). */
      if (threads > 0)
        {
          g_autofree char *text = g_strdup_printf ("%d", threads);

          g_setenv ("EMBER_NUM_THREADS", text, TRUE);
        }
    }
  else
    {
      /* Matrix products (OpenBLAS) take a new count at once. */
      em_cpu_set_num_threads (threads > 0 ? threads : (int) g_get_num_processors ());
      ember_log_event (EMBER_LOG_INFO, _("CPU threads set to %d (0: one per processor)"), threads);
    }
}

static void
on_engine_setting_changed (EmberApplication *self,
                           const char       *key,
                           GSettings        *settings)
{
  if (g_str_equal (key, "vulkan-device"))
    {
      g_autofree char *device = g_settings_get_string (settings, key);

      apply_vulkan_device (self);
      ember_log_event (EMBER_LOG_INFO, _("Vulkan GPU set to “%s”; it applies when the engine first uses the GPU"),
                       *device ? device : _("Automatic"));
    }
  else if (g_str_equal (key, "cpu-threads"))
    apply_cpu_threads (self, FALSE);
}

static void
ember_application_preferences_action (GSimpleAction *action,
                                      GVariant      *parameter,
                                      gpointer       user_data)
{
  EmberApplication *self = EMBER_APPLICATION (user_data);
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  EmberPreferences *preferences;

  if (self->settings == NULL)
    {
      if (EMBER_IS_WINDOW (parent))
        ember_window_show_error (EMBER_WINDOW (parent),
                                 _("Preferences cannot be kept: the settings schema is not installed"));
      return;
    }
  preferences = ember_preferences_new (parent, self->settings);
  gtk_window_present (GTK_WINDOW (preferences));
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
  { .name = "preferences", .activate = ember_application_preferences_action },
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

  /* Before anything logs: GLib's messages go to the Log panel too. */
  ember_log_install_writer ();

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
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences",
                                         (const char *[]) { "<Control>comma", NULL });

  if (self->settings != NULL)
    {
      g_autoptr(GAction) dark_style = g_settings_create_action (self->settings, "dark-style");

      g_action_map_add_action (G_ACTION_MAP (self), dark_style);
      g_signal_connect_object (self->settings, "changed::dark-style",
                               G_CALLBACK (on_dark_style_changed), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (self->settings, "changed::color-scheme",
                               G_CALLBACK (on_dark_style_changed), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (self->settings, "changed::vulkan-device",
                               G_CALLBACK (on_engine_setting_changed), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (self->settings, "changed::cpu-threads",
                               G_CALLBACK (on_engine_setting_changed), self,
                               G_CONNECT_SWAPPED);
    }
  apply_dark_style (self);
  watch_portal (self);

  /* Before the engine starts its GPU or its thread pool. */
  self->env_vulkan_device = g_getenv ("EMBER_VULKAN_DEVICE") != NULL;
  self->env_num_threads = g_getenv ("EMBER_NUM_THREADS") != NULL;
  apply_vulkan_device (self);
  apply_cpu_threads (self, TRUE);

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

  if (self->portal_cancellable != NULL)
    g_cancellable_cancel (self->portal_cancellable);
  g_clear_object (&self->portal_cancellable);
  if (self->portal_signal != 0)
    {
      GDBusConnection *bus = g_object_get_data (object, "portal-bus");

      if (bus != NULL)
        g_dbus_connection_signal_unsubscribe (bus, self->portal_signal);
      self->portal_signal = 0;
    }
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
