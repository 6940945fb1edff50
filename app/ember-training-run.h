/* ember-training-run.h: one training run started from the Training panel, as
 * an item of the window's sidebar: its title ("MLP · Fashion-MNIST · run 1"),
 * its live state and a subtitle that says it, as properties that notify when
 * they change. The Training panel updates it from its coalesced (30 Hz)
 * updates; the sidebar's row binds to :title, :subtitle and :can-save. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum {
  EMBER_TRAINING_RUN_STARTING,  /* loading the data, building the model */
  EMBER_TRAINING_RUN_RUNNING,
  EMBER_TRAINING_RUN_DONE,
  EMBER_TRAINING_RUN_STOPPED,
  EMBER_TRAINING_RUN_FAILED,
} EmberTrainingRunState;

#define EMBER_TYPE_TRAINING_RUN_STATE (ember_training_run_state_get_type())
GType ember_training_run_state_get_type (void) G_GNUC_CONST;

#define EMBER_TYPE_TRAINING_RUN (ember_training_run_get_type())
G_DECLARE_FINAL_TYPE(EmberTrainingRun, ember_training_run, EMBER, TRAINING_RUN, GObject)

/* @model: "MLP", @dataset: "Fashion-MNIST", @number: 1, 2, … */
EmberTrainingRun      *ember_training_run_new             (guint             number,
                                                           const char       *model,
                                                           const char       *dataset);
guint                  ember_training_run_get_number      (EmberTrainingRun *self);
const char            *ember_training_run_get_title       (EmberTrainingRun *self);
const char            *ember_training_run_get_subtitle    (EmberTrainingRun *self);
EmberTrainingRunState  ember_training_run_get_state       (EmberTrainingRun *self);
gint64                 ember_training_run_get_step        (EmberTrainingRun *self);
gint64                 ember_training_run_get_total_steps (EmberTrainingRun *self);
/* The last step's loss, NaN before the first. */
double                 ember_training_run_get_loss        (EmberTrainingRun *self);
/* Test accuracy in [0, 1] (Fashion-MNIST, after an epoch), else NaN. */
double                 ember_training_run_get_accuracy    (EmberTrainingRun *self);
/* Why a failed run failed, else NULL. */
const char            *ember_training_run_get_message     (EmberTrainingRun *self);
/* The run's line in the Training panel's plot, -1 before its first point. */
int                    ember_training_run_get_series      (EmberTrainingRun *self);
/* Whether the run's weights are kept and can be saved (win.save-weights). */
gboolean               ember_training_run_get_can_save    (EmberTrainingRun *self);

/* For the Training panel (main thread): each notifies only what changed. */
void                   ember_training_run_set_progress    (EmberTrainingRun *self,
                                                           gint64            step,
                                                           gint64            total_steps,
                                                           double            loss,
                                                           double            accuracy);
void                   ember_training_run_set_state       (EmberTrainingRun *self,
                                                           EmberTrainingRunState state,
                                                           const char       *message);
void                   ember_training_run_set_series      (EmberTrainingRun *self,
                                                           int               series);
void                   ember_training_run_set_can_save    (EmberTrainingRun *self,
                                                           gboolean          can_save);

G_END_DECLS
