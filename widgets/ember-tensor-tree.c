/* ember-tensor-tree.c
 *
 * EmberTensorItem: one row of the tree (a tensor, or a group of them sharing a
 * dotted prefix, with their summed parameters and bytes).
 *
 * EmberTensorTree: a search entry, a GtkColumnView over a GtkTreeListModel of
 * groups and tensors, and a totals line. Filtering rebuilds the groups from
 * the tensors whose full names contain the text, expanded.
 */
#include <glib/gi18n-lib.h>

#include "ember-tensor-tree.h"
#include "ember-widgets-private.h"

struct _EmberTensorItem
{
  GObject     parent_instance;

  char       *name;
  char       *label;
  char       *dtype;
  char       *shape;
  guint64     parameters;
  guint64     bytes;
  GListStore *children;   /* NULL for a tensor */
};

G_DEFINE_FINAL_TYPE (EmberTensorItem, ember_tensor_item, G_TYPE_OBJECT)

static void
ember_tensor_item_finalize (GObject *object)
{
  EmberTensorItem *self = EMBER_TENSOR_ITEM (object);

  g_free (self->name);
  g_free (self->label);
  g_free (self->dtype);
  g_free (self->shape);
  g_clear_object (&self->children);

  G_OBJECT_CLASS (ember_tensor_item_parent_class)->finalize (object);
}

static void
ember_tensor_item_class_init (EmberTensorItemClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ember_tensor_item_finalize;
}

static void
ember_tensor_item_init (EmberTensorItem *self)
{
}

static const char *
last_component (const char *name)
{
  const char *dot = strrchr (name, '.');

  return dot != NULL && dot[1] != '\0' ? dot + 1 : name;
}

EmberTensorItem *
ember_tensor_item_new (const char   *name,
                       const char   *dtype,
                       int           ndim,
                       const gint64 *shape,
                       guint64       n_bytes)
{
  EmberTensorItem *self = g_object_new (EMBER_TYPE_TENSOR_ITEM, NULL);
  GString *s = g_string_new ("(");
  guint64 n = 1;

  g_return_val_if_fail (name != NULL, NULL);

  for (int i = 0; i < ndim; i++)
    {
      g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i ? ", " : "", shape[i]);
      n *= (guint64) MAX (shape[i], 0);
    }
  g_string_append (s, ndim == 1 ? ",)" : ")");

  self->name = g_strdup (name);
  self->label = g_strdup (last_component (name));
  self->dtype = g_strdup (dtype ? dtype : "");
  self->shape = g_string_free (s, FALSE);
  self->parameters = n;
  self->bytes = n_bytes;

  return self;
}

static EmberTensorItem *
ember_tensor_item_new_group (const char *prefix)
{
  EmberTensorItem *self = g_object_new (EMBER_TYPE_TENSOR_ITEM, NULL);

  self->name = g_strdup (prefix);
  self->label = g_strdup (last_component (prefix));
  self->dtype = g_strdup ("");
  self->shape = g_strdup ("");
  self->children = g_list_store_new (EMBER_TYPE_TENSOR_ITEM);

  return self;
}

const char *ember_tensor_item_get_name (EmberTensorItem *self) { return self->name; }
const char *ember_tensor_item_get_label (EmberTensorItem *self) { return self->label; }
const char *ember_tensor_item_get_dtype (EmberTensorItem *self) { return self->dtype; }
const char *ember_tensor_item_get_shape (EmberTensorItem *self) { return self->shape; }
guint64 ember_tensor_item_get_parameters (EmberTensorItem *self) { return self->parameters; }
guint64 ember_tensor_item_get_bytes (EmberTensorItem *self) { return self->bytes; }
gboolean ember_tensor_item_is_group (EmberTensorItem *self) { return self->children != NULL; }
GListModel *ember_tensor_item_get_children (EmberTensorItem *self) { return self->children ? G_LIST_MODEL (self->children) : NULL; }

/* ---- the tree ---- */

struct _EmberTensorTree
{
  GtkWidget        parent_instance;

  GtkWidget       *box;
  GtkSearchEntry  *search_entry;
  GtkColumnView   *column_view;
  GtkColumnViewColumn *name_column;
  GtkColumnViewColumn *dtype_column;
  GtkColumnViewColumn *shape_column;
  GtkColumnViewColumn *parameters_column;
  GtkColumnViewColumn *bytes_column;
  GtkLabel        *totals_label;

  GListModel      *tensors;
  char            *filter_text;
  GtkTreeListModel *rows;
  GtkSingleSelection *selection;
  char            *selected;
};

G_DEFINE_FINAL_TYPE (EmberTensorTree, ember_tensor_tree, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_TENSORS,
  PROP_FILTER_TEXT,
  PROP_SELECTED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_TENSOR_SELECTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static GListModel *
create_children (gpointer item,
                 gpointer user_data)
{
  GListModel *children = ember_tensor_item_get_children (item);

  return children ? g_object_ref (children) : NULL;
}

/* Groups the tensors matching @filter under their dotted prefixes. Group
 * order is the order of first appearance (file order). */
static GListStore *
build_tree (GListModel *tensors,
            const char *filter,
            guint      *n_shown,
            guint64    *parameters,
            guint64    *bytes)
{
  GListStore *root = g_list_store_new (EMBER_TYPE_TENSOR_ITEM);
  g_autoptr(GHashTable) groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *needle = filter && *filter ? g_utf8_casefold (filter, -1) : NULL;
  guint n = tensors ? g_list_model_get_n_items (tensors) : 0;

  *n_shown = 0;
  *parameters = 0;
  *bytes = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EmberTensorItem) tensor = g_list_model_get_item (tensors, i);
      GListStore *parent = root;
      const char *name = tensor->name;

      if (needle != NULL)
        {
          g_autofree char *folded = g_utf8_casefold (name, -1);

          if (strstr (folded, needle) == NULL)
            {
              continue;
            }
        }

      (*n_shown)++;
      *parameters += tensor->parameters;
      *bytes += tensor->bytes;

      /* Every proper dotted prefix is a group. */
      for (const char *dot = strchr (name, '.'); dot != NULL; dot = strchr (dot + 1, '.'))
        {
          g_autofree char *prefix = g_strndup (name, dot - name);
          EmberTensorItem *group = g_hash_table_lookup (groups, prefix);

          if (dot[1] == '\0')
            break;
          if (group == NULL)
            {
              group = ember_tensor_item_new_group (prefix);
              g_list_store_append (parent, group);
              g_object_unref (group);   /* the parent store holds it */
              g_hash_table_insert (groups, g_steal_pointer (&prefix), group);
            }
          group->parameters += tensor->parameters;
          group->bytes += tensor->bytes;
          parent = group->children;
        }

      g_list_store_append (parent, tensor);
    }

  return root;
}

static void
update_selection_from_model (EmberTensorTree *self)
{
  GtkTreeListRow *row = gtk_single_selection_get_selected_item (self->selection);
  EmberTensorItem *item = row ? gtk_tree_list_row_get_item (row) : NULL;
  const char *name = item && !ember_tensor_item_is_group (item) ? item->name : NULL;

  if (g_strcmp0 (name, self->selected) != 0)
    {
      g_free (self->selected);
      self->selected = g_strdup (name);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SELECTED]);
      if (name != NULL)
        g_signal_emit (self, signals[SIGNAL_TENSOR_SELECTED], 0, name);
    }
  g_clear_object (&item);
}

static void
on_selected_changed (GtkSingleSelection *selection,
                     GParamSpec         *pspec,
                     EmberTensorTree    *self)
{
  update_selection_from_model (self);
}

static void
rebuild (EmberTensorTree *self)
{
  g_autoptr(GListStore) root = NULL;
  g_autofree char *bytes_text = NULL;
  g_autofree char *totals = NULL;
  g_autofree char *parameters_text = NULL;
  guint n_shown;
  guint64 parameters, bytes;
  gboolean filtering = self->filter_text != NULL && *self->filter_text;

  root = build_tree (self->tensors, self->filter_text, &n_shown, &parameters, &bytes);

  g_clear_object (&self->rows);
  self->rows = gtk_tree_list_model_new (G_LIST_MODEL (g_object_ref (root)), FALSE, filtering,
                                        create_children, NULL, NULL);
  if (self->selection == NULL)
    {
      self->selection = gtk_single_selection_new (NULL);
      gtk_single_selection_set_autoselect (self->selection, FALSE);
      gtk_single_selection_set_can_unselect (self->selection, TRUE);
      g_signal_connect (self->selection, "notify::selected-item",
                        G_CALLBACK (on_selected_changed), self);
      gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));
    }
  gtk_single_selection_set_model (self->selection, G_LIST_MODEL (self->rows));
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);

  bytes_text = g_format_size (bytes);
  parameters_text = g_strdup_printf ("%'" G_GUINT64_FORMAT, parameters);
  /* Translators: the totals under the tensor tree: count, parameters, size. */
  totals = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "%u tensor · %s parameters · %s",
                                         "%u tensors · %s parameters · %s",
                                         n_shown),
                            n_shown, parameters_text, bytes_text);
  gtk_label_set_label (self->totals_label, totals);
}

/* ---- cells ---- */

static void
setup_name_cell (GtkSignalListItemFactory *factory,
                 GtkListItem              *list_item,
                 gpointer                  user_data)
{
  GtkWidget *expander = gtk_tree_expander_new ();
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
  gtk_tree_expander_set_child (GTK_TREE_EXPANDER (expander), label);
  gtk_list_item_set_child (list_item, expander);
}

static void
bind_name_cell (GtkSignalListItemFactory *factory,
                GtkListItem              *list_item,
                gpointer                  user_data)
{
  GtkTreeListRow *row = gtk_list_item_get_item (list_item);
  GtkWidget *expander = gtk_list_item_get_child (list_item);
  EmberTensorItem *item = gtk_tree_list_row_get_item (row);
  GtkWidget *label = gtk_tree_expander_get_child (GTK_TREE_EXPANDER (expander));

  gtk_tree_expander_set_list_row (GTK_TREE_EXPANDER (expander), row);
  gtk_label_set_label (GTK_LABEL (label), item->label);
  gtk_widget_set_tooltip_text (label, item->name);
  if (ember_tensor_item_is_group (item))
    gtk_widget_add_css_class (label, "group");
  else
    gtk_widget_remove_css_class (label, "group");
  g_object_unref (item);
}

typedef enum { CELL_DTYPE, CELL_SHAPE, CELL_PARAMETERS, CELL_BYTES } CellKind;

static void
setup_text_cell (GtkSignalListItemFactory *factory,
                 GtkListItem              *list_item,
                 gpointer                  user_data)
{
  CellKind kind = GPOINTER_TO_INT (user_data);
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), kind >= CELL_PARAMETERS ? 1.0 : 0.0);
  if (kind != CELL_DTYPE)
    gtk_widget_add_css_class (label, "numeric");
  gtk_list_item_set_child (list_item, label);
}

static void
bind_text_cell (GtkSignalListItemFactory *factory,
                GtkListItem              *list_item,
                gpointer                  user_data)
{
  CellKind kind = GPOINTER_TO_INT (user_data);
  GtkTreeListRow *row = gtk_list_item_get_item (list_item);
  EmberTensorItem *item = gtk_tree_list_row_get_item (row);
  GtkLabel *label = GTK_LABEL (gtk_list_item_get_child (list_item));
  g_autofree char *text = NULL;

  switch (kind)
    {
    case CELL_DTYPE:
      gtk_label_set_label (label, item->dtype);
      break;
    case CELL_SHAPE:
      gtk_label_set_label (label, item->shape);
      break;
    case CELL_PARAMETERS:
      text = g_strdup_printf ("%'" G_GUINT64_FORMAT, item->parameters);
      gtk_label_set_label (label, text);
      break;
    case CELL_BYTES:
      text = g_format_size (item->bytes);
      gtk_label_set_label (label, text);
      break;
    }
  g_object_unref (item);
}

static GtkListItemFactory *
text_factory (CellKind kind)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  g_signal_connect (factory, "setup", G_CALLBACK (setup_text_cell), GINT_TO_POINTER (kind));
  g_signal_connect (factory, "bind", G_CALLBACK (bind_text_cell), GINT_TO_POINTER (kind));
  return factory;
}

static void
on_search_changed (GtkSearchEntry  *entry,
                   EmberTensorTree *self)
{
  ember_tensor_tree_set_filter_text (self, gtk_editable_get_text (GTK_EDITABLE (entry)));
}

/* ---- GObject ---- */

static void
ember_tensor_tree_dispose (GObject *object)
{
  EmberTensorTree *self = EMBER_TENSOR_TREE (object);

  if (self->selection != NULL)
    g_signal_handlers_disconnect_by_data (self->selection, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), EMBER_TYPE_TENSOR_TREE);
  g_clear_object (&self->selection);
  g_clear_object (&self->rows);
  g_clear_object (&self->tensors);

  G_OBJECT_CLASS (ember_tensor_tree_parent_class)->dispose (object);
}

static void
ember_tensor_tree_finalize (GObject *object)
{
  EmberTensorTree *self = EMBER_TENSOR_TREE (object);

  g_free (self->filter_text);
  g_free (self->selected);

  G_OBJECT_CLASS (ember_tensor_tree_parent_class)->finalize (object);
}

static void
ember_tensor_tree_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  EmberTensorTree *self = EMBER_TENSOR_TREE (object);

  switch (prop_id)
    {
    case PROP_TENSORS:
      g_value_set_object (value, self->tensors);
      break;
    case PROP_FILTER_TEXT:
      g_value_set_string (value, self->filter_text);
      break;
    case PROP_SELECTED:
      g_value_set_string (value, self->selected);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ember_tensor_tree_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  EmberTensorTree *self = EMBER_TENSOR_TREE (object);

  switch (prop_id)
    {
    case PROP_TENSORS:
      ember_tensor_tree_set_tensors (self, g_value_get_object (value));
      break;
    case PROP_FILTER_TEXT:
      ember_tensor_tree_set_filter_text (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ember_tensor_tree_class_init (EmberTensorTreeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ember_tensor_tree_dispose;
  object_class->finalize = ember_tensor_tree_finalize;
  object_class->get_property = ember_tensor_tree_get_property;
  object_class->set_property = ember_tensor_tree_set_property;

  properties[PROP_TENSORS] =
    g_param_spec_object ("tensors", NULL, NULL, G_TYPE_LIST_MODEL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties[PROP_FILTER_TEXT] =
    g_param_spec_string ("filter-text", NULL, NULL, NULL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties[PROP_SELECTED] =
    g_param_spec_string ("selected", NULL, NULL, NULL,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * EmberTensorTree::tensor-selected:
   * @name: the full name of the tensor
   *
   * A tensor (not a group) was selected.
   */
  signals[SIGNAL_TENSOR_SELECTED] =
    g_signal_new ("tensor-selected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  _ember_widgets_ensure_resources ();

  gtk_widget_class_set_template_from_resource (widget_class, "/org/ember/widgets/ember-tensor-tree.ui");
  gtk_widget_class_bind_template_child (widget_class, EmberTensorTree, box);
  gtk_widget_class_bind_template_child (widget_class, EmberTensorTree, search_entry);
  gtk_widget_class_bind_template_child (widget_class, EmberTensorTree, column_view);
  gtk_widget_class_bind_template_child (widget_class, EmberTensorTree, name_column);
  gtk_widget_class_bind_template_child (widget_class, EmberTensorTree, dtype_column);
  gtk_widget_class_bind_template_child (widget_class, EmberTensorTree, shape_column);
  gtk_widget_class_bind_template_child (widget_class, EmberTensorTree, parameters_column);
  gtk_widget_class_bind_template_child (widget_class, EmberTensorTree, bytes_column);
  gtk_widget_class_bind_template_child (widget_class, EmberTensorTree, totals_label);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "tensortree");
}

static void
ember_tensor_tree_init (EmberTensorTree *self)
{
  g_autoptr(GtkListItemFactory) name_factory = gtk_signal_list_item_factory_new ();
  g_autoptr(GtkListItemFactory) dtype_factory = text_factory (CELL_DTYPE);
  g_autoptr(GtkListItemFactory) shape_factory = text_factory (CELL_SHAPE);
  g_autoptr(GtkListItemFactory) parameters_factory = text_factory (CELL_PARAMETERS);
  g_autoptr(GtkListItemFactory) bytes_factory = text_factory (CELL_BYTES);

  gtk_widget_init_template (GTK_WIDGET (self));
  _ember_widgets_ensure_style (gtk_widget_get_display (GTK_WIDGET (self)));

  g_signal_connect (name_factory, "setup", G_CALLBACK (setup_name_cell), NULL);
  g_signal_connect (name_factory, "bind", G_CALLBACK (bind_name_cell), NULL);
  gtk_column_view_column_set_factory (self->name_column, name_factory);
  gtk_column_view_column_set_factory (self->dtype_column, dtype_factory);
  gtk_column_view_column_set_factory (self->shape_column, shape_factory);
  gtk_column_view_column_set_factory (self->parameters_column, parameters_factory);
  gtk_column_view_column_set_factory (self->bytes_column, bytes_factory);

  rebuild (self);
}

GtkWidget *
ember_tensor_tree_new (void)
{
  return g_object_new (EMBER_TYPE_TENSOR_TREE, NULL);
}

void
ember_tensor_tree_set_tensors (EmberTensorTree *self,
                               GListModel      *tensors)
{
  g_return_if_fail (EMBER_IS_TENSOR_TREE (self));
  g_return_if_fail (tensors == NULL || G_IS_LIST_MODEL (tensors));

  if (!g_set_object (&self->tensors, tensors))
    return;

  rebuild (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TENSORS]);
}

GListModel *
ember_tensor_tree_get_tensors (EmberTensorTree *self)
{
  g_return_val_if_fail (EMBER_IS_TENSOR_TREE (self), NULL);
  return self->tensors;
}

const char *
ember_tensor_tree_get_filter_text (EmberTensorTree *self)
{
  g_return_val_if_fail (EMBER_IS_TENSOR_TREE (self), NULL);
  return self->filter_text;
}

void
ember_tensor_tree_set_filter_text (EmberTensorTree *self,
                                   const char      *text)
{
  g_return_if_fail (EMBER_IS_TENSOR_TREE (self));

  if (text != NULL && *text == '\0')
    text = NULL;
  if (g_strcmp0 (text, self->filter_text) == 0)
    return;

  g_free (self->filter_text);
  self->filter_text = g_strdup (text);
  if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (self->search_entry)), text ? text : "") != 0)
    gtk_editable_set_text (GTK_EDITABLE (self->search_entry), text ? text : "");
  rebuild (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILTER_TEXT]);
}

GListModel *
ember_tensor_tree_get_rows (EmberTensorTree *self)
{
  g_return_val_if_fail (EMBER_IS_TENSOR_TREE (self), NULL);
  return G_LIST_MODEL (self->rows);
}

void
ember_tensor_tree_expand_all (EmberTensorTree *self)
{
  g_return_if_fail (EMBER_IS_TENSOR_TREE (self));

  /* Expanding a row inserts its children after it, where the loop goes next. */
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->rows)); i++)
    {
      g_autoptr(GtkTreeListRow) row = g_list_model_get_item (G_LIST_MODEL (self->rows), i);

      if (gtk_tree_list_row_is_expandable (row))
        gtk_tree_list_row_set_expanded (row, TRUE);
    }
}

const char *
ember_tensor_tree_get_selected (EmberTensorTree *self)
{
  g_return_val_if_fail (EMBER_IS_TENSOR_TREE (self), NULL);
  return self->selected;
}

gboolean
ember_tensor_tree_select (EmberTensorTree *self,
                          const char      *name)
{
  GListModel *rows;

  g_return_val_if_fail (EMBER_IS_TENSOR_TREE (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  rows = G_LIST_MODEL (self->rows);
  for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
    {
      g_autoptr(GtkTreeListRow) row = g_list_model_get_item (rows, i);
      g_autoptr(EmberTensorItem) item = gtk_tree_list_row_get_item (row);
      gsize len = strlen (item->name);

      if (!ember_tensor_item_is_group (item) && strcmp (item->name, name) == 0)
        {
          gtk_single_selection_set_selected (self->selection, i);
          return TRUE;
        }
      if (ember_tensor_item_is_group (item) && strncmp (item->name, name, len) == 0 && name[len] == '.')
        gtk_tree_list_row_set_expanded (row, TRUE);
    }

  return FALSE;
}

const char *
ember_tensor_tree_get_totals_text (EmberTensorTree *self)
{
  g_return_val_if_fail (EMBER_IS_TENSOR_TREE (self), NULL);
  return gtk_label_get_label (self->totals_label);
}
