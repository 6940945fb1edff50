/* test-plot.c: EmberPlot on its own: two runs overlaid in their colours,
 * the smoothed values (debiased EMA), the log scale, the hover readout, and
 * the curves drawn (pixels of each series' colour), one series emphasised
 * (:highlight: more of its colour, less of the other's). */
#include <locale.h>

#include "gui-test-util.h"
#include "ember-plot.h"

static gboolean
is_mapped (gpointer data)
{
  return gtk_widget_get_mapped (data) && gtk_widget_get_width (data) > 0;
}

static guint
series_pixels (const Pixels *p, guint series)
{
  GdkRGBA c;

  ember_plot_series_color (series, &c);
  return count_colour (p, 0, 0, p->width, p->height,
                       (int) (c.red * 255 + 0.5), (int) (c.green * 255 + 0.5), (int) (c.blue * 255 + 0.5), 12);
}

int
main (int argc, char *argv[])
{
  const char *dir = argc > 1 ? argv[1] : ".";
  g_autofree char *png = g_build_filename (dir, "plot.png", NULL);
  g_autofree char *png_log = g_build_filename (dir, "plot-log.png", NULL);
  GtkWidget *window, *plot;
  EmberPlot *p;
  guint a, b;
  Pixels px;
  double wx, wy;
  const char *text;

  setlocale (LC_ALL, "");
  gtk_init ();
  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 640, 400);
  plot = ember_plot_new ();
  p = EMBER_PLOT (plot);
  gtk_window_set_child (GTK_WINDOW (window), plot);
  gtk_window_present (GTK_WINDOW (window));
  CHECK (wait_until (is_mapped, plot, 5000), "not mapped");

  ember_plot_set_x_label (p, "step");
  ember_plot_set_y_label (p, "loss");
  a = ember_plot_add_series (p, "run 1");
  b = ember_plot_add_series (p, "run 2");
  for (int i = 0; i < 200; i++)
    {
      ember_plot_append (p, a, i, 2.3 * exp (-i / 50.0) + 0.1 + 0.05 * sin (i));
      ember_plot_append (p, b, i, 2.0 * exp (-i / 30.0) + 0.05 + 0.05 * cos (i * 1.3));
    }
  CHECK (ember_plot_get_n_series (p) == 2 && ember_plot_get_n_points (p, a) == 200, "points");

  /* Debiased EMA: the first smoothed value is the first value. */
  ember_plot_set_smoothing (p, 0.9);
  CHECK (fabs (ember_plot_get_smoothed (p, a, 0) - (2.3 + 0.1)) < 1e-9, "first smoothed %g", ember_plot_get_smoothed (p, a, 0));
  {
    double y0 = 2.3 + 0.1, y1 = 2.3 * exp (-1 / 50.0) + 0.1 + 0.05 * sin (1);
    double expect = (0.9 * 0.1 * y0 + 0.1 * y1) / (1 - 0.81);

    CHECK (fabs (ember_plot_get_smoothed (p, a, 1) - expect) < 1e-9, "second smoothed %g vs %g",
           ember_plot_get_smoothed (p, a, 1), expect);
  }
  ember_plot_set_smoothing (p, 0);
  CHECK (ember_plot_get_smoothed (p, a, 5) == 2.3 * exp (-5 / 50.0) + 0.1 + 0.05 * sin (5), "no smoothing");
  ember_plot_set_smoothing (p, 0.8);

  spin (150);
  CHECK (pixels_from_widget (plot, png, &px), "no render");
  CHECK (series_pixels (&px, a) > 300, "run 1: %u pixels", series_pixels (&px, a));
  CHECK (series_pixels (&px, b) > 300, "run 2: %u pixels", series_pixels (&px, b));
  pixels_clear (&px);

  /* Emphasising run 2: its line thicker and on top, run 1 faded. */
  {
    g_autofree char *png_hl = g_build_filename (dir, "plot-highlight.png", NULL);
    guint plain_a, plain_b, hl_a, hl_b;
    int notified = 0;

    CHECK (ember_plot_get_highlight (p) == -1, "highlight %d at first", ember_plot_get_highlight (p));
    CHECK (pixels_from_widget (plot, NULL, &px), "no render");
    plain_a = series_pixels (&px, a);
    plain_b = series_pixels (&px, b);
    pixels_clear (&px);
    g_signal_connect_swapped (p, "notify::highlight", G_CALLBACK (g_atomic_int_inc), &notified);
    ember_plot_set_highlight (p, (int) b);
    ember_plot_set_highlight (p, (int) b);
    CHECK (ember_plot_get_highlight (p) == (int) b && notified == 1, "highlight %d, %d notifications",
           ember_plot_get_highlight (p), notified);
    spin (100);
    CHECK (pixels_from_widget (plot, png_hl, &px), "no render");
    hl_a = series_pixels (&px, a);
    hl_b = series_pixels (&px, b);
    pixels_clear (&px);
    g_print ("highlight: run 1 %u -> %u pixels, run 2 %u -> %u pixels\n", plain_a, hl_a, plain_b, hl_b);
    CHECK (hl_b > plain_b + plain_b / 4, "run 2 not emphasised (%u -> %u)", plain_b, hl_b);
    CHECK (hl_a * 2 < plain_a, "run 1 not faded (%u -> %u)", plain_a, hl_a);
    g_object_set (p, "highlight", -1, NULL);
    spin (100);
    CHECK (pixels_from_widget (plot, NULL, &px), "no render");
    CHECK (series_pixels (&px, a) == plain_a && series_pixels (&px, b) == plain_b,
           "no highlight: %u, %u pixels (%u, %u before)", series_pixels (&px, a), series_pixels (&px, b),
           plain_a, plain_b);
    pixels_clear (&px);
  }

  /* Hover near step 100 of run 1. */
  CHECK (ember_plot_data_to_widget (p, 100, ember_plot_get_smoothed (p, a, 100), &wx, &wy), "mapping");
  text = ember_plot_hover (p, wx, wy);
  g_print ("hover: %s\n", text);
  CHECK (text != NULL && strstr (text, "run 1") && strstr (text, "100"), "readout %s", text);

  /* Log scale: the same curves, a different mapping. */
  {
    double lx, ly;

    ember_plot_set_log_scale (p, TRUE);
    spin (100);
    CHECK (pixels_from_widget (plot, png_log, &px), "no render");
    CHECK (series_pixels (&px, a) > 300, "log: run 1 not drawn");
    pixels_clear (&px);
    ember_plot_data_to_widget (p, 100, 1.0, &lx, &ly);
    ember_plot_data_to_widget (p, 100, 0.1, &wx, &wy);
    {
      double l2y;
      ember_plot_data_to_widget (p, 100, 0.01, &wx, &l2y);
      /* Equal decades are equally far apart. */
      CHECK (fabs ((wy - ly) - (l2y - wy)) < 1e-6, "log spacing %g vs %g", wy - ly, l2y - wy);
    }
  }

  gtk_window_destroy (GTK_WINDOW (window));
  g_print ("%s\n", failures ? "FAILED" : "PASSED");
  return failures ? 1 : 0;
}
