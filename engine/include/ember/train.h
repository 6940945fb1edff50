/* Training runs, made for a GUI as much as for the command line.
 *
 *   em_train_config c;
 *   em_train_config_default(&c, "fashion-mnist", "mlp");
 *   c.epochs = 10; c.on_epoch = show; c.user = ui;
 *   em_train_run *run = em_train_new(&c);      // loads data, builds the model
 *   ... on a worker thread: em_train_status st = em_train_exec(run);
 *   ... from any thread:    em_train_cancel(run);
 *   em_train_free(run);
 *
 * Tasks: "fashion-mnist" with model "mlp" (784-512-512-10, ReLU) or "cnn" (two
 * 3x3 conv + ReLU + 2x2 max-pool layers of 32 and 64 channels, then 128 and
 * 10 units); "fortunes" with model "gpt" (a decoder-only transformer over
 * characters: token and learned position embeddings, pre-norm blocks of causal
 * self-attention and a GELU MLP, a head tied to the token embedding).
 *
 * Reproducible: parameters are initialised and batches drawn from keys made
 * from the seed (ember/data.h), so a run with the same seed takes the same
 * trajectory, and a run resumed from a checkpoint continues it exactly (the
 * same losses, bit for bit, as a run that was never stopped, at the same
 * thread count).
 *
 * Checkpoints: CHECKPOINT_DIR/checkpoint.safetensors, written atomically (a
 * temporary file, then rename), holding the parameters ("model.<name>"), the
 * optimizer state ("optim.<name>"), and in its metadata the run state (step,
 * epoch, position in the epoch's order, seed, the model's configuration and,
 * for text, the vocabulary). */
#ifndef EMBER_TRAIN_H
#define EMBER_TRAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "ember/array.h"
#include "ember/transforms.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum em_train_event {
    EM_TRAIN_EVENT_STEP = 0,  /* after each optimizer step */
    EM_TRAIN_EVENT_EPOCH = 1, /* after an epoch (fashion-mnist) or an evaluation (fortunes) */
} em_train_event;

/* Plain data passed to the callbacks (copy what you keep). Fields that a
 * task does not measure hold NaN. */
typedef struct em_train_progress {
    em_train_event event;
    int64_t step;              /* optimizer steps done (counting resumed ones) */
    int64_t total_steps;       /* steps the run will do in all */
    int64_t epoch;             /* 1-based epoch being run (fortunes: evaluation period) */
    int64_t epochs;
    int64_t batch;             /* 1-based batch within the epoch */
    int64_t batches_per_epoch;
    double loss;               /* this step's training loss */
    double train_loss;         /* mean training loss of the epoch (or period) so far */
    double test_accuracy;      /* fashion-mnist, epoch events: test-set accuracy in [0, 1] */
    double val_loss;           /* fortunes, epoch events: validation loss (nats per char) */
    double lr;                 /* the learning rate this step used */
    double samples_per_second; /* training throughput, from the start of this session */
    double tokens_per_second;  /* fortunes: samples * context */
    double elapsed_seconds;    /* since em_train_exec started (this session) */
    double remaining_seconds;  /* estimate */
    double epoch_seconds;      /* epoch events: seconds the epoch took (training only) */
} em_train_progress;

typedef void (*em_train_callback)(const em_train_progress *p, void *user);

typedef struct em_train_config {
    const char *task;      /* "fashion-mnist" or "fortunes" */
    const char *model;     /* "mlp", "cnn" (fashion-mnist); "gpt" (fortunes) */
    int64_t epochs;        /* fortunes: passes counted in tokens of the train split */
    int64_t batch_size;
    double lr;
    const char *optimizer; /* "sgd" (momentum 0.9), "adam", "adamw" */
    uint64_t seed;
    int64_t max_steps;     /* 0: no limit; the run stops after this many steps in all */
    double max_seconds;    /* 0: no limit; em_train_exec stops (done, with a last
                            * evaluation) after the step that ends this many seconds
                            * after it started, evaluations included; not saved in a
                            * checkpoint. With max_steps 0 the run's length is set by
                            * time alone (epochs ignored): the learning-rate schedule
                            * spans the steps the pace so far says will fit. */
    const char *device;    /* "cpu" (default) or "gpu" */
    const char *data_dir;  /* NULL: the task's Debian location (or $EMBER_*_DIR) */
    const char *checkpoint_dir; /* NULL: no checkpoints */
    int64_t checkpoint_every;   /* steps; 0: only at the end (and on cancel) */
    bool resume;           /* continue from checkpoint_dir's checkpoint */
    /* learning-rate schedule: linear warm-up over warmup_steps, then cosine
     * decay to lr * min_lr_ratio at the last step when `cosine` */
    int64_t warmup_steps;
    bool cosine;
    double min_lr_ratio;
    double weight_decay;   /* adamw (default 0.01 there), else 0 */
    double grad_clip;      /* clip the global gradient norm; 0: none */
    /* gpt */
    int n_layers, n_heads, d_model, context;
    int64_t eval_every;    /* fortunes: steps between validation losses */
    int64_t eval_batches;  /* fortunes: batches of the validation split per evaluation */
    /* callbacks, called on the thread running em_train_exec */
    em_train_callback on_step;
    em_train_callback on_epoch;
    void *user;
} em_train_config;

/* Defaults for a task and model (NULL model: the task's first). */
void em_train_config_default(em_train_config *c, const char *task, const char *model);

typedef struct em_train_run em_train_run;

typedef enum em_train_status {
    EM_TRAIN_FAILED = -1,
    EM_TRAIN_DONE = 0,
    EM_TRAIN_CANCELLED = 1,
} em_train_status;

/* Checks the configuration, loads the dataset (a missing dataset: an error
 * naming its Debian package) and builds the model, or restores the checkpoint
 * when resuming (task, model, its sizes, batch size, optimizer, learning rate
 * and seed then come from the checkpoint). NULL with an error. */
em_train_run *em_train_new(const em_train_config *c);
/* Trains until the epochs or max_steps are done, or until cancelled (between
 * steps: the current step finishes, a checkpoint is written when a folder was
 * given). Call on one thread at a time; callbacks come from that thread. */
em_train_status em_train_exec(em_train_run *run);
/* From any thread, or a signal handler: ask the run to stop. */
void em_train_cancel(em_train_run *run);
bool em_train_is_cancelled(const em_train_run *run);
void em_train_free(em_train_run *run);

/* Borrowed: the current parameters (dotted names). Not while exec runs. */
const em_tree *em_train_params(const em_train_run *run);
int64_t em_train_steps_done(const em_train_run *run);
/* The configuration in force (after a resume: the checkpoint's). */
const em_train_config *em_train_get_config(const em_train_run *run);
/* Writes the checkpoint now (to checkpoint_dir, or to `path` when not NULL:
 * a file path). 0 or -1. Not while exec runs. */
int em_train_save_checkpoint(em_train_run *run, const char *path);
/* The parameters only, as safetensors (names as in em_train_params). */
int em_train_save_weights(const em_train_run *run, const char *path);
/* The training loss of one batch as a lazy graph, not evaluated (for graph
 * views): forward, loss and gradients of the step that would come next. The
 * caller frees the tree of gradients; *loss gets a new reference. */
em_tree *em_train_step_graph(em_train_run *run, em_array **loss);
/* fashion-mnist: predicted classes of test samples first..first+n (labels:
 * the true classes, may be NULL). 0 or -1. */
int em_train_predict(em_train_run *run, int64_t first, int64_t n, int32_t *pred, int32_t *labels);

/* ---- text generation from a fortunes GPT checkpoint ---- */
typedef struct em_text_model em_text_model;
/* path: a checkpoint folder (or the .safetensors file itself). */
em_text_model *em_text_model_load(const char *path);
void em_text_model_free(em_text_model *m);
/* Writes the prompt's continuation: max_tokens characters sampled at
 * temperature temp (0: greedy) from the top_k most likely (0: all), with keys
 * from seed; on_text gets each piece as it is made (may be NULL). Returns the
 * number of characters made, or -1. */
int64_t em_text_model_sample(em_text_model *m, const char *prompt, int64_t max_tokens,
                             double temp, int top_k, uint64_t seed,
                             void (*on_text)(const char *text, size_t len, void *user),
                             void *user);

#ifdef __cplusplus
}
#endif
#endif
