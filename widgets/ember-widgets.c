/* ember-widgets.c: the widgets library's own resources and style sheet. */
#include "ember-widgets-private.h"
#include "ember-widgets-resources.h"

void
_ember_widgets_ensure_resources (void)
{
  static gsize registered = 0;

  if (g_once_init_enter (&registered))
    {
      ember_widgets_register_resource ();
      g_once_init_leave (&registered, 1);
    }
}

void
_ember_widgets_ensure_style (GdkDisplay *display)
{
  g_autoptr(GtkCssProvider) provider = NULL;

  if (display == NULL || g_object_get_data (G_OBJECT (display), "ember-widgets-css") != NULL)
    return;

  _ember_widgets_ensure_resources ();

  provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (provider, "/org/ember/widgets/ember-widgets.css");
  /* Below the application's own priority, so an application can restyle. */
  gtk_style_context_add_provider_for_display (display,
                                              GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION - 1);
  g_object_set_data_full (G_OBJECT (display), "ember-widgets-css",
                          g_steal_pointer (&provider), g_object_unref);
}
