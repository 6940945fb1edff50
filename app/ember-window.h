/* ember-window.h: the main window: header bar and the stack of panels. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define EMBER_TYPE_WINDOW (ember_window_get_type())
G_DECLARE_FINAL_TYPE(EmberWindow, ember_window, EMBER, WINDOW, GtkApplicationWindow)

EmberWindow *ember_window_new                 (GtkApplication *application,
                                               GSettings      *settings);
const char  *ember_window_get_visible_panel   (EmberWindow    *self);
void         ember_window_set_visible_panel   (EmberWindow    *self,
                                               const char     *panel);

G_END_DECLS
