/* Optimizers: each update builds lazy arrays for the new parameters and state;
 * the caller evaluates them (em_optimizer_eval). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember/io.h"
#include "ember/ops.h"
#include "ember/optim.h"
#include "ops/ops_internal.h"

typedef enum { O_SGD, O_ADAM, O_ADAMW, O_RMSPROP, O_ADAGRAD, O_LION, O_ADAFACTOR } okind;

static const char *const names[] = {"sgd", "adam", "adamw", "rmsprop", "adagrad", "lion",
                                    "adafactor"};

struct em_optimizer {
    okind k;
    double lr;
    em_schedule *sched;
    /* hyperparameters: meaning per kind (see the constructors) */
    double h[8];
    bool b[4];
    int64_t step;
    em_tree *state; /* "<param>.<slot>" */
};

static em_optimizer *make(okind k, double lr)
{
    em_optimizer *o = calloc(1, sizeof *o);
    if (o)
        o->state = em_tree_new();
    if (!o || !o->state) {
        free(o);
        em__error("optimizer: out of memory");
        return NULL;
    }
    o->k = k;
    o->lr = lr;
    return o;
}

em_optimizer *em_optim_sgd(double lr, double momentum, double weight_decay, double dampening,
                           bool nesterov)
{
    if (nesterov && (momentum <= 0 || dampening != 0)) {
        em__error("sgd: nesterov momentum needs momentum > 0 and no dampening");
        return NULL;
    }
    em_optimizer *o = make(O_SGD, lr);
    if (o) {
        o->h[0] = momentum;
        o->h[1] = weight_decay;
        o->h[2] = dampening;
        o->b[0] = nesterov;
    }
    return o;
}

static em_optimizer *adam(okind k, double lr, double b1, double b2, double eps, double wd,
                          bool bias_correction)
{
    em_optimizer *o = make(k, lr);
    if (o) {
        o->h[0] = b1;
        o->h[1] = b2;
        o->h[2] = eps;
        o->h[3] = wd;
        o->b[0] = bias_correction;
    }
    return o;
}

em_optimizer *em_optim_adam(double lr, double beta1, double beta2, double eps,
                            double weight_decay, bool bias_correction)
{
    return adam(O_ADAM, lr, beta1, beta2, eps, weight_decay, bias_correction);
}

em_optimizer *em_optim_adamw(double lr, double beta1, double beta2, double eps,
                             double weight_decay, bool bias_correction)
{
    return adam(O_ADAMW, lr, beta1, beta2, eps, weight_decay, bias_correction);
}

em_optimizer *em_optim_rmsprop(double lr, double alpha, double eps, double weight_decay,
                               double momentum)
{
    em_optimizer *o = make(O_RMSPROP, lr);
    if (o) {
        o->h[0] = alpha;
        o->h[1] = eps;
        o->h[2] = weight_decay;
        o->h[3] = momentum;
    }
    return o;
}

em_optimizer *em_optim_adagrad(double lr, double eps, double weight_decay)
{
    em_optimizer *o = make(O_ADAGRAD, lr);
    if (o) {
        o->h[0] = eps;
        o->h[1] = weight_decay;
    }
    return o;
}

em_optimizer *em_optim_lion(double lr, double beta1, double beta2, double weight_decay)
{
    em_optimizer *o = make(O_LION, lr);
    if (o) {
        o->h[0] = beta1;
        o->h[1] = beta2;
        o->h[2] = weight_decay;
    }
    return o;
}

em_optimizer *em_optim_adafactor(double lr, double eps1, double eps2, double clip_threshold,
                                 double decay_rate, double beta1, double weight_decay,
                                 bool scale_parameter, bool relative_step, bool warmup_init)
{
    em_optimizer *o = make(O_ADAFACTOR, lr);
    if (o) {
        o->h[0] = eps1;
        o->h[1] = eps2;
        o->h[2] = clip_threshold;
        o->h[3] = decay_rate;
        o->h[4] = beta1;
        o->h[5] = weight_decay;
        o->b[0] = scale_parameter;
        o->b[1] = relative_step || !(lr > 0);
        o->b[2] = warmup_init;
    }
    return o;
}

em_optimizer *em_optimizer_by_name(const char *name, double lr)
{
    if (!name) {
        em__error("optimizer: NULL name");
        return NULL;
    }
    if (!strcmp(name, "sgd"))
        return em_optim_sgd(lr, 0.9, 0, 0, false);
    if (!strcmp(name, "adam"))
        return em_optim_adam(lr, 0.9, 0.999, 1e-8, 0, true);
    if (!strcmp(name, "adamw"))
        return em_optim_adamw(lr, 0.9, 0.999, 1e-8, 0.01, true);
    if (!strcmp(name, "rmsprop"))
        return em_optim_rmsprop(lr, 0.99, 1e-8, 0, 0);
    if (!strcmp(name, "adagrad"))
        return em_optim_adagrad(lr, 1e-10, 0);
    if (!strcmp(name, "lion"))
        return em_optim_lion(lr, 0.9, 0.99, 0);
    if (!strcmp(name, "adafactor"))
        return em_optim_adafactor(lr, 1e-30, 1e-3, 1, -0.8, -1, 0, true, !(lr > 0), false);
    em__error("optimizer: unknown optimizer '%s' (sgd, adam, adamw, rmsprop, adagrad, lion, "
              "adafactor)",
              name);
    return NULL;
}

void em_optimizer_free(em_optimizer *o)
{
    if (!o)
        return;
    em_schedule_free(o->sched);
    em_tree_free(o->state);
    free(o);
}

const char *em_optimizer_name(const em_optimizer *o) { return o ? names[o->k] : NULL; }

void em_optimizer_set_schedule(em_optimizer *o, em_schedule *s)
{
    if (!o) {
        em_schedule_free(s);
        return;
    }
    em_schedule_free(o->sched);
    o->sched = s;
}

double em_optimizer_lr(const em_optimizer *o)
{
    if (!o)
        return 0;
    return o->sched ? em_schedule_at(o->sched, o->step) : o->lr;
}

void em_optimizer_set_lr(em_optimizer *o, double lr)
{
    if (!o)
        return;
    em_schedule_free(o->sched);
    o->sched = NULL;
    o->lr = lr;
}

int64_t em_optimizer_step(const em_optimizer *o) { return o ? o->step : 0; }
const em_tree *em_optimizer_state(const em_optimizer *o) { return o ? o->state : NULL; }

/* ---- the update rules ---- */
typedef struct {
    em_optimizer *o;
    em_tree *st; /* the state being built */
    const char *name;
    char buf[600];
} ctx;

static em_array *S(double v) { return em_scalar_f(v); }

/* The slot's current value, or zeros of the given shape (first step). */
static em_array *slot(ctx *c, const char *s, em_array *like, int ndim, const int64_t *shape,
                      bool *fresh)
{
    snprintf(c->buf, sizeof c->buf, "%s.%s", c->name, s);
    em_tree *t = c->st;
    int i = em_tree_index(t, c->buf);
    if (i >= 0) {
        if (fresh)
            *fresh = false;
        return em_tree_at(t, i);
    }
    if (fresh)
        *fresh = true;
    if (!shape)
        return em_zeros_like(like);
    return em_zeros(ndim, shape, em_array_dtype(like));
}

static int set_slot(ctx *c, const char *s, em_array *v)
{
    snprintf(c->buf, sizeof c->buf, "%s.%s", c->name, s);
    return em_tree_set(c->st, c->buf, v);
}

static em_array *rms(em_array *a) { return em_sqrt(em_mean(em_square(a), NULL, 0, false)); }

static em_array *apply(ctx *c, em_array *p, em_array *g, double lr, int64_t t)
{
    em_optimizer *o = c->o;
    const double *h = o->h;
    em_array *lr_a = S(lr);
    switch (o->k) {
    case O_SGD: {
        if (h[1] != 0)
            g = em_add(g, em_multiply(p, S(h[1])));
        if (h[0] > 0) {
            bool fresh;
            em_array *buf = slot(c, "v", p, 0, NULL, &fresh);
            buf = fresh ? g
                        : em_add(em_multiply(buf, S(h[0])), em_multiply(g, S(1 - h[2])));
            if (set_slot(c, "v", buf) < 0)
                return NULL;
            g = o->b[0] ? em_add(g, em_multiply(buf, S(h[0]))) : buf;
        }
        return em_subtract(p, em_multiply(g, lr_a));
    }
    case O_ADAM:
    case O_ADAMW: {
        double b1 = h[0], b2 = h[1], eps = h[2], wd = h[3];
        if (o->k == O_ADAM && wd != 0)
            g = em_add(g, em_multiply(p, S(wd)));
        if (o->k == O_ADAMW && wd != 0)
            p = em_multiply(p, S(1 - lr * wd));
        em_array *m = em_add(em_multiply(slot(c, "m", p, 0, NULL, NULL), S(b1)),
                             em_multiply(g, S(1 - b1)));
        em_array *v = em_add(em_multiply(slot(c, "v", p, 0, NULL, NULL), S(b2)),
                             em_multiply(em_square(g), S(1 - b2)));
        if (set_slot(c, "m", m) < 0 || set_slot(c, "v", v) < 0)
            return NULL;
        if (o->b[0]) {
            double bc1 = 1 - pow(b1, (double)t), bc2 = 1 - pow(b2, (double)t);
            em_array *den = em_add(em_multiply(em_sqrt(v), S(1 / sqrt(bc2))), S(eps));
            return em_subtract(p, em_multiply(em_divide(m, den), S(lr / bc1)));
        }
        return em_subtract(p, em_multiply(em_divide(m, em_add(em_sqrt(v), S(eps))), lr_a));
    }
    case O_RMSPROP: {
        double alpha = h[0], eps = h[1], wd = h[2], mom = h[3];
        if (wd != 0)
            g = em_add(g, em_multiply(p, S(wd)));
        em_array *v = em_add(em_multiply(slot(c, "v", p, 0, NULL, NULL), S(alpha)),
                             em_multiply(em_square(g), S(1 - alpha)));
        if (set_slot(c, "v", v) < 0)
            return NULL;
        em_array *step = em_divide(g, em_add(em_sqrt(v), S(eps)));
        if (mom > 0) {
            step = em_add(em_multiply(slot(c, "buf", p, 0, NULL, NULL), S(mom)), step);
            if (set_slot(c, "buf", step) < 0)
                return NULL;
        }
        return em_subtract(p, em_multiply(step, lr_a));
    }
    case O_ADAGRAD: {
        double eps = h[0], wd = h[1];
        if (wd != 0)
            g = em_add(g, em_multiply(p, S(wd)));
        em_array *sum = em_add(slot(c, "v", p, 0, NULL, NULL), em_square(g));
        if (set_slot(c, "v", sum) < 0)
            return NULL;
        return em_subtract(p, em_multiply(em_divide(g, em_add(em_sqrt(sum), S(eps))), lr_a));
    }
    case O_LION: {
        double b1 = h[0], b2 = h[1], wd = h[2];
        em_array *m = slot(c, "m", p, 0, NULL, NULL);
        em_array *upd = em_sign(em_add(em_multiply(m, S(b1)), em_multiply(g, S(1 - b1))));
        if (set_slot(c, "m", em_add(em_multiply(m, S(b2)), em_multiply(g, S(1 - b2)))) < 0)
            return NULL;
        if (wd != 0)
            p = em_multiply(p, S(1 - lr * wd));
        return em_subtract(p, em_multiply(upd, lr_a));
    }
    case O_ADAFACTOR: {
        double eps1 = h[0], eps2 = h[1], clip = h[2], decay = h[3], beta1 = h[4], wd = h[5];
        double rel = lr;
        if (o->b[1]) {
            double min_step = o->b[2] ? 1e-6 * (double)t : 1e-2;
            rel = fmin(min_step, 1 / sqrt((double)t));
        }
        em_array *alr = S(rel);
        if (o->b[0])
            alr = em_multiply(em_maximum(rms(p), S(eps2)), alr);
        double beta2 = 1 - pow((double)t, decay);
        em_array *u = em_add(em_square(g), S(eps1));
        int nd = em_array_ndim(g);
        if (nd >= 2) {
            const int64_t *sh = em_array_shape(g);
            int64_t rs[EM_MAX_DIMS], cs[EM_MAX_DIMS];
            memcpy(rs, sh, (nd - 1) * sizeof *rs);
            memcpy(cs, sh, (nd - 2) * sizeof *cs);
            cs[nd - 2] = sh[nd - 1];
            int ax_r = -1, ax_c = -2;
            em_array *row = em_add(em_multiply(slot(c, "exp_avg_sq_row", p, nd - 1, rs, NULL), S(beta2)),
                                   em_multiply(em_mean(u, &ax_r, 1, false), S(1 - beta2)));
            em_array *col = em_add(em_multiply(slot(c, "exp_avg_sq_col", p, nd - 1, cs, NULL), S(beta2)),
                                   em_multiply(em_mean(u, &ax_c, 1, false), S(1 - beta2)));
            if (set_slot(c, "exp_avg_sq_row", row) < 0 || set_slot(c, "exp_avg_sq_col", col) < 0)
                return NULL;
            em_array *rf = em_rsqrt(em_divide(row, em_mean(row, &ax_r, 1, true)));
            em_array *cf = em_rsqrt(col);
            u = em_multiply(em_multiply(em_expand_dims(rf, &ax_r, 1), em_expand_dims(cf, &ax_c, 1)), g);
        } else {
            em_array *v = em_add(em_multiply(slot(c, "exp_avg_sq", p, 0, NULL, NULL), S(beta2)),
                                 em_multiply(u, S(1 - beta2)));
            if (set_slot(c, "exp_avg_sq", v) < 0)
                return NULL;
            u = em_multiply(em_rsqrt(v), g);
        }
        u = em_divide(u, em_maximum(S(1), em_divide(rms(u), S(clip))));
        u = em_multiply(alr, u);
        if (beta1 >= 0) {
            u = em_add(em_multiply(slot(c, "exp_avg", p, 0, NULL, NULL), S(beta1)),
                       em_multiply(u, S(1 - beta1)));
            if (set_slot(c, "exp_avg", u) < 0)
                return NULL;
        }
        if (wd != 0)
            p = em_add(p, em_multiply(p, em_multiply(alr, S(-wd))));
        return em_subtract(p, u);
    }
    }
    em__error("optimizer: unknown kind");
    return NULL;
}

int em_optimizer_update(em_optimizer *o, em_tree *params, const em_tree *grads)
{
    if (!o || !params || !grads)
        return em__error("optimizer update: NULL optimizer, parameters or gradients");
    int n = em_tree_size(grads);
    em_array **out = calloc(n ? n : 1, sizeof *out);
    em_tree *st = em_tree_copy(o->state);
    if (!out || !st) {
        free(out);
        em_tree_free(st);
        return em__error("optimizer update: out of memory");
    }
    double lr = em_optimizer_lr(o);
    int64_t t = o->step + 1;
    int rc = 0;
    em_scope *s = em_scope_begin();
    for (int i = 0; i < n && rc == 0; i++) {
        const char *name = em_tree_name(grads, i);
        em_array *g = em_tree_at(grads, i);
        em_array *p = em_get(params, name);
        if (!p || !g) {
            rc = -1;
            break;
        }
        char d1[96], d2[96];
        bool same = em_array_ndim(p) == em_array_ndim(g);
        for (int d = 0; same && d < em_array_ndim(p); d++)
            same = em_array_shape(p)[d] == em_array_shape(g)[d];
        if (!same) {
            rc = em__error("%s update: gradient %s of '%s' does not match the parameter %s",
                           names[o->k], em__describe(g, d1, sizeof d1), name,
                           em__describe(p, d2, sizeof d2));
            break;
        }
        if (em_array_dtype(g) != em_array_dtype(p))
            g = em_astype(g, em_array_dtype(p));
        ctx c = {o, st, name, {0}};
        em_array *np = apply(&c, p, g, lr, t);
        if (np && em_array_dtype(np) != em_array_dtype(p))
            np = em_astype(np, em_array_dtype(p));
        out[i] = em_retain(np);
        if (!np)
            rc = -1;
    }
    em_scope_end(s);
    if (rc == 0) {
        for (int i = 0; i < n && rc == 0; i++)
            rc = em_tree_set(params, em_tree_name(grads, i), out[i]);
    }
    for (int i = 0; i < n; i++)
        em_release(out[i]);
    free(out);
    if (rc == 0) {
        em_tree_free(o->state);
        o->state = st;
        o->step = t;
    } else {
        em_tree_free(st);
    }
    return rc;
}

int em_optimizer_eval(em_optimizer *o, const em_tree *params)
{
    if (!o)
        return em__error("optimizer eval: NULL optimizer");
    int np = params ? em_tree_size(params) : 0, ns = em_tree_size(o->state);
    em_array **a = malloc((np + ns + 1) * sizeof *a);
    if (!a)
        return em__error("optimizer eval: out of memory");
    for (int i = 0; i < np; i++)
        a[i] = em_tree_at(params, i);
    for (int i = 0; i < ns; i++)
        a[np + i] = em_tree_at(o->state, i);
    int rc = em_eval_many(a, np + ns);
    free(a);
    return rc;
}

/* ---- checkpoints ---- */
int em_optimizer_save(em_optimizer *o, const char *path)
{
    if (!o || !path)
        return em__error("optimizer save: NULL optimizer or path");
    em_tree *t = em_tree_copy(o->state);
    if (!t)
        return -1;
    em__internal_begin();
    em_array *step = em_scalar((double)o->step, EM_INT64);
    int rc = em_tree_set(t, "step", step);
    em_release(step);
    em__internal_end(NULL);
    char sstep[32], slr[40];
    snprintf(sstep, sizeof sstep, "%" PRId64, o->step);
    snprintf(slr, sizeof slr, "%.17g", em_optimizer_lr(o));
    const char *keys[] = {"optimizer", "step", "lr"};
    const char *vals[] = {names[o->k], sstep, slr};
    if (rc == 0) {
        int n = em_tree_size(t);
        const char **nm = malloc(n * sizeof *nm);
        em_array **ar = malloc(n * sizeof *ar);
        if (nm && ar) {
            for (int i = 0; i < n; i++) {
                nm[i] = em_tree_name(t, i);
                ar[i] = em_tree_at(t, i);
            }
            rc = em_eval_many(ar, n);
            if (rc == 0)
                rc = em_save_safetensors(path, nm, ar, n, keys, vals, 3);
        } else {
            rc = em__error("optimizer save: out of memory");
        }
        free(nm);
        free(ar);
    }
    em_tree_free(t);
    return rc;
}

int em_optimizer_load(em_optimizer *o, const char *path)
{
    if (!o || !path)
        return em__error("optimizer load: NULL optimizer or path");
    em_safetensors *f = em_safetensors_open(path);
    if (!f)
        return -1;
    const char *kind = em_safetensors_metadata(f, "optimizer");
    const char *sstep = em_safetensors_metadata(f, "step");
    int rc = 0;
    if (!kind || strcmp(kind, names[o->k]) || !sstep) {
        rc = em__error("optimizer load: '%s' holds the state of optimizer '%s', not '%s'", path,
                       kind ? kind : "(none)", names[o->k]);
    }
    char *end = NULL;
    long long step = sstep ? strtoll(sstep, &end, 10) : 0;
    if (rc == 0 && (!end || *end || step < 0))
        rc = em__error("optimizer load: '%s' has a bad step '%s'", path, sstep);
    em_tree *t = rc == 0 ? em_tree_new() : NULL;
    if (rc == 0 && !t)
        rc = -1;
    em__internal_begin();
    int n = em_safetensors_count(f);
    for (int i = 0; i < n && rc == 0; i++) {
        const char *name = em_safetensors_name(f, i);
        if (!strcmp(name, "step"))
            continue;
        em_array *a = em_safetensors_get_index(f, i);
        rc = a ? em_tree_set(t, name, a) : -1;
        em_release(a);
    }
    em__internal_end(NULL);
    em_safetensors_close(f);
    if (rc == 0) {
        em_tree_free(o->state);
        o->state = t;
        o->step = step;
    } else {
        em_tree_free(t);
    }
    return rc;
}

em_array *em_clip_grad_norm(em_tree *grads, double max_norm)
{
    if (!grads) {
        em__error("clip_grad_norm: NULL gradients");
        return NULL;
    }
    int n = em_tree_size(grads);
    em_scope *s = em_scope_begin();
    em_array *total = em_scalar(0, EM_FLOAT32);
    for (int i = 0; i < n; i++)
        total = em_add(total, em_sum(em_square(em_astype(em_tree_at(grads, i), EM_FLOAT32)),
                                     NULL, 0, false));
    total = em_sqrt(total);
    em_array *scale =
        em_minimum(em_divide(S(max_norm), em_add(total, S(1e-6))), S(1.0));
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        em_array *g = em_tree_at(grads, i);
        em_array *c = em_multiply(g, em_astype(scale, em_array_dtype(g)));
        rc = c ? em_tree_set(grads, em_tree_name(grads, i), c) : -1;
    }
    return em__composite_end(s, rc == 0 ? total : NULL);
}
