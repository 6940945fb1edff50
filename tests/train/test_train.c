/* The training API: a short run whose loss falls, checkpoint + resume giving
 * the same losses bit for bit, cancellation from another thread, and the
 * message for a missing dataset. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ember/ember.h"
#include "ember/train.h"

static int failures;
#define CHECK(c)                                                                      \
    do {                                                                              \
        if (!(c)) {                                                                   \
            fprintf(stderr, "%s:%d: check failed: %s (%s)\n", __FILE__, __LINE__, #c, \
                    em_error_message() ? em_error_message() : "");                    \
            failures++;                                                               \
        }                                                                             \
    } while (0)

typedef struct {
    double loss[256];
    int64_t step[256];
    int n;
    int64_t cancel_at;
    em_train_run *run;
    int epochs_seen;
    atomic_int steps_seen;
    int sleep_us;
} rec;

static void on_step(const em_train_progress *p, void *user)
{
    rec *r = user;
    if (r->n < 256) {
        r->loss[r->n] = p->loss;
        r->step[r->n++] = p->step;
    }
    atomic_fetch_add(&r->steps_seen, 1);
    if (r->cancel_at && p->step == r->cancel_at)
        em_train_cancel(r->run);
    if (r->sleep_us)
        usleep(r->sleep_us);
}

static void on_epoch(const em_train_progress *p, void *user) { ((rec *)user)->epochs_seen++; }

static void tiny_gpt(em_train_config *c)
{
    em_train_config_default(c, "fortunes", "gpt");
    c->n_layers = 1;
    c->n_heads = 2;
    c->d_model = 32;
    c->context = 16;
    c->batch_size = 4;
    c->eval_every = 4;
    c->eval_batches = 1;
    c->warmup_steps = 2;
    c->lr = 3e-3;
}

static void test_loss_falls(void)
{
    em_train_config c;
    em_train_config_default(&c, "fashion-mnist", "mlp");
    c.batch_size = 64;
    c.max_steps = 40;
    rec r = {0};
    c.on_step = on_step;
    c.on_epoch = on_epoch;
    c.user = &r;
    em_train_run *run = em_train_new(&c);
    CHECK(run);
    if (!run)
        return;
    CHECK(em_train_exec(run) == EM_TRAIN_DONE);
    CHECK(r.n == 40 && r.epochs_seen == 1);
    double first = 0, last = 0;
    for (int i = 0; i < 5; i++) {
        first += r.loss[i];
        last += r.loss[r.n - 1 - i];
    }
    printf("mlp: loss %.3f -> %.3f over %d steps\n", first / 5, last / 5, r.n);
    CHECK(last < 0.7 * first);
    int32_t pred[8], lab[8];
    CHECK(em_train_predict(run, 0, 8, pred, lab) == 0);
    em_train_free(run);
}

/* A run of 2N steps, against N steps, cancel (checkpoint), resume, N steps. */
static void test_resume(em_train_config base, const char *name)
{
    const int N = 6;
    char dir[] = "/tmp/ember-test-train-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    rec a = {0}, b = {0}, c = {0};
    em_train_config cfg = base;
    cfg.max_steps = 2 * N;
    cfg.on_step = on_step;
    cfg.on_epoch = on_epoch;
    cfg.user = &a;
    em_train_run *run = em_train_new(&cfg);
    CHECK(run);
    if (!run)
        return;
    CHECK(em_train_exec(run) == EM_TRAIN_DONE);
    em_train_free(run);

    cfg.user = &b;
    cfg.checkpoint_dir = dir;
    cfg.checkpoint_every = 4;
    b.cancel_at = N;
    run = b.run = em_train_new(&cfg);
    CHECK(run);
    if (!run)
        return;
    CHECK(em_train_exec(run) == EM_TRAIN_CANCELLED);
    CHECK(em_train_steps_done(run) == N);
    em_train_free(run);

    cfg.user = &c;
    cfg.resume = true;
    cfg.seed = 12345; /* ignored: the checkpoint's seed wins */
    run = em_train_new(&cfg);
    CHECK(run);
    if (run) {
        CHECK(em_train_steps_done(run) == N);
        CHECK(em_train_exec(run) == EM_TRAIN_DONE);
        em_train_free(run);
    }
    CHECK(a.n == 2 * N && b.n == N && c.n == N);
    int same = 1;
    for (int i = 0; i < N && i < b.n; i++)
        same &= !memcmp(&a.loss[i], &b.loss[i], sizeof(double));
    for (int i = 0; i < N && i < c.n; i++) {
        same &= !memcmp(&a.loss[N + i], &c.loss[i], sizeof(double)) && c.step[i] == N + 1 + i;
        if (a.loss[N + i] != c.loss[i])
            fprintf(stderr, "%s step %d: %.9g (one run) vs %.9g (resumed)\n", name, N + 1 + i,
                    a.loss[N + i], c.loss[i]);
    }
    CHECK(same);
    printf("%s: %d steps = %d + resume + %d, losses identical: %s\n", name, 2 * N, N, N,
           same ? "yes" : "NO");
    char p[4200];
    snprintf(p, sizeof p, "%s/checkpoint.safetensors", dir);
    if (!strcmp(name, "gpt")) {
        em_text_model *m = em_text_model_load(dir);
        CHECK(m);
        char out[64];
        int64_t k = em_text_model_sample(m, "A ", 20, 0.8, 10, 1, NULL, NULL);
        CHECK(k == 20);
        (void)out;
        em_text_model_free(m);
    }
    unlink(p);
    rmdir(dir);
}

static void *worker(void *arg)
{
    em_train_run *run = arg;
    return (void *)(intptr_t)em_train_exec(run);
}

static void test_cancel_thread(em_train_config cfg)
{
    rec r = {0};
    r.sleep_us = 20000;
    cfg.max_steps = 1000;
    cfg.on_step = on_step;
    cfg.user = &r;
    em_train_run *run = em_train_new(&cfg);
    CHECK(run);
    if (!run)
        return;
    pthread_t t;
    pthread_create(&t, NULL, worker, run);
    while (atomic_load(&r.steps_seen) < 2)
        usleep(1000);
    em_train_cancel(run);
    void *st;
    pthread_join(t, &st);
    CHECK((intptr_t)st == EM_TRAIN_CANCELLED);
    CHECK(em_train_is_cancelled(run));
    CHECK(em_train_steps_done(run) >= 2 && em_train_steps_done(run) < 10);
    printf("cancelled from another thread after %lld steps\n",
           (long long)em_train_steps_done(run));
    em_train_free(run);
}

static void test_missing(void)
{
    char dir[] = "/tmp/ember-test-train-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    em_train_config c;
    em_train_config_default(&c, "fashion-mnist", "cnn");
    c.data_dir = dir;
    em_error_clear();
    CHECK(em_train_new(&c) == NULL);
    CHECK(strstr(em_error_message(), "dataset-fashion-mnist") != NULL);
    em_train_config_default(&c, "fortunes", "gpt");
    c.data_dir = dir;
    em_error_clear();
    CHECK(em_train_new(&c) == NULL);
    CHECK(strstr(em_error_message(), "package fortunes") != NULL);
    em_train_config_default(&c, "fashion-mnist", "resnet");
    em_error_clear();
    CHECK(em_train_new(&c) == NULL);
    CHECK(strstr(em_error_message(), "resnet") != NULL);
    em_error_clear();
    rmdir(dir);
}

int main(void)
{
    bool have_mnist = access("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz", R_OK) == 0;
    bool have_fortunes = access("/usr/share/games/fortunes/fortunes", R_OK) == 0;
    test_missing();
    if (have_mnist) {
        test_loss_falls();
        em_train_config c;
        em_train_config_default(&c, "fashion-mnist", "mlp");
        c.batch_size = 32;
        test_resume(c, "mlp");
        em_train_config_default(&c, "fashion-mnist", "cnn");
        c.batch_size = 8;
        c.optimizer = "sgd";
        c.lr = 0.05;
        test_resume(c, "cnn");
        em_train_config_default(&c, "fashion-mnist", "mlp");
        test_cancel_thread(c);
    } else {
        printf("Fashion-MNIST not installed: skipped its runs\n");
    }
    if (have_fortunes) {
        em_train_config c;
        tiny_gpt(&c);
        test_resume(c, "gpt");
    } else {
        printf("fortunes not installed: skipped the gpt run\n");
    }
    em_memory_clear_cache();
    if (em_memory_stats_get().active != 0) {
        fprintf(stderr, "memory still active: %zu bytes\n", em_memory_stats_get().active);
        failures++;
    }
    printf("%s\n", failures ? "FAIL" : "ok");
    return failures ? 1 : 0;
}
