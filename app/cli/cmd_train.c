/* ember-cli train fashion-mnist|fortunes --model ...: a training run on the
 * command line; Ctrl-C stops it after the current step (and writes a
 * checkpoint when a folder was given). */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "ember/error.h"
#include "ember/train.h"

static em_train_run *volatile running;

static void on_sigint(int sig)
{
    (void)sig;
    if (running)
        em_train_cancel(running); /* an atomic store: safe in a handler */
}

typedef struct {
    bool json, text, verbose;
} out_opts;

static double finite_or(double v, double d) { return isfinite(v) ? v : d; }

static void on_epoch(const em_train_progress *p, void *user)
{
    const out_opts *o = user;
    if (!o->text) {
        if (o->json)
            printf("{\"epoch\": %lld, \"step\": %lld, \"train_loss\": %.6f, \"test_accuracy\": %.6f, "
                   "\"seconds\": %.3f, \"samples_per_second\": %.1f, \"lr\": %.6g}\n",
                   (long long)p->epoch, (long long)p->step, p->train_loss,
                   finite_or(p->test_accuracy, 0), p->epoch_seconds, p->samples_per_second, p->lr);
        else
            printf("epoch %lld/%lld  train_loss %.4f  test_accuracy %.2f%%  seconds %.2f\n",
                   (long long)p->epoch, (long long)p->epochs, p->train_loss,
                   100 * finite_or(p->test_accuracy, 0), p->epoch_seconds);
    } else {
        if (o->json)
            printf("{\"step\": %lld, \"train_loss\": %.6f, \"val_loss\": %.6f, "
                   "\"tokens_per_second\": %.1f, \"seconds\": %.3f, \"lr\": %.6g}\n",
                   (long long)p->step, p->train_loss, finite_or(p->val_loss, 0),
                   p->tokens_per_second, p->elapsed_seconds, p->lr);
        else
            printf("step %lld/%lld  train_loss %.4f  val_loss %.4f  tokens/s %.0f  elapsed %.0fs  "
                   "remaining %.0fs\n",
                   (long long)p->step, (long long)p->total_steps, p->train_loss,
                   finite_or(p->val_loss, 0), p->tokens_per_second, p->elapsed_seconds,
                   p->remaining_seconds);
    }
    fflush(stdout);
}

static void on_step(const em_train_progress *p, void *user)
{
    const out_opts *o = user;
    if (o->verbose)
        fprintf(stderr, "step %lld  loss %.4f  lr %.3g  %.0f samples/s\n", (long long)p->step,
                p->loss, p->lr, p->samples_per_second);
}

static void usage(FILE *f)
{
    fprintf(f,
        "Usage: ember-cli train fashion-mnist --model mlp|cnn [OPTIONS]\n"
        "       ember-cli train fortunes --model gpt [OPTIONS]\n\n"
        "Options:\n"
        "  --epochs N            passes over the training set (fashion-mnist: 10, fortunes: 1)\n"
        "  --batch-size B        (fashion-mnist: 128, fortunes: 32)\n"
        "  --lr X                peak learning rate (fashion-mnist: 1e-3, fortunes: 2e-3)\n"
        "  --optimizer NAME      sgd, adam or adamw (fashion-mnist: adam, fortunes: adamw)\n"
        "  --seed S              data order and initialisation (0)\n"
        "  --max-steps N         stop after N steps in all\n"
        "  --max-minutes M       stop after the step that ends M minutes (wall clock,\n"
        "                        evaluations included) into this session, then evaluate;\n"
        "                        without --max-steps the run's length is set by time\n"
        "                        (--epochs ignored; the learning-rate schedule is fitted\n"
        "                        to the steps the pace so far says will fit)\n"
        "  --device cpu|gpu\n"
        "  --checkpoint DIR      write DIR/checkpoint.safetensors at the end (and on Ctrl-C)\n"
        "  --checkpoint-every N  ... and every N steps\n"
        "  --resume              continue from DIR's checkpoint\n"
        "  --data-dir DIR        the dataset's folder\n"
        "  --json                one JSON object per line per epoch (fortunes: per evaluation)\n"
        "  --verbose             every step's loss on stderr\n"
        "gpt: --layers N (4) --heads N (4) --width N (256) --context N (128)\n"
        "     --eval-every N (100) --eval-batches N (8) --warmup N (100) --no-cosine\n"
        "     --weight-decay X --grad-clip X\n\n"
        "Fashion-MNIST prints per epoch the train loss, test accuracy and seconds (JSON keys\n"
        "epoch, train_loss, test_accuracy, seconds); fortunes prints per evaluation the\n"
        "step, train loss, validation loss and tokens/s (step, train_loss, val_loss,\n"
        "tokens_per_second). Exit status: 0 done, 130 stopped by Ctrl-C, 1 error.\n");
}

static int run_train(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *task = argv[1];
    if (strcmp(task, "fashion-mnist") && strcmp(task, "fortunes")) {
        fprintf(stderr, "ember-cli train: unknown task '%s' (fashion-mnist or fortunes)\n", task);
        return 2;
    }
    const char *model = NULL;
    for (int i = 2; i + 1 < argc; i++)
        if (!strcmp(argv[i], "--model"))
            model = argv[i + 1];
    em_train_config c;
    em_train_config_default(&c, task, model);
    out_opts o = {false, !strcmp(task, "fortunes"), false};
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define OPT(name) (!strcmp(a, name) && v && (i++, 1))
        if (!strcmp(a, "--json"))
            o.json = true;
        else if (!strcmp(a, "--verbose"))
            o.verbose = true;
        else if (!strcmp(a, "--resume"))
            c.resume = true;
        else if (!strcmp(a, "--no-cosine"))
            c.cosine = false;
        else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (OPT("--model"))
            ;
        else if (OPT("--epochs"))
            c.epochs = atoll(v);
        else if (OPT("--batch-size"))
            c.batch_size = atoll(v);
        else if (OPT("--lr"))
            c.lr = atof(v);
        else if (OPT("--optimizer"))
            c.optimizer = v;
        else if (OPT("--seed"))
            c.seed = strtoull(v, NULL, 10);
        else if (OPT("--max-steps"))
            c.max_steps = atoll(v);
        else if (OPT("--max-minutes"))
            c.max_seconds = 60.0 * atof(v);
        else if (OPT("--device"))
            c.device = v;
        else if (OPT("--checkpoint"))
            c.checkpoint_dir = v;
        else if (OPT("--checkpoint-every"))
            c.checkpoint_every = atoll(v);
        else if (OPT("--data-dir"))
            c.data_dir = v;
        else if (OPT("--layers"))
            c.n_layers = atoi(v);
        else if (OPT("--heads"))
            c.n_heads = atoi(v);
        else if (OPT("--width"))
            c.d_model = atoi(v);
        else if (OPT("--context"))
            c.context = atoi(v);
        else if (OPT("--eval-every"))
            c.eval_every = atoll(v);
        else if (OPT("--eval-batches"))
            c.eval_batches = atoll(v);
        else if (OPT("--warmup"))
            c.warmup_steps = atoll(v);
        else if (OPT("--weight-decay"))
            c.weight_decay = atof(v);
        else if (OPT("--grad-clip"))
            c.grad_clip = atof(v);
        else {
            fprintf(stderr, "ember-cli train: unknown or incomplete option '%s' (see --help)\n", a);
            return 2;
        }
#undef OPT
    }
    if (!strcmp(c.optimizer, "adamw") && c.weight_decay == 0 && strcmp(task, "fortunes"))
        c.weight_decay = 0.01;
    c.on_epoch = on_epoch;
    c.on_step = on_step;
    c.user = &o;
    em_train_run *run = em_train_new(&c);
    if (!run) {
        fprintf(stderr, "ember-cli train: %s\n", em_error_message());
        return 1;
    }
    running = run;
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sa.sa_flags = SA_RESTART; /* interrupted waits resume; the run stops between steps */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old);
    em_train_status st = em_train_exec(run);
    sigaction(SIGINT, &old, NULL);
    running = NULL;
    int rc = 0;
    if (st == EM_TRAIN_FAILED) {
        fprintf(stderr, "ember-cli train: %s\n", em_error_message());
        rc = 1;
    } else if (st == EM_TRAIN_CANCELLED) {
        fprintf(stderr, "ember-cli train: stopped after step %lld%s%s\n",
                (long long)em_train_steps_done(run), c.checkpoint_dir ? "; checkpoint in " : "",
                c.checkpoint_dir ? c.checkpoint_dir : "");
        rc = 130;
    }
    em_train_free(run);
    return rc;
}

const em_cli_command em_cli_cmd_train = {
    "train", "train a model (fashion-mnist mlp|cnn, fortunes gpt)", run_train,
};
