/* Losses, composed of ops. */
#include <math.h>

#include "nn_internal.h"

#define CHAIN_BEGIN em_scope *s_ = em_scope_begin()
#define CHAIN_END(r) return em__composite_end(s_, (r))

static em_array *f(double v) { return em_scalar_f(v); }

em_array *em__reduce_loss(em_array *l, em_reduction reduction)
{
    switch (reduction) {
    case EM_REDUCTION_NONE: return l;
    case EM_REDUCTION_MEAN: return em_mean(l, NULL, 0, false);
    case EM_REDUCTION_SUM: return em_sum(l, NULL, 0, false);
    }
    em__error("loss: unknown reduction %d", (int)reduction);
    return NULL;
}

/* One-hot mask (bool) of integer targets along axis of a logits-shaped array:
 * equal(arange(C) placed at axis, expand_dims(targets, axis)). Elementwise,
 * so the loss's gradient needs no indexing rule. */
static em_array *one_hot(em_array *targets, int axis, int ndim, int64_t classes)
{
    int64_t shape[EM_MAX_DIMS];
    for (int d = 0; d < ndim; d++)
        shape[d] = 1;
    shape[axis] = classes;
    em_array *r = em_reshape(em_arange(0, (double)classes, 1, EM_INT32), ndim, shape);
    return em_equal(r, em_expand_dims(em_astype(targets, EM_INT32), &axis, 1));
}

/* Checks targets against logits: 1 = class ids, 2 = probabilities, -1 = error */
static int target_kind(const char *op, em_array *logits, em_array *targets, int axis)
{
    char d1[96], d2[96];
    int nd = em_array_ndim(logits), nt = em_array_ndim(targets);
    const int64_t *sl = em_array_shape(logits), *st = em_array_shape(targets);
    if (nt == nd - 1 && em_dtype_is_int(em_array_dtype(targets))) {
        bool ok = true;
        for (int d = 0, k = 0; d < nd; d++)
            if (d != axis)
                ok &= sl[d] == st[k++];
        if (ok)
            return 1;
    } else if (nt == nd && em_dtype_is_float(em_array_dtype(targets))) {
        bool ok = true;
        for (int d = 0; d < nd; d++)
            ok &= sl[d] == st[d];
        if (ok)
            return 2;
    }
    em__error("%s: targets %s are neither class ids (the logits' shape without axis %d) nor "
              "probabilities of the logits' shape %s",
              op, em__describe(targets, d1, sizeof d1), axis, em__describe(logits, d2, sizeof d2));
    return -1;
}

em_array *em_cross_entropy(em_array *logits, em_array *targets, double label_smoothing, int axis,
                           em_reduction reduction)
{
    if (!logits || !targets)
        return NULL;
    int nd = em_array_ndim(logits);
    axis = em__norm_axis("cross_entropy", axis, nd);
    if (axis < 0)
        return NULL;
    if (!(label_smoothing >= 0 && label_smoothing < 1)) {
        em__error("cross_entropy: label smoothing %g is not in [0, 1)", label_smoothing);
        return NULL;
    }
    int kind = target_kind("cross_entropy", logits, targets, axis);
    if (kind < 0)
        return NULL;
    CHAIN_BEGIN;
    em_array *score;
    if (kind == 1) {
        em_array *oh = one_hot(targets, axis, nd, em_array_dim(logits, axis));
        score = em_sum(em_where(oh, logits, em_zeros_like(logits)), &axis, 1, false);
    } else {
        score = em_sum(em_multiply(logits, targets), &axis, 1, false);
    }
    em_array *lse = em_logsumexp(logits, &axis, 1, false);
    em_array *loss;
    if (label_smoothing > 0) {
        em_array *mean_logits = em_mean(logits, &axis, 1, false);
        loss = em_subtract(em_subtract(lse, em_multiply(score, f(1 - label_smoothing))),
                           em_multiply(mean_logits, f(label_smoothing)));
    } else {
        loss = em_subtract(lse, score);
    }
    CHAIN_END(em__reduce_loss(loss, reduction));
}

em_array *em_nll_loss(em_array *log_probs, em_array *targets, int axis, em_reduction reduction)
{
    if (!log_probs || !targets)
        return NULL;
    int nd = em_array_ndim(log_probs);
    axis = em__norm_axis("nll_loss", axis, nd);
    if (axis < 0)
        return NULL;
    if (target_kind("nll_loss", log_probs, targets, axis) != 1) {
        if (!em_error_pending())
            em__error("nll_loss: targets must be class ids");
        return NULL;
    }
    CHAIN_BEGIN;
    em_array *oh = one_hot(targets, axis, nd, em_array_dim(log_probs, axis));
    em_array *l = em_negative(em_sum(em_where(oh, log_probs, em_zeros_like(log_probs)), &axis, 1, false));
    CHAIN_END(em__reduce_loss(l, reduction));
}

static int same_shape(const char *op, em_array *a, em_array *b)
{
    char d1[96], d2[96];
    int n = em_array_ndim(a);
    bool ok = n == em_array_ndim(b);
    for (int d = 0; ok && d < n; d++)
        ok = em_array_shape(a)[d] == em_array_shape(b)[d];
    if (!ok)
        return em__error("%s: inputs %s and targets %s differ in shape", op,
                         em__describe(a, d1, sizeof d1), em__describe(b, d2, sizeof d2));
    return 0;
}

em_array *em_binary_cross_entropy(em_array *x, em_array *t, bool with_logits,
                                  em_reduction reduction)
{
    if (!x || !t)
        return NULL;
    if (same_shape("binary_cross_entropy", x, t) < 0)
        return NULL;
    CHAIN_BEGIN;
    em_array *l;
    if (with_logits) {
        l = em_subtract(em_logaddexp(x, f(0)), em_multiply(x, t));
    } else {
        em_array *lp = em_maximum(em_log(x), f(-100));
        em_array *lq = em_maximum(em_log1p(em_negative(x)), f(-100));
        l = em_negative(em_add(em_multiply(t, lp), em_multiply(em_subtract(f(1), t), lq)));
    }
    CHAIN_END(em__reduce_loss(l, reduction));
}

em_array *em_mse_loss(em_array *pred, em_array *target, em_reduction reduction)
{
    if (!pred || !target)
        return NULL;
    if (same_shape("mse_loss", pred, target) < 0)
        return NULL;
    CHAIN_BEGIN;
    CHAIN_END(em__reduce_loss(em_square(em_subtract(pred, target)), reduction));
}

em_array *em_l1_loss(em_array *pred, em_array *target, em_reduction reduction)
{
    if (!pred || !target)
        return NULL;
    if (same_shape("l1_loss", pred, target) < 0)
        return NULL;
    CHAIN_BEGIN;
    CHAIN_END(em__reduce_loss(em_abs(em_subtract(pred, target)), reduction));
}

em_array *em_smooth_l1_loss(em_array *pred, em_array *target, double beta, em_reduction reduction)
{
    if (!pred || !target)
        return NULL;
    if (same_shape("smooth_l1_loss", pred, target) < 0)
        return NULL;
    if (!(beta > 0)) {
        em__error("smooth_l1_loss: beta %g must be positive", beta);
        return NULL;
    }
    CHAIN_BEGIN;
    em_array *d = em_abs(em_subtract(pred, target));
    em_array *l = em_where(em_less(d, f(beta)), em_multiply(em_square(d), f(0.5 / beta)),
                           em_subtract(d, f(0.5 * beta)));
    CHAIN_END(em__reduce_loss(l, reduction));
}

em_array *em_kl_div_loss(em_array *input, em_array *target, bool log_target,
                         em_reduction reduction)
{
    if (!input || !target)
        return NULL;
    if (same_shape("kl_div_loss", input, target) < 0)
        return NULL;
    CHAIN_BEGIN;
    em_array *l;
    if (log_target) {
        l = em_multiply(em_exp(target), em_subtract(target, input));
    } else {
        em_array *pos = em_greater(target, f(0));
        em_array *safe = em_where(pos, target, em_ones_like(target));
        l = em_where(pos, em_multiply(target, em_subtract(em_log(safe), input)),
                     em_zeros_like(input));
    }
    CHAIN_END(em__reduce_loss(l, reduction));
}
