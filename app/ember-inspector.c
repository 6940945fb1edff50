/* ember-inspector.c
 *
 * The Inspector panel. Selecting a tensor starts its statistics on a worker
 * thread (ember_document_compute_stats_async); a newer selection cancels the
 * older one, so only the last answer is shown.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "ember-inspector.h"
#include "ember-tensor-tree.h"

struct _EmberInspector
{
  GtkWidget          parent_instance;

  GtkPaned          *paned;
  EmberTensorTree   *tree;
  GtkLabel          *tensor_label;
  GtkSpinner        *spinner;
  GtkGrid           *stats_grid;
  GtkDrawingArea    *histogram;
  GtkLabel          *properties_heading;
  GtkGrid           *properties_grid;

  EmberDocument     *document;
  GCancellable      *stats_cancellable;
  EmberTensorStats  *stats;
};

G_DEFINE_FINAL_TYPE (EmberInspector, ember_inspector, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_DOCUMENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_STATS_READY,
  SIGNAL_ERROR,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
clear_grid (GtkGrid *grid)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (grid))) != NULL)
    gtk_grid_remove (grid, child);
}

static void
grid_add_row (GtkGrid    *grid,
              int         row,
              const char *key,
              const char *value)
{
  GtkWidget *k = gtk_label_new (key);
  GtkWidget *v = gtk_label_new (value);

  gtk_label_set_xalign (GTK_LABEL (k), 0);
  gtk_label_set_xalign (GTK_LABEL (v), 0);
  gtk_label_set_selectable (GTK_LABEL (v), TRUE);
  gtk_label_set_wrap (GTK_LABEL (v), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (v), PANGO_WRAP_WORD_CHAR);
  gtk_widget_set_hexpand (v, TRUE);
  gtk_widget_add_css_class (k, "dim-label");
  gtk_grid_attach (grid, k, 0, row, 1, 1);
  gtk_grid_attach (grid, v, 1, row, 1, 1);
}

static void
draw_histogram (GtkDrawingArea *area,
                cairo_t        *cr,
                int             width,
                int             height,
                gpointer        user_data)
{
  EmberInspector *self = user_data;
  GdkRGBA fg;
  guint64 top = 1;
  double bar;

  if (self->stats == NULL)
    return;

  gtk_style_context_get_color (gtk_widget_get_style_context (GTK_WIDGET (area)), &fg);
  for (int i = 0; i < EMBER_HISTOGRAM_BINS; i++)
    top = MAX (top, self->stats->histogram[i]);

  bar = (double) width / EMBER_HISTOGRAM_BINS;
  cairo_set_source_rgba (cr, 0.21, 0.52, 0.89, 1.0);
  for (int i = 0; i < EMBER_HISTOGRAM_BINS; i++)
    {
      double h = (height - 14) * (double) self->stats->histogram[i] / (double) top;

      if (h > 0 && h < 1)
        h = 1;
      cairo_rectangle (cr, i * bar, height - 14 - h, MAX (bar - 1, 1), h);
    }
  cairo_fill (cr);

  /* The range under the bars. */
  {
    g_autofree char *lo = g_strdup_printf ("%.4g", self->stats->min);
    g_autofree char *hi = g_strdup_printf ("%.4g", self->stats->max);
    PangoLayout *layout = gtk_widget_create_pango_layout (GTK_WIDGET (area), lo);
    int tw, th;

    gdk_cairo_set_source_rgba (cr, &fg);
    cairo_move_to (cr, 0, height - 13);
    pango_cairo_show_layout (cr, layout);
    pango_layout_set_text (layout, hi, -1);
    pango_layout_get_pixel_size (layout, &tw, &th);
    cairo_move_to (cr, width - tw, height - 13);
    pango_cairo_show_layout (cr, layout);
    g_object_unref (layout);
  }
}

static void
show_stats (EmberInspector *self)
{
  const EmberTensorStats *s = self->stats;
  char buf[8][64];
  int row = 0;

  clear_grid (self->stats_grid);
  g_snprintf (buf[0], sizeof buf[0], "%'" G_GUINT64_FORMAT, s->count);
  g_snprintf (buf[1], sizeof buf[1], "%.6g", s->min);
  g_snprintf (buf[2], sizeof buf[2], "%.6g", s->max);
  g_snprintf (buf[3], sizeof buf[3], "%.6g", s->mean);
  g_snprintf (buf[4], sizeof buf[4], "%.6g", s->std);
  g_snprintf (buf[5], sizeof buf[5], "%.2f %%", 100.0 * s->zero_fraction);
  g_snprintf (buf[6], sizeof buf[6], "%'" G_GUINT64_FORMAT, s->nan_count);
  g_snprintf (buf[7], sizeof buf[7], "%'" G_GUINT64_FORMAT, s->inf_count);
  grid_add_row (self->stats_grid, row++, _("Elements"), buf[0]);
  grid_add_row (self->stats_grid, row++, _("Minimum"), buf[1]);
  grid_add_row (self->stats_grid, row++, _("Maximum"), buf[2]);
  grid_add_row (self->stats_grid, row++, _("Mean"), buf[3]);
  grid_add_row (self->stats_grid, row++, _("Standard deviation"), buf[4]);
  grid_add_row (self->stats_grid, row++, _("Zeros"), buf[5]);
  grid_add_row (self->stats_grid, row++, _("NaN"), buf[6]);
  grid_add_row (self->stats_grid, row++, _("Infinite"), buf[7]);
  gtk_widget_set_visible (GTK_WIDGET (self->stats_grid), TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->histogram), TRUE);
  gtk_widget_queue_draw (GTK_WIDGET (self->histogram));
}

static void
on_stats_ready (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(EmberInspector) self = user_data;
  g_autoptr(GError) error = NULL;
  EmberTensorStats *stats = ember_document_compute_stats_finish (EMBER_DOCUMENT (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      g_task_get_cancellable (G_TASK (result)) != self->stats_cancellable)
    {
      g_free (stats);
      return;
    }

  gtk_spinner_stop (self->spinner);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), FALSE);

  if (stats == NULL)
    {
      g_signal_emit (self, signals[SIGNAL_ERROR], 0, error->message);
      return;
    }

  g_free (self->stats);
  self->stats = stats;
  show_stats (self);
  g_signal_emit (self, signals[SIGNAL_STATS_READY], 0);
}

static void
on_tensor_selected (EmberInspector *self,
                    const char     *name)
{
  if (self->document == NULL)
    return;

  g_cancellable_cancel (self->stats_cancellable);
  g_clear_object (&self->stats_cancellable);
  self->stats_cancellable = g_cancellable_new ();
  g_clear_pointer (&self->stats, g_free);

  gtk_label_set_label (self->tensor_label, name);
  gtk_widget_set_visible (GTK_WIDGET (self->stats_grid), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->histogram), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), TRUE);
  gtk_spinner_start (self->spinner);

  ember_document_compute_stats_async (self->document, name, self->stats_cancellable,
                                      on_stats_ready, g_object_ref (self));
}

static void
ember_inspector_dispose (GObject *object)
{
  EmberInspector *self = EMBER_INSPECTOR (object);

  g_cancellable_cancel (self->stats_cancellable);
  g_clear_object (&self->stats_cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), EMBER_TYPE_INSPECTOR);
  g_clear_object (&self->document);
  g_clear_pointer (&self->stats, g_free);

  G_OBJECT_CLASS (ember_inspector_parent_class)->dispose (object);
}

static void
ember_inspector_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  EmberInspector *self = EMBER_INSPECTOR (object);

  switch (prop_id)
    {
    case PROP_DOCUMENT:
      g_value_set_object (value, self->document);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ember_inspector_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  EmberInspector *self = EMBER_INSPECTOR (object);

  switch (prop_id)
    {
    case PROP_DOCUMENT:
      ember_inspector_set_document (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ember_inspector_class_init (EmberInspectorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ember_inspector_dispose;
  object_class->get_property = ember_inspector_get_property;
  object_class->set_property = ember_inspector_set_property;

  properties[PROP_DOCUMENT] =
    g_param_spec_object ("document", NULL, NULL, EMBER_TYPE_DOCUMENT,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * EmberInspector::stats-ready:
   *
   * The statistics of the selected tensor are shown.
   */
  signals[SIGNAL_STATS_READY] =
    g_signal_new ("stats-ready", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /**
   * EmberInspector::error:
   * @message: what went wrong, for a person
   */
  signals[SIGNAL_ERROR] =
    g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  g_type_ensure (EMBER_TYPE_TENSOR_TREE);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/ember/Workbench/ember-inspector.ui");
  gtk_widget_class_bind_template_child (widget_class, EmberInspector, paned);
  gtk_widget_class_bind_template_child (widget_class, EmberInspector, tree);
  gtk_widget_class_bind_template_child (widget_class, EmberInspector, tensor_label);
  gtk_widget_class_bind_template_child (widget_class, EmberInspector, spinner);
  gtk_widget_class_bind_template_child (widget_class, EmberInspector, stats_grid);
  gtk_widget_class_bind_template_child (widget_class, EmberInspector, histogram);
  gtk_widget_class_bind_template_child (widget_class, EmberInspector, properties_heading);
  gtk_widget_class_bind_template_child (widget_class, EmberInspector, properties_grid);
  gtk_widget_class_bind_template_callback (widget_class, on_tensor_selected);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
ember_inspector_init (EmberInspector *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_drawing_area_set_draw_func (self->histogram, draw_histogram, self, NULL);
}

EmberDocument *
ember_inspector_get_document (EmberInspector *self)
{
  g_return_val_if_fail (EMBER_IS_INSPECTOR (self), NULL);
  return self->document;
}

void
ember_inspector_set_document (EmberInspector *self,
                              EmberDocument  *document)
{
  g_return_if_fail (EMBER_IS_INSPECTOR (self));

  if (!g_set_object (&self->document, document))
    return;

  g_cancellable_cancel (self->stats_cancellable);
  g_clear_pointer (&self->stats, g_free);
  gtk_widget_set_visible (GTK_WIDGET (self->stats_grid), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->histogram), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), FALSE);
  gtk_label_set_label (self->tensor_label, _("Select a tensor to see its statistics"));

  ember_tensor_tree_set_tensors (self->tree, document ? ember_document_get_tensors (document) : NULL);

  clear_grid (self->properties_grid);
  if (document != NULL)
    for (guint i = 0; i < ember_document_get_n_properties (document); i++)
      grid_add_row (self->properties_grid, i,
                    ember_document_get_property_key (document, i),
                    ember_document_get_property_value (document, i));
  gtk_widget_set_visible (GTK_WIDGET (self->properties_heading),
                          document != NULL && ember_document_get_n_properties (document) > 0);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DOCUMENT]);
}

GtkWidget *
ember_inspector_get_tree (EmberInspector *self)
{
  return GTK_WIDGET (self->tree);
}

const EmberTensorStats *
ember_inspector_get_stats (EmberInspector *self)
{
  return self->stats;
}
