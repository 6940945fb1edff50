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

/* Opens files and folders (headers only, on a worker thread); each becomes an
 * item of the sidebar, shown in the Inspector. Failures show the banner. */
void           ember_window_open_files        (EmberWindow    *self,
                                               GFile         **files,
                                               guint           n_files);
guint          ember_window_get_n_pending     (EmberWindow    *self);
/* The open items (EmberDocuments). */
GListModel    *ember_window_get_items         (EmberWindow    *self);
GtkWidget     *ember_window_get_inspector     (EmberWindow    *self);
GtkDropTarget *ember_window_get_drop_target   (EmberWindow    *self);
/* Shows @message in the error banner; the window carries on. */
void           ember_window_show_error        (EmberWindow    *self,
                                               const char     *message);
/* The banner's message while it is shown, else NULL. */
const char    *ember_window_get_error         (EmberWindow    *self);

GtkWidget     *ember_window_get_training      (EmberWindow    *self);
GtkWidget     *ember_window_get_graph_view    (EmberWindow    *self);
/* The Generate panel (EmberGenerate). */
GtkWidget     *ember_window_get_generate      (EmberWindow    *self);
/* The Log panel (EmberLog). */
GtkWidget     *ember_window_get_log           (EmberWindow    *self);
/* Saves the last finished run's weights to @file and opens it. */
gboolean       ember_window_save_weights      (EmberWindow    *self,
                                               GFile          *file);

G_END_DECLS
