/* Sorting op constructors: sort, argsort (stable, uint32), partition,
 * argpartition, topk. Params: i[0] the axis, i[1] kth (partitions).
 * Partitions are served by the sort kernel: a sorted line is a valid
 * partition for every kth. */
#include <string.h>

#include "ops_internal.h"

/* Normalises the axis (EM_AXIS_ALL flattens) into *x (owned) and *ax. */
static int prepare(const char *op, em_array *a, int axis, em_array **x, int *ax)
{
    if (axis == EM_AXIS_ALL) {
        int64_t n = a->size;
        *x = em_reshape(a, 1, &n);
        *ax = 0;
        return *x ? 0 : -1;
    }
    if (a->ndim == 0) {
        char d[128];
        return em__error("%s: axis %d given for a scalar %s (use EM_AXIS_ALL)", op, axis,
                         em__describe(a, d, sizeof d));
    }
    *ax = em__norm_axis(op, axis, a->ndim);
    if (*ax < 0)
        return -1;
    *x = em_retain(a);
    return 0;
}

static em_array *sort_op(em_prim_id prim, em_array *a, int axis, int kth, bool has_kth)
{
    if (!a)
        return NULL;
    const char *op = em_prims[prim].name;
    em__internal_begin();
    em_array *x = NULL, *r = NULL;
    int ax;
    if (prepare(op, a, axis, &x, &ax) == 0) {
        int64_t n = x->shape[ax];
        em_params p = {.i = {ax, 0}};
        int ok = 1;
        if (n > UINT32_MAX) {
            em__error("%s: axis of %lld elements does not fit uint32 indices", op, (long long)n);
            ok = 0;
        }
        if (ok && has_kth) {
            int64_t k = kth < 0 ? kth + n : kth;
            if (k < 0 || k >= n) {
                char d[128];
                em__error("%s: kth %d out of range for axis %d of %s", op, kth, axis,
                          em__describe(a, d, sizeof d));
                ok = 0;
            }
            p.i[1] = k;
        }
        if (ok) {
            bool arg = prim == EM_P_ARGSORT || prim == EM_P_ARGPARTITION;
            r = em__node(prim, arg ? EM_UINT32 : (em_dtype)x->dtype, x->ndim, x->shape, &x, 1, &p);
        }
    }
    em_release(x);
    return em__internal_end(r);
}

em_array *em_sort(em_array *a, int axis) { return sort_op(EM_P_SORT, a, axis, 0, false); }
em_array *em_argsort(em_array *a, int axis) { return sort_op(EM_P_ARGSORT, a, axis, 0, false); }
em_array *em_partition(em_array *a, int kth, int axis)
{
    return sort_op(EM_P_PARTITION, a, axis, kth, true);
}
em_array *em_argpartition(em_array *a, int kth, int axis)
{
    return sort_op(EM_P_ARGPARTITION, a, axis, kth, true);
}

/* The last k of a partition at n - k. */
em_array *em_topk(em_array *a, int k, int axis)
{
    if (!a)
        return NULL;
    em__internal_begin();
    em_array *x = NULL, *r = NULL;
    int ax;
    if (prepare("topk", a, axis, &x, &ax) == 0) {
        int64_t n = x->shape[ax];
        if (k < 0 || k > n) {
            char d[128];
            em__error("topk: k = %d out of range for axis %d of %s", k, axis, em__describe(a, d, sizeof d));
        } else {
            int64_t start[EM_MAX_DIMS] = {0}, stop[EM_MAX_DIMS];
            memcpy(stop, x->shape, x->ndim * sizeof *stop);
            start[ax] = n - k;
            em_array *part = k == 0 ? em_retain(x) : em_partition(x, (int)(n - k), ax);
            r = em_slice(part, start, stop, NULL);
            em_release(part);
        }
    }
    em_release(x);
    return em__internal_end(r);
}
