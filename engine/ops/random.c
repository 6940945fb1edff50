/* Keyed random numbers (threefry-2x32, as MLX/JAX). Everything is built on the
 * RANDOM_BITS primitive; the distributions are chains of ordinary ops. */
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "cpu/threefry.h"
#include "ember/random.h"
#include "ops_internal.h"

/* Ops of other families, referenced weakly so that this file links before they
 * exist; a call without them fails with a message. */
#pragma weak em_argmax
#pragma weak em_argsort
#pragma weak em_take

/* ---- the global key ---- */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t g_key[2];
static bool g_seeded;

static void key_of_seed(uint64_t seed, uint32_t k[2])
{
    k[0] = (uint32_t)(seed >> 32);
    k[1] = (uint32_t)seed;
}

void em_random_seed(uint64_t seed)
{
    pthread_mutex_lock(&g_lock);
    key_of_seed(seed, g_key);
    g_seeded = true;
    pthread_mutex_unlock(&g_lock);
}

/* Splits the global key in two (as em_random_split(key, 2)): the first half
 * becomes the new global key, the second is returned as a new array. */
static em_array *next_key(void)
{
    uint32_t w[4], sub[2];
    pthread_mutex_lock(&g_lock);
    if (!g_seeded) {
        key_of_seed((uint64_t)time(NULL), g_key);
        g_seeded = true;
    }
    em__threefry_words(g_key, 4, 0, 2, w);
    g_key[0] = w[0];
    g_key[1] = w[1];
    sub[0] = w[2];
    sub[1] = w[3];
    pthread_mutex_unlock(&g_lock);
    int64_t two = 2;
    return em_array_from_data(sub, 1, &two, EM_UINT32);
}

em_array *em_random_key(uint64_t seed)
{
    uint32_t k[2];
    key_of_seed(seed, k);
    int64_t two = 2;
    return em_array_from_data(k, 1, &two, EM_UINT32);
}

static int check_key(const char *op, em_array *key)
{
    if (key && (key->dtype != EM_UINT32 || key->ndim != 1 || key->shape[0] != 2)) {
        char d[128];
        return em__error("%s: a key is a uint32 array of shape (2), got %s", op,
                         em__describe(key, d, sizeof d));
    }
    return 0;
}

static int check_shape(const char *op, int ndim, const int64_t *shape)
{
    if (ndim < 0 || ndim > EM_MAX_DIMS || (ndim && !shape))
        return em__error("%s: bad shape (%d dimensions)", op, ndim);
    for (int i = 0; i < ndim; i++)
        if (shape[i] < 0)
            return em__error("%s: negative dimension %lld", op, (long long)shape[i]);
    return 0;
}

static em_array *bits_node(const char *op, int ndim, const int64_t *shape, int width, em_array *key)
{
    if (check_shape(op, ndim, shape) < 0 || check_key(op, key) < 0)
        return NULL;
    em_dtype t = width == 1 ? EM_UINT8 : width == 2 ? EM_UINT16 : width == 4 ? EM_UINT32 : EM_BOOL;
    if (t == EM_BOOL) {
        em__error("%s: width must be 1, 2 or 4 bytes, got %d", op, width);
        return NULL;
    }
    em__internal_begin();
    em_array *k = key ? em_retain(key) : next_key();
    em_array *r = NULL;
    if (k) {
        em_params p = {.i = {width}};
        r = em__node(EM_P_RANDOM_BITS, t, ndim, shape, &k, 1, &p);
    }
    em_release(k);
    return em__internal_end(r);
}

em_array *em_random_bits(int ndim, const int64_t *shape, int width, em_array *key)
{
    return bits_node("random_bits", ndim, shape, width, key);
}

em_array *em_random_split(em_array *key, int n)
{
    if (n < 0) {
        em__error("random_split: n must be non-negative, got %d", n);
        return NULL;
    }
    int64_t shape[2] = {n, 2};
    return bits_node("random_split", 2, shape, 4, key);
}

static float half_value(em_dtype t, uint16_t b)
{
    return t == EM_FLOAT16 ? em_f16_to_f32(b) : em_bf16_to_f32(b);
}

/* The representable value of dtype t next to x in the direction of `toward`
 * (strictly beyond x). */
static double step_toward(em_dtype t, double x, double toward)
{
    if (t == EM_FLOAT64)
        return nextafter(x, toward);
    if (t == EM_FLOAT32)
        return nextafterf((float)x, (float)toward);
    uint16_t b = t == EM_FLOAT16 ? em_f32_to_f16((float)x) : em_f32_to_bf16((float)x);
    float v = half_value(t, b);
    bool down = toward < x;
    while (down ? v >= x : v <= x) {
        bool neg = b & 0x8000;
        if ((b & 0x7fff) == 0)
            b = down ? 0x8001 : 0x0001;
        else
            b = (uint16_t)(down == neg ? b + 1 : b - 1);
        v = half_value(t, b);
    }
    return v;
}

/* Uniform in [lo, hi): the top mantissa bits of random words give a float in
 * [0, 1) exactly (as MLX), then scaled. Inside a caller's scope. */
static em_array *uniform_chain(int ndim, const int64_t *shape, double lo, double hi, em_dtype t,
                               em_array *key)
{
    int width = t == EM_FLOAT16 || t == EM_BFLOAT16 ? 2 : 4;
    int mant = t == EM_FLOAT16 ? 10 : t == EM_BFLOAT16 ? 7 : t == EM_FLOAT32 ? 23 : 32;
    em_dtype ct = t == EM_FLOAT64 ? EM_FLOAT64 : EM_FLOAT32;
    em_array *bits = em_random_bits(ndim, shape, width, key);
    if (mant < width * 8)
        bits = em_right_shift(bits, em_scalar(width * 8 - mant, width == 2 ? EM_UINT16 : EM_UINT32));
    em_array *u = em_multiply(em_astype(bits, ct), em_scalar(ldexp(1.0, -mant), ct));
    u = em_add(em_multiply(u, em_scalar(hi - lo, ct)), em_scalar(lo, ct));
    return em_minimum(em_astype(u, t), em_scalar(step_toward(t, hi, lo), t));
}

static int check_float(const char *op, em_dtype t)
{
    if ((unsigned)t >= EM_DTYPE_COUNT || !em_dtype_is_float(t))
        return em__error("%s: needs a floating dtype, got %s", op,
                         (unsigned)t < EM_DTYPE_COUNT ? em_dtype_name(t) : "unknown");
    return 0;
}

static int check_common(const char *op, int ndim, const int64_t *shape, em_dtype t, em_array *key)
{
    if (check_float(op, t) < 0 || check_shape(op, ndim, shape) < 0 || check_key(op, key) < 0)
        return -1;
    return 0;
}

em_array *em_random_uniform(int ndim, const int64_t *shape, double low, double high, em_dtype dtype,
                            em_array *key)
{
    if (check_common("random_uniform", ndim, shape, dtype, key) < 0)
        return NULL;
    if (!(high > low)) {
        em__error("random_uniform: needs low < high, got [%g, %g)", low, high);
        return NULL;
    }
    em_scope *s = em_scope_begin();
    em_array *r = uniform_chain(ndim, shape, low, high, dtype, key);
    return em__composite_end(s, r);
}

em_array *em_random_normal(int ndim, const int64_t *shape, double loc, double scale,
                           em_dtype dtype, em_array *key)
{
    if (check_common("random_normal", ndim, shape, dtype, key) < 0)
        return NULL;
    em_scope *s = em_scope_begin();
    em_dtype ct = dtype;
    /* from just above -1 (erfinv(-1) is -inf) to 1, as MLX */
    em_array *u = uniform_chain(ndim, shape, step_toward(dtype, -1.0, 0.0), 1.0, dtype, key);
    em_array *r = em_multiply(em_erfinv(u), em_scalar(M_SQRT2, ct));
    if (scale != 1.0)
        r = em_multiply(r, em_scalar(scale, ct));
    if (loc != 0.0)
        r = em_add(r, em_scalar(loc, ct));
    return em__composite_end(s, r);
}

em_array *em_random_randint(int ndim, const int64_t *shape, int64_t low, int64_t high,
                            em_dtype dtype, em_array *key)
{
    if ((unsigned)dtype >= EM_DTYPE_COUNT || !em_dtype_is_int(dtype)) {
        em__error("random_randint: needs an integer dtype, got %s",
                  (unsigned)dtype < EM_DTYPE_COUNT ? em_dtype_name(dtype) : "unknown");
        return NULL;
    }
    if (check_shape("random_randint", ndim, shape) < 0 || check_key("random_randint", key) < 0)
        return NULL;
    if (high <= low) {
        em__error("random_randint: needs low < high, got [%lld, %lld)", (long long)low, (long long)high);
        return NULL;
    }
    em_scope *s = em_scope_begin();
    /* float64 keeps every integer of ranges up to 2^32 exact */
    em_array *u = uniform_chain(ndim, shape, (double)low, (double)high, EM_FLOAT64, key);
    em_array *r = em_astype(em_floor(u), dtype);
    return em__composite_end(s, r);
}

em_array *em_random_bernoulli(em_array *p, int ndim, const int64_t *shape, em_array *key)
{
    if (!p)
        return NULL;
    if (!shape && ndim == 0) {
        ndim = p->ndim;
        shape = p->shape;
    }
    if (check_shape("random_bernoulli", ndim, shape) < 0 || check_key("random_bernoulli", key) < 0)
        return NULL;
    int nd;
    int64_t bshape[EM_MAX_DIMS];
    if (em__broadcast_shapes("random_bernoulli", p->ndim, p->shape, ndim, shape, &nd, bshape) < 0)
        return NULL;
    if (nd != ndim || memcmp(bshape, shape, ndim * sizeof *shape)) {
        char d[128];
        em__error("random_bernoulli: p %s does not broadcast to the asked shape",
                  em__describe(p, d, sizeof d));
        return NULL;
    }
    em_scope *s = em_scope_begin();
    em_dtype t = em_dtype_is_float((em_dtype)p->dtype) ? (em_dtype)p->dtype : EM_FLOAT32;
    em_array *u = uniform_chain(ndim, shape, 0.0, 1.0, t, key);
    em_array *r = em_less(u, em_astype(p, t));
    return em__composite_end(s, r);
}

em_array *em_random_truncated_normal(int ndim, const int64_t *shape, double lower, double upper,
                                     em_dtype dtype, em_array *key)
{
    if (check_common("random_truncated_normal", ndim, shape, dtype, key) < 0)
        return NULL;
    if (!(upper > lower)) {
        em__error("random_truncated_normal: needs lower < upper, got [%g, %g]", lower, upper);
        return NULL;
    }
    em_scope *s = em_scope_begin();
    double lo = erf(lower / M_SQRT2), hi = erf(upper / M_SQRT2);
    em_array *u;
    if (hi > lo) {
        u = uniform_chain(ndim, shape, lo, hi, dtype, key);
        /* erfinv at exactly -1 would be -inf */
        u = em_maximum(u, em_scalar(fmax(lo, step_toward(dtype, -1.0, 0.0)), dtype));
    } else {
        u = em_full(ndim, shape, lo, dtype);
    }
    em_array *r = em_multiply(em_erfinv(u), em_scalar(M_SQRT2, dtype));
    r = em_clip(r, em_scalar(lower, dtype), em_scalar(upper, dtype));
    return em__composite_end(s, r);
}

static double tiny_of(em_dtype t)
{
    switch (t) {
    case EM_FLOAT16: return 6.103515625e-05;
    case EM_BFLOAT16: return FLT_MIN;
    case EM_FLOAT32: return FLT_MIN;
    default: return DBL_MIN;
    }
}

em_array *em_random_gumbel(int ndim, const int64_t *shape, em_dtype dtype, em_array *key)
{
    if (check_common("random_gumbel", ndim, shape, dtype, key) < 0)
        return NULL;
    em_scope *s = em_scope_begin();
    em_array *u = uniform_chain(ndim, shape, tiny_of(dtype), 1.0, dtype, key);
    em_array *r = em_negative(em_log(em_negative(em_log(u))));
    return em__composite_end(s, r);
}

em_array *em_random_categorical(em_array *logits, int axis, em_array *key)
{
    if (!logits)
        return NULL;
    if (em__norm_axis("random_categorical", axis, logits->ndim) < 0 ||
        check_key("random_categorical", key) < 0)
        return NULL;
    if (!em_argmax) {
        em__error("random_categorical: argmax is not built into this libember");
        return NULL;
    }
    em_scope *s = em_scope_begin();
    em_dtype t = em__float_type((em_dtype)logits->dtype);
    em_array *g = em_random_gumbel(logits->ndim, logits->shape, t, key);
    em_array *r = em_argmax(em_add(em_astype(logits, t), g), axis, false);
    return em__composite_end(s, r);
}

em_array *em_random_permutation(int64_t n, em_array *key)
{
    if (n < 0) {
        em__error("random_permutation: n must be non-negative, got %lld", (long long)n);
        return NULL;
    }
    if (check_key("random_permutation", key) < 0)
        return NULL;
    if (!em_argsort) {
        em__error("random_permutation: argsort is not built into this libember");
        return NULL;
    }
    em_scope *s = em_scope_begin();
    em_array *r = em_astype(em_argsort(em_random_bits(1, &n, 4, key), 0), EM_INT32);
    return em__composite_end(s, r);
}

em_array *em_random_permutation_of(em_array *a, int axis, em_array *key)
{
    if (!a)
        return NULL;
    int ax = em__norm_axis("random_permutation", axis, a->ndim);
    if (ax < 0 || check_key("random_permutation", key) < 0)
        return NULL;
    if (!em_take) {
        em__error("random_permutation: take is not built into this libember");
        return NULL;
    }
    em_scope *s = em_scope_begin();
    em_array *r = em_take(a, em_random_permutation(a->shape[ax], key), ax);
    return em__composite_end(s, r);
}
