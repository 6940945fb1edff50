/* Gradient cases of the elementwise, view and reduction primitives, and of
 * composites built from them. */
#include "grad.h"

#define U(NAME) static em_array *f_##NAME(em_array *const *x) { return em_##NAME(x[0]); }
#define B(NAME) static em_array *f_##NAME(em_array *const *x) { return em_##NAME(x[0], x[1]); }
U(abs) U(negative) U(square) U(sqrt) U(rsqrt) U(reciprocal) U(exp) U(expm1) U(log) U(log1p) U(log2)
U(log10) U(sin) U(cos) U(tan) U(arcsin) U(arccos) U(arctan) U(sinh) U(cosh) U(tanh) U(arcsinh)
U(arccosh) U(arctanh) U(sigmoid) U(erf) U(erfinv)
B(add) B(subtract) B(multiply) B(divide) B(power) B(maximum) B(minimum) B(logaddexp) B(arctan2)
B(remainder)

static em_array *f_where(em_array *const *x) { return em_where(em_greater(x[0], em_scalar_f(0)), x[0], x[1]); }
static em_array *f_clip(em_array *const *x) { return em_clip(x[0], em_scalar_f(-0.5), em_scalar_f(0.5)); }
static em_array *f_astype(em_array *const *x) { return em_astype(em_astype(x[0], EM_FLOAT32), EM_FLOAT64); }
static em_array *f_bcast_add(em_array *const *x) { return em_add(x[0], x[1]); }
static em_array *f_reshape(em_array *const *x) { return em_reshape(x[0], 2, (int64_t[]){4, 3}); }
static em_array *f_transpose(em_array *const *x) { return em_transpose(x[0], (int[]){2, 0, 1}); }
static em_array *f_slice(em_array *const *x)
{
    return em_slice(x[0], (int64_t[]){1, -1}, (int64_t[]){3, 0}, (int64_t[]){1, -2});
}
static em_array *f_broadcast(em_array *const *x) { return em_broadcast_to(x[0], 3, (int64_t[]){2, 3, 4}); }
static em_array *f_contiguous(em_array *const *x) { return em_contiguous(em_transpose(x[0], NULL)); }
static em_array *f_sum(em_array *const *x) { return em_sum(x[0], (int[]){1}, 1, false); }
static em_array *f_sum_keep(em_array *const *x) { return em_sum(x[0], (int[]){0, 2}, 2, true); }
static em_array *f_prod(em_array *const *x) { return em_prod(x[0], (int[]){-1}, 1, false); }
static em_array *f_max(em_array *const *x) { return em_max(x[0], (int[]){1}, 1, false); }
static em_array *f_min(em_array *const *x) { return em_min(x[0], NULL, 0, false); }
static em_array *f_mean(em_array *const *x) { return em_mean(x[0], (int[]){0}, 1, false); }
static em_array *f_var(em_array *const *x) { return em_var(x[0], (int[]){1}, 1, false, 1); }
static em_array *f_std(em_array *const *x) { return em_std(x[0], NULL, 0, false, 0); }
static em_array *f_logsumexp(em_array *const *x) { return em_logsumexp(x[0], (int[]){-1}, 1, false); }
/* composites: softmax cross-entropy and layer norm written with basic ops */
static em_array *one_hot(const int32_t *labels, int n, int classes)
{
    em_array *l = em_reshape(em_array_from_data(labels, 1, (int64_t[]){n}, EM_INT32), 2, (int64_t[]){n, 1});
    em_array *c = em_reshape(em_arange(0, classes, 1, EM_INT32), 2, (int64_t[]){1, classes});
    return em_astype(em_equal(l, c), EM_FLOAT64);
}
static em_array *f_xent(em_array *const *x)
{
    em_array *logits = x[0];
    em_array *lse = em_logsumexp(logits, (int[]){-1}, 1, true);
    em_array *logp = em_subtract(logits, lse);
    em_array *target = one_hot((int32_t[]){1, 4, 0}, 3, 5);
    return em_negative(em_mean(em_sum(em_multiply(logp, target), (int[]){-1}, 1, false), NULL, 0, false));
}

static em_array *f_layer_norm_basic(em_array *const *x)
{
    em_array *mu = em_mean(x[0], (int[]){-1}, 1, true);
    em_array *var = em_var(x[0], (int[]){-1}, 1, true, 0);
    em_array *xhat = em_multiply(em_subtract(x[0], mu), em_rsqrt(em_add(var, em_scalar_f(1e-5))));
    return em_add(em_multiply(xhat, x[1]), x[2]);
}

#define S1(n) {1, {n}}
#define S2(a, b) {2, {a, b}}
#define S3(a, b, c) {3, {a, b, c}}
#define UCASE(NAME, LO, HI) {#NAME, 1, {S2(3, 4)}, LO, HI, f_##NAME}
#define BCASE(NAME, LO, HI) {#NAME, 2, {S2(3, 4), S2(3, 4)}, LO, HI, f_##NAME}

const grad_case grad_cases_elementwise[] = {
    UCASE(abs, 0.1, 2), UCASE(negative, -2, 2), UCASE(square, -2, 2), UCASE(sqrt, 0.5, 3),
    UCASE(rsqrt, 0.5, 3), UCASE(reciprocal, 0.5, 3), UCASE(exp, -2, 2), UCASE(expm1, -2, 2),
    UCASE(log, 0.5, 3), UCASE(log1p, -0.5, 3), UCASE(log2, 0.5, 3), UCASE(log10, 0.5, 3),
    UCASE(sin, -3, 3), UCASE(cos, -3, 3), UCASE(tan, -1, 1), UCASE(arcsin, -0.9, 0.9),
    UCASE(arccos, -0.9, 0.9), UCASE(arctan, -3, 3), UCASE(sinh, -2, 2), UCASE(cosh, -2, 2),
    UCASE(tanh, -2, 2), UCASE(arcsinh, -3, 3), UCASE(arccosh, 1.2, 3), UCASE(arctanh, -0.9, 0.9),
    UCASE(sigmoid, -3, 3), UCASE(erf, -2, 2), UCASE(erfinv, -0.9, 0.9),
    BCASE(add, -2, 2), BCASE(subtract, -2, 2), BCASE(multiply, -2, 2), BCASE(divide, 0.5, 2),
    BCASE(power, 0.5, 2), BCASE(maximum, -2, 2), BCASE(minimum, -2, 2), BCASE(logaddexp, -2, 2),
    BCASE(arctan2, 0.5, 2), BCASE(remainder, 0.5, 2),
    {"where", 2, {S2(3, 4), S2(3, 4)}, -2, 2, f_where},
    {"clip", 1, {S2(3, 4)}, -1, 1, f_clip, 0, 2e-5},
    /* through float32: finite differences of a rounded function are noisy */
    {"astype", 1, {S2(3, 4)}, -1, 1, f_astype, 0, 5e-2},
    {"broadcast_add", 2, {S3(2, 3, 4), S2(1, 4)}, -2, 2, f_bcast_add},
    {"reshape", 1, {S2(3, 4)}, -2, 2, f_reshape},
    {"transpose", 1, {S3(2, 3, 4)}, -2, 2, f_transpose},
    {"slice", 1, {S2(4, 5)}, -2, 2, f_slice},
    {"broadcast_to", 1, {S2(3, 1)}, -2, 2, f_broadcast},
    {"contiguous", 1, {S2(3, 4)}, -2, 2, f_contiguous},
    {"sum", 1, {S3(2, 3, 4)}, -2, 2, f_sum},
    {"sum_keepdims", 1, {S3(2, 3, 4)}, -2, 2, f_sum_keep},
    {"prod", 1, {S2(3, 4)}, 0.5, 2, f_prod},
    {"max", 1, {S2(3, 4)}, -2, 2, f_max},
    {"min", 1, {S2(3, 4)}, -2, 2, f_min},
    {"mean", 1, {S2(3, 4)}, -2, 2, f_mean},
    {"var", 1, {S2(3, 4)}, -2, 2, f_var},
    {"std", 1, {S2(3, 4)}, -2, 2, f_std},
    {"logsumexp", 1, {S2(3, 4)}, -2, 2, f_logsumexp},
    {"softmax_cross_entropy_basic", 1, {S2(3, 5)}, -2, 2, f_xent},
    {"layer_norm_basic", 3, {S2(3, 6), S1(6), S1(6)}, -2, 2, f_layer_norm_basic},
    {0},
};
