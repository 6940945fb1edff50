/* ember-tensor-tree.h: a filterable tree of named tensors, grouped by the
 * dotted prefixes of their names (model.layers.0.mlp.up_proj.weight), with
 * columns dtype, shape, parameters and bytes, and the totals underneath. It
 * only shows what it is given; selecting a tensor emits ::tensor-selected. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define EMBER_TYPE_TENSOR_ITEM (ember_tensor_item_get_type())
G_DECLARE_FINAL_TYPE(EmberTensorItem, ember_tensor_item, EMBER, TENSOR_ITEM, GObject)

/* A tensor (leaf) of the tree. @shape has @ndim entries. */
EmberTensorItem *ember_tensor_item_new           (const char    *name,
                                                  const char    *dtype,
                                                  int            ndim,
                                                  const gint64  *shape,
                                                  guint64        n_bytes);
/* The full dotted name for a tensor, the prefix for a group. */
const char      *ember_tensor_item_get_name      (EmberTensorItem *self);
/* The last component of the name (what the tree shows). */
const char      *ember_tensor_item_get_label     (EmberTensorItem *self);
const char      *ember_tensor_item_get_dtype     (EmberTensorItem *self);
const char      *ember_tensor_item_get_shape     (EmberTensorItem *self);
guint64          ember_tensor_item_get_parameters(EmberTensorItem *self);
guint64          ember_tensor_item_get_bytes     (EmberTensorItem *self);
gboolean         ember_tensor_item_is_group      (EmberTensorItem *self);
/* The children of a group (EmberTensorItems), NULL for a tensor. */
GListModel      *ember_tensor_item_get_children  (EmberTensorItem *self);

#define EMBER_TYPE_TENSOR_TREE (ember_tensor_tree_get_type())
G_DECLARE_FINAL_TYPE(EmberTensorTree, ember_tensor_tree, EMBER, TENSOR_TREE, GtkWidget)

GtkWidget  *ember_tensor_tree_new               (void);
/* @tensors: a model of EmberTensorItems (leaves, in display order), or NULL. */
void        ember_tensor_tree_set_tensors       (EmberTensorTree *self,
                                                 GListModel      *tensors);
GListModel *ember_tensor_tree_get_tensors       (EmberTensorTree *self);
const char *ember_tensor_tree_get_filter_text   (EmberTensorTree *self);
void        ember_tensor_tree_set_filter_text   (EmberTensorTree *self,
                                                 const char      *text);
/* The rows as shown (a GtkTreeListModel of GtkTreeListRows). */
GListModel *ember_tensor_tree_get_rows          (EmberTensorTree *self);
/* Expands every group. */
void        ember_tensor_tree_expand_all        (EmberTensorTree *self);
/* The full name of the selected tensor, or NULL. */
const char *ember_tensor_tree_get_selected      (EmberTensorTree *self);
/* Selects a tensor by full name (expanding its groups); FALSE if absent. */
gboolean    ember_tensor_tree_select            (EmberTensorTree *self,
                                                 const char      *name);
/* "N tensors · P parameters · B" as shown under the tree. */
const char *ember_tensor_tree_get_totals_text   (EmberTensorTree *self);

G_END_DECLS
