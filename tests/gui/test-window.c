/* test-window.c: starts the workbench's EmberApplication (the same sources as
 * `ember`), waits for its window to be drawn, renders the window to a PNG with
 * the window's own renderer and checks what came out:
 *
 *  - the image is not blank: many distinct colours, real variance;
 *  - the header bar differs from the body, and the body has content;
 *    (the panel sidebar and the Inspector's status page);
 *  - the panels exist, win.show-panel switches them, app.quit/app.about exist
 *    and Ctrl+Q is bound; app.about shows an About dialog;
 *  - with --dark, the dark-style setting darkens the window (else it is light);
 *  - with --expect-inspector=TEXT, the Inspector panel's title is TEXT (the
 *    translation test runs it under LANGUAGE=ko);
 *  - the window takes its size from GSettings and writes it back on close.
 *
 * Run under `xvfb-run -a dbus-run-session` with GSETTINGS_BACKEND=memory and
 * GSETTINGS_SCHEMA_DIR pointing at the build's compiled schema.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "ember-application.h"
#include "ember-preferences.h"
#include "ember-window.h"
#include "gui-test-util.h"

static char *opt_screenshot;
static char *opt_expect_inspector;
static char *opt_localedir;
static gboolean opt_dark;
typedef struct {
  double mean[3];
  double variance;   /* of luminance */
  guint  n_colours;  /* distinct opaque RGB values */
} RegionStats;

static void
region_stats (const guchar *data,
              gsize         stride,
              int           width,
              int           height,
              int           x0,
              int           y0,
              int           x1,
              int           y1,
              RegionStats  *out)
{
  g_autoptr(GHashTable) colours = g_hash_table_new (NULL, NULL);
  double sum[3] = { 0 }, lum_sum = 0, lum_sq = 0;
  gsize n = 0;

  x0 = CLAMP (x0, 0, width);
  x1 = CLAMP (x1, 0, width);
  y0 = CLAMP (y0, 0, height);
  y1 = CLAMP (y1, 0, height);

  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++)
      {
        /* GDK_MEMORY_DEFAULT is B8G8R8A8 premultiplied; the window is opaque. */
        const guchar *p = data + y * stride + x * 4;
        double lum = 0.0722 * p[0] + 0.7152 * p[1] + 0.2126 * p[2];

        sum[0] += p[2]; sum[1] += p[1]; sum[2] += p[0];
        lum_sum += lum;
        lum_sq += lum * lum;
        g_hash_table_add (colours, GUINT_TO_POINTER ((guint) (p[2] << 16 | p[1] << 8 | p[0]) + 1));
        n++;
      }

  for (int c = 0; c < 3; c++)
    out->mean[c] = n ? sum[c] / n : 0;
  out->variance = n ? lum_sq / n - (lum_sum / n) * (lum_sum / n) : 0;
  out->n_colours = g_hash_table_size (colours);
}

static GdkTexture *
render_window (GtkWidget *window)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (window);
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  int width = gtk_widget_get_width (window);
  int height = gtk_widget_get_height (window);

  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_to_node (snapshot);
  if (node == NULL)
    return NULL;

  return gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node,
                                      &GRAPHENE_RECT_INIT (0, 0, width, height));
}

static void
check_pixels (GtkWidget *window,
              GtkWidget *header_bar)
{
  g_autoptr(GdkTexture) texture = render_window (window);
  g_autofree guchar *data = NULL;
  graphene_rect_t header;
  RegionStats all, head, body;
  int width, height, header_bottom;
  gsize stride;

  CHECK (texture != NULL, "the window rendered to no texture");
  if (texture == NULL)
    return;

  width = gdk_texture_get_width (texture);
  height = gdk_texture_get_height (texture);
  stride = (gsize) width * 4;
  data = g_malloc (stride * height);
  gdk_texture_download (texture, data, stride);

  if (opt_screenshot != NULL)
    {
      CHECK (gdk_texture_save_to_png (texture, opt_screenshot), "could not write %s", opt_screenshot);
      g_print ("screenshot: %s (%dx%d)\n", opt_screenshot, width, height);
    }

  CHECK (gtk_widget_compute_bounds (header_bar, window, &header), "header bar has no bounds");
  header_bottom = (int) (header.origin.y + header.size.height);
  CHECK (header.size.height >= 24 && header_bottom < height - 100,
         "header bar %.0f px high ending at %d in a %d px window",
         header.size.height, header_bottom, height);

  region_stats (data, stride, width, height, 0, 0, width, height, &all);
  region_stats (data, stride, width, height, 0, (int) header.origin.y, width, header_bottom, &head);
  region_stats (data, stride, width, height, 0, header_bottom, width, height, &body);

  g_print ("header bar at y %.0f..%d of %dx%d\n", header.origin.y, header_bottom, width, height);
  g_print ("whole: %u colours, luminance variance %.1f\n", all.n_colours, all.variance);
  g_print ("header: mean rgb %.1f %.1f %.1f, %u colours; body: mean rgb %.1f %.1f %.1f, %u colours, variance %.1f\n",
           head.mean[0], head.mean[1], head.mean[2], head.n_colours,
           body.mean[0], body.mean[1], body.mean[2], body.n_colours, body.variance);

  /* A blank or single-colour window has a handful of colours and no variance;
   * anti-aliased text and icons give hundreds. */
  CHECK (all.n_colours >= 64, "only %u distinct colours: blank window?", all.n_colours);
  CHECK (all.variance > 20.0, "luminance variance %.2f: blank window?", all.variance);
  CHECK (head.n_colours >= 16, "header bar has %u colours: no switcher or buttons drawn?", head.n_colours);
  CHECK (body.n_colours >= 16 && body.variance > 5.0,
         "body has %u colours, variance %.2f: the panel drew nothing?", body.n_colours, body.variance);
  {
    double d = 0;
    for (int c = 0; c < 3; c++)
      d += fabs (head.mean[c] - body.mean[c]);
    CHECK (d > 3.0, "header bar and body look the same (mean colour distance %.2f)", d);
  }
  {
    double body_lum = 0.2126 * body.mean[0] + 0.7152 * body.mean[1] + 0.0722 * body.mean[2];

    if (opt_dark)
      CHECK (body_lum < 100, "dark style on, but the body's mean luminance is %.1f", body_lum);
    else
      CHECK (body_lum > 150, "light style, but the body's mean luminance is %.1f", body_lum);
  }
}

static EmberPreferences *
find_preferences (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) w = g_list_model_get_item (toplevels, i);

      if (EMBER_IS_PREFERENCES (w) && gtk_widget_get_visible (GTK_WIDGET (w)))
        return EMBER_PREFERENCES (w);
    }
  return NULL;
}

static gboolean
preferences_listed (gpointer data)
{
  return ember_preferences_devices_listed (data);
}

static GtkWidget *
find_nth (GtkWidget *root,
          GType      type,
          guint     *n)
{
  if (g_type_is_a (G_OBJECT_TYPE (root), type) && (*n)-- == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_nth (child, type, n);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The n-th (from 0) widget of @type under @root, in tree order. */
static GtkWidget *
nth_descendant (GtkWidget *root,
                GType      type,
                guint      n)
{
  return find_nth (root, type, &n);
}

/* Preferences (app.preferences, Ctrl+comma): a window of controls bound to
 * GSettings; changing one changes the setting, and the app applies it. */
static void
check_preferences (GtkApplication *app,
                   EmberWindow    *window,
                   GSettings      *settings)
{
  g_auto(GStrv) accels = gtk_application_get_accels_for_action (app, "app.preferences");
  EmberPreferences *prefs;
  GtkDropDown *device, *gpu, *scheme;
  GtkSpinButton *threads;
  gboolean dark;

  CHECK (accels != NULL && g_strv_contains ((const char *const *) accels, "<Control>comma"),
         "app.preferences is not on Ctrl+comma");
  CHECK (g_action_group_has_action (G_ACTION_GROUP (app), "preferences"), "no app.preferences");
  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  prefs = find_preferences ();
  CHECK (prefs != NULL, "app.preferences showed no Preferences window");
  if (prefs == NULL)
    return;
  CHECK (gtk_window_get_transient_for (GTK_WINDOW (prefs)) == GTK_WINDOW (window), "not transient for the window");

  /* In template order: default device, Vulkan GPU, colour scheme. */
  device = GTK_DROP_DOWN (nth_descendant (GTK_WIDGET (prefs), GTK_TYPE_DROP_DOWN, 0));
  gpu = GTK_DROP_DOWN (nth_descendant (GTK_WIDGET (prefs), GTK_TYPE_DROP_DOWN, 1));
  scheme = GTK_DROP_DOWN (nth_descendant (GTK_WIDGET (prefs), GTK_TYPE_DROP_DOWN, 2));
  threads = GTK_SPIN_BUTTON (find_descendant (GTK_WIDGET (prefs), GTK_TYPE_SPIN_BUTTON));
  CHECK (device && gpu && scheme && threads, "controls missing");
  if (!(device && gpu && scheme && threads))
    return;

  /* The Vulkan devices arrive from a worker thread: "Automatic" and each one. */
  CHECK (wait_until (preferences_listed, prefs, 20000), "the Vulkan devices were not listed");
  g_print ("preferences: %u Vulkan devices listed\n", ember_preferences_get_n_gpus (prefs));
  CHECK (g_list_model_get_n_items (gtk_drop_down_get_model (gpu)) == ember_preferences_get_n_gpus (prefs) + 1,
         "GPU list of %u for %u devices", g_list_model_get_n_items (gtk_drop_down_get_model (gpu)),
         ember_preferences_get_n_gpus (prefs));
  CHECK (gtk_drop_down_get_selected (gpu) == 0, "GPU not Automatic by default");
  if (ember_preferences_get_n_gpus (prefs) > 0)
    {
      const char *name = gtk_string_list_get_string (GTK_STRING_LIST (gtk_drop_down_get_model (gpu)), 1);
      g_autofree char *stored = NULL;

      gtk_drop_down_set_selected (gpu, 1);
      stored = g_settings_get_string (settings, "vulkan-device");
      CHECK (g_strcmp0 (stored, name) == 0, "vulkan-device is “%s” after choosing “%s”", stored, name);
      /* The engine reads it when it starts the GPU. */
      CHECK (g_strcmp0 (g_getenv ("EMBER_VULKAN_DEVICE"), name) == 0, "EMBER_VULKAN_DEVICE is %s",
             g_getenv ("EMBER_VULKAN_DEVICE"));
      gtk_drop_down_set_selected (gpu, 0);
      CHECK (g_getenv ("EMBER_VULKAN_DEVICE") == NULL, "EMBER_VULKAN_DEVICE left set for Automatic");
    }

  /* Default device: CPU, then GPU; the header bar's selector follows. */
  gtk_drop_down_set_selected (device, 2);
  {
    g_autofree char *stored = g_settings_get_string (settings, "default-device");
    GtkDropDown *header_device = GTK_DROP_DOWN (find_descendant (gtk_window_get_titlebar (GTK_WINDOW (window)),
                                                                  GTK_TYPE_DROP_DOWN));

    CHECK (g_str_equal (stored, "gpu"), "default-device is %s after choosing GPU", stored);
    CHECK (header_device && gtk_drop_down_get_selected (header_device) == 1, "the header bar's device did not follow");
    gtk_drop_down_set_selected (device, 1);
    CHECK (header_device && gtk_drop_down_get_selected (header_device) == 0, "the header bar's device did not follow CPU");
  }
  {
    g_autofree char *stored = g_settings_get_string (settings, "default-device");

    CHECK (g_str_equal (stored, "cpu"), "default-device is %s after choosing CPU", stored);
  }

  /* CPU threads. */
  gtk_spin_button_set_value (threads, 3);
  CHECK (g_settings_get_int (settings, "cpu-threads") == 3, "cpu-threads is %d", g_settings_get_int (settings, "cpu-threads"));

  /* Colour scheme: Dark darkens, Light wins over the dark-style key. */
  gtk_drop_down_set_selected (scheme, 2);
  g_object_get (gtk_settings_get_default (), "gtk-application-prefer-dark-theme", &dark, NULL);
  {
    g_autofree char *stored = g_settings_get_string (settings, "color-scheme");

    CHECK (g_str_equal (stored, "dark") && dark, "color-scheme %s, dark %d", stored, dark);
  }
  g_settings_set_boolean (settings, "dark-style", TRUE);
  gtk_drop_down_set_selected (scheme, 1);
  g_object_get (gtk_settings_get_default (), "gtk-application-prefer-dark-theme", &dark, NULL);
  CHECK (!dark, "Light chosen, yet dark");
  /* Follow System with no desktop portal (the test's bus): dark-style decides. */
  gtk_drop_down_set_selected (scheme, 0);
  g_object_get (gtk_settings_get_default (), "gtk-application-prefer-dark-theme", &dark, NULL);
  CHECK (dark, "Follow System without a portal should take dark-style (on)");
  g_settings_set_boolean (settings, "dark-style", opt_dark);

  /* A setting changed elsewhere shows in the window. */
  g_settings_set_string (settings, "color-scheme", "light");
  CHECK (gtk_drop_down_get_selected (scheme) == 1, "the scheme control did not follow the setting");
  g_settings_reset (settings, "color-scheme");

  spin (200);
  {
    g_autoptr(GdkTexture) texture = NULL;
    g_autofree char *png = opt_screenshot ? g_strdup_printf ("%.*s-preferences.png", (int) strlen (opt_screenshot) - 4, opt_screenshot) : NULL;
    g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (GTK_WIDGET (prefs));
    g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
    g_autoptr(GskRenderNode) node = NULL;

    gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), gtk_widget_get_width (GTK_WIDGET (prefs)),
                            gtk_widget_get_height (GTK_WIDGET (prefs)));
    node = gtk_snapshot_to_node (snapshot);
    if (node != NULL)
      texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (prefs)), node,
                                             &GRAPHENE_RECT_INIT (0, 0, gtk_widget_get_width (GTK_WIDGET (prefs)),
                                                                  gtk_widget_get_height (GTK_WIDGET (prefs))));
    CHECK (texture != NULL, "the Preferences window did not render");
    if (texture != NULL && png != NULL)
      {
        CHECK (gdk_texture_save_to_png (texture, png), "could not write %s", png);
        g_print ("screenshot: %s\n", png);
      }
  }
  gtk_window_close (GTK_WINDOW (prefs));
  spin (100);
  CHECK (find_preferences () == NULL, "Preferences still shown after close");
}

/* Layout: the splitters and the panel shown are written on close and come
 * back in the next window. */
static void
check_layout (GtkApplication *app,
              EmberWindow    *window,
              GSettings      *settings)
{
  GtkPaned *sidebar = GTK_PANED (gtk_window_get_child (GTK_WINDOW (window)));
  GtkPaned *inspector = GTK_PANED (find_descendant (ember_window_get_inspector (window), GTK_TYPE_PANED));
  GtkPaned *training = GTK_PANED (find_descendant (ember_window_get_training (window), GTK_TYPE_PANED));
  EmberWindow *second;

  CHECK (GTK_IS_PANED (sidebar) && inspector && training, "splitters missing");
  if (!(GTK_IS_PANED (sidebar) && inspector && training))
    return;
  gtk_paned_set_position (sidebar, 237);
  gtk_paned_set_position (inspector, 333);
  gtk_paned_set_position (training, 301);
  ember_window_set_visible_panel (window, "graph");
  spin (100);

  /* Close (saving), then a new window. The application is held so that it
   * does not end with its last window. */
  g_application_hold (G_APPLICATION (app));
  gtk_window_close (GTK_WINDOW (window));
  CHECK (g_settings_get_int (settings, "window-width") == 900 &&
         g_settings_get_int (settings, "window-height") == 640 &&
         !g_settings_get_boolean (settings, "window-maximized"),
         "settings after close: %dx%d maximized=%d",
         g_settings_get_int (settings, "window-width"),
         g_settings_get_int (settings, "window-height"),
         g_settings_get_boolean (settings, "window-maximized"));
  CHECK (g_settings_get_int (settings, "sidebar-width") == 237 &&
         g_settings_get_int (settings, "inspector-pane-position") == 333 &&
         g_settings_get_int (settings, "training-pane-position") == 301,
         "saved splitters %d %d %d", g_settings_get_int (settings, "sidebar-width"),
         g_settings_get_int (settings, "inspector-pane-position"), g_settings_get_int (settings, "training-pane-position"));
  {
    g_autofree char *panel = g_settings_get_string (settings, "visible-panel");

    CHECK (g_str_equal (panel, "graph"), "saved panel %s", panel);
  }

  second = ember_window_new (app, ember_application_get_settings (EMBER_APPLICATION (app)));
  gtk_window_present (GTK_WINDOW (second));
  g_application_release (G_APPLICATION (app));
  spin (300);
  sidebar = GTK_PANED (gtk_window_get_child (GTK_WINDOW (second)));
  inspector = GTK_PANED (find_descendant (ember_window_get_inspector (second), GTK_TYPE_PANED));
  training = GTK_PANED (find_descendant (ember_window_get_training (second), GTK_TYPE_PANED));
  g_print ("restored: sidebar %d, inspector %d, training %d, panel %s\n", gtk_paned_get_position (sidebar),
           gtk_paned_get_position (inspector), gtk_paned_get_position (training),
           ember_window_get_visible_panel (second));
  CHECK (gtk_paned_get_position (sidebar) == 237, "sidebar restored at %d", gtk_paned_get_position (sidebar));
  CHECK (gtk_paned_get_position (inspector) == 333, "inspector splitter restored at %d", gtk_paned_get_position (inspector));
  CHECK (gtk_paned_get_position (training) == 301, "training splitter restored at %d", gtk_paned_get_position (training));
  CHECK (g_strcmp0 (ember_window_get_visible_panel (second), "graph") == 0, "panel %s restored",
         ember_window_get_visible_panel (second));
  gtk_window_close (GTK_WINDOW (second));
}

static void
check_window_contents (GtkApplication *app,
              EmberWindow    *window)
{
  static const char *const panel_names[] = { "inspector", "graph", "training", "generate", "log" };
  g_auto(GStrv) quit_accels = gtk_application_get_accels_for_action (app, "app.quit");
  GtkWidget *header_bar = gtk_window_get_titlebar (GTK_WINDOW (window));
  GtkStack *stack = GTK_STACK (find_descendant (GTK_WIDGET (window), GTK_TYPE_STACK));
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  int width, height;

  CHECK (GTK_IS_HEADER_BAR (header_bar), "the titlebar is not a GtkHeaderBar");
  CHECK (stack != NULL, "no GtkStack in the window");
  CHECK (find_descendant (GTK_WIDGET (window), GTK_TYPE_STACK_SIDEBAR) != NULL, "no panel sidebar");
  if (!GTK_IS_HEADER_BAR (header_bar) || stack == NULL)
    return;

  for (guint i = 0; i < G_N_ELEMENTS (panel_names); i++)
    CHECK (gtk_stack_get_child_by_name (stack, panel_names[i]) != NULL, "no panel %s", panel_names[i]);

  CHECK (g_strcmp0 (ember_window_get_visible_panel (window), "inspector") == 0,
         "first panel is %s", ember_window_get_visible_panel (window));

  CHECK (g_action_group_has_action (G_ACTION_GROUP (app), "quit"), "no app.quit");
  CHECK (g_action_group_has_action (G_ACTION_GROUP (app), "about"), "no app.about");
  CHECK (g_action_group_has_action (G_ACTION_GROUP (app), "dark-style"), "no app.dark-style");
  CHECK (quit_accels != NULL && g_strv_contains ((const char *const *) quit_accels, "<Control>q"),
         "app.quit is not on Ctrl+Q");
  CHECK (gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (window)) != NULL,
         "no help overlay (shortcuts window)");

  /* The size came from GSettings (set in main before the window existed). */
  gtk_window_get_default_size (GTK_WINDOW (window), &width, &height);
  CHECK (width == 820 && height == 600, "default size %dx%d, settings say 820x600", width, height);
  /* The default size includes the client-side decoration's edges. */
  CHECK (gtk_widget_get_width (GTK_WIDGET (window)) > 800 &&
         gtk_widget_get_width (GTK_WIDGET (window)) <= 820,
         "window is %d px wide", gtk_widget_get_width (GTK_WIDGET (window)));

  {
    GtkStackPage *page = gtk_stack_get_page (stack, gtk_stack_get_child_by_name (stack, "inspector"));
    const char *title = gtk_stack_page_get_title (page);

    g_print ("window title: %s; Inspector panel: %s\n",
             gtk_window_get_title (GTK_WINDOW (window)), title);
    if (opt_expect_inspector != NULL)
      CHECK (g_strcmp0 (title, opt_expect_inspector) == 0,
             "Inspector panel is titled “%s”, expected “%s”", title, opt_expect_inspector);
  }

  check_pixels (GTK_WIDGET (window), header_bar);

  /* Alt+3's action shows Training; the window reports it. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-panel", "s", "training");
  CHECK (g_strcmp0 (ember_window_get_visible_panel (window), "training") == 0,
         "win.show-panel('training') left %s visible", ember_window_get_visible_panel (window));

  /* app.about opens an About dialog for Ember. */
  g_action_group_activate_action (G_ACTION_GROUP (app), "about", NULL);
  {
    GListModel *toplevels = gtk_window_get_toplevels ();
    GtkWindow *about = NULL;

    for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
      {
        g_autoptr(GtkWindow) toplevel = g_list_model_get_item (toplevels, i);

        if (GTK_IS_ABOUT_DIALOG (toplevel))
          about = toplevel;
      }

    CHECK (about != NULL && gtk_widget_get_visible (GTK_WIDGET (about)), "app.about showed no About dialog");
    if (about != NULL)
      {
        CHECK (g_strcmp0 (gtk_about_dialog_get_version (GTK_ABOUT_DIALOG (about)), EMBER_VERSION) == 0,
               "About says version %s", gtk_about_dialog_get_version (GTK_ABOUT_DIALOG (about)));
        gtk_window_destroy (about);
      }
  }

  check_preferences (app, window, settings);

  /* Closing writes the size back (and, the last window gone, ends the run). */
  gtk_window_set_default_size (GTK_WINDOW (window), 900, 640);
  check_layout (app, window, settings);
  CHECK (g_settings_get_int (settings, "window-width") == 900 &&
         g_settings_get_int (settings, "window-height") == 640 &&
         !g_settings_get_boolean (settings, "window-maximized"),
         "settings after close: %dx%d maximized=%d",
         g_settings_get_int (settings, "window-width"),
         g_settings_get_int (settings, "window-height"),
         g_settings_get_boolean (settings, "window-maximized"));
}

static guint frames;

static gboolean
on_tick (GtkWidget     *widget,
         GdkFrameClock *clock,
         gpointer       user_data)
{
  GtkApplication *app = user_data;

  /* A few frames, so that the first layout and the theme's icons settle. */
  if (++frames < 5)
    return G_SOURCE_CONTINUE;

  check_window_contents (app, EMBER_WINDOW (widget));
  /* Whatever failed above, end the run (a no-op if the window already closed). */
  g_application_quit (G_APPLICATION (app));
  return G_SOURCE_REMOVE;
}

static void
on_window_added (GtkApplication *app,
                 GtkWindow      *window)
{
  static gboolean first_done;

  /* The first window only (check_layout opens a second one). */
  if (EMBER_IS_WINDOW (window) && !first_done)
    {
      first_done = TRUE;
      gtk_widget_add_tick_callback (GTK_WIDGET (window), on_tick, app, NULL);
    }
}

static gboolean
on_timeout (gpointer user_data)
{
  g_printerr ("FAIL: the window was not drawn within 30 s\n");
  failures++;
  g_application_quit (G_APPLICATION (user_data));
  return G_SOURCE_REMOVE;
}

int
main (int   argc,
      char *argv[])
{
  const GOptionEntry entries[] = {
    { "screenshot", 0, 0, G_OPTION_ARG_FILENAME, &opt_screenshot, "Save the rendered window here", "PNG" },
    { "expect-inspector", 0, 0, G_OPTION_ARG_STRING, &opt_expect_inspector, "Expected title of the Inspector panel", "TEXT" },
    { "dark", 0, 0, G_OPTION_ARG_NONE, &opt_dark, "Turn the dark style on and check it shows", NULL },
    { "localedir", 0, 0, G_OPTION_ARG_FILENAME, &opt_localedir, "Where the built translations are", "DIR" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- check the workbench window");
  g_autoptr(GError) error = NULL;
  g_autoptr(EmberApplication) app = NULL;
  g_autoptr(GSettings) settings = NULL;
  int status;

  setlocale (LC_ALL, "");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }

  bindtextdomain (GETTEXT_PACKAGE, opt_localedir ? opt_localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (g_strcmp0 (g_getenv ("GSETTINGS_BACKEND"), "memory") != 0)
    {
      g_printerr ("run with GSETTINGS_BACKEND=memory so the test does not touch real settings\n");
      return 2;
    }
  settings = g_settings_new (APP_ID);
  g_settings_set_int (settings, "window-width", 820);
  g_settings_set_int (settings, "window-height", 600);
  g_settings_set_boolean (settings, "window-maximized", FALSE);
  g_settings_set_boolean (settings, "dark-style", opt_dark);

  app = ember_application_new ();
  /* The test's own instance, not a running `ember`'s. */
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_signal_connect (app, "window-added", G_CALLBACK (on_window_added), NULL);
  g_timeout_add_seconds (30, on_timeout, app);

  status = g_application_run (G_APPLICATION (app), 1, argv);

  if (status != 0)
    failures++;
  g_print ("%s\n", failures ? "FAILED" : "PASSED");
  return failures ? 1 : 0;
}
