/* ember-image-grid.h: a grid of small greyscale images (test samples), each
 * with a caption ("pred Shirt / true Shirt") marked right or wrong. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define EMBER_TYPE_IMAGE_GRID (ember_image_grid_get_type())
G_DECLARE_FINAL_TYPE(EmberImageGrid, ember_image_grid, EMBER, IMAGE_GRID, GtkWidget)

GtkWidget *ember_image_grid_new         (void);
/* @pixels: n images of width x height bytes (0 black … 255 white), copied.
 * @captions: n strings; @correct: n flags (NULL: no marks). */
void       ember_image_grid_set_images  (EmberImageGrid     *self,
                                         const guint8       *pixels,
                                         guint               n,
                                         guint               width,
                                         guint               height,
                                         const char *const  *captions,
                                         const gboolean     *correct);
guint      ember_image_grid_get_n_images(EmberImageGrid     *self);
/* Images are drawn this many times their size (nearest neighbour). */
void       ember_image_grid_set_zoom    (EmberImageGrid     *self,
                                         guint               zoom);

G_END_DECLS
