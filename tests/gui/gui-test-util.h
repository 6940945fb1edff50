/* gui-test-util.h: what the GUI tests share: CHECK, waiting on the main loop,
 * rendering a widget to a texture with its window's renderer, saving it as a
 * PNG and measuring regions of it. Header-only (static functions). */
#pragma once

#include <gtk/gtk.h>
#include <math.h>

static int failures;

#define CHECK(cond, ...)                                                \
  G_STMT_START {                                                        \
    if (cond)                                                           \
      g_print ("ok: %s\n", #cond);                                      \
    else                                                                \
      {                                                                 \
        g_printerr ("FAIL (%s:%d): %s: ", __FILE__, __LINE__, #cond);   \
        g_printerr (__VA_ARGS__);                                       \
        g_printerr ("\n");                                              \
        failures++;                                                     \
      }                                                                 \
  } G_STMT_END

typedef gboolean (*WaitFunc) (gpointer data);

static gboolean
wait_timeout_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main loop until @func says yes or @ms pass; TRUE if it said yes. */
static G_GNUC_UNUSED gboolean
wait_until (WaitFunc func,
            gpointer data,
            guint    ms)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (ms, wait_timeout_cb, &timed_out);

  while (!func (data) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  return func (data);
}

static gboolean
false_func (gpointer data)
{
  return FALSE;
}

/* Lets the main loop run for @ms (frames get drawn). */
static G_GNUC_UNUSED void
spin (guint ms)
{
  wait_until (false_func, NULL, ms);
}

static G_GNUC_UNUSED GdkTexture *
render_widget (GtkWidget *widget)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  GtkNative *native = gtk_widget_get_native (widget);

  if (width <= 0 || height <= 0 || native == NULL)
    return NULL;
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_to_node (snapshot);
  if (node == NULL)
    return NULL;

  return gsk_renderer_render_texture (gtk_native_get_renderer (native), node,
                                      &GRAPHENE_RECT_INIT (0, 0, width, height));
}

typedef struct {
  int     width, height;
  gsize   stride;
  guchar *data;   /* B8G8R8A8 premultiplied */
} Pixels;

static G_GNUC_UNUSED gboolean
pixels_from_widget (GtkWidget  *widget,
                    const char *png,
                    Pixels     *out)
{
  g_autoptr(GdkTexture) texture = render_widget (widget);

  memset (out, 0, sizeof *out);
  if (texture == NULL)
    return FALSE;
  out->width = gdk_texture_get_width (texture);
  out->height = gdk_texture_get_height (texture);
  out->stride = (gsize) out->width * 4;
  out->data = g_malloc (out->stride * out->height);
  gdk_texture_download (texture, out->data, out->stride);
  if (png != NULL)
    {
      if (gdk_texture_save_to_png (texture, png))
        g_print ("screenshot: %s (%dx%d)\n", png, out->width, out->height);
      else
        {
          g_printerr ("FAIL: could not write %s\n", png);
          failures++;
        }
    }
  return TRUE;
}

static G_GNUC_UNUSED void
pixels_clear (Pixels *p)
{
  g_clear_pointer (&p->data, g_free);
}

/* Pixels in the rectangle whose colour is within @tol (per channel) of r,g,b. */
static G_GNUC_UNUSED guint
count_colour (const Pixels *p,
              int x0, int y0, int x1, int y1,
              int r, int g, int b,
              int tol)
{
  guint n = 0;

  x0 = CLAMP (x0, 0, p->width);
  x1 = CLAMP (x1, 0, p->width);
  y0 = CLAMP (y0, 0, p->height);
  y1 = CLAMP (y1, 0, p->height);
  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++)
      {
        const guchar *px = p->data + y * p->stride + x * 4;

        if (abs (px[2] - r) <= tol && abs (px[1] - g) <= tol && abs (px[0] - b) <= tol)
          n++;
      }
  return n;
}

static G_GNUC_UNUSED guint
count_distinct_colours (const Pixels *p)
{
  g_autoptr(GHashTable) colours = g_hash_table_new (NULL, NULL);

  for (int y = 0; y < p->height; y++)
    for (int x = 0; x < p->width; x++)
      {
        const guchar *px = p->data + y * p->stride + x * 4;

        g_hash_table_add (colours, GUINT_TO_POINTER ((guint) (px[2] << 16 | px[1] << 8 | px[0]) + 1));
      }
  return g_hash_table_size (colours);
}

static G_GNUC_UNUSED GtkWidget *
find_descendant (GtkWidget *root,
                 GType      type)
{
  if (g_type_is_a (G_OBJECT_TYPE (root), type))
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_descendant (child, type);

      if (found != NULL)
        return found;
    }
  return NULL;
}
