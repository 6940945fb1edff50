/* Optimizers against torch.optim (numpy for Lion and Adafactor) over 10 steps,
 * schedules against torch.optim.lr_scheduler, clip_grad_norm against
 * torch.nn.utils.clip_grad_norm_, and checkpoint/resume giving the same
 * trajectory bit for bit. Files from ref_optim.py.
 * test-optim REFDIR WORKDIR */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember/ember.h"

static int failures, checks;
static const char *refdir, *workdir;
static const char *const pnames[] = {"a", "b", "c"};
enum { NP = 3, STEPS = 10 };

#define CHECK(cond, ...)                                         \
    do {                                                         \
        checks++;                                                \
        if (!(cond)) {                                           \
            failures++;                                          \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                        \
            fprintf(stderr, "\n");                               \
        }                                                        \
    } while (0)

static double max_rel_err(em_array *got, em_array *want, double atol, double rtol)
{
    int64_t n = em_array_size(want);
    if (!got || em_array_size(got) != n)
        return INFINITY;
    float *g = malloc(n * sizeof *g), *w = malloc(n * sizeof *w);
    em_array_read(got, EM_FLOAT32, g, n);
    em_array_read(want, EM_FLOAT32, w, n);
    double worst = 0;
    for (int64_t i = 0; i < n; i++) {
        double e = fabs((double)g[i] - w[i]) / (atol + rtol * fabs(w[i]));
        if (!(e <= worst))
            worst = e;
    }
    free(g);
    free(w);
    return worst;
}

typedef struct {
    const char *name;
    em_optimizer *(*make)(void);
} opt_case;

static em_optimizer *o_sgd(void) { return em_optim_sgd(0.1, 0, 0, 0, false); }
static em_optimizer *o_sgd_m(void) { return em_optim_sgd(0.05, 0.9, 0.01, 0.1, false); }
static em_optimizer *o_sgd_n(void) { return em_optim_sgd(0.05, 0.8, 0.02, 0, true); }
static em_optimizer *o_adam(void) { return em_optim_adam(0.01, 0.9, 0.999, 1e-8, 0, true); }
static em_optimizer *o_adam_wd(void) { return em_optim_adam(0.02, 0.8, 0.99, 1e-6, 0.1, true); }
static em_optimizer *o_adamw(void) { return em_optim_adamw(0.01, 0.9, 0.999, 1e-8, 0.05, true); }
static em_optimizer *o_rmsprop(void) { return em_optim_rmsprop(0.01, 0.99, 1e-8, 0, 0); }
static em_optimizer *o_rmsprop_m(void) { return em_optim_rmsprop(0.01, 0.9, 1e-6, 0.01, 0.5); }
static em_optimizer *o_adagrad(void) { return em_optim_adagrad(0.1, 1e-10, 0); }
static em_optimizer *o_adagrad_wd(void) { return em_optim_adagrad(0.1, 1e-8, 0.05); }
static em_optimizer *o_adam_steplr(void)
{
    em_optimizer *o = em_optim_adam(0.01, 0.9, 0.999, 1e-8, 0, true);
    em_optimizer_set_schedule(o, em_schedule_step(0.01, 0.5, 3));
    return o;
}
static em_optimizer *o_sgd_cosine(void)
{
    em_optimizer *o = em_optim_sgd(0.1, 0.9, 0, 0, false);
    em_optimizer_set_schedule(o, em_schedule_cosine(0.1, 10, 0.01));
    return o;
}
static em_optimizer *o_lion(void) { return em_optim_lion(0.01, 0.9, 0.99, 0); }
static em_optimizer *o_lion_wd(void) { return em_optim_lion(0.02, 0.95, 0.98, 0.1); }
static em_optimizer *o_adafactor(void)
{
    return em_optim_adafactor(0, 1e-30, 1e-3, 1, -0.8, -1, 0, true, true, false);
}
static em_optimizer *o_adafactor_lr(void)
{
    return em_optim_adafactor(0.05, 1e-30, 1e-3, 0.5, -0.8, 0.9, 0.01, false, false, false);
}
static em_optimizer *o_adafactor_warmup(void)
{
    return em_optim_adafactor(0, 1e-30, 1e-3, 1, -0.7, -1, 0, true, true, true);
}

static const opt_case cases[] = {
    {"sgd", o_sgd}, {"sgd_momentum", o_sgd_m}, {"sgd_nesterov", o_sgd_n}, {"adam", o_adam},
    {"adam_wd", o_adam_wd}, {"adamw", o_adamw}, {"rmsprop", o_rmsprop},
    {"rmsprop_momentum", o_rmsprop_m}, {"adagrad", o_adagrad}, {"adagrad_wd", o_adagrad_wd},
    {"adam_steplr", o_adam_steplr}, {"sgd_cosine", o_sgd_cosine}, {"lion", o_lion},
    {"lion_wd", o_lion_wd}, {"adafactor", o_adafactor}, {"adafactor_lr", o_adafactor_lr},
    {"adafactor_warmup", o_adafactor_warmup},
};

static em_array *get(em_npz *z, const char *fmt, int k, const char *n)
{
    char key[64];
    if (k >= 0)
        snprintf(key, sizeof key, fmt, k, n);
    else
        snprintf(key, sizeof key, fmt, n);
    return em_npz_get(z, key);
}

/* Steps [from, to) of a case's gradients. */
static int steps(em_optimizer *o, em_tree *params, em_npz *z, int from, int to)
{
    for (int k = from; k < to; k++) {
        int rc;
        EM_SCOPE {
            em_tree *g = em_tree_new();
            for (int i = 0; i < NP; i++)
                em_tree_set(g, pnames[i], get(z, "g%d.%s", k, pnames[i]));
            rc = em_optimizer_update(o, params, g);
            em_tree_free(g);
            if (rc == 0)
                rc = em_optimizer_eval(o, params);
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

static void run_case(const opt_case *c)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/optim_%s.npz", refdir, c->name);
    em_npz *z = em_npz_load(path);
    if (!z) {
        CHECK(0, "%s: %s", c->name, em_error_message());
        em_error_clear();
        return;
    }
    em_optimizer *o = c->make();
    em_tree *params = em_tree_new();
    EM_SCOPE {
        for (int i = 0; i < NP; i++)
            em_tree_set(params, pnames[i], get(z, "p.%s", -1, pnames[i]));
    }
    int ok = 1;
    for (int k = 0; k < STEPS && ok; k++) {
        if (steps(o, params, z, k, k + 1) < 0) {
            fprintf(stderr, "FAIL %s step %d: %s\n", c->name, k, em_error_message());
            em_error_clear();
            ok = 0;
            break;
        }
        EM_SCOPE {
            for (int i = 0; i < NP; i++) {
                double e = max_rel_err(em_get(params, pnames[i]), get(z, "e%d.%s", k, pnames[i]),
                                       1e-6, 1e-5);
                if (e > 1) {
                    fprintf(stderr, "FAIL %s: step %d, parameter %s: error %g tolerances\n",
                            c->name, k, pnames[i], e);
                    ok = 0;
                }
            }
        }
    }
    checks++;
    if (!ok)
        failures++;
    CHECK(em_optimizer_step(o) == STEPS, "%s: step count", c->name);

    /* checkpoint after 4 steps, restore into a fresh optimizer, continue: the
     * same bits as 10 steps in one go */
    em_optimizer *o2 = c->make();
    em_tree *p2 = em_tree_new();
    EM_SCOPE {
        for (int i = 0; i < NP; i++)
            em_tree_set(p2, pnames[i], get(z, "p.%s", -1, pnames[i]));
    }
    snprintf(path, sizeof path, "%s/%s.opt.safetensors", workdir, c->name);
    char ppath[1024];
    snprintf(ppath, sizeof ppath, "%s/%s.params.safetensors", workdir, c->name);
    int rc = steps(o2, p2, z, 0, 4);
    rc = rc ? rc : em_optimizer_save(o2, path);
    rc = rc ? rc : em_tree_save(p2, ppath, NULL, NULL, 0);
    em_optimizer_free(o2);
    em_tree_free(p2);
    em_optimizer *o3 = c->make();
    em_tree *p3 = rc ? NULL : em_tree_load(ppath);
    rc = rc ? rc : em_optimizer_load(o3, path);
    CHECK(rc == 0 && em_optimizer_step(o3) == 4, "%s: checkpoint: %s", c->name,
          em_error_message());
    rc = rc ? rc : steps(o3, p3, z, 4, STEPS);
    bool same = rc == 0;
    EM_SCOPE {
        for (int i = 0; i < NP && same; i++)
            same = em_item_bool(em_array_equal(em_get(params, pnames[i]), em_get(p3, pnames[i]), false));
    }
    CHECK(same, "%s: resumed trajectory differs (%s)", c->name, em_error_message());
    em_error_clear();
    em_tree_free(p3);
    em_optimizer_free(o3);
    em_tree_free(params);
    em_optimizer_free(o);
    em_npz_close(z);
}

static void test_schedules(void)
{
    struct {
        const char *name;
        em_schedule *s;
        int n;
    } sc[] = {
        {"step", em_schedule_step(0.1, 0.5, 4), 20},
        {"exponential", em_schedule_exponential(0.1, 0.9), 20},
        {"cosine", em_schedule_cosine(0.1, 12, 0.001), 13},
        {"linear", em_schedule_linear(0.01, 0.1, 5), 20},
        {"join", em_schedule_join((em_schedule *[]){em_schedule_linear(0.001, 0.1, 5),
                                                    em_schedule_exponential(0.1, 0.8)},
                                  2, (int64_t[]){5}),
         20},
    };
    for (size_t i = 0; i < sizeof sc / sizeof *sc; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/sched_%s.npz", refdir, sc[i].name);
        em_npz *z = em_npz_load(path);
        double lr[32] = {0};
        EM_SCOPE {
            em_array_read(em_npz_get(z, "lr"), EM_FLOAT64, lr, 20);
        }
        int bad = -1;
        for (int k = 0; k < sc[i].n; k++)
            if (fabs(em_schedule_at(sc[i].s, k) - lr[k]) > 1e-9 * (1 + fabs(lr[k])))
                bad = k;
        CHECK(bad < 0, "schedule %s at %d: %g, torch %g", sc[i].name, bad,
              bad >= 0 ? em_schedule_at(sc[i].s, bad) : 0, bad >= 0 ? lr[bad] : 0);
        em_schedule_free(sc[i].s);
        em_npz_close(z);
    }
    /* closed forms past the end: cosine stays at its end value, linear at its target */
    em_schedule *c = em_schedule_cosine(1, 10, 0.1), *l = em_schedule_linear(0, 1, 4);
    CHECK(fabs(em_schedule_at(c, 5) - 0.55) < 1e-12 && em_schedule_at(c, 50) == 0.1, "cosine");
    CHECK(em_schedule_at(l, 2) == 0.5 && em_schedule_at(l, 9) == 1, "linear warm-up");
    em_schedule_free(c);
    em_schedule_free(l);
    CHECK(!em_schedule_cosine(1, 0, 0) && em_error_pending(), "bad schedule refused");
    em_error_clear();
    /* the optimizer reports the scheduled rate */
    em_optimizer *o = em_optim_sgd(1, 0, 0, 0, false);
    em_optimizer_set_schedule(o, em_schedule_exponential(1, 0.5));
    CHECK(em_optimizer_lr(o) == 1, "lr at 0");
    em_optimizer_free(o);
}

static void test_clip(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/clip.npz", refdir);
    em_npz *z = em_npz_load(path);
    EM_SCOPE {
        em_tree *g = em_tree_new();
        for (int i = 0; i < NP; i++)
            em_tree_set(g, pnames[i], get(z, "g.%s", -1, pnames[i]));
        em_array *total = em_clip_grad_norm(g, 2.0);
        CHECK(max_rel_err(total, em_npz_get(z, "total"), 1e-6, 1e-5) <= 1, "total norm %g",
              em_item_f32(total));
        for (int i = 0; i < NP; i++)
            CHECK(max_rel_err(em_get(g, pnames[i]), get(z, "e.%s", -1, pnames[i]), 1e-6, 1e-5) <= 1,
                  "clipped %s", pnames[i]);
        em_tree_free(g);
    }
    em_npz_close(z);
}

static void test_errors(void)
{
    EM_SCOPE {
        em_optimizer *o = em_optimizer_by_name("adam", 1e-3);
        CHECK(o && !strcmp(em_optimizer_name(o), "adam"), "by name");
        em_tree *p = em_tree_new(), *g = em_tree_new();
        em_tree_set(p, "w", em_zeros(1, (int64_t[]){3}, EM_FLOAT32));
        em_tree_set(g, "w", em_zeros(1, (int64_t[]){4}, EM_FLOAT32));
        CHECK(em_optimizer_update(o, p, g) < 0 && strstr(em_error_message(), "does not match"),
              "shape mismatch: %s", em_error_message());
        em_error_clear();
        CHECK(em_optimizer_step(o) == 0, "failed update does not count");
        em_tree_set(g, "v", em_zeros(1, (int64_t[]){3}, EM_FLOAT32));
        CHECK(em_optimizer_update(o, p, g) < 0, "unknown parameter");
        em_error_clear();
        em_tree_free(p);
        em_tree_free(g);
        /* a checkpoint of another optimizer is refused */
        em_optimizer *s = em_optim_sgd(0.1, 0.9, 0, 0, false);
        char path[1024];
        snprintf(path, sizeof path, "%s/sgd.opt.safetensors", workdir);
        CHECK(em_optimizer_save(s, path) == 0, "save empty state");
        CHECK(em_optimizer_load(o, path) < 0 && strstr(em_error_message(), "sgd"),
              "kind mismatch: %s", em_error_message());
        em_error_clear();
        CHECK(!em_optimizer_by_name("adamax", 1) && strstr(em_error_message(), "adamax"),
              "unknown name");
        em_error_clear();
        em_optimizer_free(s);
        em_optimizer_free(o);
    }
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: test-optim REFDIR WORKDIR\n");
        return 2;
    }
    refdir = argv[1];
    workdir = argv[2];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        run_case(&cases[i]);
    test_schedules();
    test_clip();
    test_errors();
    em_memory_stats st = em_memory_stats_get();
    printf("optim: %zu optimizer cases (10 steps each), %d checks, %d failures, %zu bytes active\n",
           sizeof cases / sizeof *cases, checks, failures, st.active);
    if (st.active) {
        fprintf(stderr, "FAIL: %zu bytes still active\n", st.active);
        return 1;
    }
    return failures ? 1 : 0;
}
