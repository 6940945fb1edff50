/* Functional layers and activations, composed of ops (gradients come from the
 * ops' rules). */
#include <math.h>
#include <string.h>

#include "nn_internal.h"

#define CHAIN_BEGIN em_scope *s_ = em_scope_begin()
#define CHAIN_END(r) return em__composite_end(s_, (r))

static em_array *f(double v) { return em_scalar_f(v); }

em_array *em_linear(em_array *x, em_array *w, em_array *b)
{
    if (!x || !w)
        return NULL;
    char d1[96], d2[96];
    if (em_array_ndim(w) != 2 || em_array_ndim(x) < 1 ||
        em_array_dim(x, -1) != em_array_dim(w, 1)) {
        em__error("linear: input %s does not fit weight %s (out, in)",
                  em__describe(x, d1, sizeof d1), em__describe(w, d2, sizeof d2));
        return NULL;
    }
    CHAIN_BEGIN;
    em_array *y = em_matmul(x, em_transpose(w, NULL));
    if (b)
        y = em_add(y, b);
    CHAIN_END(y);
}

em_array *em_embedding(em_array *ids, em_array *table)
{
    if (!ids || !table)
        return NULL;
    char d1[96], d2[96];
    if (em_array_ndim(table) != 2 || !em_dtype_is_int(em_array_dtype(ids))) {
        em__error("embedding: ids %s must be integers and the table %s (num, dims)",
                  em__describe(ids, d1, sizeof d1), em__describe(table, d2, sizeof d2));
        return NULL;
    }
    return em_take(table, ids, 0);
}

em_array *em_dropout(em_array *x, double p, em_array *key)
{
    if (!x)
        return NULL;
    if (!(p >= 0 && p < 1)) {
        em__error("dropout: probability %g is not in [0, 1)", p);
        return NULL;
    }
    if (p == 0)
        return em__track(em_retain(x));
    CHAIN_BEGIN;
    em_array *keep = em_random_bernoulli(f(1 - p), em_array_ndim(x), em_array_shape(x), key);
    em_array *y = em_multiply(em_where(keep, x, em_zeros_like(x)), f(1 / (1 - p)));
    CHAIN_END(y);
}

em_array *em_causal_mask(int64_t L, em_dtype dtype)
{
    CHAIN_BEGIN;
    em_array *lower = em_tri(L, L, 0, EM_BOOL);
    em_array *m = em_where(lower, em_scalar(0, dtype), em_scalar(-INFINITY, dtype));
    CHAIN_END(m);
}

/* ---- activations ---- */
em_array *em_relu(em_array *x)
{
    if (!x)
        return NULL;
    CHAIN_BEGIN;
    CHAIN_END(em_maximum(x, f(0)));
}

em_array *em_relu6(em_array *x)
{
    if (!x)
        return NULL;
    CHAIN_BEGIN;
    CHAIN_END(em_minimum(em_maximum(x, f(0)), f(6)));
}

em_array *em_gelu(em_array *x)
{
    if (!x)
        return NULL;
    CHAIN_BEGIN;
    em_array *y = em_multiply(em_multiply(x, f(0.5)),
                              em_add(f(1), em_erf(em_multiply(x, f(M_SQRT1_2)))));
    CHAIN_END(y);
}

em_array *em_gelu_approx(em_array *x)
{
    if (!x)
        return NULL;
    CHAIN_BEGIN;
    em_array *inner = em_multiply(
        f(sqrt(2 / M_PI)), em_add(x, em_multiply(f(0.044715), em_multiply(x, em_square(x)))));
    em_array *y = em_multiply(em_multiply(x, f(0.5)), em_add(f(1), em_tanh(inner)));
    CHAIN_END(y);
}

em_array *em_silu(em_array *x)
{
    if (!x)
        return NULL;
    CHAIN_BEGIN;
    CHAIN_END(em_multiply(x, em_sigmoid(x)));
}

em_array *em_softplus(em_array *x)
{
    if (!x)
        return NULL;
    CHAIN_BEGIN;
    CHAIN_END(em_logaddexp(x, f(0)));
}

em_array *em_log_sigmoid(em_array *x)
{
    if (!x)
        return NULL;
    CHAIN_BEGIN;
    CHAIN_END(em_negative(em_logaddexp(em_negative(x), f(0))));
}

em_array *em_mish(em_array *x)
{
    if (!x)
        return NULL;
    CHAIN_BEGIN;
    CHAIN_END(em_multiply(x, em_tanh(em_logaddexp(x, f(0)))));
}

em_array *em_leaky_relu(em_array *x, double slope)
{
    if (!x)
        return NULL;
    CHAIN_BEGIN;
    CHAIN_END(em_where(em_greater(x, f(0)), x, em_multiply(x, f(slope))));
}

em_array *em_elu(em_array *x, double alpha)
{
    if (!x)
        return NULL;
    CHAIN_BEGIN;
    /* expm1 of min(x, 0): no overflow (nor inf * 0 in the gradient) for large x */
    em_array *neg = em_multiply(f(alpha), em_expm1(em_minimum(x, f(0))));
    CHAIN_END(em_where(em_greater(x, f(0)), x, neg));
}

em_array *em_activate(em_array *x, em_activation act, double param)
{
    if (!x)
        return NULL;
    switch (act) {
    case EM_ACT_IDENTITY: return em__track(em_retain(x));
    case EM_ACT_RELU: return em_relu(x);
    case EM_ACT_RELU6: return em_relu6(x);
    case EM_ACT_GELU: return em_gelu(x);
    case EM_ACT_GELU_APPROX: return em_gelu_approx(x);
    case EM_ACT_SILU: return em_silu(x);
    case EM_ACT_SIGMOID: return em_sigmoid(x);
    case EM_ACT_TANH: return em_tanh(x);
    case EM_ACT_SOFTPLUS: return em_softplus(x);
    case EM_ACT_MISH: return em_mish(x);
    case EM_ACT_LEAKY_RELU: return em_leaky_relu(x, param ? param : 0.01);
    case EM_ACT_ELU: return em_elu(x, param ? param : 1.0);
    case EM_ACT_SOFTMAX: return em_softmax(x, param ? (int)param : -1);
    case EM_ACT_LOG_SIGMOID: return em_log_sigmoid(x);
    }
    em__error("activate: unknown activation %d", (int)act);
    return NULL;
}

static const char *const act_names[] = {
    [EM_ACT_IDENTITY] = "identity", [EM_ACT_RELU] = "relu", [EM_ACT_GELU] = "gelu",
    [EM_ACT_GELU_APPROX] = "gelu_approx", [EM_ACT_SILU] = "silu", [EM_ACT_SIGMOID] = "sigmoid",
    [EM_ACT_TANH] = "tanh", [EM_ACT_SOFTPLUS] = "softplus", [EM_ACT_MISH] = "mish",
    [EM_ACT_LEAKY_RELU] = "leaky_relu", [EM_ACT_ELU] = "elu", [EM_ACT_SOFTMAX] = "softmax",
    [EM_ACT_RELU6] = "relu6", [EM_ACT_LOG_SIGMOID] = "log_sigmoid",
};

int em_activation_from_name(const char *name)
{
    for (int i = 0; name && i < (int)(sizeof act_names / sizeof *act_names); i++)
        if (act_names[i] && !strcmp(act_names[i], name))
            return i;
    return -1;
}

const char *em__activation_name(em_activation a)
{
    return (unsigned)a < sizeof act_names / sizeof *act_names ? act_names[a] : "?";
}

/* ---- initialisers ---- */
static void fans(int ndim, const int64_t *shape, double *fan_in, double *fan_out)
{
    if (ndim < 1) {
        *fan_in = *fan_out = 1;
        return;
    }
    if (ndim == 1) {
        *fan_in = *fan_out = (double)shape[0];
        return;
    }
    double rf = 1;
    for (int d = 1; d < ndim - 1; d++)
        rf *= (double)shape[d];
    *fan_in = (double)shape[ndim - 1] * rf;
    *fan_out = (double)shape[0] * rf;
}

em_array *em_init_zeros(int ndim, const int64_t *shape, em_dtype dtype)
{
    return em_zeros(ndim, shape, dtype);
}

em_array *em_init_ones(int ndim, const int64_t *shape, em_dtype dtype)
{
    return em_ones(ndim, shape, dtype);
}

em_array *em_init_normal(int ndim, const int64_t *shape, double mean, double std, em_dtype dtype,
                         em_array *key)
{
    return em_random_normal(ndim, shape, mean, std, dtype, key);
}

em_array *em_init_uniform(int ndim, const int64_t *shape, double low, double high,
                          em_dtype dtype, em_array *key)
{
    return em_random_uniform(ndim, shape, low, high, dtype, key);
}

em_array *em_init_glorot_normal(int ndim, const int64_t *shape, double gain, em_dtype dtype,
                                em_array *key)
{
    double fi, fo;
    fans(ndim, shape, &fi, &fo);
    return em_random_normal(ndim, shape, 0, gain * sqrt(2.0 / (fi + fo)), dtype, key);
}

em_array *em_init_glorot_uniform(int ndim, const int64_t *shape, double gain, em_dtype dtype,
                                 em_array *key)
{
    double fi, fo;
    fans(ndim, shape, &fi, &fo);
    double lim = gain * sqrt(6.0 / (fi + fo));
    return em_random_uniform(ndim, shape, -lim, lim, dtype, key);
}

em_array *em_init_he_normal(int ndim, const int64_t *shape, double gain, bool use_fan_out,
                            em_dtype dtype, em_array *key)
{
    double fi, fo;
    fans(ndim, shape, &fi, &fo);
    if (gain == 0)
        gain = M_SQRT2;
    return em_random_normal(ndim, shape, 0, gain / sqrt(use_fan_out ? fo : fi), dtype, key);
}

em_array *em_init_he_uniform(int ndim, const int64_t *shape, double gain, bool use_fan_out,
                             em_dtype dtype, em_array *key)
{
    double fi, fo;
    fans(ndim, shape, &fi, &fo);
    if (gain == 0)
        gain = M_SQRT2;
    double lim = gain * sqrt(3.0 / (use_fan_out ? fo : fi));
    return em_random_uniform(ndim, shape, -lim, lim, dtype, key);
}
