/* Gradient cases of the scans (cumsum, cumprod, cummax, cummin), the sorts
 * (sort, partition, topk) and of argsort, argpartition, argmax, argmin
 * (batched, and used as indices). */
#include "grad.h"

static em_array *f64(em_array *a) { return em_astype(a, EM_FLOAT64); }
/* drops the first (or last) element of axis 1: an exclusive max/min scan
 * starts (or ends) with -inf/+inf */
static em_array *drop(em_array *a, bool last)
{
    int64_t start[2] = {0, last ? 0 : 1}, stop[2] = {a ? em_array_shape(a)[0] : 0, a ? em_array_shape(a)[1] - (last ? 1 : 0) : 0};
    return em_slice(a, start, stop, NULL);
}

static em_array *f_cumsum(em_array *const *x) { return em_cumsum(x[0], 1, false, true); }
static em_array *f_cumsum_rev(em_array *const *x) { return em_cumsum(x[0], 0, true, true); }
static em_array *f_cumsum_excl(em_array *const *x) { return em_cumsum(x[0], -1, false, false); }
static em_array *f_cumsum_rev_excl(em_array *const *x) { return em_cumsum(x[0], 1, true, false); }
static em_array *f_cumsum_flat(em_array *const *x) { return em_cumsum(x[0], EM_AXIS_ALL, false, true); }
static em_array *f_cumprod(em_array *const *x) { return em_cumprod(x[0], 1, false, true); }
static em_array *f_cumprod_rev(em_array *const *x) { return em_cumprod(x[0], 0, true, true); }
static em_array *f_cumprod_excl(em_array *const *x) { return em_cumprod(x[0], 1, false, false); }
static em_array *f_cumprod_rev_excl(em_array *const *x) { return em_cumprod(x[0], 1, true, false); }
static em_array *f_cummax(em_array *const *x) { return em_cummax(x[0], 1, false, true); }
static em_array *f_cummax_rev(em_array *const *x) { return em_cummax(x[0], 1, true, true); }
static em_array *f_cummax_axis0(em_array *const *x) { return em_cummax(x[0], 0, false, true); }
static em_array *f_cummax_excl(em_array *const *x) { return drop(em_cummax(x[0], 1, false, false), false); }
static em_array *f_cummax_rev_excl(em_array *const *x) { return drop(em_cummax(x[0], 1, true, false), true); }
static em_array *f_cummin(em_array *const *x) { return em_cummin(x[0], 1, false, true); }
static em_array *f_cummin_rev(em_array *const *x) { return em_cummin(x[0], 1, true, true); }
static em_array *f_cummin_excl(em_array *const *x) { return drop(em_cummin(x[0], 1, false, false), false); }
static em_array *f_cummin_rev_excl(em_array *const *x) { return drop(em_cummin(x[0], 1, true, false), true); }

static em_array *f_sort(em_array *const *x) { return em_sort(x[0], 1); }
static em_array *f_sort_axis0(em_array *const *x) { return em_sort(x[0], 0); }
static em_array *f_sort_flat(em_array *const *x) { return em_sort(x[0], EM_AXIS_ALL); }
static em_array *f_partition(em_array *const *x) { return em_partition(x[0], 1, 1); }
static em_array *f_partition_axis0(em_array *const *x) { return em_partition(x[0], -1, 0); }
static em_array *f_topk(em_array *const *x) { return em_topk(x[0], 2, 1); }
static em_array *f_topk_flat(em_array *const *x) { return em_topk(x[0], 3, EM_AXIS_ALL); }
/* integer results: zero gradient, but they batch */
static em_array *f_argsort(em_array *const *x) { return f64(em_argsort(x[0], 1)); }
static em_array *f_argpartition(em_array *const *x) { return f64(em_argpartition(x[0], 2, 0)); }
static em_array *f_argmax(em_array *const *x) { return f64(em_argmax(x[0], 1, false)); }
static em_array *f_argmin_keep(em_array *const *x) { return f64(em_argmin(x[0], 0, true)); }
static em_array *f_argmax_flat(em_array *const *x) { return f64(em_argmax(x[0], EM_AXIS_ALL, false)); }
/* ... and as indices of the input */
static em_array *f_sort_by_argsort(em_array *const *x)
{
    return em_take_along_axis(x[0], em_argsort(x[0], 1), 1);
}
static em_array *f_max_by_argmax(em_array *const *x)
{
    return em_take_along_axis(x[0], em_argmax(x[0], 1, true), 1);
}
/* y sorted by the order of x */
static em_array *f_sort_other(em_array *const *x)
{
    return em_take_along_axis(x[1], em_argsort(x[0], 0), 0);
}
static em_array *f_cumprod_of_sort(em_array *const *x)
{
    return em_cumprod(em_sort(em_multiply(x[0], x[1]), 1), 1, true, true);
}

#define S2(a, b) {2, {a, b}}
#define C(NAME, LO, HI) {#NAME, 1, {S2(3, 4)}, LO, HI, f_##NAME}

const grad_case grad_cases_scan[] = {
    C(cumsum, -2, 2), C(cumsum_rev, -2, 2), C(cumsum_excl, -2, 2), C(cumsum_rev_excl, -2, 2),
    C(cumsum_flat, -2, 2),
    C(cumprod, 0.5, 2), C(cumprod_rev, 0.5, 2), C(cumprod_excl, 0.5, 2),
    C(cumprod_rev_excl, 0.5, 2),
    C(cummax, -2, 2), C(cummax_rev, -2, 2), C(cummax_axis0, -2, 2), C(cummax_excl, -2, 2),
    C(cummax_rev_excl, -2, 2),
    C(cummin, -2, 2), C(cummin_rev, -2, 2), C(cummin_excl, -2, 2), C(cummin_rev_excl, -2, 2),
    C(sort, -2, 2), C(sort_axis0, -2, 2), C(sort_flat, -2, 2), C(partition, -2, 2),
    C(partition_axis0, -2, 2), C(topk, -2, 2), C(topk_flat, -2, 2),
    C(argsort, -2, 2), C(argpartition, -2, 2), C(argmax, -2, 2), C(argmin_keep, -2, 2),
    C(argmax_flat, -2, 2), C(sort_by_argsort, -2, 2), C(max_by_argmax, -2, 2),
    {"sort_other", 2, {S2(4, 3), S2(4, 3)}, -2, 2, f_sort_other},
    {"cumprod_of_sort", 2, {S2(3, 4), S2(3, 4)}, 0.5, 1.5, f_cumprod_of_sort},
    {0},
};
