/* Runners of the sorting parity cases (cases_sort.py). transpose= reverses
 * the input's axes first (a non-contiguous view). Partitions are checked by
 * their contract, not by numpy's arrangement (which is implementation
 * defined): out0 = the partition sorted along the axis (the same elements),
 * out1 = the kth slice, out2 = all(before <= kth) and all(after >= kth). */
#include <string.h>

#include "parity.h"

static em_array *input(em_array *x, const parity_args *a)
{
    return parity_bool(a, "transpose", false) ? em_transpose(x, NULL) : x;
}

static int axis_of(const parity_args *a) { return (int)parity_int(a, "axis", EM_AXIS_ALL); }

static int run_sort(em_array **in, int n, const parity_args *a, em_array **out)
{
    out[0] = em_sort(input(in[0], a), axis_of(a));
    return out[0] ? 0 : -1;
}

static int run_argsort(em_array **in, int n, const parity_args *a, em_array **out)
{
    out[0] = em_argsort(input(in[0], a), axis_of(a));
    return out[0] ? 0 : -1;
}

/* The contract of a partition p of x at kth along axis (x flattened when
 * axis is EM_AXIS_ALL). */
static int check_partition(em_array *x, em_array *p, int kth, int axis, em_array **out)
{
    if (!p)
        return -1;
    if (axis == EM_AXIS_ALL) {
        int64_t m = em_array_size(x);
        x = em_reshape(x, 1, &m);
        axis = 0;
    }
    int nd = em_array_ndim(p);
    if (axis < 0)
        axis += nd;
    int64_t len = em_array_shape(p)[axis];
    if (kth < 0)
        kth += (int)len;
    int64_t start[EM_MAX_DIMS] = {0}, stop[EM_MAX_DIMS];
    memcpy(stop, em_array_shape(p), nd * sizeof *stop);
    start[axis] = kth;
    stop[axis] = kth + 1;
    em_array *k = em_slice(p, start, stop, NULL);
    start[axis] = 0;
    stop[axis] = kth;
    em_array *before = em_slice(p, start, stop, NULL);
    start[axis] = kth + 1;
    stop[axis] = len;
    em_array *after = em_slice(p, start, stop, NULL);
    out[0] = em_sort(p, axis);
    out[1] = k;
    em_array *ok = em_logical_and(em_all(em_less_equal(before, k), NULL, 0, false),
                                  em_all(em_greater_equal(after, k), NULL, 0, false));
    out[2] = ok;
    return out[0] && out[1] && out[2] ? 0 : -1;
}

static int run_partition(em_array **in, int n, const parity_args *a, em_array **out)
{
    em_array *x = input(in[0], a);
    int kth = (int)parity_int(a, "kth", 0);
    em_array *p = em_partition(x, kth, axis_of(a));
    if (parity_bool(a, "error", false))
        return p ? 0 : -1;
    return check_partition(x, p, kth, axis_of(a), out);
}

/* argpartition: take the values at the indices, then check as a partition. */
static int run_argpartition(em_array **in, int n, const parity_args *a, em_array **out)
{
    em_array *x = input(in[0], a);
    int kth = (int)parity_int(a, "kth", 0), axis = axis_of(a);
    em_array *idx = em_argpartition(x, kth, axis);
    if (parity_bool(a, "error", false))
        return idx ? 0 : -1;
    em_array *src = x;
    if (axis == EM_AXIS_ALL) {
        int64_t m = em_array_size(x);
        src = em_reshape(x, 1, &m);
    }
    em_array *p = em_take_along_axis(src, idx, axis == EM_AXIS_ALL ? 0 : axis);
    return check_partition(src, p, kth, axis == EM_AXIS_ALL ? 0 : axis, out);
}

/* topk: out0 the k largest sorted along the axis. */
static int run_topk(em_array **in, int n, const parity_args *a, em_array **out)
{
    int axis = axis_of(a);
    em_array *t = em_topk(input(in[0], a), (int)parity_int(a, "k", 1), axis);
    out[0] = t ? em_sort(t, axis == EM_AXIS_ALL ? 0 : axis) : NULL;
    return out[0] ? 0 : -1;
}

#define ENTRY(NAME) {#NAME, run_##NAME},
const parity_op parity_ops_sort[] = {
    ENTRY(sort) ENTRY(argsort) ENTRY(partition) ENTRY(argpartition) ENTRY(topk)
    {NULL, NULL},
};
