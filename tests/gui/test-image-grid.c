/* test-image-grid.c: EmberImageGrid on its own: images drawn scaled (their
 * pixels found), right and wrong marked in green and red, wrapping rows. */
#include <locale.h>

#include "gui-test-util.h"
#include "ember-image-grid.h"

static gboolean
is_mapped (gpointer data)
{
  return gtk_widget_get_mapped (data) && gtk_widget_get_width (data) > 0;
}

int
main (int argc, char *argv[])
{
  const char *dir = argc > 1 ? argv[1] : ".";
  g_autofree char *png = g_build_filename (dir, "image-grid.png", NULL);
  guint8 pixels[12 * 28 * 28];
  const char *captions[12];
  gboolean correct[12];
  char buf[12][32];
  GtkWidget *window, *grid;
  Pixels px;

  setlocale (LC_ALL, "");
  gtk_init ();
  /* A white square on black in each image, growing. */
  for (int i = 0; i < 12; i++)
    {
      for (int y = 0; y < 28; y++)
        for (int x = 0; x < 28; x++)
          pixels[i * 784 + y * 28 + x] = (abs (x - 14) <= i + 2 && abs (y - 14) <= i + 2) ? 255 : 0;
      g_snprintf (buf[i], sizeof buf[i], "pred %d / true %d", i % 3, i % 4 == 0 ? i % 3 : 9);
      captions[i] = buf[i];
      correct[i] = i % 4 == 0;
    }

  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 500, 400);
  grid = ember_image_grid_new ();
  gtk_window_set_child (GTK_WINDOW (window), grid);
  ember_image_grid_set_images (EMBER_IMAGE_GRID (grid), pixels, 12, 28, 28, captions, correct);
  gtk_window_present (GTK_WINDOW (window));
  CHECK (wait_until (is_mapped, grid, 5000), "not mapped");
  spin (150);

  CHECK (ember_image_grid_get_n_images (EMBER_IMAGE_GRID (grid)) == 12, "n");
  CHECK (pixels_from_widget (grid, png, &px), "no render");
  /* 3 right (green), 9 wrong (red) frames; white squares scaled 3x. */
  CHECK (count_colour (&px, 0, 0, px.width, px.height, 38, 153, 51, 10) > 3 * 300, "green: %u",
         count_colour (&px, 0, 0, px.width, px.height, 38, 153, 51, 10));
  CHECK (count_colour (&px, 0, 0, px.width, px.height, 217, 38, 38, 10) > 9 * 300, "red: %u",
         count_colour (&px, 0, 0, px.width, px.height, 217, 38, 38, 10));
  CHECK (count_colour (&px, 0, 0, px.width, px.height, 255, 255, 255, 0) > 12 * 9 * 25, "white: %u",
         count_colour (&px, 0, 0, px.width, px.height, 255, 255, 255, 0));
  /* More rows than one: the grid wraps to the width. */
  CHECK (gtk_widget_get_height (grid) > 2 * (28 * 3 + 32), "height %d", gtk_widget_get_height (grid));
  pixels_clear (&px);

  gtk_window_destroy (GTK_WINDOW (window));
  g_print ("%s\n", failures ? "FAILED" : "PASSED");
  return failures ? 1 : 0;
}
