/* test-tensor-tree.c: EmberTensorTree on its own (no app): grouping by dotted
 * prefix, group sums, totals, the filter, selection and ::tensor-selected,
 * and that it draws its rows. */
#include <locale.h>

#include "gui-test-util.h"
#include "ember-tensor-tree.h"

static char *selected_name;

static void
on_selected (EmberTensorTree *tree,
             const char      *name)
{
  g_free (selected_name);
  selected_name = g_strdup (name);
}

static gboolean
is_mapped (gpointer data)
{
  return gtk_widget_get_mapped (data) && gtk_widget_get_height (data) > 0;
}

int
main (int argc, char *argv[])
{
  g_autoptr(GListStore) store = NULL;
  GtkWidget *window, *tree;
  GListModel *rows;
  g_autofree char *png = g_build_filename (argc > 1 ? argv[1] : ".", "tensor-tree.png", NULL);
  static const gint64 s1[] = { 4, 8 }, s2[] = { 8 };
  Pixels p;

  setlocale (LC_ALL, "");
  gtk_init ();

  store = g_list_store_new (EMBER_TYPE_TENSOR_ITEM);
  for (int layer = 0; layer < 3; layer++)
    {
      g_autofree char *w = g_strdup_printf ("encoder.layers.%d.attn.weight", layer);
      g_autofree char *b = g_strdup_printf ("encoder.layers.%d.attn.bias", layer);
      g_autoptr(EmberTensorItem) wi = ember_tensor_item_new (w, "F32", 2, s1, 128);
      g_autoptr(EmberTensorItem) bi = ember_tensor_item_new (b, "BF16", 1, s2, 16);

      g_list_store_append (store, wi);
      g_list_store_append (store, bi);
    }
  {
    g_autoptr(EmberTensorItem) head = ember_tensor_item_new ("head", "F16", 1, s2, 16);
    g_list_store_append (store, head);
  }

  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 640, 480);
  tree = ember_tensor_tree_new ();
  g_signal_connect (tree, "tensor-selected", G_CALLBACK (on_selected), NULL);
  gtk_window_set_child (GTK_WINDOW (window), tree);
  ember_tensor_tree_set_tensors (EMBER_TENSOR_TREE (tree), G_LIST_MODEL (store));
  gtk_window_present (GTK_WINDOW (window));
  CHECK (wait_until (is_mapped, tree, 5000), "not mapped");

  rows = ember_tensor_tree_get_rows (EMBER_TENSOR_TREE (tree));
  CHECK (g_list_model_get_n_items (rows) == 2, "%u top rows (encoder, head)", g_list_model_get_n_items (rows));
  {
    g_autoptr(GtkTreeListRow) row = g_list_model_get_item (rows, 0);
    g_autoptr(EmberTensorItem) encoder = gtk_tree_list_row_get_item (row);

    CHECK (ember_tensor_item_is_group (encoder), "encoder is no group");
    /* 3 * (32 + 8) parameters, 3 * 144 bytes */
    CHECK (ember_tensor_item_get_parameters (encoder) == 120, "%" G_GUINT64_FORMAT, ember_tensor_item_get_parameters (encoder));
    CHECK (ember_tensor_item_get_bytes (encoder) == 432, "%" G_GUINT64_FORMAT, ember_tensor_item_get_bytes (encoder));
    CHECK (g_str_equal (ember_tensor_item_get_shape (encoder), ""), "group shape");
  }
  ember_tensor_tree_expand_all (EMBER_TENSOR_TREE (tree));
  /* encoder, layers, 0, attn, weight, bias (x3 layers: 4 each), head */
  CHECK (g_list_model_get_n_items (rows) == 2 + 1 + 3 * 4 + 0, "%u rows", g_list_model_get_n_items (rows));
  CHECK (g_str_equal (ember_tensor_tree_get_totals_text (EMBER_TENSOR_TREE (tree)), "7 tensors · 128 parameters · 448 bytes"),
         "totals: %s", ember_tensor_tree_get_totals_text (EMBER_TENSOR_TREE (tree)));

  CHECK (ember_tensor_tree_select (EMBER_TENSOR_TREE (tree), "encoder.layers.2.attn.bias"), "select");
  CHECK (g_strcmp0 (selected_name, "encoder.layers.2.attn.bias") == 0, "signal gave %s", selected_name);
  CHECK (g_strcmp0 (ember_tensor_tree_get_selected (EMBER_TENSOR_TREE (tree)), "encoder.layers.2.attn.bias") == 0, "selected");

  ember_tensor_tree_set_filter_text (EMBER_TENSOR_TREE (tree), "BIAS");
  rows = ember_tensor_tree_get_rows (EMBER_TENSOR_TREE (tree));
  /* case-insensitive, expanded: encoder, layers, then (N, attn, bias) x 3 */
  CHECK (g_list_model_get_n_items (rows) == 11, "%u filtered rows", g_list_model_get_n_items (rows));
  CHECK (g_str_has_prefix (ember_tensor_tree_get_totals_text (EMBER_TENSOR_TREE (tree)), "3 tensors"),
         "%s", ember_tensor_tree_get_totals_text (EMBER_TENSOR_TREE (tree)));
  ember_tensor_tree_set_filter_text (EMBER_TENSOR_TREE (tree), "");
  CHECK (g_list_model_get_n_items (ember_tensor_tree_get_rows (EMBER_TENSOR_TREE (tree))) == 2, "filter cleared");
  ember_tensor_tree_expand_all (EMBER_TENSOR_TREE (tree));

  spin (200);
  CHECK (pixels_from_widget (tree, png, &p), "no render");
  CHECK (count_distinct_colours (&p) > 50, "%u colours", count_distinct_colours (&p));
  pixels_clear (&p);

  gtk_window_destroy (GTK_WINDOW (window));
  g_free (selected_name);
  g_print ("%s\n", failures ? "FAILED" : "PASSED");
  return failures ? 1 : 0;
}
