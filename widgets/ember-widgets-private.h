/* Internal to the widgets library. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Registers the widgets' GResource (templates, CSS) once; every widget class
 * that uses a template calls it from class_init. */
void _ember_widgets_ensure_resources (void);

/* Adds the widgets' style sheet to @display once. Widgets call it from init so
 * that an application need not know the library has styles of its own. */
void _ember_widgets_ensure_style     (GdkDisplay *display);

G_END_DECLS
