/* ember-image-grid.c: images laid out in as many columns as fit; each drawn
 * from a cairo A8-free RGB24 surface, scaled with the nearest filter, its
 * caption under it in green (right) or red (wrong). */
#include <glib/gi18n-lib.h>

#include "ember-image-grid.h"
#include "ember-widgets-private.h"

struct _EmberImageGrid
{
  GtkWidget         parent_instance;

  GPtrArray        *surfaces;  /* cairo_surface_t */
  GPtrArray        *captions;
  GArray           *correct;   /* gboolean, may be empty */
  guint             width, height, zoom;
};

G_DEFINE_FINAL_TYPE (EmberImageGrid, ember_image_grid, GTK_TYPE_WIDGET)

#define CAPTION_H 32
#define GAP 10

static void
cell_size (EmberImageGrid *self, int *cw, int *ch)
{
  *cw = MAX ((int) (self->width * self->zoom), 96) + GAP;
  *ch = (int) (self->height * self->zoom) + CAPTION_H + GAP;
}

static void
ember_image_grid_snapshot (GtkWidget   *widget,
                           GtkSnapshot *snapshot)
{
  EmberImageGrid *self = EMBER_IMAGE_GRID (widget);
  int w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  g_autoptr(PangoLayout) pl = gtk_widget_create_pango_layout (widget, NULL);
  int cw, ch, cols;
  cairo_t *cr;

  if (self->surfaces->len == 0 || w <= 0)
    return;
  cell_size (self, &cw, &ch);
  cols = MAX (1, w / cw);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, w, h));
  pango_layout_set_width (pl, (cw - GAP) * PANGO_SCALE);
  pango_layout_set_alignment (pl, PANGO_ALIGN_CENTER);
  pango_layout_set_ellipsize (pl, PANGO_ELLIPSIZE_END);

  for (guint i = 0; i < self->surfaces->len; i++)
    {
      int x = (i % cols) * cw + GAP / 2, y = (i / cols) * ch + GAP / 2;
      int ix = x + (cw - GAP - (int) (self->width * self->zoom)) / 2;
      gboolean has_mark = self->correct->len > i;

      cairo_save (cr);
      cairo_translate (cr, ix, y);
      cairo_scale (cr, self->zoom, self->zoom);
      cairo_set_source_surface (cr, g_ptr_array_index (self->surfaces, i), 0, 0);
      cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
      cairo_paint (cr);
      cairo_restore (cr);

      if (has_mark)
        {
          if (g_array_index (self->correct, gboolean, i))
            cairo_set_source_rgb (cr, 0.15, 0.6, 0.2);
          else
            cairo_set_source_rgb (cr, 0.85, 0.15, 0.15);
          cairo_set_line_width (cr, 3);
          cairo_rectangle (cr, ix - 1.5, y - 1.5, self->width * self->zoom + 3, self->height * self->zoom + 3);
          cairo_stroke (cr);
        }
      else
        {
          GdkRGBA fg;

          gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
          gdk_cairo_set_source_rgba (cr, &fg);
        }
      pango_layout_set_text (pl, g_ptr_array_index (self->captions, i), -1);
      cairo_move_to (cr, x, y + self->height * self->zoom + 4);
      pango_cairo_show_layout (cr, pl);
    }
  cairo_destroy (cr);
}

static void
ember_image_grid_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                          int *minimum, int *natural, int *minimum_baseline, int *natural_baseline)
{
  EmberImageGrid *self = EMBER_IMAGE_GRID (widget);
  int cw, ch, n = self->surfaces->len;

  cell_size (self, &cw, &ch);
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = cw;
      *natural = cw * MIN (MAX (n, 1), 8);
    }
  else
    {
      int cols = for_size > 0 ? MAX (1, for_size / cw) : 8;

      *minimum = *natural = n ? ch * ((n + cols - 1) / cols) : 0;
    }
}

static GtkSizeRequestMode
ember_image_grid_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
ember_image_grid_finalize (GObject *object)
{
  EmberImageGrid *self = EMBER_IMAGE_GRID (object);

  g_ptr_array_unref (self->surfaces);
  g_ptr_array_unref (self->captions);
  g_array_unref (self->correct);

  G_OBJECT_CLASS (ember_image_grid_parent_class)->finalize (object);
}

static void
ember_image_grid_class_init (EmberImageGridClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = ember_image_grid_finalize;
  widget_class->snapshot = ember_image_grid_snapshot;
  widget_class->measure = ember_image_grid_measure;
  widget_class->get_request_mode = ember_image_grid_get_request_mode;
  gtk_widget_class_set_css_name (widget_class, "imagegrid");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
ember_image_grid_init (EmberImageGrid *self)
{
  self->surfaces = g_ptr_array_new_with_free_func ((GDestroyNotify) cairo_surface_destroy);
  self->captions = g_ptr_array_new_with_free_func (g_free);
  self->correct = g_array_new (FALSE, FALSE, sizeof (gboolean));
  self->zoom = 3;
  self->width = self->height = 28;
  _ember_widgets_ensure_style (gtk_widget_get_display (GTK_WIDGET (self)));
}

GtkWidget *
ember_image_grid_new (void)
{
  return g_object_new (EMBER_TYPE_IMAGE_GRID, NULL);
}

void
ember_image_grid_set_images (EmberImageGrid    *self,
                             const guint8      *pixels,
                             guint              n,
                             guint              width,
                             guint              height,
                             const char *const *captions,
                             const gboolean    *correct)
{
  g_return_if_fail (EMBER_IS_IMAGE_GRID (self));

  g_ptr_array_set_size (self->surfaces, 0);
  g_ptr_array_set_size (self->captions, 0);
  g_array_set_size (self->correct, 0);
  self->width = width;
  self->height = height;

  for (guint i = 0; i < n; i++)
    {
      cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_RGB24, width, height);
      guint8 *data = cairo_image_surface_get_data (s);
      int stride = cairo_image_surface_get_stride (s);

      cairo_surface_flush (s);
      for (guint y = 0; y < height; y++)
        for (guint x = 0; x < width; x++)
          {
            guint8 v = pixels[(gsize) i * width * height + y * width + x];

            ((guint32 *) (data + y * stride))[x] = 0xff000000u | v << 16 | v << 8 | v;
          }
      cairo_surface_mark_dirty (s);
      g_ptr_array_add (self->surfaces, s);
      g_ptr_array_add (self->captions, g_strdup (captions ? captions[i] : ""));
      if (correct != NULL)
        g_array_append_val (self->correct, correct[i]);
    }
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

guint ember_image_grid_get_n_images (EmberImageGrid *self) { return self->surfaces->len; }

void
ember_image_grid_set_zoom (EmberImageGrid *self,
                           guint           zoom)
{
  self->zoom = MAX (zoom, 1);
  gtk_widget_queue_resize (GTK_WIDGET (self));
}
