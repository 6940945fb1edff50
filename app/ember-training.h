/* ember-training.h: the Training panel: a task and its hyper-parameters,
 * a run on a worker thread (ember/train.h) with a live loss plot, metrics,
 * progress, cancellation, and the weights saved as safetensors. */
#pragma once

#include <gtk/gtk.h>

#include "ember-graph-view.h"
#include "ember-training-run.h"

G_BEGIN_DECLS

#define EMBER_TYPE_TRAINING (ember_training_get_type())
G_DECLARE_FINAL_TYPE(EmberTraining, ember_training, EMBER, TRAINING, GtkWidget)

/* Starts a run with the form's settings; FALSE if one is running. */
gboolean     ember_training_start          (EmberTraining *self);
void         ember_training_stop           (EmberTraining *self);
gboolean     ember_training_is_running     (EmberTraining *self);
/* Whether a finished (or stopped) run is kept, whose weights can be saved. */
gboolean     ember_training_has_result     (EmberTraining *self);
gboolean     ember_training_save_weights   (EmberTraining *self,
                                            const char    *path,
                                            GError       **error);
/* The last finished run when it is a fortunes GPT (else NULL), as an object
 * that keeps the run alive while referenced (for the Generate panel); its
 * optimizer steps in *steps. */
GObject     *ember_training_dup_gpt_run    (EmberTraining *self,
                                            gint64        *steps);
/* Writes the checkpoint of such a run (em_train_save_checkpoint: what
 * em_text_model_load reads); from any thread, one at a time. */
gboolean     ember_training_write_gpt_checkpoint (GObject     *run,
                                                  const char  *path,
                                                  GError     **error);
/* 0: Fashion-MNIST MLP, 1: CNN, 2: fortunes GPT. */
void         ember_training_set_task       (EmberTraining *self,
                                            guint          task);
void         ember_training_set_batch_size (EmberTraining *self,
                                            gint64         batch_size);
void         ember_training_set_max_steps  (EmberTraining *self,
                                            gint64         steps);
/* Where the dataset is looked for (NULL: the Debian location). */
void         ember_training_set_data_dir   (EmberTraining *self,
                                            const char    *dir);
/* "cpu" or "gpu": where runs train. */
void         ember_training_set_device     (EmberTraining *self,
                                            const char    *device);
GtkWidget   *ember_training_get_plot       (EmberTraining *self);
GtkWidget   *ember_training_get_image_grid (EmberTraining *self);
/* Main-thread updates made so far (each at most every 1/30 s). */
guint        ember_training_get_n_updates  (EmberTraining *self);
/* The most CPU time a main-thread update took (microseconds). */
gint64       ember_training_get_max_update_us (EmberTraining *self);
/* The last run's status: "done", "cancelled", "failed" or NULL. */
const char  *ember_training_get_outcome    (EmberTraining *self);
/* Every run started with ember_training_start (EmberTrainingRuns), first
 * to last; each item changes as its run goes (at most 30 times a second). */
GListModel  *ember_training_get_runs       (EmberTraining *self);
/* Emphasises @run's curve in the plot (NULL: none). */
void         ember_training_highlight_run  (EmberTraining    *self,
                                            EmberTrainingRun *run);
EmberTrainingRun *ember_training_get_highlighted_run (EmberTraining *self);
/* The graph of one training step (forward, loss, backward) of the model,
 * or NULL before a run started. */
EmberGraph  *ember_training_get_graph      (EmberTraining *self);
/* Builds the selected model on a worker thread just to capture its step
 * graph (::graph-ready); no training. */
void         ember_training_capture_graph  (EmberTraining *self);

G_END_DECLS
