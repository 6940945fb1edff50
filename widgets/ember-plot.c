/* ember-plot.c
 *
 * Series are arrays of points; the smoothed values are kept beside them and
 * recomputed only when the smoothing changes (appending extends them), so a
 * long live run costs one update per new point. Drawing: margins for the
 * axes, "nice" ticks, the raw lines faint, the smoothed lines strong, a
 * legend, and the hover readout.
 */
#include <glib/gi18n-lib.h>
#include <math.h>

#include "ember-plot.h"
#include "ember-widgets-private.h"

typedef struct {
  char   *name;
  GArray *x, *y, *smooth;   /* double */
  double  ema;              /* running biased EMA, and its weight sum */
  double  ema_weight;
} Series;

struct _EmberPlot
{
  GtkWidget  parent_instance;

  GPtrArray *series;
  double     smoothing;
  gboolean   log_scale;
  char      *x_label;
  char      *y_label;
  int        highlight;        /* series emphasised, -1 */

  /* The last frame's mapping, for hover. */
  double     x0, x1, y0, y1;   /* data range (y in log10 when log_scale) */
  double     left, top, right, bottom;

  gint64     last_draw_us;
  gboolean   hovering;
  double     hover_x, hover_y;
  char      *hover_text;
  int        hover_series;
  guint      hover_index;
};

G_DEFINE_FINAL_TYPE (EmberPlot, ember_plot, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_SMOOTHING,
  PROP_LOG_SCALE,
  PROP_HIGHLIGHT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

void
ember_plot_series_color (guint    series,
                         GdkRGBA *rgba)
{
  static const GdkRGBA palette[] = {
    { 0.11, 0.44, 0.85, 1 },  /* blue */
    { 0.90, 0.38, 0.00, 1 },  /* orange */
    { 0.18, 0.63, 0.17, 1 },  /* green */
    { 0.84, 0.15, 0.16, 1 },  /* red */
    { 0.58, 0.40, 0.74, 1 },  /* purple */
    { 0.55, 0.34, 0.29, 1 },  /* brown */
  };

  *rgba = palette[series % G_N_ELEMENTS (palette)];
}

static void
series_free (gpointer p)
{
  Series *s = p;

  g_free (s->name);
  g_array_unref (s->x);
  g_array_unref (s->y);
  g_array_unref (s->smooth);
  g_free (s);
}

/* Debiased EMA (as TensorBoard): s_t = sum w^(t-i) (1-w) y_i / (1 - w^t). */
static void
series_push_smooth (Series *s,
                    double  smoothing,
                    double  y)
{
  double v;

  if (!isfinite (y))
    {
      g_array_append_val (s->smooth, y);
      return;
    }
  s->ema = s->ema * smoothing + (1 - smoothing) * y;
  s->ema_weight = s->ema_weight * smoothing + (1 - smoothing);
  v = s->ema / s->ema_weight;
  g_array_append_val (s->smooth, v);
}

static void
resmooth (EmberPlot *self)
{
  for (guint i = 0; i < self->series->len; i++)
    {
      Series *s = g_ptr_array_index (self->series, i);

      g_array_set_size (s->smooth, 0);
      s->ema = s->ema_weight = 0;
      for (guint k = 0; k < s->y->len; k++)
        series_push_smooth (s, self->smoothing, g_array_index (s->y, double, k));
    }
}

static double
tick_step (double range, int target)
{
  double raw = range / MAX (target, 1);
  double mag = pow (10, floor (log10 (raw)));
  double f = raw / mag;

  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

static double
ty (EmberPlot *self, double y)
{
  return self->log_scale ? (y > 0 ? log10 (y) : NAN) : y;
}

static void
compute_ranges (EmberPlot *self)
{
  double x0 = G_MAXDOUBLE, x1 = -G_MAXDOUBLE, y0 = G_MAXDOUBLE, y1 = -G_MAXDOUBLE;

  for (guint i = 0; i < self->series->len; i++)
    {
      Series *s = g_ptr_array_index (self->series, i);

      for (guint k = 0; k < s->x->len; k++)
        {
          double x = g_array_index (s->x, double, k), y = ty (self, g_array_index (s->y, double, k));

          if (!isfinite (x) || !isfinite (y))
            continue;
          x0 = MIN (x0, x); x1 = MAX (x1, x);
          y0 = MIN (y0, y); y1 = MAX (y1, y);
        }
    }
  if (x0 > x1)
    {
      x0 = 0; x1 = 1; y0 = 0; y1 = 1;
    }
  if (x1 - x0 < 1e-12)
    x1 = x0 + 1;
  if (y1 - y0 < 1e-12)
    {
      y0 -= 0.5;
      y1 += 0.5;
    }
  else
    {
      double pad = (y1 - y0) * 0.05;
      y0 -= pad;
      y1 += pad;
    }
  self->x0 = x0; self->x1 = x1; self->y0 = y0; self->y1 = y1;
}

static inline double
px (EmberPlot *self, double x)
{
  return self->left + (x - self->x0) / (self->x1 - self->x0) * (self->right - self->left);
}

static inline double
py (EmberPlot *self, double y)
{
  return self->bottom - (y - self->y0) / (self->y1 - self->y0) * (self->bottom - self->top);
}

static void
draw_text (cairo_t *cr, PangoLayout *pl, const char *text, double x, double y, double ax, double ay)
{
  int w, h;

  pango_layout_set_text (pl, text, -1);
  pango_layout_get_pixel_size (pl, &w, &h);
  cairo_move_to (cr, x - ax * w, y - ay * h);
  pango_cairo_show_layout (cr, pl);
}

static void
draw_series_line (EmberPlot *self, cairo_t *cr, GArray *xs, GArray *ys)
{
  gboolean pen = FALSE;

  for (guint k = 0; k < xs->len; k++)
    {
      double y = ty (self, g_array_index (ys, double, k));

      if (!isfinite (y))
        {
          pen = FALSE;
          continue;
        }
      if (pen)
        cairo_line_to (cr, px (self, g_array_index (xs, double, k)), py (self, y));
      else
        cairo_move_to (cr, px (self, g_array_index (xs, double, k)), py (self, y));
      pen = TRUE;
    }
  /* A single point still shows. */
  if (xs->len == 1 && isfinite (ty (self, g_array_index (ys, double, 0))))
    cairo_rel_line_to (cr, 0.5, 0);
  cairo_stroke (cr);
}

static void
ember_plot_snapshot (GtkWidget   *widget,
                     GtkSnapshot *snapshot)
{
  EmberPlot *self = EMBER_PLOT (widget);
  int w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  g_autoptr(PangoLayout) pl = gtk_widget_create_pango_layout (widget, NULL);
  cairo_t *cr;
  GdkRGBA fg;
  double step;
  int highlight;

  gint64 start = g_get_monotonic_time ();

  if (w < 40 || h < 40)
    return;

  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  compute_ranges (self);
  self->left = 64;
  self->right = w - 12;
  self->top = 12;
  self->bottom = h - 40;

  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, w, h));
  cairo_set_line_width (cr, 1);

  /* Grid and ticks. */
  step = tick_step (self->y1 - self->y0, 5);
  for (double v = ceil (self->y0 / step) * step; v <= self->y1 + 1e-9; v += step)
    {
      char buf[32];

      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.12);
      cairo_move_to (cr, self->left, round (py (self, v)) + 0.5);
      cairo_line_to (cr, self->right, round (py (self, v)) + 0.5);
      cairo_stroke (cr);
      g_snprintf (buf, sizeof buf, "%.4g", self->log_scale ? pow (10, v) : fabs (v) < step * 1e-6 ? 0.0 : v);
      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.7);
      draw_text (cr, pl, buf, self->left - 6, py (self, v), 1, 0.5);
    }
  step = tick_step (self->x1 - self->x0, 6);
  for (double v = ceil (self->x0 / step) * step; v <= self->x1 + 1e-9; v += step)
    {
      char buf[32];

      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.12);
      cairo_move_to (cr, round (px (self, v)) + 0.5, self->top);
      cairo_line_to (cr, round (px (self, v)) + 0.5, self->bottom);
      cairo_stroke (cr);
      g_snprintf (buf, sizeof buf, "%.6g", v);
      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.7);
      draw_text (cr, pl, buf, px (self, v), self->bottom + 4, 0.5, 0);
    }
  cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.5);
  cairo_rectangle (cr, self->left + 0.5, self->top + 0.5, self->right - self->left, self->bottom - self->top);
  cairo_stroke (cr);
  cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.8);
  if (self->x_label)
    draw_text (cr, pl, self->x_label, (self->left + self->right) / 2, h - 2, 0.5, 1);
  if (self->y_label)
    {
      cairo_save (cr);
      cairo_translate (cr, 2, (self->top + self->bottom) / 2);
      cairo_rotate (cr, -G_PI / 2);
      draw_text (cr, pl, self->y_label, 0, 0, 0.5, 0);
      cairo_restore (cr);
    }

  /* Series: raw faint, smoothed strong. */
  cairo_save (cr);
  cairo_rectangle (cr, self->left, self->top, self->right - self->left, self->bottom - self->top);
  cairo_clip (cr);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  highlight = self->highlight >= 0 && (guint) self->highlight < self->series->len ? self->highlight : -1;
  /* The highlighted series last, on top of the others. */
  for (guint n = 0; n < self->series->len; n++)
    {
      guint i = highlight < 0 ? n : (n + (guint) highlight + 1) % self->series->len;
      Series *s = g_ptr_array_index (self->series, i);
      gboolean faded = highlight >= 0 && (int) i != highlight;
      GdkRGBA c;

      ember_plot_series_color (i, &c);
      if (self->smoothing > 0)
        {
          cairo_set_source_rgba (cr, c.red, c.green, c.blue, faded ? 0.1 : 0.25);
          cairo_set_line_width (cr, 1);
          draw_series_line (self, cr, s->x, s->y);
        }
      cairo_set_source_rgba (cr, c.red, c.green, c.blue, faded ? 0.35 : 1);
      cairo_set_line_width (cr, highlight < 0 ? 2 : faded ? 1.5 : 3.5);
      draw_series_line (self, cr, s->x, s->smooth);
    }
  cairo_restore (cr);

  /* Legend, at the top right, as wide as its longest name. */
  if (self->series->len > 1)
    {
      int widest = 0, th = 16;
      g_autoptr(PangoAttrList) bold = pango_attr_list_new ();

      pango_attr_list_insert (bold, pango_attr_weight_new (PANGO_WEIGHT_BOLD));

      for (guint i = 0; i < self->series->len; i++)
        {
          Series *s = g_ptr_array_index (self->series, i);
          int tw;

          pango_layout_set_attributes (pl, (int) i == highlight ? bold : NULL);
          pango_layout_set_text (pl, s->name ? s->name : "", -1);
          pango_layout_get_pixel_size (pl, &tw, &th);
          pango_layout_set_attributes (pl, NULL);
          widest = MAX (widest, tw);
        }
      cairo_set_source_rgba (cr, 1 - fg.red, 1 - fg.green, 1 - fg.blue, 0.75);
      cairo_rectangle (cr, self->right - widest - 36, self->top + 4, widest + 32, (th + 2) * self->series->len + 8);
      cairo_fill (cr);
      for (guint i = 0; i < self->series->len; i++)
        {
          Series *s = g_ptr_array_index (self->series, i);
          GdkRGBA c;
          double x = self->right - widest - 30, y = self->top + 8 + (th + 2) * i;

          ember_plot_series_color (i, &c);
          gdk_cairo_set_source_rgba (cr, &c);
          if ((int) i == highlight)
            cairo_rectangle (cr, x, y + th / 2 - 3, 14, 6);
          else
            cairo_rectangle (cr, x, y + th / 2 - 2, 14, 4);
          cairo_fill (cr);
          cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, highlight >= 0 && (int) i != highlight ? 0.6 : 0.9);
          pango_layout_set_attributes (pl, (int) i == highlight ? bold : NULL);
          draw_text (cr, pl, s->name ? s->name : "", x + 20, y, 0, 0);
          pango_layout_set_attributes (pl, NULL);
        }
    }

  /* Hover readout. */
  if (self->hovering && self->hover_text != NULL && self->hover_series >= 0)
    {
      Series *s = g_ptr_array_index (self->series, self->hover_series);
      double hx = px (self, g_array_index (s->x, double, self->hover_index));
      double hy = py (self, ty (self, g_array_index (s->smooth, double, self->hover_index)));
      int tw, th;
      GdkRGBA c;

      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.4);
      cairo_move_to (cr, round (hx) + 0.5, self->top);
      cairo_line_to (cr, round (hx) + 0.5, self->bottom);
      cairo_stroke (cr);
      ember_plot_series_color (self->hover_series, &c);
      gdk_cairo_set_source_rgba (cr, &c);
      cairo_arc (cr, hx, hy, 4, 0, 2 * G_PI);
      cairo_fill (cr);

      pango_layout_set_text (pl, self->hover_text, -1);
      pango_layout_get_pixel_size (pl, &tw, &th);
      cairo_set_source_rgba (cr, 0.1, 0.1, 0.1, 0.85);
      cairo_rectangle (cr, self->left + 8, self->top + 8, tw + 12, th + 8);
      cairo_fill (cr);
      cairo_set_source_rgb (cr, 1, 1, 1);
      cairo_move_to (cr, self->left + 14, self->top + 12);
      pango_cairo_show_layout (cr, pl);
    }

  cairo_destroy (cr);
  self->last_draw_us = g_get_monotonic_time () - start;
}

gint64
ember_plot_get_last_draw_us (EmberPlot *self)
{
  return self->last_draw_us;
}

const char *
ember_plot_hover (EmberPlot *self,
                  double     x,
                  double     y)
{
  double best = G_MAXDOUBLE;

  g_return_val_if_fail (EMBER_IS_PLOT (self), NULL);

  self->hovering = TRUE;
  self->hover_series = -1;
  g_clear_pointer (&self->hover_text, g_free);
  if (self->right <= self->left)
    return NULL;

  /* The nearest point in x (then y) of any series. */
  for (guint i = 0; i < self->series->len; i++)
    {
      Series *s = g_ptr_array_index (self->series, i);

      for (guint k = 0; k < s->x->len; k++)
        {
          double dx = fabs (px (self, g_array_index (s->x, double, k)) - x);
          double yy = ty (self, g_array_index (s->smooth, double, k));
          double d = dx * 1000 + (isfinite (yy) ? fabs (py (self, yy) - y) : 1e6);

          if (d < best)
            {
              best = d;
              self->hover_series = i;
              self->hover_index = k;
            }
        }
    }
  if (self->hover_series >= 0)
    {
      Series *s = g_ptr_array_index (self->series, self->hover_series);

      self->hover_text = g_strdup_printf (_("%s — step %.0f: %.4g (smoothed %.4g)"),
                                          s->name ? s->name : "",
                                          g_array_index (s->x, double, self->hover_index),
                                          g_array_index (s->y, double, self->hover_index),
                                          g_array_index (s->smooth, double, self->hover_index));
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
  return self->hover_text;
}

static void
on_motion (GtkEventControllerMotion *motion,
           double                    x,
           double                    y,
           EmberPlot                *self)
{
  ember_plot_hover (self, x, y);
}

static void
on_leave (GtkEventControllerMotion *motion,
          EmberPlot                *self)
{
  self->hovering = FALSE;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
ember_plot_finalize (GObject *object)
{
  EmberPlot *self = EMBER_PLOT (object);

  g_ptr_array_unref (self->series);
  g_free (self->x_label);
  g_free (self->y_label);
  g_free (self->hover_text);

  G_OBJECT_CLASS (ember_plot_parent_class)->finalize (object);
}

static void
ember_plot_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  EmberPlot *self = EMBER_PLOT (object);

  switch (prop_id)
    {
    case PROP_SMOOTHING: g_value_set_double (value, self->smoothing); break;
    case PROP_LOG_SCALE: g_value_set_boolean (value, self->log_scale); break;
    case PROP_HIGHLIGHT: g_value_set_int (value, self->highlight); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ember_plot_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  EmberPlot *self = EMBER_PLOT (object);

  switch (prop_id)
    {
    case PROP_SMOOTHING: ember_plot_set_smoothing (self, g_value_get_double (value)); break;
    case PROP_LOG_SCALE: ember_plot_set_log_scale (self, g_value_get_boolean (value)); break;
    case PROP_HIGHLIGHT: ember_plot_set_highlight (self, g_value_get_int (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ember_plot_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                    int *minimum, int *natural, int *minimum_baseline, int *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 200 : 150;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 500 : 300;
}

static void
ember_plot_class_init (EmberPlotClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = ember_plot_finalize;
  object_class->get_property = ember_plot_get_property;
  object_class->set_property = ember_plot_set_property;
  widget_class->snapshot = ember_plot_snapshot;
  widget_class->measure = ember_plot_measure;

  properties[PROP_SMOOTHING] =
    g_param_spec_double ("smoothing", NULL, NULL, 0, 0.999, 0.6,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties[PROP_LOG_SCALE] =
    g_param_spec_boolean ("log-scale", NULL, NULL, FALSE,
                          (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  /**
   * EmberPlot:highlight:
   *
   * The series drawn emphasised (on top, thicker, the others faded), or -1.
   */
  properties[PROP_HIGHLIGHT] =
    g_param_spec_int ("highlight", NULL, NULL, -1, G_MAXINT, -1,
                      (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "plot");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
ember_plot_init (EmberPlot *self)
{
  GtkEventController *motion = gtk_event_controller_motion_new ();

  self->series = g_ptr_array_new_with_free_func (series_free);
  self->smoothing = 0.6;
  self->hover_series = -1;
  self->highlight = -1;
  g_signal_connect (motion, "motion", G_CALLBACK (on_motion), self);
  g_signal_connect (motion, "leave", G_CALLBACK (on_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);
  _ember_widgets_ensure_style (gtk_widget_get_display (GTK_WIDGET (self)));
}

GtkWidget *
ember_plot_new (void)
{
  return g_object_new (EMBER_TYPE_PLOT, NULL);
}

guint
ember_plot_add_series (EmberPlot  *self,
                       const char *name)
{
  Series *s = g_new0 (Series, 1);

  g_return_val_if_fail (EMBER_IS_PLOT (self), 0);

  s->name = g_strdup (name);
  s->x = g_array_new (FALSE, FALSE, sizeof (double));
  s->y = g_array_new (FALSE, FALSE, sizeof (double));
  s->smooth = g_array_new (FALSE, FALSE, sizeof (double));
  g_ptr_array_add (self->series, s);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  return self->series->len - 1;
}

void
ember_plot_append (EmberPlot *self,
                   guint      series,
                   double     x,
                   double     y)
{
  Series *s;

  g_return_if_fail (EMBER_IS_PLOT (self));
  g_return_if_fail (series < self->series->len);

  s = g_ptr_array_index (self->series, series);
  g_array_append_val (s->x, x);
  g_array_append_val (s->y, y);
  series_push_smooth (s, self->smoothing, y);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
ember_plot_clear (EmberPlot *self)
{
  g_ptr_array_set_size (self->series, 0);
  self->hover_series = -1;
  ember_plot_set_highlight (self, -1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint ember_plot_get_n_series (EmberPlot *self) { return self->series->len; }

guint
ember_plot_get_n_points (EmberPlot *self,
                         guint      series)
{
  g_return_val_if_fail (series < self->series->len, 0);
  return ((Series *) g_ptr_array_index (self->series, series))->x->len;
}

double
ember_plot_get_smoothed (EmberPlot *self,
                         guint      series,
                         guint      i)
{
  Series *s = g_ptr_array_index (self->series, series);

  return g_array_index (s->smooth, double, i);
}

double ember_plot_get_smoothing (EmberPlot *self) { return self->smoothing; }

void
ember_plot_set_smoothing (EmberPlot *self,
                          double     smoothing)
{
  smoothing = CLAMP (smoothing, 0, 0.999);
  if (smoothing == self->smoothing)
    return;
  self->smoothing = smoothing;
  resmooth (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SMOOTHING]);
}

gboolean ember_plot_get_log_scale (EmberPlot *self) { return self->log_scale; }

int ember_plot_get_highlight (EmberPlot *self) { return self->highlight; }

void
ember_plot_set_highlight (EmberPlot *self,
                          int        series)
{
  g_return_if_fail (EMBER_IS_PLOT (self));

  series = MAX (series, -1);
  if (series == self->highlight)
    return;
  self->highlight = series;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HIGHLIGHT]);
}

void
ember_plot_set_log_scale (EmberPlot *self,
                          gboolean   log_scale)
{
  log_scale = !!log_scale;
  if (log_scale == self->log_scale)
    return;
  self->log_scale = log_scale;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOG_SCALE]);
}

void
ember_plot_set_x_label (EmberPlot *self, const char *label)
{
  g_free (self->x_label);
  self->x_label = g_strdup (label);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
ember_plot_set_y_label (EmberPlot *self, const char *label)
{
  g_free (self->y_label);
  self->y_label = g_strdup (label);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

gboolean
ember_plot_data_to_widget (EmberPlot *self,
                           double     x,
                           double     y,
                           double    *wx,
                           double    *wy)
{
  if (self->right <= self->left)
    return FALSE;
  *wx = px (self, x);
  *wy = py (self, ty (self, y));
  return isfinite (*wy);
}
