/* ember-application.h: the workbench's GtkApplication. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define EMBER_TYPE_APPLICATION (ember_application_get_type())
G_DECLARE_FINAL_TYPE(EmberApplication, ember_application, EMBER, APPLICATION, GtkApplication)

EmberApplication *ember_application_new          (void);
GSettings        *ember_application_get_settings (EmberApplication *self);

G_END_DECLS
