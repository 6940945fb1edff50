/* ember-document.c
 *
 * Opening: a folder or a shard reaches the whole model; only the safetensors
 * headers are read (em_safetensors_open_header), so a 10 GB checkpoint lists
 * at once. Statistics map the tensor's file (em_safetensors_open) and reduce
 * it with the engine's ops on a GTask thread.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <json-c/json.h>
#include <string.h>

#include <ember/ember.h>

#include "ember-document.h"
#include "ember-priority.h"
#include "ember-tensor-tree.h"

struct _EmberDocument
{
  GObject            parent_instance;

  EmberDocumentKind  kind;
  GFile             *file;
  char              *key;
  char              *title;
  char              *subtitle;
  GPtrArray         *shards;        /* char * paths */
  GListStore        *tensors;       /* EmberTensorItem */
  GHashTable        *tensor_shard;  /* name → shard path (borrowed from shards) */
  GPtrArray         *properties;    /* key, value, key, value … */
  double             load_seconds;
};

G_DEFINE_FINAL_TYPE (EmberDocument, ember_document, G_TYPE_OBJECT)

static void
ember_document_finalize (GObject *object)
{
  EmberDocument *self = EMBER_DOCUMENT (object);

  g_clear_object (&self->file);
  g_free (self->key);
  g_free (self->title);
  g_free (self->subtitle);
  g_ptr_array_unref (self->shards);
  g_clear_object (&self->tensors);
  g_hash_table_unref (self->tensor_shard);
  g_ptr_array_unref (self->properties);

  G_OBJECT_CLASS (ember_document_parent_class)->finalize (object);
}

static void
ember_document_class_init (EmberDocumentClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ember_document_finalize;
}

static void
ember_document_init (EmberDocument *self)
{
  self->shards = g_ptr_array_new_with_free_func (g_free);
  self->tensors = g_list_store_new (EMBER_TYPE_TENSOR_ITEM);
  self->tensor_shard = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->properties = g_ptr_array_new_with_free_func (g_free);
}

static void
add_property (EmberDocument *self,
              const char    *key,
              const char    *value)
{
  g_ptr_array_add (self->properties, g_strdup (key));
  g_ptr_array_add (self->properties, g_strdup (value));
}

/* ---- recognising what was opened ---- */

/* "model-00002-of-00005.safetensors" → prefix "model", total 5. */
static gboolean
parse_shard_name (const char *basename,
                  char      **prefix,
                  guint      *total)
{
  g_autoptr(GRegex) re = g_regex_new ("^(.+)-([0-9]+)-of-([0-9]+)\\.safetensors$", 0, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;
  g_autofree char *n = NULL;

  if (!g_regex_match (re, basename, 0, &match))
    return FALSE;
  if (prefix)
    *prefix = g_match_info_fetch (match, 1);
  n = g_match_info_fetch (match, 3);
  if (total)
    *total = (guint) g_ascii_strtoull (n, NULL, 10);
  return TRUE;
}

static gboolean
has_suffix_ci (const char *s,
               const char *suffix)
{
  gsize ls = strlen (s), lx = strlen (suffix);

  return ls >= lx && g_ascii_strcasecmp (s + ls - lx, suffix) == 0;
}

char *
ember_document_key_for_file (GFile *file)
{
  g_autofree char *path = g_file_get_path (file);
  g_autofree char *base = g_file_get_basename (file);
  g_autofree char *prefix = NULL;
  g_autofree char *dir = NULL;

  if (path == NULL)
    return g_file_get_uri (file);
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    return g_steal_pointer (&path);

  dir = g_path_get_dirname (path);
  if (parse_shard_name (base, &prefix, NULL) || has_suffix_ci (base, ".safetensors.index.json"))
    {
      g_autofree char *config = g_build_filename (dir, "config.json", NULL);

      /* A shard of a model folder opens the folder. */
      if (g_file_test (config, G_FILE_TEST_EXISTS))
        return g_steal_pointer (&dir);
      if (prefix == NULL)
        prefix = g_strndup (base, strlen (base) - strlen (".safetensors.index.json"));
      return g_strdup_printf ("%s/%s.safetensors.index.json", dir, prefix);
    }
  return g_steal_pointer (&path);
}

static gint
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

/* The shard files listed by an index JSON's weight_map, in order of name. */
static gboolean
read_index (EmberDocument *self,
            const char    *index_path,
            GError       **error)
{
  g_autofree char *dir = g_path_get_dirname (index_path);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  json_object *root = json_object_from_file (index_path);
  json_object *map = NULL;

  if (root == NULL || !json_object_object_get_ex (root, "weight_map", &map) ||
      !json_object_is_type (map, json_type_object))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("%s is not a checkpoint index (no “weight_map”)"), index_path);
      json_object_put (root);
      return FALSE;
    }

  json_object_object_foreach (map, name, value)
    {
      const char *shard = json_object_get_string (value);

      (void) name;
      if (shard != NULL && !g_hash_table_contains (seen, shard))
        {
          g_hash_table_add (seen, g_strdup (shard));
          g_ptr_array_add (self->shards, g_build_filename (dir, shard, NULL));
        }
    }
  json_object_put (root);
  g_ptr_array_sort (self->shards, compare_strings);
  return TRUE;
}

/* Every file of a shard set found beside one of them (no index JSON). */
static void
find_shards (EmberDocument *self,
             const char    *dir,
             const char    *prefix,
             guint          total)
{
  for (guint k = 1; k <= total; k++)
    {
      g_autofree char *name = g_strdup_printf ("%s-%05u-of-%05u.safetensors", prefix, k, total);

      g_ptr_array_add (self->shards, g_build_filename (dir, name, NULL));
    }
}

static void
flatten_json (EmberDocument *self,
              const char    *prefix,
              json_object   *obj,
              int            depth)
{
  if (json_object_is_type (obj, json_type_object) && depth < 4)
    {
      json_object_object_foreach (obj, key, value)
        {
          g_autofree char *full = prefix ? g_strconcat (prefix, ".", key, NULL) : g_strdup (key);

          flatten_json (self, full, value, depth + 1);
        }
    }
  else if (prefix != NULL)
    {
      const char *text = json_object_is_type (obj, json_type_string)
                         ? json_object_get_string (obj)
                         : json_object_to_json_string_ext (obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

      if (strlen (text) > 200)
        {
          g_autofree char *cut = g_strndup (text, 200);
          g_autofree char *shown = g_strconcat (cut, "…", NULL);

          add_property (self, prefix, shown);
        }
      else
        add_property (self, prefix, text);
    }
}

static gboolean
read_config (EmberDocument *self,
             const char    *path,
             GError       **error)
{
  json_object *root = json_object_from_file (path);

  if (root == NULL || !json_object_is_type (root, json_type_object))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("%s is not a JSON object: %s"), path, json_util_get_last_err () ? json_util_get_last_err () : "");
      json_object_put (root);
      return FALSE;
    }
  flatten_json (self, NULL, root, 0);
  json_object_put (root);
  return TRUE;
}

static gboolean
read_headers (EmberDocument *self,
              GError       **error)
{
  guint64 total_bytes = 0;

  for (guint s = 0; s < self->shards->len; s++)
    {
      const char *path = g_ptr_array_index (self->shards, s);
      em_safetensors *st;
      int n;

      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                       _("The shard %s is missing"), path);
          return FALSE;
        }

      st = em_safetensors_open_header (path);
      if (st == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s", em_error_message ());
          em_error_clear ();
          return FALSE;
        }

      n = em_safetensors_count (st);
      for (int i = 0; i < n; i++)
        {
          const char *name = em_safetensors_name (st, i);
          uint64_t begin, end;
          g_autoptr(EmberTensorItem) item = NULL;

          em_safetensors_data_offsets (st, i, &begin, &end);
          item = ember_tensor_item_new (name, em_safetensors_dtype_string (st, i),
                                        em_safetensors_ndim (st, i),
                                        (const gint64 *) em_safetensors_shape (st, i),
                                        end - begin);
          total_bytes += end - begin;
          g_list_store_append (self->tensors, item);
          g_hash_table_insert (self->tensor_shard, g_strdup (name), (gpointer) path);
        }

      for (int i = 0; i < em_safetensors_metadata_count (st); i++)
        {
          g_autofree char *key = g_strdup_printf ("__metadata__.%s", em_safetensors_metadata_key (st, i));

          add_property (self, key, em_safetensors_metadata_value (st, i));
        }
      em_safetensors_close (st);
    }

  {
    g_autofree char *size = g_format_size (total_bytes);
    guint n = g_list_model_get_n_items (G_LIST_MODEL (self->tensors));

    if (self->shards->len > 1)
      self->subtitle = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u tensor in %u shards, %s",
                                                     "%u tensors in %u shards, %s", n),
                                        n, self->shards->len, size);
    else
      self->subtitle = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u tensor, %s",
                                                     "%u tensors, %s", n),
                                        n, size);
  }
  return TRUE;
}

static gboolean
open_folder (EmberDocument *self,
             const char    *dir,
             GError       **error)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, error);
  g_autoptr(GPtrArray) weights = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *index = NULL;
  g_autofree char *config = g_build_filename (dir, "config.json", NULL);
  g_autofree char *tokenizer = g_build_filename (dir, "tokenizer.json", NULL);
  const char *name;

  if (d == NULL)
    return FALSE;

  while ((name = g_dir_read_name (d)) != NULL)
    {
      if (has_suffix_ci (name, ".safetensors.index.json") && index == NULL)
        index = g_build_filename (dir, name, NULL);
      else if (has_suffix_ci (name, ".safetensors"))
        g_ptr_array_add (weights, g_build_filename (dir, name, NULL));
    }

  self->kind = EMBER_DOCUMENT_MODEL;
  self->title = g_path_get_basename (dir);

  if (index != NULL)
    {
      if (!read_index (self, index, error))
        return FALSE;
    }
  else
    {
      g_ptr_array_sort (weights, compare_strings);
      for (guint i = 0; i < weights->len; i++)
        g_ptr_array_add (self->shards, g_strdup (g_ptr_array_index (weights, i)));
    }

  if (self->shards->len == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("The folder %s holds no .safetensors files"), dir);
      return FALSE;
    }

  if (g_file_test (config, G_FILE_TEST_EXISTS) && !read_config (self, config, error))
    return FALSE;
  if (g_file_test (tokenizer, G_FILE_TEST_EXISTS))
    add_property (self, _("Tokenizer"), "tokenizer.json");

  return TRUE;
}

EmberDocument *
ember_document_load (GFile   *file,
                     GError **error)
{
  g_autoptr(EmberDocument) self = g_object_new (EMBER_TYPE_DOCUMENT, NULL);
  g_autofree char *path = g_file_get_path (file);
  g_autofree char *base = g_file_get_basename (file);
  g_autofree char *prefix = NULL;
  gint64 start = g_get_monotonic_time ();
  guint total;

  g_return_val_if_fail (G_IS_FILE (file), NULL);

  if (path == NULL)
    {
      g_autofree char *uri = g_file_get_uri (file);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("%s is not a local file"), uri);
      return NULL;
    }

  self->file = g_object_ref (file);
  self->key = ember_document_key_for_file (file);

  if (g_file_test (self->key, G_FILE_TEST_IS_DIR))
    {
      if (!open_folder (self, self->key, error))
        return NULL;
    }
  else if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("%s does not exist"), path);
      return NULL;
    }
  else if (has_suffix_ci (base, ".safetensors.index.json") ||
           parse_shard_name (base, &prefix, &total))
    {
      g_autofree char *dir = g_path_get_dirname (path);
      g_autofree char *index = NULL;

      if (prefix == NULL)
        prefix = g_strndup (base, strlen (base) - strlen (".safetensors.index.json"));
      index = g_strdup_printf ("%s/%s.safetensors.index.json", dir, prefix);

      self->kind = EMBER_DOCUMENT_SHARDED;
      if (g_file_test (index, G_FILE_TEST_EXISTS))
        {
          if (!read_index (self, index, error))
            return NULL;
        }
      else if (total > 0)
        find_shards (self, dir, prefix, total);
      self->title = g_strdup_printf ("%s-*.safetensors", prefix);
      {
        g_autofree char *config = g_build_filename (dir, "config.json", NULL);

        if (g_file_test (config, G_FILE_TEST_EXISTS) && !read_config (self, config, error))
          return NULL;
      }
    }
  else
    {
      self->kind = EMBER_DOCUMENT_FILE;
      self->title = g_steal_pointer (&base);
      g_ptr_array_add (self->shards, g_strdup (path));
    }

  if (!read_headers (self, error))
    return NULL;

  self->load_seconds = (g_get_monotonic_time () - start) / 1e6;
  return g_steal_pointer (&self);
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GError *error = NULL;
  EmberDocument *doc = ember_document_load (G_FILE (task_data), &error);

  if (doc == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, doc, g_object_unref);
}

void
ember_document_load_async (GFile               *file,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, ember_document_load_async);
  g_task_set_task_data (task, g_object_ref (file), g_object_unref);
  g_task_run_in_thread (task, load_thread);
}

EmberDocument *
ember_document_load_finish (GAsyncResult  *result,
                            GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

const char *ember_document_get_key (EmberDocument *self) { return self->key; }
const char *ember_document_get_title (EmberDocument *self) { return self->title; }
const char *ember_document_get_subtitle (EmberDocument *self) { return self->subtitle; }
EmberDocumentKind ember_document_get_kind (EmberDocument *self) { return self->kind; }
GFile *ember_document_get_file (EmberDocument *self) { return self->file; }
guint ember_document_get_n_shards (EmberDocument *self) { return self->shards->len; }
GListModel *ember_document_get_tensors (EmberDocument *self) { return G_LIST_MODEL (self->tensors); }
guint ember_document_get_n_properties (EmberDocument *self) { return self->properties->len / 2; }
const char *ember_document_get_property_key (EmberDocument *self, guint i) { return g_ptr_array_index (self->properties, 2 * i); }
const char *ember_document_get_property_value (EmberDocument *self, guint i) { return g_ptr_array_index (self->properties, 2 * i + 1); }
double ember_document_get_load_seconds (EmberDocument *self) { return self->load_seconds; }

const char *
ember_document_get_tensor_path (EmberDocument *self,
                                const char    *tensor)
{
  return g_hash_table_lookup (self->tensor_shard, tensor);
}

/* ---- statistics ---- */

typedef struct {
  char *path;
  char *tensor;
} StatsData;

static void
stats_data_free (gpointer p)
{
  StatsData *d = p;

  g_free (d->path);
  g_free (d->tensor);
  g_free (d);
}

/* min/max/mean/std over the finite elements, zeros, NaN and Inf counts, and a
 * histogram of the finite elements by scatter-add of their bin indices. */
static gboolean
compute_stats (em_array         *a,
               EmberTensorStats *out)
{
  gboolean ok = FALSE;

  EM_SCOPE
    {
      int64_t n = em_array_size (a);
      int64_t flat[1] = { n };
      em_array *x = em_reshape (em_astype (a, EM_FLOAT32), 1, flat);
      em_array *finite = em_isfinite (x);
      em_array *n_nan = em_sum (em_isnan (x), NULL, 0, false);
      em_array *n_inf = em_sum (em_isinf (x), NULL, 0, false);
      em_array *n_zero = em_sum (em_equal (x, em_scalar_f (0)), NULL, 0, false);
      em_array *n_fin = em_sum (finite, NULL, 0, false);
      em_array *mn = em_min (em_where (finite, x, em_scalar_f (INFINITY)), NULL, 0, false);
      em_array *mx = em_max (em_where (finite, x, em_scalar_f (-INFINITY)), NULL, 0, false);
      em_array *xf = em_where (finite, x, em_scalar_f (0));
      em_array *mean = em_divide (em_sum (em_astype (xf, EM_FLOAT64), NULL, 0, false),
                                  em_astype (em_maximum (n_fin, em_scalar_i (1)), EM_FLOAT64));
      em_array *dev = em_where (finite, em_subtract (em_astype (xf, EM_FLOAT64), mean), em_scalar (0, EM_FLOAT64));
      em_array *var = em_divide (em_sum (em_square (dev), NULL, 0, false),
                                 em_astype (em_maximum (n_fin, em_scalar_i (1)), EM_FLOAT64));
      em_array *outs[] = { n_nan, n_inf, n_zero, n_fin, mn, mx, mean, var };

      if (x == NULL || em_eval_many (outs, G_N_ELEMENTS (outs)) != 0)
        break;

      out->count = (guint64) n;
      out->nan_count = (guint64) em_item_i64 (n_nan);
      out->inf_count = (guint64) em_item_i64 (n_inf);
      out->zero_fraction = n ? (double) em_item_i64 (n_zero) / (double) n : 0;
      if (em_item_i64 (n_fin) > 0)
        {
          out->min = em_item_f64 (mn);
          out->max = em_item_f64 (mx);
        }
      else
        out->min = out->max = NAN;
      out->mean = em_item_f64 (mean);
      out->std = sqrt (em_item_f64 (var));

      if (em_item_i64 (n_fin) > 0 && n > 0)
        {
          double lo = out->min, hi = out->max;
          double scale = hi > lo ? EMBER_HISTOGRAM_BINS / (hi - lo) : 0;
          int64_t bins_shape[1] = { EMBER_HISTOGRAM_BINS };
          int64_t upd_shape[2] = { n, 1 };
          int axis = 0;
          em_array *bin = em_clip (em_floor (em_multiply (em_subtract (xf, em_scalar_f (lo)), em_scalar_f (scale))),
                                   em_scalar_f (0), em_scalar_f (EMBER_HISTOGRAM_BINS - 1));
          em_array *idx = em_astype (bin, EM_INT32);
          em_array *ones = em_reshape (em_astype (finite, EM_INT32), 2, upd_shape);
          em_array *counts = em_scatter (em_zeros (1, bins_shape, EM_INT32), &idx, 1, ones, &axis, EM_SCATTER_ADD);
          int32_t h[EMBER_HISTOGRAM_BINS];

          if (em_array_read (counts, EM_INT32, h, EMBER_HISTOGRAM_BINS) != EMBER_HISTOGRAM_BINS)
            break;
          for (int i = 0; i < EMBER_HISTOGRAM_BINS; i++)
            out->histogram[i] = (guint64) h[i];
        }
      ok = !em_error_pending ();
    }

  return ok;
}

static void
stats_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  StatsData *d = task_data;
  g_autofree EmberTensorStats *stats = g_new0 (EmberTensorStats, 1);
  em_safetensors *st;

  ember_lower_worker_priority ();
  st = em_safetensors_open (d->path);
  em_array *a = st ? em_safetensors_get (st, d->tensor) : NULL;

  if (a != NULL && compute_stats (a, stats))
    g_task_return_pointer (task, g_steal_pointer (&stats), g_free);
  else
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                             _("Could not compute statistics of %s: %s"), d->tensor,
                             em_error_message () ? em_error_message () : "");
  em_error_clear ();
  if (a != NULL)
    em_release (a);
  if (st != NULL)
    em_safetensors_close (st);
}

void
ember_document_compute_stats_async (EmberDocument       *self,
                                    const char          *tensor,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  StatsData *d = g_new0 (StatsData, 1);
  const char *path = ember_document_get_tensor_path (self, tensor);

  g_task_set_source_tag (task, ember_document_compute_stats_async);
  if (path == NULL)
    {
      g_free (d);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                               _("No tensor named %s"), tensor);
      return;
    }
  d->path = g_strdup (path);
  d->tensor = g_strdup (tensor);
  g_task_set_task_data (task, d, stats_data_free);
  g_task_run_in_thread (task, stats_thread);
}

EmberTensorStats *
ember_document_compute_stats_finish (EmberDocument  *self,
                                     GAsyncResult   *result,
                                     GError        **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
