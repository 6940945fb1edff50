/* ember-training-run.c
 *
 * A plain GObject on the main thread: the Training panel sets its progress
 * from the same 30 Hz drain that updates the plot, so the subtitle (and the
 * sidebar row bound to it) changes at most that often; setters compare
 * before they notify, so an idle tick notifies nothing.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "ember-training-run.h"

struct _EmberTrainingRun
{
  GObject                parent_instance;

  guint                  number;
  char                  *model;
  char                  *dataset;
  char                  *title;
  char                  *subtitle;
  EmberTrainingRunState  state;
  gint64                 step;
  gint64                 total_steps;
  double                 loss;
  double                 accuracy;
  char                  *message;
  int                    series;
  gboolean               can_save;
};

G_DEFINE_FINAL_TYPE (EmberTrainingRun, ember_training_run, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_NUMBER,
  PROP_MODEL,
  PROP_DATASET,
  PROP_TITLE,
  PROP_SUBTITLE,
  PROP_STATE,
  PROP_STEP,
  PROP_TOTAL_STEPS,
  PROP_LOSS,
  PROP_ACCURACY,
  PROP_MESSAGE,
  PROP_SERIES,
  PROP_CAN_SAVE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

GType
ember_training_run_state_get_type (void)
{
  static gsize type_id;

  if (g_once_init_enter (&type_id))
    {
      static const GEnumValue values[] = {
        { EMBER_TRAINING_RUN_STARTING, "EMBER_TRAINING_RUN_STARTING", "starting" },
        { EMBER_TRAINING_RUN_RUNNING, "EMBER_TRAINING_RUN_RUNNING", "running" },
        { EMBER_TRAINING_RUN_DONE, "EMBER_TRAINING_RUN_DONE", "done" },
        { EMBER_TRAINING_RUN_STOPPED, "EMBER_TRAINING_RUN_STOPPED", "stopped" },
        { EMBER_TRAINING_RUN_FAILED, "EMBER_TRAINING_RUN_FAILED", "failed" },
        { 0, NULL, NULL },
      };
      GType id = g_enum_register_static (g_intern_static_string ("EmberTrainingRunState"), values);

      g_once_init_leave (&type_id, id);
    }
  return type_id;
}

static char *
format_step (gint64 step)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT, step);
}

/* What the sidebar shows under the title. */
static char *
make_subtitle (EmberTrainingRun *self)
{
  g_autofree char *loss = isnan (self->loss) ? NULL : g_strdup_printf ("%.4f", self->loss);
  g_autofree char *step = format_step (self->step);
  g_autofree char *total = format_step (self->total_steps);

  switch (self->state)
    {
    case EMBER_TRAINING_RUN_STARTING:
      return g_strdup (_("Starting…"));

    case EMBER_TRAINING_RUN_RUNNING:
      if (loss == NULL)
        return g_strdup (_("Starting…"));
      /* Translators: a running training run in the sidebar: step, total
       * steps, the last loss ("Step 120 of 4690 · loss 0.4213"). */
      return g_strdup_printf (_("Step %s of %s · loss %s"), step, total, loss);

    case EMBER_TRAINING_RUN_DONE:
      if (loss == NULL)
        return g_strdup (_("Finished"));
      if (!isnan (self->accuracy))
        {
          g_autofree char *acc = g_strdup_printf ("%.2f %%", 100 * self->accuracy);

          /* Translators: a finished run in the sidebar: its last loss and
           * its test accuracy ("Finished · loss 0.4213 · accuracy 84.10 %"). */
          return g_strdup_printf (_("Finished · loss %s · accuracy %s"), loss, acc);
        }
      /* Translators: a finished run in the sidebar: its last loss. */
      return g_strdup_printf (_("Finished · loss %s"), loss);

    case EMBER_TRAINING_RUN_STOPPED:
      if (loss == NULL)
        return g_strdup (_("Stopped"));
      /* Translators: a run stopped with Stop, in the sidebar: the step it
       * reached and its last loss. */
      return g_strdup_printf (_("Stopped at step %s · loss %s"), step, loss);

    case EMBER_TRAINING_RUN_FAILED:
    default:
      /* Translators: a failed run in the sidebar: the engine's message. */
      return g_strdup_printf (_("Failed: %s"), self->message ? self->message : "");
    }
}

static void
update_subtitle (EmberTrainingRun *self)
{
  g_autofree char *subtitle = make_subtitle (self);

  if (g_strcmp0 (subtitle, self->subtitle) == 0)
    return;
  g_free (self->subtitle);
  self->subtitle = g_steal_pointer (&subtitle);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SUBTITLE]);
}

EmberTrainingRun *
ember_training_run_new (guint       number,
                        const char *model,
                        const char *dataset)
{
  return g_object_new (EMBER_TYPE_TRAINING_RUN,
                       "number", number,
                       "model", model,
                       "dataset", dataset,
                       NULL);
}

guint ember_training_run_get_number (EmberTrainingRun *self) { return self->number; }
const char *ember_training_run_get_title (EmberTrainingRun *self) { return self->title; }
const char *ember_training_run_get_subtitle (EmberTrainingRun *self) { return self->subtitle; }
EmberTrainingRunState ember_training_run_get_state (EmberTrainingRun *self) { return self->state; }
gint64 ember_training_run_get_step (EmberTrainingRun *self) { return self->step; }
gint64 ember_training_run_get_total_steps (EmberTrainingRun *self) { return self->total_steps; }
double ember_training_run_get_loss (EmberTrainingRun *self) { return self->loss; }
double ember_training_run_get_accuracy (EmberTrainingRun *self) { return self->accuracy; }
const char *ember_training_run_get_message (EmberTrainingRun *self) { return self->message; }
int ember_training_run_get_series (EmberTrainingRun *self) { return self->series; }
gboolean ember_training_run_get_can_save (EmberTrainingRun *self) { return self->can_save; }

/* NaN equals NaN here: "no value yet" did not change. */
static gboolean
same_double (double a, double b)
{
  return a == b || (isnan (a) && isnan (b));
}

void
ember_training_run_set_progress (EmberTrainingRun *self,
                                 gint64            step,
                                 gint64            total_steps,
                                 double            loss,
                                 double            accuracy)
{
  g_return_if_fail (EMBER_IS_TRAINING_RUN (self));

  g_object_freeze_notify (G_OBJECT (self));
  if (self->step != step)
    {
      self->step = step;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STEP]);
    }
  if (self->total_steps != total_steps)
    {
      self->total_steps = total_steps;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOTAL_STEPS]);
    }
  if (!same_double (self->loss, loss))
    {
      self->loss = loss;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOSS]);
    }
  if (!same_double (self->accuracy, accuracy))
    {
      self->accuracy = accuracy;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ACCURACY]);
    }
  if (self->state == EMBER_TRAINING_RUN_STARTING)
    {
      self->state = EMBER_TRAINING_RUN_RUNNING;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
  update_subtitle (self);
  g_object_thaw_notify (G_OBJECT (self));
}

void
ember_training_run_set_state (EmberTrainingRun      *self,
                              EmberTrainingRunState  state,
                              const char            *message)
{
  g_return_if_fail (EMBER_IS_TRAINING_RUN (self));

  g_object_freeze_notify (G_OBJECT (self));
  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
  if (g_strcmp0 (self->message, message) != 0)
    {
      g_free (self->message);
      self->message = g_strdup (message);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MESSAGE]);
    }
  update_subtitle (self);
  g_object_thaw_notify (G_OBJECT (self));
}

void
ember_training_run_set_series (EmberTrainingRun *self,
                               int               series)
{
  g_return_if_fail (EMBER_IS_TRAINING_RUN (self));

  if (self->series == series)
    return;
  self->series = series;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SERIES]);
}

void
ember_training_run_set_can_save (EmberTrainingRun *self,
                                 gboolean          can_save)
{
  g_return_if_fail (EMBER_IS_TRAINING_RUN (self));

  can_save = !!can_save;
  if (self->can_save == can_save)
    return;
  self->can_save = can_save;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAN_SAVE]);
}

/* ---- GObject ---- */

static void
ember_training_run_constructed (GObject *object)
{
  EmberTrainingRun *self = EMBER_TRAINING_RUN (object);

  G_OBJECT_CLASS (ember_training_run_parent_class)->constructed (object);

  /* Translators: a training run in the sidebar: the model ("GPT", "MLP"),
   * the dataset ("fortunes", "Fashion-MNIST") and the run's number. */
  self->title = g_strdup_printf (_("%s · %s · run %u"), self->model ? self->model : "",
                                 self->dataset ? self->dataset : "", self->number);
  self->subtitle = make_subtitle (self);
}

static void
ember_training_run_finalize (GObject *object)
{
  EmberTrainingRun *self = EMBER_TRAINING_RUN (object);

  g_free (self->model);
  g_free (self->dataset);
  g_free (self->title);
  g_free (self->subtitle);
  g_free (self->message);

  G_OBJECT_CLASS (ember_training_run_parent_class)->finalize (object);
}

static void
ember_training_run_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  EmberTrainingRun *self = EMBER_TRAINING_RUN (object);

  switch (prop_id)
    {
    case PROP_NUMBER: g_value_set_uint (value, self->number); break;
    case PROP_MODEL: g_value_set_string (value, self->model); break;
    case PROP_DATASET: g_value_set_string (value, self->dataset); break;
    case PROP_TITLE: g_value_set_string (value, self->title); break;
    case PROP_SUBTITLE: g_value_set_string (value, self->subtitle); break;
    case PROP_STATE: g_value_set_enum (value, self->state); break;
    case PROP_STEP: g_value_set_int64 (value, self->step); break;
    case PROP_TOTAL_STEPS: g_value_set_int64 (value, self->total_steps); break;
    case PROP_LOSS: g_value_set_double (value, self->loss); break;
    case PROP_ACCURACY: g_value_set_double (value, self->accuracy); break;
    case PROP_MESSAGE: g_value_set_string (value, self->message); break;
    case PROP_SERIES: g_value_set_int (value, self->series); break;
    case PROP_CAN_SAVE: g_value_set_boolean (value, self->can_save); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ember_training_run_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  EmberTrainingRun *self = EMBER_TRAINING_RUN (object);

  switch (prop_id)
    {
    case PROP_NUMBER: self->number = g_value_get_uint (value); break;
    case PROP_MODEL: self->model = g_value_dup_string (value); break;
    case PROP_DATASET: self->dataset = g_value_dup_string (value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ember_training_run_class_init (EmberTrainingRunClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  const GParamFlags co = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = ember_training_run_constructed;
  object_class->finalize = ember_training_run_finalize;
  object_class->get_property = ember_training_run_get_property;
  object_class->set_property = ember_training_run_set_property;

  properties[PROP_NUMBER] = g_param_spec_uint ("number", NULL, NULL, 0, G_MAXUINT, 0, co);
  properties[PROP_MODEL] = g_param_spec_string ("model", NULL, NULL, NULL, co);
  properties[PROP_DATASET] = g_param_spec_string ("dataset", NULL, NULL, NULL, co);
  properties[PROP_TITLE] = g_param_spec_string ("title", NULL, NULL, NULL, ro);
  properties[PROP_SUBTITLE] = g_param_spec_string ("subtitle", NULL, NULL, NULL, ro);
  properties[PROP_STATE] = g_param_spec_enum ("state", NULL, NULL, EMBER_TYPE_TRAINING_RUN_STATE,
                                              EMBER_TRAINING_RUN_STARTING, ro);
  properties[PROP_STEP] = g_param_spec_int64 ("step", NULL, NULL, 0, G_MAXINT64, 0, ro);
  properties[PROP_TOTAL_STEPS] = g_param_spec_int64 ("total-steps", NULL, NULL, 0, G_MAXINT64, 0, ro);
  properties[PROP_LOSS] = g_param_spec_double ("loss", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, ro);
  properties[PROP_ACCURACY] = g_param_spec_double ("accuracy", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, ro);
  properties[PROP_MESSAGE] = g_param_spec_string ("message", NULL, NULL, NULL, ro);
  properties[PROP_SERIES] = g_param_spec_int ("series", NULL, NULL, -1, G_MAXINT, -1, ro);
  properties[PROP_CAN_SAVE] = g_param_spec_boolean ("can-save", NULL, NULL, FALSE, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ember_training_run_init (EmberTrainingRun *self)
{
  self->loss = NAN;
  self->accuracy = NAN;
  self->series = -1;
}
