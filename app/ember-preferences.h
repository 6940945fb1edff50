/* ember-preferences.h: the Preferences window, bound to the workbench's
 * GSettings (org.ember.Workbench): default device, Vulkan GPU, CPU threads,
 * colour scheme. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define EMBER_TYPE_PREFERENCES (ember_preferences_get_type())
G_DECLARE_FINAL_TYPE(EmberPreferences, ember_preferences, EMBER, PREFERENCES, GtkWindow)

EmberPreferences *ember_preferences_new (GtkWindow *parent,
                                         GSettings *settings);

/* Whether the list of Vulkan devices has arrived (it is asked for on a
 * worker thread), and how many devices it named. */
gboolean ember_preferences_devices_listed (EmberPreferences *self);
guint    ember_preferences_get_n_gpus     (EmberPreferences *self);

G_END_DECLS
