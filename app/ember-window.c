/* ember-window.c
 *
 * The main window: a header bar with the panel switcher and the main menu,
 * and a stack of panels (Inspector, Graph, Training, Generate, Log). Its size
 * and maximized state are kept in the GSettings it is given.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <ember/gpu.h>

#include "ember-window.h"
#include "ember-document.h"
#include "ember-generate.h"
#include "ember-graph-view.h"
#include "ember-inspector.h"
#include "ember-log.h"
#include "ember-status-page.h"
#include "ember-training.h"

struct _EmberWindow
{
  GtkApplicationWindow  parent_instance;

  GSettings            *settings;

  GtkStack             *stack;
  GtkStack             *inspector_stack;
  EmberInspector       *inspector;
  GtkListBox           *items_list;
  GtkInfoBar           *banner;
  GtkLabel             *banner_label;
  GtkWidget            *content_box;
  EmberTraining        *training;
  EmberGenerate        *generate;
  guint                 n_gpt_runs;
  GtkStack             *graph_stack;
  EmberGraphView       *graph_view;
  GtkLabel             *graph_title;
  GtkLabel             *node_details;
  GtkToggleButton      *collapse_button;
  GtkPaned             *main_paned;   /* the window's child (not bound: the
                                         window unparents it itself) */
  GtkDropDown          *device_dropdown;
  GCancellable         *device_probe;
  EmberLog             *log;

  GtkDropTarget        *drop_target;
  GListStore           *items;      /* EmberDocument */
  GListModel           *sidebar;    /* the items, then the training runs */
  GHashTable           *pending;    /* keys being opened */
};

G_DEFINE_FINAL_TYPE (EmberWindow, ember_window, GTK_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_SETTINGS,
  PROP_VISIBLE_PANEL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_ITEM_OPENED,
  SIGNAL_ERROR_SHOWN,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* The panels in switcher order; Alt+1 … Alt+5 show them. */
static const char *const panels[] = { "inspector", "graph", "training", "generate", "log" };

/* The first GtkPaned in @widget (the Inspector's and the Training panel's
 * splitters are inside their templates). */
static GtkPaned *
find_paned (GtkWidget *widget)
{
  if (widget == NULL)
    return NULL;
  if (GTK_IS_PANED (widget))
    return GTK_PANED (widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkPaned *paned = find_paned (child);

      if (paned != NULL)
        return paned;
    }
  return NULL;
}

/* The splitters whose positions are kept, with their keys. */
static GtkPaned *
layout_paned (EmberWindow *self,
              guint        i,
              const char **key)
{
  switch (i)
    {
    case 0:
      *key = "sidebar-width";
      return self->main_paned;
    case 1:
      *key = "inspector-pane-position";
      return find_paned (GTK_WIDGET (self->inspector));
    case 2:
      *key = "training-pane-position";
      return find_paned (GTK_WIDGET (self->training));
    default:
      return NULL;
    }
}

#define N_LAYOUT_PANEDS 3

static void
ember_window_load_state (EmberWindow *self)
{
  g_autofree char *panel = NULL;

  if (self->settings == NULL)
    return;

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));

  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  for (guint i = 0; i < N_LAYOUT_PANEDS; i++)
    {
      const char *key;
      GtkPaned *paned = layout_paned (self, i, &key);
      int position = g_settings_get_int (self->settings, key);

      if (paned != NULL && position >= 0)
        gtk_paned_set_position (paned, position);
    }

  panel = g_settings_get_string (self->settings, "visible-panel");
  if (gtk_stack_get_child_by_name (self->stack, panel) != NULL)
    gtk_stack_set_visible_child_name (self->stack, panel);
}

static void
ember_window_save_state (EmberWindow *self)
{
  int width, height;

  if (self->settings == NULL)
    return;

  /* The default size is the unmaximized size, which is what to restore. */
  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);

  g_settings_delay (self->settings);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized",
                          gtk_window_is_maximized (GTK_WINDOW (self)));
  for (guint i = 0; i < N_LAYOUT_PANEDS; i++)
    {
      const char *key;
      GtkPaned *paned = layout_paned (self, i, &key);

      if (paned != NULL)
        g_settings_set_int (self->settings, key, gtk_paned_get_position (paned));
    }
  if (ember_window_get_visible_panel (self) != NULL)
    g_settings_set_string (self->settings, "visible-panel", ember_window_get_visible_panel (self));
  g_settings_apply (self->settings);
}

static gboolean
ember_window_close_request (GtkWindow *window)
{
  ember_window_save_state (EMBER_WINDOW (window));

  return GTK_WINDOW_CLASS (ember_window_parent_class)->close_request (window);
}

static void
show_panel_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  ember_window_set_visible_panel (EMBER_WINDOW (widget), g_variant_get_string (parameter, NULL));
}

static void
on_visible_child_changed (EmberWindow *self,
                          GParamSpec  *pspec,
                          GtkStack    *stack)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VISIBLE_PANEL]);
}

/* ---- open items ---- */

/* A training run: its title and live state, bound to the run's properties,
 * and a Save button while its weights are kept. */
static GtkWidget *
create_run_row (EmberTrainingRun *run)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 4);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *title = gtk_label_new (NULL);
  GtkWidget *subtitle = gtk_label_new (NULL);
  GtkWidget *save = gtk_button_new_from_icon_name ("document-save-symbolic");

  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_ellipsize (GTK_LABEL (title), PANGO_ELLIPSIZE_MIDDLE);
  gtk_label_set_xalign (GTK_LABEL (subtitle), 0);
  gtk_label_set_ellipsize (GTK_LABEL (subtitle), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (subtitle, "dim-label");
  gtk_widget_add_css_class (subtitle, "caption");
  gtk_widget_set_hexpand (box, TRUE);
  gtk_box_append (GTK_BOX (box), title);
  gtk_box_append (GTK_BOX (box), subtitle);
  g_object_bind_property (run, "title", title, "label", G_BINDING_SYNC_CREATE);
  g_object_bind_property (run, "subtitle", subtitle, "label", G_BINDING_SYNC_CREATE);
  /* The subtitle is cut to the sidebar's width; the tooltip has all of it. */
  g_object_bind_property (run, "subtitle", box, "tooltip-text", G_BINDING_SYNC_CREATE);

  gtk_widget_add_css_class (save, "flat");
  gtk_widget_set_valign (save, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (save, _("Save Weights"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (save), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Save Weights"), -1);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (save), "win.save-weights");
  g_object_bind_property (run, "can-save", save, "visible", G_BINDING_SYNC_CREATE);

  gtk_box_append (GTK_BOX (row), box);
  gtk_box_append (GTK_BOX (row), save);
  return row;
}

static GtkWidget *
create_document_row (EmberDocument *doc)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *title = gtk_label_new (ember_document_get_title (doc));
  GtkWidget *subtitle = gtk_label_new (ember_document_get_subtitle (doc));
  g_autofree char *path = g_file_get_path (ember_document_get_file (doc));

  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_ellipsize (GTK_LABEL (title), PANGO_ELLIPSIZE_MIDDLE);
  gtk_label_set_xalign (GTK_LABEL (subtitle), 0);
  gtk_label_set_ellipsize (GTK_LABEL (subtitle), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (subtitle, "dim-label");
  gtk_widget_add_css_class (subtitle, "caption");
  gtk_box_append (GTK_BOX (box), title);
  gtk_box_append (GTK_BOX (box), subtitle);
  gtk_widget_set_tooltip_text (box, path);
  return box;
}

static GtkWidget *
create_item_row (gpointer item,
                 gpointer user_data)
{
  if (EMBER_IS_TRAINING_RUN (item))
    return create_run_row (item);
  return create_document_row (item);
}

static void
on_item_selected (EmberWindow   *self,
                  GtkListBoxRow *row,
                  GtkListBox    *list)
{
  g_autoptr(GObject) item = NULL;
  EmberDocument *doc = NULL;

  /* The list box unselects while the window is disposed. */
  if (self->inspector == NULL || self->items == NULL || self->sidebar == NULL)
    return;

  if (row != NULL)
    item = g_list_model_get_item (self->sidebar, gtk_list_box_row_get_index (row));

  /* A training run: the Training panel, with its curve emphasised. */
  if (EMBER_IS_TRAINING_RUN (item))
    {
      ember_training_highlight_run (self->training, EMBER_TRAINING_RUN (item));
      ember_window_set_visible_panel (self, "training");
      return;
    }
  if (self->training != NULL)
    ember_training_highlight_run (self->training, NULL);
  if (EMBER_IS_DOCUMENT (item))
    doc = EMBER_DOCUMENT (item);

  ember_inspector_set_document (self->inspector, doc);
  gtk_stack_set_visible_child_name (self->inspector_stack, doc ? "inspector" : "empty");

  /* A model chosen in the sidebar while the Generate panel shows: load it. */
  if (doc != NULL && self->generate != NULL && ember_document_get_kind (doc) == EMBER_DOCUMENT_MODEL &&
      g_strcmp0 (ember_window_get_visible_panel (self), "generate") == 0)
    ember_generate_add_model_folder (self->generate, ember_document_get_key (doc),
                                     ember_document_get_title (doc), TRUE);
}

/* A click on the selected run's row shows the Training panel again. */
static void
on_item_activated (EmberWindow   *self,
                   GtkListBoxRow *row,
                   GtkListBox    *list)
{
  g_autoptr(GObject) item = NULL;

  if (self->sidebar == NULL || self->training == NULL)
    return;
  item = g_list_model_get_item (self->sidebar, gtk_list_box_row_get_index (row));
  if (EMBER_IS_TRAINING_RUN (item))
    {
      ember_training_highlight_run (self->training, EMBER_TRAINING_RUN (item));
      ember_window_set_visible_panel (self, "training");
    }
}

static void
select_item (EmberWindow *self,
             guint        position)
{
  GtkListBoxRow *row = gtk_list_box_get_row_at_index (self->items_list, position);

  if (row != NULL)
    gtk_list_box_select_row (self->items_list, row);
  /* A model folder is listed in the Generate panel; dropped or opened while
   * that panel shows, it is loaded there and the panel stays. */
  if (row != NULL && self->generate != NULL)
    {
      g_autoptr(EmberDocument) doc = g_list_model_get_item (G_LIST_MODEL (self->items), position);
      gboolean generating = g_strcmp0 (ember_window_get_visible_panel (self), "generate") == 0;

      if (ember_document_get_kind (doc) == EMBER_DOCUMENT_MODEL)
        {
          ember_generate_add_model_folder (self->generate, ember_document_get_key (doc),
                                           ember_document_get_title (doc), generating);
          if (generating)
            return;
        }
    }
  ember_window_set_visible_panel (self, "inspector");
}

static gboolean
find_item (EmberWindow *self,
           const char  *key,
           guint       *position)
{
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->items)); i++)
    {
      g_autoptr(EmberDocument) doc = g_list_model_get_item (G_LIST_MODEL (self->items), i);

      if (g_strcmp0 (ember_document_get_key (doc), key) == 0)
        {
          *position = i;
          return TRUE;
        }
    }
  return FALSE;
}

typedef struct {
  EmberWindow *window;
  char        *key;
  GFile       *file;
} OpenData;

static void
on_document_loaded (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  OpenData *d = user_data;
  EmberWindow *self = d->window;
  g_autoptr(GError) error = NULL;
  g_autoptr(EmberDocument) doc = ember_document_load_finish (result, &error);

  g_hash_table_remove (self->pending, d->key);

  if (doc == NULL)
    {
      g_autofree char *name = g_file_get_basename (d->file);
      g_autofree char *message = g_strdup_printf (_("Could not open “%s”: %s"), name, error->message);

      ember_window_show_error (self, message);
    }
  else
    {
      g_autofree char *path = g_file_get_path (d->file);
      guint position;

      ember_log_event (EMBER_LOG_INFO, _("Opened “%s” from %s (tensors: %u)"), ember_document_get_title (doc),
                       path ? path : "?", g_list_model_get_n_items (ember_document_get_tensors (doc)));
      if (!find_item (self, ember_document_get_key (doc), &position))
        {
          g_list_store_append (self->items, doc);
          position = g_list_model_get_n_items (G_LIST_MODEL (self->items)) - 1;
        }
      select_item (self, position);
      g_signal_emit (self, signals[SIGNAL_ITEM_OPENED], 0, doc);
    }

  g_object_unref (d->window);
  g_object_unref (d->file);
  g_free (d->key);
  g_free (d);
}

void
ember_window_open_files (EmberWindow *self,
                         GFile      **files,
                         guint        n_files)
{
  g_return_if_fail (EMBER_IS_WINDOW (self));

  for (guint i = 0; i < n_files; i++)
    {
      g_autofree char *key = ember_document_key_for_file (files[i]);
      OpenData *d;
      guint position;

      /* A second shard of a set being opened, or an item already open. */
      if (g_hash_table_contains (self->pending, key))
        continue;
      if (find_item (self, key, &position))
        {
          select_item (self, position);
          continue;
        }

      g_hash_table_add (self->pending, g_strdup (key));
      d = g_new0 (OpenData, 1);
      d->window = g_object_ref (self);
      d->key = g_steal_pointer (&key);
      d->file = g_object_ref (files[i]);
      ember_document_load_async (files[i], NULL, on_document_loaded, d);
    }
}

guint
ember_window_get_n_pending (EmberWindow *self)
{
  return g_hash_table_size (self->pending);
}

GListModel *
ember_window_get_items (EmberWindow *self)
{
  return G_LIST_MODEL (self->items);
}

GtkWidget *
ember_window_get_inspector (EmberWindow *self)
{
  return GTK_WIDGET (self->inspector);
}

GtkDropTarget *
ember_window_get_drop_target (EmberWindow *self)
{
  return self->drop_target;
}

/* ---- the banner ---- */

void
ember_window_show_error (EmberWindow *self,
                         const char  *message)
{
  g_return_if_fail (EMBER_IS_WINDOW (self));

  ember_log_event (EMBER_LOG_ERROR, "%s", message);
  gtk_label_set_label (self->banner_label, message);
  gtk_info_bar_set_revealed (self->banner, TRUE);
  g_signal_emit (self, signals[SIGNAL_ERROR_SHOWN], 0, message);
}

const char *
ember_window_get_error (EmberWindow *self)
{
  g_return_val_if_fail (EMBER_IS_WINDOW (self), NULL);

  return gtk_info_bar_get_revealed (self->banner) ? gtk_label_get_label (self->banner_label) : NULL;
}

static void
on_banner_response (EmberWindow *self,
                    int          response,
                    GtkInfoBar  *banner)
{
  gtk_info_bar_set_revealed (banner, FALSE);
}

static void
on_inspector_error (EmberWindow *self,
                    const char  *message)
{
  ember_window_show_error (self, message);
}

/* ---- drag and drop ---- */

static gboolean
on_drop (GtkDropTarget *target,
         const GValue  *value,
         double         x,
         double         y,
         EmberWindow   *self)
{
  GSList *files;
  g_autoptr(GPtrArray) array = g_ptr_array_new ();

  gtk_widget_remove_css_class (self->content_box, "drop-highlight");
  if (!G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    return FALSE;

  files = gdk_file_list_get_files (g_value_get_boxed (value));
  for (GSList *l = files; l != NULL; l = l->next)
    g_ptr_array_add (array, l->data);
  ember_window_open_files (self, (GFile **) array->pdata, array->len);
  g_slist_free (files);
  return array->len > 0;
}

static GdkDragAction
on_drop_enter (GtkDropTarget *target,
               double         x,
               double         y,
               EmberWindow   *self)
{
  gtk_widget_add_css_class (self->content_box, "drop-highlight");
  return GDK_ACTION_COPY;
}

static void
on_drop_leave (GtkDropTarget *target,
               EmberWindow   *self)
{
  gtk_widget_remove_css_class (self->content_box, "drop-highlight");
}

/* ---- the Open dialogs ---- */

static void
on_open_response (GtkNativeDialog *dialog,
                  int              response,
                  EmberWindow     *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GListModel) files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (dialog));
      g_autoptr(GPtrArray) array = g_ptr_array_new_with_free_func (g_object_unref);

      for (guint i = 0; i < g_list_model_get_n_items (files); i++)
        g_ptr_array_add (array, g_list_model_get_item (files, i));
      ember_window_open_files (self, (GFile **) array->pdata, array->len);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
show_open_dialog (EmberWindow *self,
                  gboolean     folder)
{
  GtkFileChooserNative *dialog;

  dialog = gtk_file_chooser_native_new (folder ? _("Open Model Folder") : _("Open Safetensors Files"),
                                        GTK_WINDOW (self),
                                        folder ? GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER
                                               : GTK_FILE_CHOOSER_ACTION_OPEN,
                                        _("_Open"), _("_Cancel"));
  gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (dialog), TRUE);
  if (!folder)
    {
      g_autoptr(GtkFileFilter) weights = gtk_file_filter_new ();
      g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();

      gtk_file_filter_set_name (weights, _("Safetensors files"));
      gtk_file_filter_add_mime_type (weights, "application/x-safetensors");
      gtk_file_filter_add_suffix (weights, "safetensors");
      gtk_file_filter_add_pattern (weights, "*.safetensors.index.json");
      gtk_file_filter_set_name (all, _("All files"));
      gtk_file_filter_add_pattern (all, "*");
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), weights);
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), all);
    }
  g_signal_connect (dialog, "response", G_CALLBACK (on_open_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
open_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  show_open_dialog (EMBER_WINDOW (widget), g_str_equal (action_name, "win.open-folder"));
}

/* ---- training and the graph ---- */

static void
update_actions (EmberWindow *self)
{
  gboolean running;

  if (self->training == NULL)
    return;
  running = ember_training_is_running (self->training);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.train", !running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.stop",
                                 running || (self->generate != NULL && (ember_generate_is_running (self->generate) ||
                                                                        ember_generate_is_loading (self->generate))));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.show-step-graph", !running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.save-weights",
                                 !running && ember_training_has_result (self->training));
}

static void
on_device_changed (EmberWindow *self,
                   GParamSpec  *pspec,
                   GtkDropDown *dropdown)
{
  if (self->training != NULL)
    ember_training_set_device (self->training, gtk_drop_down_get_selected (dropdown) == 1 ? "gpu" : "cpu");
  if (self->generate != NULL)
    ember_generate_set_device (self->generate, gtk_drop_down_get_selected (dropdown) == 1 ? "gpu" : "cpu");
}

/* "auto": the GPU when a hardware Vulkan device is present (not a software
 * one such as lavapipe). Vulkan is asked on a worker thread. */
static void
probe_gpu_thread (GTask        *task,
                  gpointer      source,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  em_gpu_info infos[16];
  int n = em_gpu_list_devices (infos, G_N_ELEMENTS (infos));
  gboolean hardware = FALSE;

  for (int i = 0; i < MIN (n, (int) G_N_ELEMENTS (infos)); i++)
    hardware |= infos[i].kind == EM_GPU_DISCRETE || infos[i].kind == EM_GPU_INTEGRATED;
  g_task_return_boolean (task, hardware);
}

static void
on_gpu_probed (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  gboolean hardware = g_task_propagate_boolean (G_TASK (result), &error);
  EmberWindow *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = EMBER_WINDOW (source);
  g_clear_object (&self->device_probe);
  gtk_drop_down_set_selected (self->device_dropdown, hardware ? 1 : 0);
}

static void
apply_default_device (EmberWindow *self)
{
  g_autofree char *device = NULL;

  if (self->settings == NULL)
    return;
  if (self->device_probe != NULL)
    {
      g_cancellable_cancel (self->device_probe);
      g_clear_object (&self->device_probe);
    }
  device = g_settings_get_string (self->settings, "default-device");
  if (g_str_equal (device, "auto"))
    {
      g_autoptr(GTask) task = NULL;

      self->device_probe = g_cancellable_new ();
      task = g_task_new (self, self->device_probe, on_gpu_probed, NULL);
      g_task_set_return_on_cancel (task, TRUE);
      g_task_run_in_thread (task, probe_gpu_thread);
    }
  else
    gtk_drop_down_set_selected (self->device_dropdown, g_str_equal (device, "gpu") ? 1 : 0);
}

static void
on_training_error (EmberWindow *self,
                   const char  *message)
{
  ember_window_show_error (self, message);
}

static void
on_graph_ready (EmberWindow *self,
                EmberGraph  *graph)
{
  g_autofree char *title = g_strdup_printf (_("One training step of the model chosen in the Training panel: %u operations"),
                                            ember_graph_get_n_nodes (graph));

  gtk_label_set_label (self->graph_title, title);
  ember_log_event (EMBER_LOG_INFO, "%s", title);
  gtk_label_set_label (self->node_details, _("Click a node for its details; Ctrl+scroll or pinch to zoom, drag to pan; "
                                             "click a module box to expand it, double-click a node to collapse its module"));
  gtk_toggle_button_set_active (self->collapse_button, FALSE);
  ember_graph_view_set_graph (self->graph_view, graph);
  gtk_stack_set_visible_child_name (self->graph_stack, "graph");
}

static void
on_node_activated (EmberWindow    *self,
                   int             id,
                   EmberGraphView *view)
{
  EmberGraph *g = ember_graph_view_get_graph (view);
  const char *module;
  int group;
  g_autofree char *text = NULL;
  g_autofree char *extra = NULL;

  if (g == NULL)
    return;
  module = ember_graph_get_node_module (g, id);
  group = ember_graph_get_node_fused_group (g, id);
  if (group >= 0)
    extra = g_strdup_printf (_(", fused group %d"), group);
  /* Translators: node id, op, "(shape) dtype", module, fused group. */
  text = g_strdup_printf (_("Node %d: %s %s — module %s%s"), id,
                          ember_graph_get_node_op (g, id), ember_graph_get_node_detail (g, id),
                          module ? module : _("none"), extra ? extra : "");
  gtk_label_set_label (self->node_details, text);
}

static void
on_collapse_toggled (EmberWindow     *self,
                     GtkToggleButton *button)
{
  ember_graph_view_collapse_all (self->graph_view, gtk_toggle_button_get_active (button));
}

static void
training_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  EmberWindow *self = EMBER_WINDOW (widget);

  if (g_str_equal (action_name, "win.train"))
    {
      if (ember_training_start (self->training))
        {
          ember_log_event (EMBER_LOG_INFO, _("Training started"));
          ember_window_set_visible_panel (self, "training");
        }
    }
  else if (g_str_equal (action_name, "win.stop"))
    {
      ember_training_stop (self->training);
      ember_generate_stop (self->generate);
    }
  else if (g_str_equal (action_name, "win.show-step-graph"))
    {
      ember_training_capture_graph (self->training);
      ember_window_set_visible_panel (self, "graph");
    }
  else if (g_str_equal (action_name, "win.graph-fit"))
    ember_graph_view_zoom_to_fit (self->graph_view);
}

static void
on_training_finished (EmberWindow   *self,
                      EmberTraining *training)
{
  const char *outcome = ember_training_get_outcome (training);

  /* A failed run's message came through the banner. */
  if (g_strcmp0 (outcome, "done") == 0)
    ember_log_event (EMBER_LOG_INFO, _("Training finished"));
  else if (g_strcmp0 (outcome, "cancelled") == 0)
    ember_log_event (EMBER_LOG_WARNING, _("Training stopped before its end"));
}

/* ---- generation ---- */

static void
on_generate_error (EmberWindow *self,
                   const char  *message)
{
  ember_window_show_error (self, message);
}

/* A fortunes GPT trained here can be chosen in the Generate panel. */
static void
on_training_finished_generate (EmberWindow   *self,
                               EmberTraining *training)
{
  gint64 steps = 0;
  g_autoptr(GObject) run = ember_training_dup_gpt_run (training, &steps);
  g_autofree char *title = NULL;

  if (run == NULL)
    return;
  self->n_gpt_runs++;
  /* Translators: a model in the Generate panel's list: run number, steps. */
  title = g_strdup_printf (ngettext ("Fortunes GPT trained here, run %u (%d step)",
                                     "Fortunes GPT trained here, run %u (%d steps)", (gulong) steps),
                           self->n_gpt_runs, (int) steps);
  ember_generate_add_trained_gpt (self->generate, run, title);
}

/* Shows the Generate panel and generates from its prompt when a model is
 * loaded (else loads the model listed last). */
static void
generate_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  EmberWindow *self = EMBER_WINDOW (widget);
  guint n = ember_generate_get_n_models (self->generate);

  ember_window_set_visible_panel (self, "generate");
  if (ember_generate_has_model (self->generate))
    ember_generate_start (self->generate);
  else if (!ember_generate_is_loading (self->generate) && n > 0)
    ember_generate_choose_model (self->generate, n - 1);
}

GtkWidget *
ember_window_get_generate (EmberWindow *self)
{
  return GTK_WIDGET (self->generate);
}

/* Saves the finished run's weights and opens them in the Inspector. */
gboolean
ember_window_save_weights (EmberWindow *self,
                           GFile       *file)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_file_get_path (file);

  if (path == NULL || !ember_training_save_weights (self->training, path, &error))
    {
      ember_window_show_error (self, error ? error->message : _("Not a local file"));
      return FALSE;
    }
  ember_window_open_files (self, &file, 1);
  return TRUE;
}

static void
on_save_response (GtkNativeDialog *dialog,
                  int              response,
                  EmberWindow     *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));

      ember_window_save_weights (self, file);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
save_weights_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  EmberWindow *self = EMBER_WINDOW (widget);
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (_("Save Weights"), GTK_WINDOW (self),
                                                              GTK_FILE_CHOOSER_ACTION_SAVE,
                                                              _("_Save"), _("_Cancel"));

  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), "weights.safetensors");
  g_signal_connect (dialog, "response", G_CALLBACK (on_save_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

GtkWidget *
ember_window_get_training (EmberWindow *self)
{
  return GTK_WIDGET (self->training);
}

GtkWidget *
ember_window_get_graph_view (EmberWindow *self)
{
  return GTK_WIDGET (self->graph_view);
}

GtkWidget *
ember_window_get_log (EmberWindow *self)
{
  return GTK_WIDGET (self->log);
}

static void
ember_window_constructed (GObject *object)
{
  EmberWindow *self = EMBER_WINDOW (object);

  G_OBJECT_CLASS (ember_window_parent_class)->constructed (object);

  ember_window_load_state (self);
  apply_default_device (self);
  if (self->settings != NULL)
    g_signal_connect_object (self->settings, "changed::default-device",
                             G_CALLBACK (apply_default_device), self, G_CONNECT_SWAPPED);
}

static void
ember_window_dispose (GObject *object)
{
  EmberWindow *self = EMBER_WINDOW (object);

  if (self->device_probe != NULL)
    {
      g_cancellable_cancel (self->device_probe);
      g_clear_object (&self->device_probe);
    }

  if (self->training != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->training, self);
      ember_training_stop (self->training);
    }

  /* The list box would select nothing into a disposed inspector. */
  if (self->items_list != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->items_list, self);
      gtk_list_box_bind_model (self->items_list, NULL, NULL, NULL, NULL);
    }

  /* GtkWindow unparents its own titlebar and child; this only clears the
   * bound fields. */
  gtk_widget_dispose_template (GTK_WIDGET (self), EMBER_TYPE_WINDOW);
  self->main_paned = NULL;
  g_clear_object (&self->settings);
  g_clear_object (&self->items);
  g_clear_object (&self->sidebar);
  g_clear_pointer (&self->pending, g_hash_table_unref);

  G_OBJECT_CLASS (ember_window_parent_class)->dispose (object);
}

static void
ember_window_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  EmberWindow *self = EMBER_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;

    case PROP_VISIBLE_PANEL:
      g_value_set_string (value, ember_window_get_visible_panel (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ember_window_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  EmberWindow *self = EMBER_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;

    case PROP_VISIBLE_PANEL:
      ember_window_set_visible_panel (self, g_value_get_string (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ember_window_class_init (EmberWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = ember_window_constructed;
  object_class->dispose = ember_window_dispose;
  object_class->get_property = ember_window_get_property;
  object_class->set_property = ember_window_set_property;

  window_class->close_request = ember_window_close_request;

  /**
   * EmberWindow:settings:
   *
   * Where the window keeps its size and maximized state (schema
   * org.ember.Workbench), or %NULL to keep nothing.
   */
  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL,
                         G_TYPE_SETTINGS,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  /**
   * EmberWindow:visible-panel:
   *
   * The name of the panel shown: "inspector", "graph", "training",
   * "generate" or "log".
   */
  properties[PROP_VISIBLE_PANEL] =
    g_param_spec_string ("visible-panel", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * EmberWindow::item-opened:
   * @document: the EmberDocument opened
   */
  signals[SIGNAL_ITEM_OPENED] =
    g_signal_new ("item-opened", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, EMBER_TYPE_DOCUMENT);
  /**
   * EmberWindow::error-shown:
   * @message: the banner's message
   */
  signals[SIGNAL_ERROR_SHOWN] =
    g_signal_new ("error-shown", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  g_type_ensure (EMBER_TYPE_STATUS_PAGE);
  g_type_ensure (EMBER_TYPE_INSPECTOR);
  g_type_ensure (EMBER_TYPE_TRAINING);
  g_type_ensure (EMBER_TYPE_GENERATE);
  g_type_ensure (EMBER_TYPE_GRAPH_VIEW);
  g_type_ensure (EMBER_TYPE_LOG);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/ember/Workbench/ember-window.ui");
  gtk_widget_class_bind_template_child (widget_class, EmberWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, EmberWindow, inspector_stack);
  gtk_widget_class_bind_template_child (widget_class, EmberWindow, inspector);
  gtk_widget_class_bind_template_child (widget_class, EmberWindow, items_list);
  gtk_widget_class_bind_template_child (widget_class, EmberWindow, banner);
  gtk_widget_class_bind_template_child (widget_class, EmberWindow, banner_label);
  gtk_widget_class_bind_template_child (widget_class, EmberWindow, content_box);
  gtk_widget_class_bind_template_callback (widget_class, on_visible_child_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_item_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_banner_response);
  gtk_widget_class_bind_template_callback (widget_class, on_inspector_error);
  gtk_widget_class_bind_template_child (widget_class, EmberWindow, training);
  gtk_widget_class_bind_template_child (widget_class, EmberWindow, graph_stack);
  gtk_widget_class_bind_template_child (widget_class, EmberWindow, graph_view);
  gtk_widget_class_bind_template_child (widget_class, EmberWindow, graph_title);
  gtk_widget_class_bind_template_child (widget_class, EmberWindow, node_details);
  gtk_widget_class_bind_template_child (widget_class, EmberWindow, collapse_button);
  gtk_widget_class_bind_template_child (widget_class, EmberWindow, device_dropdown);
  gtk_widget_class_bind_template_child (widget_class, EmberWindow, log);
  gtk_widget_class_bind_template_callback (widget_class, update_actions);
  gtk_widget_class_bind_template_callback (widget_class, on_training_error);
  gtk_widget_class_bind_template_callback (widget_class, on_device_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_graph_ready);
  gtk_widget_class_bind_template_callback (widget_class, on_node_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_collapse_toggled);
  gtk_widget_class_bind_template_child (widget_class, EmberWindow, generate);
  gtk_widget_class_bind_template_callback (widget_class, on_generate_error);
  gtk_widget_class_install_action (widget_class, "win.generate", NULL, generate_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, "win.generate", NULL);

  gtk_widget_class_install_action (widget_class, "win.train", NULL, training_action);
  gtk_widget_class_install_action (widget_class, "win.stop", NULL, training_action);
  gtk_widget_class_install_action (widget_class, "win.show-step-graph", NULL, training_action);
  gtk_widget_class_install_action (widget_class, "win.graph-fit", NULL, training_action);
  gtk_widget_class_install_action (widget_class, "win.save-weights", NULL, save_weights_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_t, GDK_CONTROL_MASK, "win.train", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_period, GDK_CONTROL_MASK, "win.stop", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_0, GDK_CONTROL_MASK, "win.graph-fit", NULL);

  gtk_widget_class_install_action (widget_class, "win.open", NULL, open_action);
  gtk_widget_class_install_action (widget_class, "win.open-folder", NULL, open_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK, "win.open", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.open-folder", NULL);

  gtk_widget_class_install_action (widget_class, "win.show-panel", "s", show_panel_action);
  for (guint i = 0; i < G_N_ELEMENTS (panels); i++)
    gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1 + i, GDK_ALT_MASK,
                                         "win.show-panel", "s", panels[i]);
}

static void
ember_window_init (EmberWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->main_paned = GTK_PANED (gtk_window_get_child (GTK_WINDOW (self)));

  self->items = g_list_store_new (EMBER_TYPE_DOCUMENT);
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  /* The sidebar: the open files and models, then the training runs (so an
   * item's position in `items` is its row's). */
  {
    GListStore *parts = g_list_store_new (G_TYPE_LIST_MODEL);

    g_list_store_append (parts, self->items);
    g_list_store_append (parts, ember_training_get_runs (self->training));
    self->sidebar = G_LIST_MODEL (gtk_flatten_list_model_new (G_LIST_MODEL (parts)));
  }
  gtk_list_box_bind_model (self->items_list, self->sidebar,
                           create_item_row, self, NULL);
  g_signal_connect_swapped (self->items_list, "row-activated", G_CALLBACK (on_item_activated), self);

  /* Files and folders, several at once, anywhere on the window. */
  self->drop_target = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect (self->drop_target, "drop", G_CALLBACK (on_drop), self);
  g_signal_connect (self->drop_target, "enter", G_CALLBACK (on_drop_enter), self);
  g_signal_connect (self->drop_target, "leave", G_CALLBACK (on_drop_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (self->drop_target));

  g_signal_connect_object (self->training, "finished", G_CALLBACK (on_training_finished), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->training, "finished", G_CALLBACK (on_training_finished_generate), self,
                           G_CONNECT_SWAPPED);

  update_actions (self);
}

EmberWindow *
ember_window_new (GtkApplication *application,
                  GSettings      *settings)
{
  g_return_val_if_fail (GTK_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (settings == NULL || G_IS_SETTINGS (settings), NULL);

  return g_object_new (EMBER_TYPE_WINDOW,
                       "application", application,
                       "settings", settings,
                       NULL);
}

const char *
ember_window_get_visible_panel (EmberWindow *self)
{
  g_return_val_if_fail (EMBER_IS_WINDOW (self), NULL);

  return gtk_stack_get_visible_child_name (self->stack);
}

void
ember_window_set_visible_panel (EmberWindow *self,
                                const char  *panel)
{
  g_return_if_fail (EMBER_IS_WINDOW (self));
  g_return_if_fail (panel != NULL);

  if (gtk_stack_get_child_by_name (self->stack, panel) == NULL)
    {
      g_warning ("No panel named “%s”", panel);
      return;
    }

  /* The stack's notify::visible-child-name reaches on_visible_child_changed. */
  gtk_stack_set_visible_child_name (self->stack, panel);
}
