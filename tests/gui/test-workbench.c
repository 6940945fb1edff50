/* test-workbench.c: the workbench as a person uses it, under Xvfb.
 *
 *  1. start the app; drop a generated safetensors file on the window (the
 *     "drop" signal of the window's GtkDropTarget, with a GdkFileList) and
 *     check the Inspector's rows, totals and the statistics of a tensor
 *     computed by the engine (known values); screenshot "inspector";
 *  2. drop a model folder (config.json, tokenizer.json, two shards and their
 *     index) together with a lone shard of the same set: one item, with the
 *     config as properties; drop a sparse 10 GiB file: listed in < 0.3 s;
 *  3. open the Graph panel and check nodes are drawn (pixels of the node
 *     colours); screenshot "graph";
 *  4. drop a corrupt file: the banner shows, the app carries on; screenshot
 *     "error".
 *  Each training run is an item of the sidebar whose subtitle follows the
 *  run; choosing it shows the Training panel with its curve emphasised;
 *  screenshot "sidebar-run".
 *
 * --out=DIR is where the generated files and the screenshots go; --suffix
 * names the screenshots (the Korean run uses "-ko").
 */
#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <fcntl.h>
#include <unistd.h>
#include <time.h>

#include <ember/ember.h>

#include "gui-test-util.h"
#include "ember-application.h"
#include "ember-document.h"
#include "ember-graph-view.h"
#include "ember-image-grid.h"
#include "ember-inspector.h"
#include "ember-log.h"
#include "ember-plot.h"
#include "ember-tensor-tree.h"
#include "ember-training.h"
#include "ember-window.h"

static char *opt_out;
static char *opt_suffix;
static char *opt_localedir;
static char *opt_expect_filter;
static gboolean opt_gpt;
static gboolean opt_frames_only;
static double opt_max_frame_ms;

static EmberWindow *window;

static char *data_dir;

/* Generated files: a private folder (tests may run in parallel). */
static char *
out_path (const char *name)
{
  return g_build_filename (data_dir, name, NULL);
}

/* Screenshots: --out. */
static char *
shot_path (const char *state)
{
  g_autofree char *name = g_strdup_printf ("workbench-%s%s.png", state, opt_suffix ? opt_suffix : "");

  return g_build_filename (opt_out, name, NULL);
}

/* ---- test data, written with the engine ---- */

static void
save (const char *path, const char *const *names, const int64_t (*shapes)[2], int n, float scale)
{
  em_array *arrays[16];

  for (int i = 0; i < n; i++)
    {
      int64_t size = shapes[i][0] * shapes[i][1];
      float *v = g_new (float, size);

      /* 0, 1, …, size-1 times scale: min 0, max (size-1)*scale. */
      for (int64_t k = 0; k < size; k++)
        v[k] = (float) k * scale;
      arrays[i] = em_array_from_data (v, shapes[i][1] ? 2 : 1, shapes[i], EM_FLOAT32);
      g_free (v);
    }
  g_assert_cmpint (em_save_safetensors (path, names, arrays, n, NULL, NULL, 0), ==, 0);
  for (int i = 0; i < n; i++)
    em_release (arrays[i]);
}

static void
make_files (void)
{
  static const char *const names[] = {
    "model.embed_tokens.weight",
    "model.layers.0.self_attn.q_proj.weight",
    "model.layers.0.self_attn.k_proj.weight",
    "model.layers.0.mlp.up_proj.weight",
    "model.layers.1.self_attn.q_proj.weight",
    "model.norm.weight",
    "lm_head.weight",
  };
  static const int64_t shapes[][2] = {
    { 100, 16 }, { 16, 16 }, { 16, 16 }, { 32, 16 }, { 16, 16 }, { 16, 0 }, { 100, 16 },
  };
  g_autofree char *model = out_path ("model.safetensors");
  g_autofree char *dir = out_path ("tiny-llama");
  g_autofree char *shard1 = g_build_filename (dir, "model-00001-of-00002.safetensors", NULL);
  g_autofree char *shard2 = g_build_filename (dir, "model-00002-of-00002.safetensors", NULL);
  g_autofree char *index = g_build_filename (dir, "model.safetensors.index.json", NULL);
  g_autofree char *config = g_build_filename (dir, "config.json", NULL);
  g_autofree char *tokenizer = g_build_filename (dir, "tokenizer.json", NULL);
  g_autofree char *corrupt = out_path ("corrupt.safetensors");
  int64_t fixed[7][2];

  memcpy (fixed, shapes, sizeof fixed);
  fixed[5][0] = 16;
  fixed[5][1] = 0;
  /* A 1-d tensor: save() uses ndim 1 when the second extent is 0. */
  save (model, names, (const int64_t (*)[2]) fixed, 7, 0.5f);

  g_mkdir_with_parents (dir, 0755);
  save (shard1, names, (const int64_t (*)[2]) fixed, 3, 1.0f);
  save (shard2, names + 3, (const int64_t (*)[2]) fixed + 3, 4, 1.0f);
  {
    GString *s = g_string_new ("{\"metadata\": {\"total_size\": 0}, \"weight_map\": {");

    for (int i = 0; i < 7; i++)
      g_string_append_printf (s, "%s\"%s\": \"model-0000%d-of-00002.safetensors\"",
                              i ? ", " : "", names[i], i < 3 ? 1 : 2);
    g_string_append (s, "}}");
    g_file_set_contents (index, s->str, -1, NULL);
    g_string_free (s, TRUE);
  }
  g_file_set_contents (config,
                       "{\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": 16, "
                       "\"num_hidden_layers\": 2, \"rope_scaling\": {\"factor\": 8.0}, "
                       "\"model_type\": \"llama\"}", -1, NULL);
  g_file_set_contents (tokenizer, "{\"model\": {\"type\": \"BPE\"}}", -1, NULL);

  /* Not a safetensors file at all. */
  g_file_set_contents (corrupt, "\xff\xff\xff\xff\xff\xff\xff\x7fnot a header", -1, NULL);
}

/* A 10 GiB file: a real header for 40 float32 tensors of 16384 x 4096, then
 * holes (a sparse file: no disk is used). */
static char *
make_big_file (void)
{
  g_autofree char *path = out_path ("big-10g.safetensors");
  GString *h = g_string_new ("{");
  guint64 offset = 0, size = (guint64) 16384 * 4096 * 4;
  guint64 len;
  int fd;

  for (int i = 0; i < 40; i++)
    {
      g_string_append_printf (h, "%s\"model.layers.%d.mlp.weight\": {\"dtype\": \"F32\", \"shape\": [16384, 4096], "
                                 "\"data_offsets\": [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT "]}",
                              i ? ", " : "", i, offset, offset + size);
      offset += size;
    }
  g_string_append (h, "}");
  while (h->len % 8)
    g_string_append_c (h, ' ');
  len = h->len;

  fd = g_open (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (write (fd, &len, 8), ==, 8);
  g_assert_cmpint (write (fd, h->str, h->len), ==, (gssize) h->len);
  g_assert_cmpint (ftruncate (fd, 8 + len + offset), ==, 0);
  close (fd);
  g_string_free (h, TRUE);
  return g_steal_pointer (&path);
}

/* ---- driving the window ---- */

static void
drop_files (const char *const *paths)
{
  GSList *list = NULL;
  GValue value = G_VALUE_INIT;
  gboolean handled = FALSE;
  GdkFileList *files;

  for (int i = 0; paths[i] != NULL; i++)
    list = g_slist_append (list, g_file_new_for_path (paths[i]));
  files = gdk_file_list_new_from_list (list);
  g_value_init (&value, GDK_TYPE_FILE_LIST);
  g_value_take_boxed (&value, files);
  g_signal_emit_by_name (ember_window_get_drop_target (window), "drop", &value, 100.0, 100.0, &handled);
  CHECK (handled, "the drop target refused %s", paths[0]);
  g_value_unset (&value);
  g_slist_free_full (list, g_object_unref);
}

static gboolean
nothing_pending (gpointer data)
{
  return ember_window_get_n_pending (window) == 0;
}

static gboolean
stats_shown (gpointer data)
{
  return ember_inspector_get_stats (EMBER_INSPECTOR (ember_window_get_inspector (window))) != NULL;
}

static gboolean
error_shown (gpointer data)
{
  return ember_window_get_error (window) != NULL;
}

static guint
count_rows_named (GListModel *rows,
                  const char *label)
{
  guint n = 0;

  for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
    {
      g_autoptr(GtkTreeListRow) row = g_list_model_get_item (rows, i);
      g_autoptr(EmberTensorItem) item = gtk_tree_list_row_get_item (row);

      if (g_strcmp0 (ember_tensor_item_get_label (item), label) == 0)
        n++;
    }
  return n;
}

static void
step_inspector (void)
{
  g_autofree char *model = out_path ("model.safetensors");
  const char *paths[] = { model, NULL };
  EmberInspector *inspector = EMBER_INSPECTOR (ember_window_get_inspector (window));
  EmberTensorTree *tree = EMBER_TENSOR_TREE (ember_inspector_get_tree (inspector));
  GListModel *rows;
  const EmberTensorStats *stats;

  drop_files (paths);
  CHECK (wait_until (nothing_pending, NULL, 5000), "the dropped file did not open");
  CHECK (g_list_model_get_n_items (ember_window_get_items (window)) == 1,
         "%u open items", g_list_model_get_n_items (ember_window_get_items (window)));
  CHECK (g_strcmp0 (ember_window_get_visible_panel (window), "inspector") == 0, "Inspector not shown");

  rows = ember_tensor_tree_get_rows (tree);
  /* Top level: "model" and "lm_head.weight"'s group "lm_head". */
  CHECK (g_list_model_get_n_items (rows) == 2, "%u top-level rows", g_list_model_get_n_items (rows));
  ember_tensor_tree_expand_all (tree);
  /* model, embed_tokens, weight, layers, 0, self_attn, q_proj, weight, k_proj,
   * weight, mlp, up_proj, weight, 1, self_attn, q_proj, weight, norm, weight,
   * lm_head, weight = 21 */
  CHECK (g_list_model_get_n_items (rows) == 21, "%u rows expanded", g_list_model_get_n_items (rows));
  CHECK (count_rows_named (rows, "weight") == 7, "%u rows named weight", count_rows_named (rows, "weight"));
  CHECK (count_rows_named (rows, "self_attn") == 2, "%u rows named self_attn", count_rows_named (rows, "self_attn"));
  g_print ("totals: %s\n", ember_tensor_tree_get_totals_text (tree));
  if (opt_expect_filter != NULL)
    CHECK (g_str_has_prefix (ember_tensor_tree_get_totals_text (tree), opt_expect_filter),
           "totals “%s”, expected “%s”", ember_tensor_tree_get_totals_text (tree), opt_expect_filter);
  /* 1600 + 256 + 256 + 512 + 256 + 16 + 1600 = 4496 parameters, 17984 bytes */
  CHECK (strstr (ember_tensor_tree_get_totals_text (tree), "7") != NULL &&
         strstr (ember_tensor_tree_get_totals_text (tree), "4496") != NULL &&
         strstr (ember_tensor_tree_get_totals_text (tree), "18.0") != NULL,
         "totals say %s", ember_tensor_tree_get_totals_text (tree));

  /* The filter keeps the q_proj tensors (and their groups). */
  ember_tensor_tree_set_filter_text (tree, "q_proj");
  CHECK (count_rows_named (rows = ember_tensor_tree_get_rows (tree), "weight") == 2,
         "filter q_proj shows %u tensors", count_rows_named (rows, "weight"));
  ember_tensor_tree_set_filter_text (tree, NULL);
  ember_tensor_tree_expand_all (tree);

  /* Statistics of up_proj: 0, 0.5, …, 255.5 */
  CHECK (ember_tensor_tree_select (tree, "model.layers.0.mlp.up_proj.weight"), "could not select up_proj");
  CHECK (wait_until (stats_shown, NULL, 5000), "no statistics within 5 s");
  stats = ember_inspector_get_stats (inspector);
  if (stats != NULL)
    {
      guint64 hist_total = 0;

      for (int i = 0; i < EMBER_HISTOGRAM_BINS; i++)
        hist_total += stats->histogram[i];
      g_print ("stats: n %" G_GUINT64_FORMAT " min %g max %g mean %g std %g zeros %g\n",
               stats->count, stats->min, stats->max, stats->mean, stats->std, stats->zero_fraction);
      CHECK (stats->count == 512, "count %" G_GUINT64_FORMAT, stats->count);
      CHECK (stats->min == 0 && stats->max == 255.5, "min %g max %g", stats->min, stats->max);
      CHECK (fabs (stats->mean - 127.75) < 1e-3, "mean %g", stats->mean);
      /* std of 0.5 * (0..511) = 0.5 * sqrt((512^2 - 1) / 12) */
      CHECK (fabs (stats->std - 0.5 * sqrt ((512.0 * 512.0 - 1) / 12)) < 1e-2, "std %g", stats->std);
      CHECK (fabs (stats->zero_fraction - 1.0 / 512) < 1e-9, "zeros %g", stats->zero_fraction);
      CHECK (stats->nan_count == 0 && stats->inf_count == 0, "nan %" G_GUINT64_FORMAT, stats->nan_count);
      CHECK (hist_total == 512 && stats->histogram[0] == 8 && stats->histogram[63] == 8,
             "histogram total %" G_GUINT64_FORMAT " first %" G_GUINT64_FORMAT, hist_total, stats->histogram[0]);
    }

  spin (300);
  {
    g_autofree char *png = shot_path ("inspector");
    Pixels p;

    CHECK (pixels_from_widget (GTK_WIDGET (window), png, &p), "window did not render");
    CHECK (count_distinct_colours (&p) > 200, "%u colours: inspector blank?", count_distinct_colours (&p));
    /* The histogram's bars (0.21, 0.52, 0.89). */
    CHECK (count_colour (&p, 0, 0, p.width, p.height, 54, 133, 227, 6) > 500,
           "%u histogram pixels", count_colour (&p, 0, 0, p.width, p.height, 54, 133, 227, 6));
    pixels_clear (&p);
  }
}

static void
step_folders (void)
{
  g_autofree char *dir = out_path ("tiny-llama");
  g_autofree char *shard = g_build_filename (dir, "model-00002-of-00002.safetensors", NULL);
  g_autofree char *big = make_big_file ();
  const char *paths[] = { dir, shard, NULL };
  const char *big_paths[] = { big, NULL };
  EmberInspector *inspector = EMBER_INSPECTOR (ember_window_get_inspector (window));
  EmberDocument *doc;
  gint64 start;
  double seconds;

  /* The folder and a shard of it, dropped together: one model. */
  drop_files (paths);
  CHECK (wait_until (nothing_pending, NULL, 5000), "the folder did not open");
  doc = ember_inspector_get_document (inspector);
  CHECK (doc != NULL && ember_document_get_n_shards (doc) == 2, "shards: %u",
         doc ? ember_document_get_n_shards (doc) : 0);
  CHECK (g_list_model_get_n_items (ember_window_get_items (window)) == 2,
         "%u items", g_list_model_get_n_items (ember_window_get_items (window)));
  {
    gboolean found_config = FALSE, found_tokenizer = FALSE;
    g_autoptr(EmberDocument) folder = NULL;
    GListModel *items = ember_window_get_items (window);

    for (guint i = 0; i < g_list_model_get_n_items (items); i++)
      {
        g_autoptr(EmberDocument) d = g_list_model_get_item (items, i);

        if (ember_document_get_kind (d) == EMBER_DOCUMENT_MODEL)
          folder = g_object_ref (d);
      }
    CHECK (folder != NULL, "no model item for the folder");
    if (folder != NULL)
      {
        CHECK (g_list_model_get_n_items (ember_document_get_tensors (folder)) == 7, "%u tensors in the model",
               g_list_model_get_n_items (ember_document_get_tensors (folder)));
        for (guint i = 0; i < ember_document_get_n_properties (folder); i++)
          {
            if (g_str_equal (ember_document_get_property_key (folder, i), "rope_scaling.factor"))
              found_config = g_str_equal (ember_document_get_property_value (folder, i), "8.0");
            if (g_str_equal (ember_document_get_property_value (folder, i), "tokenizer.json"))
              found_tokenizer = TRUE;
          }
      }
    CHECK (found_config, "config.json's rope_scaling.factor not shown as 8.0");
    CHECK (found_tokenizer, "tokenizer.json not recognised");
  }

  /* 10 GiB: from the drop to the rows in the tree. */
  start = g_get_monotonic_time ();
  drop_files (big_paths);
  wait_until (nothing_pending, NULL, 5000);
  seconds = (g_get_monotonic_time () - start) / 1e6;
  doc = ember_inspector_get_document (inspector);
  g_print ("10 GiB file listed in %.3f s (headers read in %.4f s)\n", seconds,
           doc ? ember_document_get_load_seconds (doc) : -1);
  CHECK (doc != NULL && g_list_model_get_n_items (ember_document_get_tensors (doc)) == 40,
         "the 10 GiB file did not list 40 tensors");
  CHECK (seconds < 0.3, "listing took %.3f s", seconds);
}

static void
step_error (void)
{
  g_autofree char *corrupt = out_path ("corrupt.safetensors");
  g_autofree char *missing = out_path ("missing.safetensors");
  const char *paths[] = { corrupt, NULL };
  const char *missing_paths[] = { missing, NULL };
  guint before = g_list_model_get_n_items (ember_window_get_items (window));

  drop_files (paths);
  CHECK (wait_until (error_shown, NULL, 5000), "no banner for a corrupt file");
  g_print ("banner: %s\n", ember_window_get_error (window));
  CHECK (ember_window_get_error (window) != NULL && strstr (ember_window_get_error (window), "corrupt.safetensors"),
         "banner does not name the file");
  CHECK (g_list_model_get_n_items (ember_window_get_items (window)) == before, "a corrupt file was added");
  ember_window_set_visible_panel (window, "inspector");
  spin (400);
  {
    g_autofree char *png = shot_path ("error");
    Pixels p;

    CHECK (pixels_from_widget (GTK_WIDGET (window), png, &p), "window did not render");
    pixels_clear (&p);
  }

  /* It carries on: a missing file gives the banner too, then a good one opens. */
  drop_files (missing_paths);
  wait_until (nothing_pending, NULL, 5000);
  CHECK (ember_window_get_error (window) && strstr (ember_window_get_error (window), "missing.safetensors"),
         "banner: %s", ember_window_get_error (window));
}

/* ---- training ---- */

static gint64 last_tick, worst_gap;
static guint n_ticks;

/* Real frame durations from the window's frame clock: from "before-paint"
 * (the frame's start, after events) to "after-paint" (drawn and handed to
 * the display), and the gaps between the ends of frames. */
static gint64 frame_start, last_paint, worst_frame, worst_paint_gap, sum_frames;
static guint n_frames, frames_over_50;
/* Where the longest frame's time went: to its paint phase (snapshot and
 * render: from the end of the layout phase to after-paint), the rest being
 * events, tick callbacks and layout. */
static gint64 paint_start, worst_frame_paint, worst_frame_at, frames_origin;
/* The UI thread's CPU time per frame: what the frame cost this process,
 * whatever else the machine runs (wall time also counts the time the thread
 * waited for a core while other programs ran: with 2 cores and parallel
 * builds or tests that alone can pass 50 ms). */
static gint64 frame_cpu_start, worst_frame_cpu;

static gint64
thread_cpu_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static void
on_before_paint (GdkFrameClock *clock,
                 gpointer       data)
{
  frame_start = g_get_monotonic_time ();
  frame_cpu_start = thread_cpu_us ();
  paint_start = 0;
}

static void
on_paint (GdkFrameClock *clock,
          gpointer       data)
{
  paint_start = g_get_monotonic_time ();
}

static void
on_after_paint (GdkFrameClock *clock,
                gpointer       data)
{
  gint64 now = g_get_monotonic_time ();

  if (frame_start != 0)
    {
      gint64 d = now - frame_start;

      if (d > worst_frame)
        {
          worst_frame_paint = paint_start ? now - paint_start : 0;
          worst_frame_at = frame_start - frames_origin;
        }
      worst_frame = MAX (worst_frame, d);
      worst_frame_cpu = MAX (worst_frame_cpu, thread_cpu_us () - frame_cpu_start);
      sum_frames += d;
      frames_over_50 += d > 50000;
      n_frames++;
    }
  if (last_paint != 0)
    worst_paint_gap = MAX (worst_paint_gap, now - last_paint);
  last_paint = now;
  frame_start = 0;
}

static void
reset_frames (void)
{
  frame_start = last_paint = worst_frame = worst_paint_gap = sum_frames = 0;
  worst_frame_paint = worst_frame_at = paint_start = 0;
  worst_frame_cpu = 0;
  frames_origin = g_get_monotonic_time ();
  n_frames = frames_over_50 = 0;
}

static gboolean
measure_tick (GtkWidget     *widget,
              GdkFrameClock *clock,
              gpointer       data)
{
  gint64 now = g_get_monotonic_time ();

  if (last_tick != 0)
    {
      worst_gap = MAX (worst_gap, now - last_tick);
    }
  last_tick = now;
  n_ticks++;
  /* Keep frames coming, as an animation would. */
  gtk_widget_queue_draw (widget);
  return G_SOURCE_CONTINUE;
}

static gboolean
not_running (gpointer data)
{
  return !ember_training_is_running (EMBER_TRAINING (ember_window_get_training (window)));
}

/* The run being waited on is series expect_series of the plot (a run's line
 * appears with its first point). */
static guint expect_series;

static gboolean
has_points (gpointer data)
{
  EmberPlot *plot = EMBER_PLOT (ember_training_get_plot (EMBER_TRAINING (ember_window_get_training (window))));

  return ember_plot_get_n_series (plot) > expect_series &&
         ember_plot_get_n_points (plot, expect_series) >= GPOINTER_TO_UINT (data);
}

/* ---- training runs in the sidebar ---- */

/* The sidebar's list of open items (not the panel switcher's list). */
static GtkListBox *
find_items_list (GtkWidget *root)
{
  if (GTK_IS_LIST_BOX (root) && gtk_widget_get_ancestor (root, GTK_TYPE_STACK_SIDEBAR) == NULL)
    return GTK_LIST_BOX (root);
  for (GtkWidget *c = gtk_widget_get_first_child (root); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      GtkListBox *found = find_items_list (c);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The row of the i-th training run: after the open files and models. */
static GtkListBoxRow *
run_row (guint i)
{
  GtkListBox *list = find_items_list (GTK_WIDGET (window));

  if (list == NULL)
    return NULL;
  return gtk_list_box_get_row_at_index (list, (int) (g_list_model_get_n_items (ember_window_get_items (window)) + i));
}

static EmberTrainingRun *
run_at (guint i)
{
  GListModel *runs = ember_training_get_runs (EMBER_TRAINING (ember_window_get_training (window)));
  g_autoptr(EmberTrainingRun) run = g_list_model_get_item (runs, i);

  return run;   /* the model keeps it */
}

/* The n-th label (depth first) under @root. */
static GtkLabel *
nth_label (GtkWidget *root,
           guint     *n)
{
  if (GTK_IS_LABEL (root))
    {
      if (*n == 0)
        return GTK_LABEL (root);
      (*n)--;
    }
  for (GtkWidget *c = gtk_widget_get_first_child (root); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      GtkLabel *found = nth_label (c, n);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static const char *
row_text (GtkListBoxRow *row,
          guint          which)   /* 0: title, 1: subtitle */
{
  GtkLabel *label = row ? nth_label (GTK_WIDGET (row), &which) : NULL;

  return label ? gtk_label_get_label (label) : NULL;
}

static GtkWidget *
row_save_button (GtkListBoxRow *row)
{
  return row ? find_descendant (GTK_WIDGET (row), GTK_TYPE_BUTTON) : NULL;
}

/* What the run's row showed under its title while it went. */
static GPtrArray *subtitles_seen;

static void
on_subtitle_label (GtkLabel   *label,
                   GParamSpec *pspec,
                   gpointer    data)
{
  g_ptr_array_add (subtitles_seen, g_strdup (gtk_label_get_label (label)));
}

static void
step_training (void)
{
  EmberTraining *training = EMBER_TRAINING (ember_window_get_training (window));
  EmberPlot *plot = EMBER_PLOT (ember_training_get_plot (training));
  g_autofree char *weights = out_path ("trained-mlp.safetensors");
  g_autoptr(GFile) weights_file = g_file_new_for_path (weights);
  guint tick_id;
  gint64 start;
  double seconds;
  guint updates_before, items_before, runs_before;
  GtkListBoxRow *row;

  /* A short Fashion-MNIST MLP run through the Train action. */
  ember_training_set_task (training, 0);
  ember_training_set_max_steps (training, 60);
  last_tick = worst_gap = 0;
  n_ticks = 0;
  ember_window_set_visible_panel (window, "training");
  tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (window), measure_tick, NULL, NULL);
  {
    GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (window));

    g_signal_connect (clock, "before-paint", G_CALLBACK (on_before_paint), NULL);
    /* After GTK's own layout handlers: the paint phase starts. */
    g_signal_connect_after (clock, "layout", G_CALLBACK (on_paint), NULL);
    g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), NULL);
  }
  reset_frames ();
  spin (1000);
  g_print ("idle: %u frames, longest gap %.1f ms; frames: longest %.1f ms, mean %.1f ms (renderer %s)\n",
           n_ticks, worst_gap / 1000.0, worst_frame / 1000.0, n_frames ? sum_frames / 1000.0 / n_frames : 0,
           G_OBJECT_TYPE_NAME (gtk_native_get_renderer (GTK_NATIVE (window))));
  last_tick = worst_gap = 0;
  n_ticks = 0;
  reset_frames ();
  updates_before = ember_training_get_n_updates (training);
  start = g_get_monotonic_time ();
  expect_series = 0;
  runs_before = g_list_model_get_n_items (ember_training_get_runs (training));
  CHECK (gtk_widget_activate_action (GTK_WIDGET (window), "win.train", NULL), "no win.train");
  CHECK (ember_training_is_running (training), "Train started nothing");
  CHECK (g_strcmp0 (ember_window_get_visible_panel (window), "training") == 0, "Training panel not shown");
  /* The run is in the sidebar at once; its subtitle follows it. */
  CHECK (g_list_model_get_n_items (ember_training_get_runs (training)) == runs_before + 1, "%u runs",
         g_list_model_get_n_items (ember_training_get_runs (training)));
  row = run_row (runs_before);
  CHECK (row != NULL, "no sidebar row for the run");
  subtitles_seen = g_ptr_array_new_with_free_func (g_free);
  if (row != NULL)
    {
      guint which = 1;
      GtkLabel *sub = nth_label (GTK_WIDGET (row), &which);

      CHECK (sub != NULL, "the run's row has no subtitle");
      if (sub != NULL)
        {
          g_ptr_array_add (subtitles_seen, g_strdup (gtk_label_get_label (sub)));
          g_signal_connect (sub, "notify::label", G_CALLBACK (on_subtitle_label), NULL);
        }
      g_print ("run row: “%s” / “%s”\n", row_text (row, 0), row_text (row, 1));
      CHECK (row_text (row, 0) && strstr (row_text (row, 0), "MLP") && strstr (row_text (row, 0), "Fashion-MNIST"),
             "run title “%s”", row_text (row, 0));
    }
  CHECK (wait_until (has_points, GUINT_TO_POINTER (1), 60000), "no loss point within 60 s");
  CHECK (wait_until (not_running, NULL, 120000), "the run did not end");
  seconds = (g_get_monotonic_time () - start) / 1e6;
  spin (200);
  gtk_widget_remove_tick_callback (GTK_WIDGET (window), tick_id);
  g_signal_handlers_disconnect_by_func (gtk_widget_get_frame_clock (GTK_WIDGET (window)), on_before_paint, NULL);
  g_signal_handlers_disconnect_by_func (gtk_widget_get_frame_clock (GTK_WIDGET (window)), on_after_paint, NULL);
  g_signal_handlers_disconnect_by_func (gtk_widget_get_frame_clock (GTK_WIDGET (window)), on_paint, NULL);
  g_print ("training frames (%s): %u, longest %.1f ms (%.1f ms of it painting, %.2f s after Train), mean %.1f ms, "
           "%u over 50 ms, longest gap between frames %.1f ms; most UI-thread CPU time in a frame %.1f ms\n",
           G_OBJECT_TYPE_NAME (gtk_native_get_renderer (GTK_NATIVE (window))), n_frames, worst_frame / 1000.0,
           worst_frame_paint / 1000.0, worst_frame_at / 1e6,
           n_frames ? sum_frames / 1000.0 / n_frames : 0, frames_over_50, worst_paint_gap / 1000.0,
           worst_frame_cpu / 1000.0);
  if (opt_max_frame_ms > 0)
    {
      CHECK (n_frames >= 10, "only %u frames drawn while training", n_frames);
      /* What a frame costs the UI thread: the limit, always. */
      CHECK (worst_frame_cpu < opt_max_frame_ms * 1000, "a frame took %.1f ms of UI-thread CPU time while training "
             "(limit %.0f ms)", worst_frame_cpu / 1000.0, opt_max_frame_ms);
      /* Wall time: on a quiet machine the longest frame is 3-20 ms; a
       * loaded one (parallel tests on 2 cores) can hold the thread off a
       * core for longer, so only most frames are held to the limit. */
      CHECK (frames_over_50 * 20 <= n_frames, "%u of %u frames over 50 ms (wall time) while training",
             frames_over_50, n_frames);
    }

  /* The run's row: changed while it ran, no more often than the panel's
   * updates, and says how it ended. */
  if (row != NULL && run_at (runs_before) != NULL)
    {
      EmberTrainingRun *run = run_at (runs_before);
      guint which = 1;
      GtkLabel *sub = nth_label (GTK_WIDGET (row), &which);
      g_autoptr(GHashTable) distinct = g_hash_table_new (g_str_hash, g_str_equal);
      g_autofree char *loss = g_strdup_printf ("%.4f", ember_training_run_get_loss (run));
      g_autofree char *first = g_strdup (g_ptr_array_index (subtitles_seen, 0));
      g_autofree char *last = g_strdup (g_ptr_array_index (subtitles_seen, subtitles_seen->len - 1));
      GtkWidget *save = row_save_button (row);

      g_signal_handlers_disconnect_by_func (sub, on_subtitle_label, NULL);
      for (guint i = 0; i < subtitles_seen->len; i++)
        g_hash_table_add (distinct, g_ptr_array_index (subtitles_seen, i));
      g_print ("run row: %u subtitle changes (%u distinct), %u UI updates; first “%s”, last “%s”\n",
               subtitles_seen->len - 1, g_hash_table_size (distinct),
               ember_training_get_n_updates (training) - updates_before, first, last);
      CHECK (g_hash_table_size (distinct) >= 4, "the run's subtitle took %u values while it ran",
             g_hash_table_size (distinct));
      CHECK (subtitles_seen->len - 1 <= ember_training_get_n_updates (training) - updates_before,
             "%u subtitle changes for %u updates", subtitles_seen->len - 1,
             ember_training_get_n_updates (training) - updates_before);
      CHECK (ember_training_run_get_state (run) == EMBER_TRAINING_RUN_DONE, "run state %d",
             ember_training_run_get_state (run));
      CHECK (ember_training_run_get_step (run) == 60, "run at step %" G_GINT64_FORMAT, ember_training_run_get_step (run));
      CHECK (isfinite (ember_training_run_get_loss (run)) && strstr (last, loss) != NULL,
             "the finished row “%s” lacks the loss %s", last, loss);
      CHECK (g_strcmp0 (last, ember_training_run_get_subtitle (run)) == 0 && g_strcmp0 (first, last) != 0,
             "row “%s” vs run “%s”", last, ember_training_run_get_subtitle (run));
      CHECK (save != NULL && gtk_widget_get_visible (save) && gtk_widget_is_sensitive (save) &&
             g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (save)), "win.save-weights") == 0,
             "the finished run's row offers no Save");
    }
  g_clear_pointer (&subtitles_seen, g_ptr_array_unref);

  g_print ("training: %s in %.2f s, %u loss points, %u UI updates, %u frames, longest frame gap %.1f ms\n",
           ember_training_get_outcome (training), seconds,
           ember_plot_get_n_series (plot) ? ember_plot_get_n_points (plot, ember_plot_get_n_series (plot) - 1) : 0,
           ember_training_get_n_updates (training) - updates_before, n_ticks, worst_gap / 1000.0);
  CHECK (g_strcmp0 (ember_training_get_outcome (training), "done") == 0, "outcome %s", ember_training_get_outcome (training));
  CHECK (ember_plot_get_n_series (plot) == 1 && ember_plot_get_n_points (plot, 0) == 60,
         "%u points", ember_plot_get_n_series (plot) ? ember_plot_get_n_points (plot, 0) : 0);
  /* Coalesced: at most 30 updates a second (and one at the end). */
  CHECK (ember_training_get_n_updates (training) - updates_before <= 30 * seconds + 2,
         "%u updates in %.2f s", ember_training_get_n_updates (training) - updates_before, seconds);
  /* What Ember costs the UI thread: its updates (the plot, the labels)
   * and the drawing of the curve. The frame gaps themselves (printed above,
   * beside the idle ones) are mostly the software renderer under Xvfb. */
  g_print ("longest UI update %.2f ms, plot drawn in %.2f ms\n",
           ember_training_get_max_update_us (training) / 1000.0, ember_plot_get_last_draw_us (plot) / 1000.0);
  CHECK (ember_training_get_max_update_us (training) < 50000, "an update took %.1f ms",
         ember_training_get_max_update_us (training) / 1000.0);
  CHECK (ember_plot_get_last_draw_us (plot) < 50000, "the plot took %.1f ms to draw",
         ember_plot_get_last_draw_us (plot) / 1000.0);
  CHECK (ember_image_grid_get_n_images (EMBER_IMAGE_GRID (ember_training_get_image_grid (training))) == 24,
         "no predictions grid");
  {
    g_autofree char *png = shot_path ("training");
    GdkRGBA c;
    Pixels p;

    ember_plot_series_color (0, &c);
    CHECK (pixels_from_widget (GTK_WIDGET (window), png, &p), "window did not render");
    pixels_clear (&p);
    CHECK (pixels_from_widget (GTK_WIDGET (plot), NULL, &p), "plot did not render");
    CHECK (count_colour (&p, 0, 0, p.width, p.height, (int) (c.red * 255 + 0.5), (int) (c.green * 255 + 0.5),
                         (int) (c.blue * 255 + 0.5), 12) > 100,
           "the loss curve is not drawn (%u pixels)",
           count_colour (&p, 0, 0, p.width, p.height, (int) (c.red * 255 + 0.5), (int) (c.green * 255 + 0.5),
                         (int) (c.blue * 255 + 0.5), 12));
    pixels_clear (&p);
  }

  /* Save the weights: they open in the Inspector. */
  items_before = g_list_model_get_n_items (ember_window_get_items (window));
  CHECK (ember_window_save_weights (window, weights_file), "save failed");
  wait_until (nothing_pending, NULL, 5000);
  CHECK (g_list_model_get_n_items (ember_window_get_items (window)) == items_before + 1, "weights not opened");
  {
    EmberDocument *doc = ember_inspector_get_document (EMBER_INSPECTOR (ember_window_get_inspector (window)));

    CHECK (doc != NULL && g_list_model_get_n_items (ember_document_get_tensors (doc)) >= 6,
           "saved run lists %u tensors", doc ? g_list_model_get_n_items (ember_document_get_tensors (doc)) : 0);
  }

  /* A long run, stopped. */
  ember_training_set_max_steps (training, 0);
  expect_series = 1;
  CHECK (gtk_widget_activate_action (GTK_WIDGET (window), "win.train", NULL), "no win.train");
  CHECK (wait_until (has_points, GUINT_TO_POINTER (5), 60000), "the second run made no points");
  start = g_get_monotonic_time ();
  CHECK (gtk_widget_activate_action (GTK_WIDGET (window), "win.stop", NULL), "no win.stop");
  CHECK (wait_until (not_running, NULL, 10000), "Stop did not stop");
  g_print ("stopped in %.3f s\n", (g_get_monotonic_time () - start) / 1e6);
  CHECK (g_strcmp0 (ember_training_get_outcome (training), "cancelled") == 0, "outcome %s", ember_training_get_outcome (training));
  CHECK (ember_plot_get_n_series (plot) == 2, "runs are not overlaid");
  CHECK (ember_plot_get_n_points (plot, 1) >= 5, "the stopped run has %u points", ember_plot_get_n_points (plot, 1));

  /* Both runs in the sidebar; only the stopped one's weights are kept now. */
  {
    EmberTrainingRun *first = run_at (runs_before), *second = run_at (runs_before + 1);
    GtkListBoxRow *row2 = run_row (runs_before + 1);
    GtkListBox *list = find_items_list (GTK_WIDGET (window));
    g_autofree char *step = NULL;

    CHECK (second != NULL && row2 != NULL, "no row for the second run");
    if (first == NULL || second == NULL || row2 == NULL || list == NULL)
      return;
    step = g_strdup_printf ("%" G_GINT64_FORMAT, ember_training_run_get_step (second));
    g_print ("stopped run row: “%s” / “%s”\n", row_text (row2, 0), row_text (row2, 1));
    CHECK (ember_training_run_get_state (second) == EMBER_TRAINING_RUN_STOPPED, "state %d",
           ember_training_run_get_state (second));
    CHECK (ember_training_run_get_step (second) >= 5 && strstr (row_text (row2, 1), step) != NULL &&
           g_strcmp0 (row_text (row2, 1), row_text (row, 1)) != 0,
           "the stopped row says “%s” (step %s)", row_text (row2, 1), step);
    CHECK (ember_training_run_get_can_save (second) && !ember_training_run_get_can_save (first) &&
           gtk_widget_get_visible (row_save_button (row2)) && !gtk_widget_get_visible (row_save_button (row)),
           "Save is not on the stopped run only");
    CHECK (ember_training_run_get_series (first) == 0 && ember_training_run_get_series (second) == 1,
           "series %d, %d", ember_training_run_get_series (first), ember_training_run_get_series (second));

    /* Choosing the first run: the Training panel, its curve emphasised. */
    {
      GdkRGBA c0;
      Pixels p;
      guint plain, emphasised;
      g_autofree char *png = shot_path ("sidebar-run");

      ember_plot_series_color (0, &c0);
      spin (100);
      CHECK (pixels_from_widget (GTK_WIDGET (plot), NULL, &p), "plot did not render");
      plain = count_colour (&p, 0, 0, p.width, p.height, (int) (c0.red * 255 + 0.5), (int) (c0.green * 255 + 0.5),
                            (int) (c0.blue * 255 + 0.5), 12);
      pixels_clear (&p);

      ember_window_set_visible_panel (window, "inspector");
      gtk_list_box_select_row (list, row);
      CHECK (g_strcmp0 (ember_window_get_visible_panel (window), "training") == 0,
             "choosing a run shows the %s panel", ember_window_get_visible_panel (window));
      CHECK (ember_plot_get_highlight (plot) == 0, "highlighted series %d", ember_plot_get_highlight (plot));
      CHECK (ember_training_get_highlighted_run (training) == first, "another run highlighted");
      spin (300);
      CHECK (pixels_from_widget (GTK_WIDGET (window), png, &p), "window did not render");
      pixels_clear (&p);
      CHECK (pixels_from_widget (GTK_WIDGET (plot), NULL, &p), "plot did not render");
      emphasised = count_colour (&p, 0, 0, p.width, p.height, (int) (c0.red * 255 + 0.5), (int) (c0.green * 255 + 0.5),
                                 (int) (c0.blue * 255 + 0.5), 12);
      pixels_clear (&p);
      g_print ("first run's colour: %u pixels, %u emphasised\n", plain, emphasised);
      CHECK (emphasised > plain + plain / 4, "the chosen run's curve is not emphasised (%u -> %u pixels)",
             plain, emphasised);

      /* The second one, then a file: the emphasis follows, then goes. */
      gtk_list_box_select_row (list, row2);
      CHECK (ember_plot_get_highlight (plot) == 1, "highlighted series %d", ember_plot_get_highlight (plot));
      if (g_list_model_get_n_items (ember_window_get_items (window)) > 0)
        {
          gtk_list_box_select_row (list, gtk_list_box_get_row_at_index (list, 0));
          CHECK (ember_plot_get_highlight (plot) == -1, "a file chosen: highlight %d", ember_plot_get_highlight (plot));
        }
    }
  }
}

static gboolean
graph_laid_out (gpointer data)
{
  return ember_graph_view_is_laid_out (EMBER_GRAPH_VIEW (ember_window_get_graph_view (window)));
}

static void
step_graph (void)
{
  EmberGraphView *view = EMBER_GRAPH_VIEW (ember_window_get_graph_view (window));
  EmberGraph *graph;

  /* The graph of the last run's model came with the run. */
  ember_window_set_visible_panel (window, "graph");
  CHECK (wait_until (graph_laid_out, NULL, 20000), "the Graph panel shows no graph");
  graph = ember_graph_view_get_graph (view);
  CHECK (graph != NULL && ember_graph_get_n_nodes (graph) > 20, "graph of %u nodes", graph ? ember_graph_get_n_nodes (graph) : 0);
  if (graph != NULL)
    {
      guint matmuls = 0;

      for (guint i = 0; i < ember_graph_get_n_nodes (graph); i++)
        matmuls += strstr (ember_graph_get_node_op (graph, i), "matmul") != NULL;
      g_print ("step graph: %u nodes, %u edges, %u matmul-like, laid out in %.3f s\n",
               ember_graph_get_n_nodes (graph), ember_graph_get_n_edges (graph), matmuls,
               ember_graph_view_get_layout_seconds (view));
      CHECK (matmuls >= 3, "an MLP step with %u matmuls?", matmuls);
    }
  spin (300);
  {
    g_autofree char *png = shot_path ("graph");
    GdkRGBA c;
    Pixels p;
    guint n;

    CHECK (pixels_from_widget (GTK_WIDGET (window), png, &p), "window did not render");
    pixels_clear (&p);
    CHECK (pixels_from_widget (GTK_WIDGET (view), NULL, &p), "graph did not render");
    n = 0;
    for (int k = EMBER_GRAPH_NODE_INPUT; k <= EMBER_GRAPH_NODE_OTHER; k++)
      {
        ember_graph_view_kind_color (k, &c);
        n += count_colour (&p, 0, 0, p.width, p.height, (int) (c.red * 255 + 0.5), (int) (c.green * 255 + 0.5),
                           (int) (c.blue * 255 + 0.5), 3);
      }
    CHECK (n > 500, "only %u pixels of node colours", n);
    pixels_clear (&p);
  }
  /* A node's details. */
  {
    graphene_rect_t r;

    if (ember_graph_view_get_node_bounds (view, 0, &r))
      {
        int id = ember_graph_view_node_at (view, r.origin.x + r.size.width / 2, r.origin.y + r.size.height / 2);

        CHECK (id == 0, "node_at gave %d", id);
        g_signal_emit_by_name (view, "node-activated", 0);
      }
  }
}

static void
step_missing_dataset (void)
{
  EmberTraining *training = EMBER_TRAINING (ember_window_get_training (window));

  ember_training_set_data_dir (training, "/nonexistent/fashion-mnist");
  ember_training_set_max_steps (training, 5);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.train", NULL);
  CHECK (wait_until (not_running, NULL, 20000), "the run with no data did not end");
  g_print ("banner: %s\n", ember_window_get_error (window));
  CHECK (ember_window_get_error (window) != NULL && strstr (ember_window_get_error (window), "dataset-fashion-mnist"),
         "no banner for a missing dataset");
  CHECK (g_strcmp0 (ember_training_get_outcome (training), "failed") == 0, "outcome %s", ember_training_get_outcome (training));
  /* The failed run's item says why. */
  {
    GListModel *runs = ember_training_get_runs (training);
    guint n = g_list_model_get_n_items (runs);
    EmberTrainingRun *run = n > 0 ? run_at (n - 1) : NULL;
    const char *sub = n > 0 ? row_text (run_row (n - 1), 1) : NULL;

    g_print ("failed run row: %s\n", sub);
    CHECK (run != NULL && ember_training_run_get_state (run) == EMBER_TRAINING_RUN_FAILED, "the failed run's state");
    CHECK (sub != NULL && strstr (sub, "dataset-fashion-mnist") != NULL, "the failed run's row says “%s”", sub);
  }
  ember_training_set_data_dir (training, NULL);
}

/* Out of memory: with a memory limit below a tensor's size, its statistics
 * fail with the engine's message in the banner, and the app carries on. */
static void
step_out_of_memory (void)
{
  g_autofree char *big = out_path ("big-10g.safetensors");
  const char *paths[] = { big, NULL };
  EmberInspector *inspector = EMBER_INSPECTOR (ember_window_get_inspector (window));
  EmberTensorTree *tree = EMBER_TENSOR_TREE (ember_inspector_get_tree (inspector));

  gtk_info_bar_set_revealed (GTK_INFO_BAR (find_descendant (GTK_WIDGET (window), GTK_TYPE_INFO_BAR)), FALSE);
  drop_files (paths);
  wait_until (nothing_pending, NULL, 5000);
  em_memory_set_limit (16 << 20);
  ember_tensor_tree_expand_all (tree);
  CHECK (ember_tensor_tree_select (tree, "model.layers.3.mlp.weight"), "no layer 3");
  CHECK (wait_until (error_shown, NULL, 20000), "no banner when out of memory");
  g_print ("banner: %s\n", ember_window_get_error (window));
  CHECK (ember_window_get_error (window) && strstr (ember_window_get_error (window), "out of memory"),
         "banner: %s", ember_window_get_error (window));
  em_memory_set_limit (0);
  spin (200);
  {
    g_autofree char *png = shot_path ("out-of-memory");
    Pixels p;

    CHECK (pixels_from_widget (GTK_WIDGET (window), png, &p), "window did not render");
    pixels_clear (&p);
  }
}

static GtkWindow *
find_file_chooser (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) w = g_list_model_get_item (toplevels, i);

      if (GTK_IS_FILE_CHOOSER_DIALOG (w) && gtk_widget_get_visible (GTK_WIDGET (w)))
        return w;
    }
  return NULL;
}

static gboolean
chooser_shown (gpointer data)
{
  return find_file_chooser () != NULL;
}

static GFile *chooser_file;

static gboolean
chooser_has_file (gpointer data)
{
  g_autoptr(GFile) chosen = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (data));

  return chosen != NULL && g_file_equal (chosen, chooser_file);
}

/* The Open dialog (Ctrl+O's action): choosing a file in it opens it. */
static void
step_open_dialog (void)
{
  g_autofree char *model = out_path ("model.safetensors");
  g_autoptr(GFile) file = g_file_new_for_path (model);
  GListModel *items = ember_window_get_items (window);
  guint before = g_list_model_get_n_items (items);
  GtkWindow *chooser;

  CHECK (gtk_widget_activate_action (GTK_WIDGET (window), "win.open", NULL), "no win.open");
  CHECK (wait_until (chooser_shown, NULL, 5000), "win.open showed no file chooser");
  chooser = find_file_chooser ();
  if (chooser == NULL)
    return;
  g_print ("open dialog: %s\n", gtk_window_get_title (chooser));
  spin (300);
  {
    g_autofree char *png = shot_path ("open-dialog");
    Pixels p;

    CHECK (pixels_from_widget (GTK_WIDGET (chooser), png, &p), "the dialog did not render");
    pixels_clear (&p);
  }
  CHECK (gtk_file_chooser_set_file (GTK_FILE_CHOOSER (chooser), file, NULL), "could not choose the file");
  /* The chooser loads the folder before the file is selected in it (slow
   * on a loaded machine). */
  chooser_file = file;
  CHECK (wait_until (chooser_has_file, chooser, 10000), "the file chooser did not select %s", model);
  spin (100);
  gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_ACCEPT);
  wait_until (nothing_pending, NULL, 5000);
  spin (100);
  /* model.safetensors was open already: it is selected, not added twice. */
  CHECK (g_list_model_get_n_items (items) == before, "%u items after opening an open file",
         g_list_model_get_n_items (items));
  {
    EmberDocument *doc = ember_inspector_get_document (EMBER_INSPECTOR (ember_window_get_inspector (window)));

    CHECK (doc != NULL && g_str_equal (ember_document_get_title (doc), "model.safetensors"),
           "the Open dialog's file is not shown (%s)", doc ? ember_document_get_title (doc) : "none");
  }
}

/* Files dragged over the window: the content is outlined. */
static void
step_drop_highlight (void)
{
  GdkDragAction action = 0;
  GtkWidget *box = find_descendant (GTK_WIDGET (window), GTK_TYPE_INFO_BAR);

  box = gtk_widget_get_parent (box);
  g_signal_emit_by_name (ember_window_get_drop_target (window), "enter", 200.0, 200.0, &action);
  CHECK (action == GDK_ACTION_COPY, "enter answered %d", action);
  CHECK (gtk_widget_has_css_class (box, "drop-highlight"), "no highlight while dragging");
  spin (200);
  {
    g_autofree char *png = shot_path ("drop");
    Pixels p;

    CHECK (pixels_from_widget (GTK_WIDGET (window), png, &p), "window did not render");
    pixels_clear (&p);
  }
  g_signal_emit_by_name (ember_window_get_drop_target (window), "leave");
  CHECK (!gtk_widget_has_css_class (box, "drop-highlight"), "highlight stayed after leave");
}

/* ---- the Log panel ---- */

static gboolean
log_has (gpointer data)
{
  g_autofree char *text = ember_log_get_text (EMBER_LOG (ember_window_get_log (window)));

  return strstr (text, data) != NULL;
}

/* Lines of @text containing @a (and @b, if not NULL). */
static guint
count_lines (const char *text,
             const char *a,
             const char *b)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  guint n = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    n += strstr (lines[i], a) != NULL && (b == NULL || strstr (lines[i], b) != NULL);
  return n;
}

static gboolean
log_shows_few (gpointer data)
{
  return ember_log_get_n_shown (EMBER_LOG (ember_window_get_log (window))) <= GPOINTER_TO_UINT (data);
}

static void
on_clipboard_text (GObject      *source,
                   GAsyncResult *result,
                   gpointer      data)
{
  char **out = data;

  *out = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (source), result, NULL);
  if (*out == NULL)
    *out = g_strdup ("");
}

static gboolean
pointer_set (gpointer data)
{
  return *(char **) data != NULL;
}

static gboolean
flag_set (gpointer data)
{
  return *(gboolean *) data;
}

static void
step_log (void)
{
  EmberLog *log = EMBER_LOG (ember_window_get_log (window));
  GtkDropDown *level = GTK_DROP_DOWN (find_descendant (GTK_WIDGET (log), GTK_TYPE_DROP_DOWN));
  GtkEditable *search = GTK_EDITABLE (find_descendant (GTK_WIDGET (log), GTK_TYPE_SEARCH_ENTRY));
  g_autofree char *text = NULL;
  g_autofree char *copied = NULL;
  g_autoptr(GRegex) line = g_regex_new ("^[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\\.[0-9]{3}  \\S+  .+$",
                                        G_REGEX_MULTILINE, 0, NULL);
  guint all, errors;

  ember_window_set_visible_panel (window, "log");
  /* GLib logging of the app's domain reaches the panel (and stderr). */
  g_message ("a message through GLib for the Log panel");
  CHECK (wait_until (log_has, "a message through GLib for the Log panel", 5000), "g_message did not reach the log");

  text = ember_log_get_text (log);
  g_print ("log: %u messages\n%s", ember_log_get_n_entries (log), text);
  /* Events of the steps before: files opened, runs, the banners' errors. */
  {
    g_autofree char *model = out_path ("model.safetensors");

    CHECK (count_lines (text, _("Info"), model) >= 1, "no line for the opened %s", model);
  }
  CHECK (count_lines (text, _("Error"), "corrupt.safetensors") >= 1, "no error line for the corrupt file");
  CHECK (count_lines (text, _("Error"), "dataset-fashion-mnist") >= 1, "no error line for the missing dataset");
  CHECK (count_lines (text, _("Training started"), NULL) >= 2, "%u lines for runs started",
         count_lines (text, _("Training started"), NULL));
  CHECK (count_lines (text, _("Info"), _("Training finished")) >= 1, "no line for the finished run");
  CHECK (count_lines (text, _("Warning"), _("Training stopped before its end")) >= 1, "no line for the stopped run");
  {
    g_autoptr(GMatchInfo) match = NULL;
    guint n = 0;

    g_regex_match (line, text, 0, &match);
    while (g_match_info_matches (match))
      {
        n++;
        g_match_info_next (match, NULL);
      }
    CHECK (n == ember_log_get_n_shown (log) && n == ember_log_get_n_entries (log),
           "%u timestamped lines of %u shown, %u kept", n, ember_log_get_n_shown (log), ember_log_get_n_entries (log));
  }
  spin (300);
  {
    g_autofree char *png = shot_path ("log");
    Pixels p;

    CHECK (pixels_from_widget (GTK_WIDGET (window), png, &p), "window did not render");
    /* The error lines' red (#e01b24). */
    CHECK (count_colour (&p, 0, 0, p.width, p.height, 0xe0, 0x1b, 0x24, 40) > 50, "%u red pixels: no error lines drawn",
           count_colour (&p, 0, 0, p.width, p.height, 0xe0, 0x1b, 0x24, 40));
    pixels_clear (&p);
  }

  /* Errors only, through the level drop-down. */
  all = ember_log_get_n_shown (log);
  gtk_drop_down_set_selected (level, 2);
  g_clear_pointer (&text, g_free);
  text = ember_log_get_text (log);
  errors = count_lines (text, _("Error"), NULL);
  CHECK (ember_log_get_n_shown (log) < all && ember_log_get_n_shown (log) == errors && errors >= 4,
         "errors only: %u shown of %u, %u error lines", ember_log_get_n_shown (log), all, errors);
  CHECK (count_lines (text, _("Training started"), NULL) == 0, "info shown with errors only");

  /* The search box (as typed: search-changed comes after a pause). */
  gtk_drop_down_set_selected (level, 0);
  gtk_editable_set_text (search, "CORRUPT");
  CHECK (wait_until (log_shows_few, GUINT_TO_POINTER (2), 3000), "search shows %u lines", ember_log_get_n_shown (log));
  g_clear_pointer (&text, g_free);
  text = ember_log_get_text (log);
  CHECK (ember_log_get_n_shown (log) >= 1 && count_lines (text, "corrupt", NULL) == ember_log_get_n_shown (log),
         "search for CORRUPT shows %u lines:\n%s", ember_log_get_n_shown (log), text);

  /* Copy puts the lines shown on the clipboard. */
  CHECK (gtk_widget_activate_action (GTK_WIDGET (log), "log.copy", NULL), "no log.copy");
  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (GTK_WIDGET (log)), NULL, on_clipboard_text, &copied);
  CHECK (wait_until (pointer_set, &copied, 5000) && g_strcmp0 (copied, text) == 0,
         "clipboard has “%s”", copied ? copied : "(nothing)");
  gtk_editable_set_text (search, "");
  spin (400);
  CHECK (ember_log_get_n_shown (log) == all, "%u shown after the search is cleared, %u before",
         ember_log_get_n_shown (log), all);

  /* Clear forgets everything; later messages arrive as before. */
  CHECK (gtk_widget_activate_action (GTK_WIDGET (log), "log.clear", NULL), "no log.clear");
  CHECK (ember_log_get_n_entries (log) == 0 && ember_log_get_n_shown (log) == 0, "%u messages after Clear",
         ember_log_get_n_entries (log));
  g_message ("after clear");
  CHECK (wait_until (log_has, "after clear", 5000) && ember_log_get_n_entries (log) == 1,
         "%u messages after one more", ember_log_get_n_entries (log));
}

/* The fortunes GPT's training step in the Graph panel: a bigger graph,
 * with the model's modules. */
static void
step_gpt_graph (void)
{
  EmberTraining *training = EMBER_TRAINING (ember_window_get_training (window));
  EmberGraphView *view = EMBER_GRAPH_VIEW (ember_window_get_graph_view (window));
  EmberGraph *graph;
  gint64 start = g_get_monotonic_time ();
  guint with_module = 0;

  ember_training_set_task (training, 2);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-step-graph", NULL);
  CHECK (wait_until (not_running, NULL, 60000), "the GPT was not built");
  CHECK (wait_until (graph_laid_out, NULL, 60000), "the GPT graph was not laid out");
  graph = ember_graph_view_get_graph (view);
  CHECK (graph != NULL && ember_graph_get_n_nodes (graph) > 200, "GPT graph of %u nodes",
         graph ? ember_graph_get_n_nodes (graph) : 0);
  if (graph == NULL)
    return;
  for (guint i = 0; i < ember_graph_get_n_nodes (graph); i++)
    with_module += ember_graph_get_node_module (graph, i) != NULL;
  g_print ("GPT step graph: %u nodes (%u in modules), %u edges, built and laid out in %.2f s (layout %.2f s)\n",
           ember_graph_get_n_nodes (graph), with_module, ember_graph_get_n_edges (graph),
           (g_get_monotonic_time () - start) / 1e6, ember_graph_view_get_layout_seconds (view));
  CHECK (with_module > ember_graph_get_n_nodes (graph) / 4, "only %u of %u nodes in modules", with_module,
         ember_graph_get_n_nodes (graph));
  {
    static const char *const expected[] = { "embed", "blocks.0.attn", "blocks.0.mlp", "head" };

    for (guint k = 0; k < G_N_ELEMENTS (expected); k++)
      {
        guint n = 0;

        for (guint i = 0; i < ember_graph_get_n_nodes (graph); i++)
          n += g_strcmp0 (ember_graph_get_node_module (graph, i), expected[k]) == 0;
        CHECK (n > 0, "no node in module %s", expected[k]);
      }
  }
  spin (300);
  {
    g_autofree char *png = shot_path ("graph-gpt");
    Pixels p;

    CHECK (pixels_from_widget (GTK_WIDGET (window), png, &p), "window did not render");
    pixels_clear (&p);
  }

  /* Collapse Modules (the panel's toggle): each module one box. */
  {
    GtkWidget *bar = gtk_widget_get_prev_sibling (GTK_WIDGET (view));
    GtkToggleButton *collapse = GTK_TOGGLE_BUTTON (find_descendant (bar, GTK_TYPE_TOGGLE_BUTTON));
    guint boxes, modules, boxes_after, modules_after;
    gulong id;
    gboolean done = FALSE;

    boxes = ember_graph_view_get_n_boxes (view, &modules);
    id = g_signal_connect_swapped (view, "layout-done", G_CALLBACK (wait_timeout_cb), &done);
    gtk_toggle_button_set_active (collapse, TRUE);
    CHECK (wait_until (flag_set, &done, 60000), "no layout after collapsing");
    g_signal_handler_disconnect (view, id);
    boxes_after = ember_graph_view_get_n_boxes (view, &modules_after);
    g_print ("GPT graph collapsed: %u boxes (%u modules) from %u boxes (%u modules)\n",
             boxes_after, modules_after, boxes, modules);
    CHECK (modules == 0 && modules_after >= 4, "%u module boxes collapsed, %u before", modules_after, modules);
    CHECK (boxes_after < boxes / 2, "collapsed: %u boxes of %u", boxes_after, boxes);
    spin (300);
    {
      g_autofree char *png = shot_path ("graph-gpt-modules");
      Pixels p;

      CHECK (pixels_from_widget (GTK_WIDGET (window), png, &p), "window did not render");
      pixels_clear (&p);
    }
    gtk_toggle_button_set_active (collapse, FALSE);
  }

  /* A few steps of the GPT: loss points and tokens/s arrive. */
  {
    EmberPlot *plot = EMBER_PLOT (ember_training_get_plot (training));
    guint series;

    ember_training_set_max_steps (training, 3);
    ember_training_set_batch_size (training, 4);
    start = g_get_monotonic_time ();
    CHECK (gtk_widget_activate_action (GTK_WIDGET (window), "win.train", NULL), "no win.train");
    CHECK (wait_until (not_running, NULL, 120000), "the GPT run did not end");
    series = ember_plot_get_n_series (plot) - 1;
    g_print ("GPT: %s, %u loss points in %.2f s\n", ember_training_get_outcome (training),
             ember_plot_get_n_points (plot, series), (g_get_monotonic_time () - start) / 1e6);
    CHECK (g_strcmp0 (ember_training_get_outcome (training), "done") == 0, "GPT outcome %s",
           ember_training_get_outcome (training));
    CHECK (ember_plot_get_n_points (plot, series) == 3, "%u GPT points", ember_plot_get_n_points (plot, series));
    spin (300);
    {
      g_autofree char *png = shot_path ("training-gpt");
      Pixels p;

      CHECK (pixels_from_widget (GTK_WIDGET (window), png, &p), "window did not render");
      pixels_clear (&p);
    }
  }
  ember_training_set_task (training, 0);
}

static gboolean
run_steps (gpointer user_data)
{
  GtkApplication *app = user_data;

  window = EMBER_WINDOW (gtk_application_get_active_window (app));
  CHECK (window != NULL, "no window");
  if (window != NULL)
    {
      if (opt_frames_only)
        step_training ();
      else
        {
          step_inspector ();
          step_folders ();
          step_training ();
          step_graph ();
          step_error ();
          step_missing_dataset ();
          step_out_of_memory ();
          step_drop_highlight ();
          step_open_dialog ();
          step_log ();
          if (opt_gpt)
            step_gpt_graph ();
        }
      gtk_window_close (GTK_WINDOW (window));
    }
  g_application_quit (G_APPLICATION (app));
  return G_SOURCE_REMOVE;
}

static void
on_window_added (GtkApplication *app,
                 GtkWindow      *win)
{
  /* After the first frames. */
  g_timeout_add (300, run_steps, app);
}

int
main (int   argc,
      char *argv[])
{
  const GOptionEntry entries[] = {
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &opt_out, "Where files and screenshots go", "DIR" },
    { "suffix", 0, 0, G_OPTION_ARG_STRING, &opt_suffix, "Screenshot name suffix", "TEXT" },
    { "localedir", 0, 0, G_OPTION_ARG_FILENAME, &opt_localedir, "Where the built translations are", "DIR" },
    { "gpt", 0, 0, G_OPTION_ARG_NONE, &opt_gpt, "Also show the fortunes GPT's step graph", NULL },
    { "frames-only", 0, 0, G_OPTION_ARG_NONE, &opt_frames_only, "Only the training run with its frame times", NULL },
    { "max-frame-ms", 0, 0, G_OPTION_ARG_DOUBLE, &opt_max_frame_ms, "Longest frame allowed while training", "MS" },
    { "expect-filter", 0, 0, G_OPTION_ARG_STRING, &opt_expect_filter, "Expected totals text of the tree (translated)", "TEXT" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- use the workbench");
  g_autoptr(GError) error = NULL;
  g_autoptr(EmberApplication) app = NULL;
  g_autoptr(GSettings) settings = NULL;
  int status;

  setlocale (LC_ALL, "");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  data_dir = g_dir_make_tmp ("ember-workbench-XXXXXX", NULL);
  if (opt_out == NULL)
    opt_out = g_strdup (data_dir);
  g_mkdir_with_parents (opt_out, 0755);
  g_print ("generated files in %s\n", data_dir);

  bindtextdomain (GETTEXT_PACKAGE, opt_localedir ? opt_localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (g_strcmp0 (g_getenv ("GSETTINGS_BACKEND"), "memory") != 0)
    {
      g_printerr ("run with GSETTINGS_BACKEND=memory\n");
      return 2;
    }
  settings = g_settings_new (APP_ID);
  g_settings_set_int (settings, "window-width", 1100);
  g_settings_set_int (settings, "window-height", 720);

  make_files ();

  app = ember_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_signal_connect (app, "window-added", G_CALLBACK (on_window_added), NULL);

  status = g_application_run (G_APPLICATION (app), 1, argv);
  if (status != 0)
    failures++;
  g_print ("%s\n", failures ? "FAILED" : "PASSED");
  return failures ? 1 : 0;
}
