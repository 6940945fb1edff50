/* ember-training.c
 *
 * A run: em_train_new and em_train_exec on a GTask thread. The callbacks
 * (that thread) only append to a mutex-guarded Shared state; a 30 Hz timer on
 * the main thread drains it into the plot and the labels, so the UI gets at
 * most 30 updates a second whatever the step rate. Stop asks em_train_cancel.
 * Before training, the worker captures the lazy graph of one training step
 * (em_train_step_graph + em_graph_capture) for the Graph panel.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <time.h>

#include <ember/ember.h>
#include <ember/data.h>
#include <ember/train.h>

#include "ember-training.h"
#include "ember-training-run.h"
#include "ember-engine-graph.h"
#include "ember-image-grid.h"
#include "ember-plot.h"
#include "ember-priority.h"

static const struct {
  const char *label;
  const char *task;
  const char *model;
  const char *model_name;     /* in a run's title in the sidebar */
  const char *dataset_name;
} tasks[] = {
  { N_("Fashion-MNIST MLP"), "fashion-mnist", "mlp", "MLP", "Fashion-MNIST" },
  { N_("Fashion-MNIST CNN"), "fashion-mnist", "cnn", "CNN", "Fashion-MNIST" },
  { N_("Fortunes GPT"), "fortunes", "gpt", "GPT", "fortunes" },
};

#define N_PREDICTIONS 24

typedef struct {
  gatomicrefcount    ref;
  GMutex             lock;
  GArray            *points;        /* (step, loss) pairs not yet plotted */
  em_train_progress  last;
  gboolean           has_last;
  double             accuracy;      /* last epoch's, NaN */
  double             val_loss;
  em_train_run      *run;
  gboolean           cancel;
  EmberGraph        *graph;         /* captured, not yet delivered */
} Shared;

static Shared *
shared_new (void)
{
  Shared *s = g_new0 (Shared, 1);

  g_atomic_ref_count_init (&s->ref);
  g_mutex_init (&s->lock);
  s->points = g_array_new (FALSE, FALSE, sizeof (double));
  s->accuracy = NAN;
  s->val_loss = NAN;
  return s;
}

static void
shared_unref (Shared *s)
{
  if (!g_atomic_ref_count_dec (&s->ref))
    return;
  g_array_unref (s->points);
  g_clear_pointer (&s->graph, ember_graph_unref);
  g_mutex_clear (&s->lock);
  g_free (s);
}

typedef struct {
  Shared        *shared;
  char          *task, *model, *optimizer, *data_dir, *device;
  gint64         epochs, batch_size, max_steps, seed;
  double         lr;
  gboolean       graph_only;
  /* results */
  em_train_run  *run;
  em_train_status status;
  int32_t        pred[N_PREDICTIONS], labels[N_PREDICTIONS];
  guint8        *images;            /* N_PREDICTIONS x 28 x 28 */
  char          *error;
} Job;

static void
job_free (gpointer p)
{
  Job *j = p;

  shared_unref (j->shared);
  if (j->run != NULL)
    em_train_free (j->run);
  g_free (j->task);
  g_free (j->model);
  g_free (j->optimizer);
  g_free (j->data_dir);
  g_free (j->device);
  g_free (j->images);
  g_free (j->error);
  g_free (j);
}

struct _EmberTraining
{
  GtkWidget          parent_instance;

  GtkPaned          *paned;
  GtkDropDown       *task_dropdown;
  GtkSpinButton     *epochs_spin;
  GtkSpinButton     *batch_spin;
  GtkSpinButton     *lr_spin;
  GtkDropDown       *optimizer_dropdown;
  GtkSpinButton     *steps_spin;
  GtkSpinButton     *seed_spin;
  GtkGrid           *metrics_grid;
  GtkLabel          *status_label;
  GtkScale          *smoothing_scale;
  GtkAdjustment     *smoothing_adjustment;
  GtkCheckButton    *log_check;
  GtkProgressBar    *progress_bar;
  EmberPlot         *plot;
  GtkScrolledWindow *grid_scroller;
  EmberImageGrid    *image_grid;

  GtkLabel          *metric_values[7];
  char              *data_dir;
  char              *device;
  Shared            *shared;        /* of the running job */
  Job               *finished;      /* the last finished run, kept for saving */
  gboolean           running;
  guint              timer;
  guint              n_updates;
  gint64             max_update_us;
  int                series;        /* plot series of the running job, -1 before its first point */
  char              *series_name;
  guint              n_runs;
  const char        *outcome;
  EmberGraph        *graph;
  GListStore        *runs;          /* EmberTrainingRun, in order of start */
  EmberTrainingRun  *current_run;   /* of the running job (none for a graph capture) */
  EmberTrainingRun  *saved_run;     /* whose weights `finished` holds */
  EmberTrainingRun  *highlighted_run;
};

G_DEFINE_FINAL_TYPE (EmberTraining, ember_training, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_RUNNING,
  PROP_HAS_RESULT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_ERROR,
  SIGNAL_GRAPH_READY,
  SIGNAL_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

enum { M_STEP, M_EPOCH, M_LOSS, M_ACCURACY, M_THROUGHPUT, M_ELAPSED, M_REMAINING };

/* ---- worker thread ---- */

static void
on_step (const em_train_progress *p,
         void                    *user)
{
  Shared *s = user;
  double pt[2] = { (double) p->step, p->loss };

  g_mutex_lock (&s->lock);
  g_array_append_vals (s->points, pt, 2);
  s->last = *p;
  s->has_last = TRUE;
  g_mutex_unlock (&s->lock);
}

static void
on_epoch (const em_train_progress *p,
          void                    *user)
{
  Shared *s = user;

  g_mutex_lock (&s->lock);
  if (!isnan (p->test_accuracy))
    s->accuracy = p->test_accuracy;
  if (!isnan (p->val_loss))
    s->val_loss = p->val_loss;
  g_mutex_unlock (&s->lock);
}

static EmberGraph *
capture_step_graph (em_train_run *run)
{
  EmberGraph *out = NULL;
  em_array *loss = NULL;
  em_tree *grads = em_train_step_graph (run, &loss);

  if (grads != NULL && loss != NULL)
    {
      int n = em_tree_size (grads);
      g_autofree em_array **outs = g_new (em_array *, n + 1);
      em_graph *g;

      outs[0] = loss;
      for (int i = 0; i < n; i++)
        outs[i + 1] = em_tree_at (grads, i);
      g = em_graph_capture (outs, n + 1);
      if (g != NULL)
        {
          out = ember_graph_from_engine (g);
          em_graph_free (g);
        }
    }
  em_error_clear ();
  if (grads != NULL)
    em_tree_free (grads);
  if (loss != NULL)
    em_release (loss);
  return out;
}

static void
train_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  Job *j = task_data;
  Shared *s = j->shared;
  em_train_config c;
  em_train_run *run;
  EmberGraph *graph;

  ember_lower_worker_priority ();
  em_train_config_default (&c, j->task, j->model);
  c.epochs = j->epochs;
  c.batch_size = j->batch_size;
  c.lr = j->lr;
  c.optimizer = j->optimizer;
  c.seed = (uint64_t) j->seed;
  c.max_steps = j->max_steps;
  c.data_dir = j->data_dir;
  if (j->device != NULL)
    c.device = j->device;
  c.on_step = on_step;
  c.on_epoch = on_epoch;
  c.user = s;

  run = em_train_new (&c);
  if (run == NULL)
    {
      j->error = g_strdup (em_error_message ());
      em_error_clear ();
      g_task_return_boolean (task, FALSE);
      return;
    }

  graph = capture_step_graph (run);
  g_mutex_lock (&s->lock);
  s->run = run;
  s->graph = graph;
  if (s->cancel)
    em_train_cancel (run);
  g_mutex_unlock (&s->lock);

  if (j->graph_only)
    j->status = EM_TRAIN_DONE;
  else
    j->status = em_train_exec (run);

  g_mutex_lock (&s->lock);
  s->run = NULL;
  g_mutex_unlock (&s->lock);
  j->run = run;

  if (j->status == EM_TRAIN_FAILED)
    {
      j->error = g_strdup (em_error_message ());
      em_error_clear ();
    }
  else if (!j->graph_only && g_str_equal (j->task, "fashion-mnist"))
    {
      em_mnist *m = em_mnist_load (j->data_dir ? j->data_dir : EM_FASHION_MNIST_DIR);

      if (m != NULL && em_train_predict (run, 0, N_PREDICTIONS, j->pred, j->labels) == 0)
        {
          j->images = g_memdup2 (em_mnist_pixels (m, EM_DATA_TEST), N_PREDICTIONS * 28 * 28);
        }
      em_error_clear ();
      if (m != NULL)
        em_mnist_free (m);
    }
  g_task_return_boolean (task, TRUE);
}

/* ---- main thread ---- */

static void
set_metric (EmberTraining *self, int which, const char *text)
{
  gtk_label_set_label (self->metric_values[which], text);
}

static char *
format_seconds (double s)
{
  if (!isfinite (s) || s < 0)
    return g_strdup ("—");
  if (s < 60)
    return g_strdup_printf (_("%.0f s"), s);
  if (s < 3600)
    return g_strdup_printf (_("%d min %02d s"), (int) s / 60, (int) s % 60);
  return g_strdup_printf (_("%d h %02d min"), (int) s / 3600, ((int) s / 60) % 60);
}

static void
drain (EmberTraining *self)
{
  Shared *s = self->shared;
  g_autoptr(GArray) points = NULL;
  em_train_progress p;
  gboolean has;
  double accuracy;
  EmberGraph *graph;

  if (s == NULL)
    return;
  g_mutex_lock (&s->lock);
  points = s->points;
  s->points = g_array_new (FALSE, FALSE, sizeof (double));
  p = s->last;
  has = s->has_last;
  accuracy = s->accuracy;
  graph = g_steal_pointer (&s->graph);
  g_mutex_unlock (&s->lock);

  self->n_updates++;

  if (graph != NULL)
    {
      g_clear_pointer (&self->graph, ember_graph_unref);
      self->graph = graph;
      g_signal_emit (self, signals[SIGNAL_GRAPH_READY], 0, graph);
    }

  /* The run's line appears with its first point (a run that fails before
   * training leaves no empty entry in the legend). */
  if (points->len >= 2 && self->series < 0)
    {
      self->series = (int) ember_plot_add_series (self->plot, self->series_name);
      if (self->current_run != NULL)
        {
          ember_training_run_set_series (self->current_run, self->series);
          if (self->current_run == self->highlighted_run)
            ember_plot_set_highlight (self->plot, self->series);
        }
    }
  for (guint i = 0; i + 1 < points->len; i += 2)
    ember_plot_append (self->plot, (guint) self->series, g_array_index (points, double, i),
                       g_array_index (points, double, i + 1));

  if (has)
    {
      g_autofree char *step = g_strdup_printf ("%" G_GINT64_FORMAT " / %" G_GINT64_FORMAT,
                                               (gint64) p.step, (gint64) p.total_steps);
      g_autofree char *epoch = g_strdup_printf ("%" G_GINT64_FORMAT " / %" G_GINT64_FORMAT,
                                                (gint64) p.epoch, (gint64) p.epochs);
      g_autofree char *loss = g_strdup_printf ("%.4f", p.loss);
      g_autofree char *acc = isnan (accuracy) ? g_strdup ("—") : g_strdup_printf ("%.2f %%", 100 * accuracy);
      g_autofree char *thr = !isnan (p.tokens_per_second)
                             ? g_strdup_printf (_("%.0f tokens/s"), p.tokens_per_second)
                             : g_strdup_printf (_("%.0f samples/s"), p.samples_per_second);
      g_autofree char *elapsed = format_seconds (p.elapsed_seconds);
      g_autofree char *remaining = format_seconds (p.remaining_seconds);
      double fraction = p.total_steps > 0 ? (double) p.step / (double) p.total_steps : 0;
      g_autofree char *n_step = g_strdup_printf ("%" G_GINT64_FORMAT, (gint64) p.step);
      g_autofree char *n_total = g_strdup_printf ("%" G_GINT64_FORMAT, (gint64) p.total_steps);
      /* Translators: the progress bar's text, "Step 120 of 4690". */
      g_autofree char *progress = g_strdup_printf (_("Step %s of %s"), n_step, n_total);

      if (self->running && !self->shared->cancel)
        gtk_label_set_label (self->status_label, _("Training…"));
      set_metric (self, M_STEP, step);
      set_metric (self, M_EPOCH, epoch);
      set_metric (self, M_LOSS, loss);
      set_metric (self, M_ACCURACY, acc);
      set_metric (self, M_THROUGHPUT, thr);
      set_metric (self, M_ELAPSED, elapsed);
      set_metric (self, M_REMAINING, remaining);
      gtk_progress_bar_set_fraction (self->progress_bar, CLAMP (fraction, 0, 1));
      gtk_progress_bar_set_text (self->progress_bar, progress);
      /* The sidebar's item, in the same coalesced update. */
      if (self->current_run != NULL)
        ember_training_run_set_progress (self->current_run, (gint64) p.step, (gint64) p.total_steps,
                                         p.loss, accuracy);
    }
}

/* CPU time of this thread: what an update costs the UI thread, whatever
 * else the machine runs meanwhile. */
static gint64
thread_cpu_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static gboolean
on_timer (gpointer user_data)
{
  EmberTraining *self = user_data;
  gint64 start = thread_cpu_us ();

  drain (self);
  self->max_update_us = MAX (self->max_update_us, thread_cpu_us () - start);
  return G_SOURCE_CONTINUE;
}

gint64
ember_training_get_max_update_us (EmberTraining *self)
{
  return self->max_update_us;
}

static void
show_predictions (EmberTraining *self,
                  Job           *j)
{
  const char *captions[N_PREDICTIONS];
  char *texts[N_PREDICTIONS] = { 0 };
  gboolean correct[N_PREDICTIONS];

  for (int i = 0; i < N_PREDICTIONS; i++)
    {
      /* Translators: a test image's predicted and true classes. */
      texts[i] = g_strdup_printf (_("%s / %s"), em_mnist_class_name (j->pred[i]), em_mnist_class_name (j->labels[i]));
      captions[i] = texts[i];
      correct[i] = j->pred[i] == j->labels[i];
    }
  ember_image_grid_set_images (self->image_grid, j->images, N_PREDICTIONS, 28, 28, captions, correct);
  gtk_widget_set_visible (GTK_WIDGET (self->grid_scroller), TRUE);
  for (int i = 0; i < N_PREDICTIONS; i++)
    g_free (texts[i]);
}

static void
on_train_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  EmberTraining *self = EMBER_TRAINING (source);
  Job *j = g_task_get_task_data (G_TASK (result));
  gboolean started = g_task_propagate_boolean (G_TASK (result), NULL);

  drain (self);
  g_clear_handle_id (&self->timer, g_source_remove);
  g_clear_pointer (&self->shared, shared_unref);
  self->running = FALSE;

  if (!started || j->status == EM_TRAIN_FAILED)
    {
      g_autofree char *message = g_strdup_printf (_("Training failed: %s"), j->error ? j->error : "");

      self->outcome = "failed";
      gtk_label_set_label (self->status_label, message);
      if (self->current_run != NULL)
        ember_training_run_set_state (self->current_run, EMBER_TRAINING_RUN_FAILED, j->error ? j->error : "");
      g_signal_emit (self, signals[SIGNAL_ERROR], 0, message);
    }
  else if (j->graph_only)
    {
      self->outcome = NULL;
      gtk_label_set_label (self->status_label, _("Choose a task and press Train"));
    }
  else
    {
      self->outcome = j->status == EM_TRAIN_CANCELLED ? "cancelled" : "done";
      gtk_label_set_label (self->status_label,
                           j->status == EM_TRAIN_CANCELLED ? _("Stopped") : _("Finished"));
      if (j->images != NULL)
        show_predictions (self, j);
      /* Keep the run (its weights can be saved): the job is the task's data,
       * so the task is kept; replacing it frees the previous run. */
      self->finished = j;
      g_object_ref (result);
      g_object_set_data_full (G_OBJECT (self), "finished-task", (gpointer) result, g_object_unref);
      /* Only the last finished run's weights are kept. */
      if (self->saved_run != NULL)
        ember_training_run_set_can_save (self->saved_run, FALSE);
      g_set_object (&self->saved_run, self->current_run);
      if (self->current_run != NULL)
        {
          ember_training_run_set_state (self->current_run,
                                        j->status == EM_TRAIN_CANCELLED ? EMBER_TRAINING_RUN_STOPPED
                                                                        : EMBER_TRAINING_RUN_DONE, NULL);
          ember_training_run_set_can_save (self->current_run, TRUE);
        }
    }
  g_clear_object (&self->current_run);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_RESULT]);
  g_signal_emit (self, signals[SIGNAL_FINISHED], 0);
}

static Job *
job_from_form (EmberTraining *self)
{
  Job *j = g_new0 (Job, 1);
  guint t = gtk_drop_down_get_selected (self->task_dropdown);
  GtkStringObject *opt = gtk_drop_down_get_selected_item (self->optimizer_dropdown);

  t = MIN (t, G_N_ELEMENTS (tasks) - 1);
  j->task = g_strdup (tasks[t].task);
  j->model = g_strdup (tasks[t].model);
  j->optimizer = g_strdup (opt ? gtk_string_object_get_string (opt) : "adam");
  j->data_dir = g_strdup (self->data_dir);
  j->device = g_strdup (self->device);
  j->epochs = gtk_spin_button_get_value_as_int (self->epochs_spin);
  j->batch_size = gtk_spin_button_get_value_as_int (self->batch_spin);
  j->lr = gtk_spin_button_get_value (self->lr_spin);
  j->max_steps = (gint64) gtk_spin_button_get_value (self->steps_spin);
  j->seed = gtk_spin_button_get_value_as_int (self->seed_spin);
  return j;
}

static void
run_job (EmberTraining *self,
         Job           *j)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, on_train_done, NULL);

  self->shared = shared_new ();
  j->shared = self->shared;
  g_atomic_ref_count_inc (&self->shared->ref);
  self->running = TRUE;
  self->timer = g_timeout_add (1000 / 30, on_timer, self);
  g_task_set_task_data (task, j, job_free);
  g_task_run_in_thread (task, train_thread);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

gboolean
ember_training_start (EmberTraining *self)
{
  Job *j;
  g_autofree char *name = NULL;

  g_return_val_if_fail (EMBER_IS_TRAINING (self), FALSE);

  if (self->running)
    return FALSE;

  j = job_from_form (self);
  self->n_runs++;
  /* Translators: a run's name in the plot's legend: number, task. */
  name = g_strdup_printf (_("run %u (%s)"), self->n_runs,
                          _(tasks[MIN (gtk_drop_down_get_selected (self->task_dropdown), G_N_ELEMENTS (tasks) - 1)].label));
  g_free (self->series_name);
  self->series_name = g_steal_pointer (&name);
  self->series = -1;
  {
    guint t = MIN (gtk_drop_down_get_selected (self->task_dropdown), G_N_ELEMENTS (tasks) - 1);

    g_clear_object (&self->current_run);
    self->current_run = ember_training_run_new (self->n_runs, tasks[t].model_name, tasks[t].dataset_name);
    g_list_store_append (self->runs, self->current_run);
  }
  gtk_label_set_label (self->status_label, _("Loading the data and building the model…"));
  gtk_widget_set_visible (GTK_WIDGET (self->grid_scroller), FALSE);
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
  gtk_progress_bar_set_text (self->progress_bar, NULL);
  run_job (self, j);
  return TRUE;
}

void
ember_training_capture_graph (EmberTraining *self)
{
  Job *j;

  if (self->running)
    return;
  j = job_from_form (self);
  j->graph_only = TRUE;
  gtk_label_set_label (self->status_label, _("Building the model…"));
  run_job (self, j);
}

void
ember_training_stop (EmberTraining *self)
{
  g_return_if_fail (EMBER_IS_TRAINING (self));

  if (self->shared == NULL)
    return;
  g_mutex_lock (&self->shared->lock);
  self->shared->cancel = TRUE;
  if (self->shared->run != NULL)
    em_train_cancel (self->shared->run);
  g_mutex_unlock (&self->shared->lock);
  gtk_label_set_label (self->status_label, _("Stopping…"));
}

gboolean ember_training_is_running (EmberTraining *self) { return self->running; }
GListModel *ember_training_get_runs (EmberTraining *self) { return G_LIST_MODEL (self->runs); }
EmberTrainingRun *ember_training_get_highlighted_run (EmberTraining *self) { return self->highlighted_run; }

void
ember_training_highlight_run (EmberTraining    *self,
                              EmberTrainingRun *run)
{
  g_return_if_fail (EMBER_IS_TRAINING (self));
  g_return_if_fail (run == NULL || EMBER_IS_TRAINING_RUN (run));

  g_set_object (&self->highlighted_run, run);
  /* A run that made no point yet has no line: it is emphasised with its
   * first point (drain). */
  ember_plot_set_highlight (self->plot, run != NULL ? ember_training_run_get_series (run) : -1);
}
gboolean ember_training_has_result (EmberTraining *self) { return self->finished != NULL && self->finished->run != NULL; }
GtkWidget *ember_training_get_plot (EmberTraining *self) { return GTK_WIDGET (self->plot); }
GtkWidget *ember_training_get_image_grid (EmberTraining *self) { return GTK_WIDGET (self->image_grid); }
guint ember_training_get_n_updates (EmberTraining *self) { return self->n_updates; }
const char *ember_training_get_outcome (EmberTraining *self) { return self->outcome; }
EmberGraph *ember_training_get_graph (EmberTraining *self) { return self->graph; }

gboolean
ember_training_save_weights (EmberTraining *self,
                             const char    *path,
                             GError       **error)
{
  if (!ember_training_has_result (self))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("There is no finished run to save"));
      return FALSE;
    }
  if (em_train_save_weights (self->finished->run, path) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Could not save the weights: %s"), em_error_message ());
      em_error_clear ();
      return FALSE;
    }
  return TRUE;
}

GObject *
ember_training_dup_gpt_run (EmberTraining *self,
                            gint64        *steps)
{
  GObject *task;
  Job *j;

  g_return_val_if_fail (EMBER_IS_TRAINING (self), NULL);

  if (!ember_training_has_result (self) || g_strcmp0 (self->finished->model, "gpt") != 0)
    return NULL;
  /* The finished job is the data of the task kept as "finished-task". */
  task = g_object_get_data (G_OBJECT (self), "finished-task");
  j = g_task_get_task_data (G_TASK (task));
  if (steps != NULL)
    *steps = em_train_steps_done (j->run);
  return g_object_ref (task);
}

gboolean
ember_training_write_gpt_checkpoint (GObject     *run,
                                     const char  *path,
                                     GError     **error)
{
  Job *j;

  g_return_val_if_fail (G_IS_TASK (run), FALSE);

  j = g_task_get_task_data (G_TASK (run));
  if (j == NULL || j->run == NULL || em_train_save_checkpoint (j->run, path) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Could not save the trained model: %s"),
                   j && j->run ? em_error_message () : _("the run is gone"));
      em_error_clear ();
      return FALSE;
    }
  return TRUE;
}

void
ember_training_set_task (EmberTraining *self, guint task)
{
  gtk_drop_down_set_selected (self->task_dropdown, MIN (task, G_N_ELEMENTS (tasks) - 1));
}

void
ember_training_set_batch_size (EmberTraining *self, gint64 batch_size)
{
  gtk_spin_button_set_value (self->batch_spin, (double) batch_size);
}

void
ember_training_set_max_steps (EmberTraining *self, gint64 steps)
{
  gtk_spin_button_set_value (self->steps_spin, (double) steps);
}

void
ember_training_set_device (EmberTraining *self, const char *device)
{
  g_free (self->device);
  self->device = g_strdup (device);
}

void
ember_training_set_data_dir (EmberTraining *self, const char *dir)
{
  g_free (self->data_dir);
  self->data_dir = g_strdup (dir);
}

static void
on_task_changed (EmberTraining *self)
{
  guint t = MIN (gtk_drop_down_get_selected (self->task_dropdown), G_N_ELEMENTS (tasks) - 1);
  em_train_config c;
  static const char *const optimizers[] = { "sgd", "adam", "adamw" };

  /* The task's defaults in the form. */
  em_train_config_default (&c, tasks[t].task, tasks[t].model);
  em_error_clear ();
  gtk_spin_button_set_value (self->epochs_spin, (double) c.epochs);
  gtk_spin_button_set_value (self->batch_spin, (double) c.batch_size);
  gtk_spin_button_set_value (self->lr_spin, c.lr);
  for (guint i = 0; i < G_N_ELEMENTS (optimizers); i++)
    if (c.optimizer && g_str_equal (c.optimizer, optimizers[i]))
      gtk_drop_down_set_selected (self->optimizer_dropdown, i);
}

/* ---- GObject ---- */

static void
ember_training_dispose (GObject *object)
{
  EmberTraining *self = EMBER_TRAINING (object);

  ember_training_stop (self);
  g_clear_handle_id (&self->timer, g_source_remove);
  g_clear_object (&self->current_run);
  g_clear_object (&self->saved_run);
  g_clear_object (&self->highlighted_run);
  gtk_widget_dispose_template (GTK_WIDGET (self), EMBER_TYPE_TRAINING);

  G_OBJECT_CLASS (ember_training_parent_class)->dispose (object);
}

static void
ember_training_finalize (GObject *object)
{
  EmberTraining *self = EMBER_TRAINING (object);

  g_free (self->data_dir);
  g_free (self->device);
  g_free (self->series_name);
  g_clear_pointer (&self->graph, ember_graph_unref);
  g_clear_object (&self->runs);

  G_OBJECT_CLASS (ember_training_parent_class)->finalize (object);
}

static void
ember_training_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  EmberTraining *self = EMBER_TRAINING (object);

  switch (prop_id)
    {
    case PROP_RUNNING: g_value_set_boolean (value, self->running); break;
    case PROP_HAS_RESULT: g_value_set_boolean (value, ember_training_has_result (self)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ember_training_class_init (EmberTrainingClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ember_training_dispose;
  object_class->finalize = ember_training_finalize;
  object_class->get_property = ember_training_get_property;

  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE, (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  properties[PROP_HAS_RESULT] =
    g_param_spec_boolean ("has-result", NULL, NULL, FALSE, (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * EmberTraining::error:
   * @message: what went wrong (a missing dataset, out of memory …)
   */
  signals[SIGNAL_ERROR] =
    g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /**
   * EmberTraining::graph-ready:
   * @graph: the EmberGraph of one training step
   */
  signals[SIGNAL_GRAPH_READY] =
    g_signal_new ("graph-ready", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, EMBER_TYPE_GRAPH);
  /**
   * EmberTraining::finished:
   *
   * A run ended (done, stopped or failed).
   */
  signals[SIGNAL_FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  g_type_ensure (EMBER_TYPE_PLOT);
  g_type_ensure (EMBER_TYPE_IMAGE_GRID);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/ember/Workbench/ember-training.ui");
  gtk_widget_class_bind_template_child (widget_class, EmberTraining, paned);
  gtk_widget_class_bind_template_child (widget_class, EmberTraining, task_dropdown);
  gtk_widget_class_bind_template_child (widget_class, EmberTraining, epochs_spin);
  gtk_widget_class_bind_template_child (widget_class, EmberTraining, batch_spin);
  gtk_widget_class_bind_template_child (widget_class, EmberTraining, lr_spin);
  gtk_widget_class_bind_template_child (widget_class, EmberTraining, optimizer_dropdown);
  gtk_widget_class_bind_template_child (widget_class, EmberTraining, steps_spin);
  gtk_widget_class_bind_template_child (widget_class, EmberTraining, seed_spin);
  gtk_widget_class_bind_template_child (widget_class, EmberTraining, metrics_grid);
  gtk_widget_class_bind_template_child (widget_class, EmberTraining, status_label);
  gtk_widget_class_bind_template_child (widget_class, EmberTraining, smoothing_scale);
  gtk_widget_class_bind_template_child (widget_class, EmberTraining, smoothing_adjustment);
  gtk_widget_class_bind_template_child (widget_class, EmberTraining, log_check);
  gtk_widget_class_bind_template_child (widget_class, EmberTraining, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, EmberTraining, plot);
  gtk_widget_class_bind_template_child (widget_class, EmberTraining, grid_scroller);
  gtk_widget_class_bind_template_child (widget_class, EmberTraining, image_grid);
  gtk_widget_class_bind_template_callback (widget_class, on_task_changed);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
ember_training_init (EmberTraining *self)
{
  g_autoptr(GtkStringList) list = gtk_string_list_new (NULL);
  const char *metric_names[] = {
    [M_STEP] = _("Step"), [M_EPOCH] = _("Epoch"), [M_LOSS] = _("Loss"), [M_ACCURACY] = _("Test accuracy"),
    [M_THROUGHPUT] = _("Throughput"), [M_ELAPSED] = _("Elapsed"), [M_REMAINING] = _("Time left"),
  };

  gtk_widget_init_template (GTK_WIDGET (self));
  self->runs = g_list_store_new (EMBER_TYPE_TRAINING_RUN);

  for (guint i = 0; i < G_N_ELEMENTS (tasks); i++)
    gtk_string_list_append (list, _(tasks[i].label));
  gtk_drop_down_set_model (self->task_dropdown, G_LIST_MODEL (list));

  for (guint i = 0; i < G_N_ELEMENTS (metric_names); i++)
    {
      GtkWidget *k = gtk_label_new (metric_names[i]);
      GtkWidget *v = gtk_label_new ("—");

      gtk_label_set_xalign (GTK_LABEL (k), 0);
      gtk_label_set_xalign (GTK_LABEL (v), 0);
      gtk_widget_add_css_class (k, "dim-label");
      gtk_widget_add_css_class (v, "numeric");
      gtk_grid_attach (self->metrics_grid, k, 0, i, 1, 1);
      gtk_grid_attach (self->metrics_grid, v, 1, i, 1, 1);
      self->metric_values[i] = GTK_LABEL (v);
    }

  g_object_bind_property (self->smoothing_adjustment, "value", self->plot, "smoothing", G_BINDING_SYNC_CREATE);
  g_object_bind_property (self->log_check, "active", self->plot, "log-scale", G_BINDING_SYNC_CREATE);
  ember_plot_set_x_label (self->plot, _("step"));
  ember_plot_set_y_label (self->plot, _("loss"));
  on_task_changed (self);
}
