/* ember-plot.h: line plots of series (loss against step): each series drawn
 * raw (faint) and smoothed (an exponential moving average, debiased, with
 * the weight given by :smoothing), a linear or log y axis, a hover readout of
 * the step and value under the pointer, several series overlaid in different
 * colours with a legend. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define EMBER_TYPE_PLOT (ember_plot_get_type())
G_DECLARE_FINAL_TYPE(EmberPlot, ember_plot, EMBER, PLOT, GtkWidget)

GtkWidget  *ember_plot_new            (void);
/* A new series (index 0, 1, …), in the next colour of the palette. */
guint       ember_plot_add_series     (EmberPlot    *self,
                                       const char   *name);
void        ember_plot_append         (EmberPlot    *self,
                                       guint         series,
                                       double        x,
                                       double        y);
void        ember_plot_clear          (EmberPlot    *self);
guint       ember_plot_get_n_series   (EmberPlot    *self);
guint       ember_plot_get_n_points   (EmberPlot    *self,
                                       guint         series);
/* The smoothed value of a series at point i. */
double      ember_plot_get_smoothed   (EmberPlot    *self,
                                       guint         series,
                                       guint         i);
double      ember_plot_get_smoothing  (EmberPlot    *self);
void        ember_plot_set_smoothing  (EmberPlot    *self,
                                       double        smoothing);
gboolean    ember_plot_get_log_scale  (EmberPlot    *self);
void        ember_plot_set_log_scale  (EmberPlot    *self,
                                       gboolean      log_scale);
void        ember_plot_set_x_label    (EmberPlot    *self,
                                       const char   *label);
void        ember_plot_set_y_label    (EmberPlot    *self,
                                       const char   *label);
/* Shows the readout for the pointer at (x, y) of the widget (what motion
 * does); returns the readout text or NULL when no point is near. */
const char *ember_plot_hover          (EmberPlot    *self,
                                       double        x,
                                       double        y);
/* Where a data point is drawn (widget coordinates). */
gboolean    ember_plot_data_to_widget (EmberPlot    *self,
                                       double        x,
                                       double        y,
                                       double       *wx,
                                       double       *wy);
/* Emphasises one series (drawn on top, thicker, its legend entry bold; the
 * others faded), or none with -1. Notifies :highlight. */
void        ember_plot_set_highlight  (EmberPlot    *self,
                                       int           series);
int         ember_plot_get_highlight  (EmberPlot    *self);
/* Microseconds the last drawing took. */
gint64      ember_plot_get_last_draw_us (EmberPlot  *self);
void        ember_plot_series_color   (guint         series,
                                       GdkRGBA      *rgba);

G_END_DECLS
