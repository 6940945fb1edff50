/* Rules of the scans (cumsum, cumprod, cummax, cummin), the sorts (sort,
 * argsort, partition, argpartition) and the arg-reductions (argmax, argmin).
 *
 * SCAN_* params: i[0] axis, i[1] reverse, i[2] inclusive. SORT/PARTITION
 * params: i[0] axis, i[1] kth. ARGMAX/ARGMIN params: i[0] axis, i[1] keepdims.
 *
 * cumprod's rules divide only by the factors ahead of a line's first zero and
 * take that zero's own derivative from the other factors (exact with zeros).
 * cummax and cummin send each output's cotangent to the input that holds the running
 * extreme (the latest one among ties). */
#include "transforms_internal.h"

static em_array *front(em_array *x, int axis) { return axis == 0 ? x : em_moveaxis(x, axis, 0); }

/* Part [b, e) of axis ax. */
static em_array *axis_part(em_array *a, int ax, int64_t b, int64_t e)
{
    int64_t start[EM_MAX_DIMS] = {0}, stop[EM_MAX_DIMS];
    for (int d = 0; d < a->ndim; d++)
        stop[d] = a->shape[d];
    start[ax] = b;
    stop[ax] = e;
    return em_slice(a, start, stop, NULL);
}

/* Shifts a by one along ax, filling with zero: dir > 0 gives out[i] = a[i - 1],
 * dir < 0 gives out[i] = a[i + 1]. */
static em_array *shift(em_array *a, int ax, int dir)
{
    int64_t n = a->shape[ax];
    if (n == 0)
        return a;
    int64_t w[2 * EM_MAX_DIMS] = {0};
    if (dir > 0) {
        w[2 * ax] = 1;
        return em_pad(axis_part(a, ax, 0, n - 1), w, EM_PAD_CONSTANT, 0);
    }
    w[2 * ax + 1] = 1;
    return em_pad(axis_part(a, ax, 1, n), w, EM_PAD_CONSTANT, 0);
}

/* The position (along ax) of the input that each inclusive running extreme
 * `y` of x comes from. */
static em_array *extreme_source(em_array *x, em_array *y, int ax, bool reverse)
{
    int64_t n = x->shape[ax], shape[EM_MAX_DIMS];
    for (int d = 0; d < x->ndim; d++)
        shape[d] = d == ax ? n : 1;
    em_array *ar = em_reshape(em_arange(0, (double)n, 1, EM_INT32), x->ndim, shape);
    em_array *eq = em_equal(x, y);
    if (!reverse)
        return em_cummax(em_where(eq, ar, em_scalar_i(-1)), ax, false, true);
    return em_cummin(em_where(eq, ar, em_scalar_i(n)), ax, true, true);
}

static em_array *inclusive_extreme(em_prim_id prim, em_array *x, int ax, bool reverse)
{
    return prim == EM_P_SCAN_MAX ? em_cummax(x, ax, reverse, true) : em_cummin(x, ax, reverse, true);
}

/* cumprod's zeros: `before` marks the elements ahead of their line's first
 * zero (in scan order), `first` that zero; safe is x with 1 elsewhere, y1 the
 * scan with the first zero taken as 1. */
typedef struct {
    em_array *before, *first, *safe, *y1;
} prod_zeros;

static void prod_zeros_of(em_array *x, int ax, bool rev, bool incl, prod_zeros *z)
{
    em_array *is0 = em_equal(x, em_scalar_f(0));
    em_array *none_yet = em_equal(em_cumsum(em_astype(is0, EM_INT32), ax, rev, false), em_scalar_i(0));
    em_array *one = em_ones_like(x);
    z->before = em_logical_and(none_yet, em_logical_not(is0));
    z->first = em_logical_and(none_yet, is0);
    z->safe = em_where(z->before, x, one);
    z->y1 = em_cumprod(em_where(z->first, one, x), ax, rev, incl);
}

static int vjp_scan(em_array *const *outs, int n_out, em_array *const *cots, em_array *const *ins,
                    int n_in, const em_params *p, em_array **in_cots)
{
    em_array *x = ins[0], *y = outs[0], *g = cots[0];
    int ax = (int)p->i[0];
    bool rev = p->i[1], incl = p->i[2];
    em_prim_id prim = (em_prim_id)y->orig_prim;
    switch (prim) {
    case EM_P_SCAN_SUM:
        in_cots[0] = em_cumsum(g, ax, !rev, incl);
        break;
    case EM_P_SCAN_PROD: {
        /* d y_i / d x_j = prod of y_i's factors but x_j: y_i / x_j before the
         * line's first zero z, the product with x_z taken as 1 at z, 0 after */
        prod_zeros z;
        prod_zeros_of(x, ax, rev, incl, &z);
        em_array *before = em_cumsum(em_multiply(g, y), ax, !rev, incl);
        em_array *at = em_cumsum(em_multiply(g, z.y1), ax, !rev, incl);
        em_array *zero = em_zeros_like(x);
        in_cots[0] = em_where(z.before, em_divide(before, z.safe),
                              em_where(z.first, at, zero));
        break;
    }
    case EM_P_SCAN_MAX:
    case EM_P_SCAN_MIN: {
        /* an exclusive scan is the inclusive one shifted by one place */
        em_array *yi = incl ? y : inclusive_extreme(prim, x, ax, rev);
        em_array *gi = incl ? g : shift(g, ax, rev ? 1 : -1);
        em_array *src = extreme_source(x, yi, ax, rev);
        in_cots[0] = em__add_along_axis(x, src, gi, ax);
        break;
    }
    default: return 0;
    }
    return in_cots[0] ? 0 : -1;
}

static int jvp_scan(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                    em_array *const *in_tans, const em_params *p, em_array **out_tans)
{
    em_array *x = ins[0], *y = outs[0], *t = in_tans[0];
    int ax = (int)p->i[0];
    bool rev = p->i[1], incl = p->i[2];
    em_prim_id prim = (em_prim_id)y->orig_prim;
    if (!t)
        return 0;
    switch (prim) {
    case EM_P_SCAN_SUM:
        out_tans[0] = em_cumsum(t, ax, rev, incl);
        break;
    case EM_P_SCAN_PROD: {
        prod_zeros z;
        prod_zeros_of(x, ax, rev, incl, &z);
        em_array *zero = em_zeros_like(t);
        em_array *rel = em_where(z.before, em_divide(t, z.safe), zero);
        em_array *at = em_where(z.first, t, zero);
        out_tans[0] = em_add(em_multiply(y, em_cumsum(rel, ax, rev, incl)),
                             em_multiply(z.y1, em_cumsum(at, ax, rev, incl)));
        break;
    }
    case EM_P_SCAN_MAX:
    case EM_P_SCAN_MIN: {
        em_array *yi = incl ? y : inclusive_extreme(prim, x, ax, rev);
        em_array *ti = em_take_along_axis(t, extreme_source(x, yi, ax, rev), ax);
        out_tans[0] = incl ? ti : shift(ti, ax, rev ? -1 : 1);
        break;
    }
    default: return 0;
    }
    return out_tans[0] ? 0 : -1;
}

static int vmap_scan(const em_array *node, em_array *const *ins, const int *axes, int n_in,
                     em_array **outs, int *out_axes)
{
    em_array *x = front(ins[0], axes[0]);
    const em_params *p = node->params;
    int ax = (int)p->i[0] + 1;
    bool rev = p->i[1], incl = p->i[2];
    switch (node->orig_prim) {
    case EM_P_SCAN_SUM: outs[0] = em_cumsum(x, ax, rev, incl); break;
    case EM_P_SCAN_PROD: outs[0] = em_cumprod(x, ax, rev, incl); break;
    case EM_P_SCAN_MAX: outs[0] = em_cummax(x, ax, rev, incl); break;
    case EM_P_SCAN_MIN: outs[0] = em_cummin(x, ax, rev, incl); break;
    default: return em__error("vmap: no batching rule for %s", em_prims[node->orig_prim].name);
    }
    out_axes[0] = 0;
    return outs[0] ? 0 : -1;
}

/* ---- sort and partition: through the permutation the arg-version gives ---- */
static em_array *permutation(em_prim_id prim, em_array *x, const em_params *p)
{
    int ax = (int)p->i[0];
    return prim == EM_P_SORT ? em_argsort(x, ax) : em_argpartition(x, (int)p->i[1], ax);
}

static int vjp_sort(em_array *const *outs, int n_out, em_array *const *cots, em_array *const *ins,
                    int n_in, const em_params *p, em_array **in_cots)
{
    em_array *idx = permutation((em_prim_id)outs[0]->orig_prim, ins[0], p);
    /* a permutation: every input gets exactly one cotangent, so set is enough */
    in_cots[0] = em_put_along_axis(em_zeros_like(ins[0]), idx, cots[0], (int)p->i[0]);
    return in_cots[0] ? 0 : -1;
}

static int jvp_sort(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                    em_array *const *in_tans, const em_params *p, em_array **out_tans)
{
    if (!in_tans[0])
        return 0;
    em_array *idx = permutation((em_prim_id)outs[0]->orig_prim, ins[0], p);
    out_tans[0] = em_take_along_axis(in_tans[0], idx, (int)p->i[0]);
    return out_tans[0] ? 0 : -1;
}

static int vmap_sort(const em_array *node, em_array *const *ins, const int *axes, int n_in,
                     em_array **outs, int *out_axes)
{
    em_array *x = front(ins[0], axes[0]);
    const em_params *p = node->params;
    int ax = (int)p->i[0] + 1, kth = (int)p->i[1];
    switch (node->orig_prim) {
    case EM_P_SORT: outs[0] = em_sort(x, ax); break;
    case EM_P_ARGSORT: outs[0] = em_argsort(x, ax); break;
    case EM_P_PARTITION: outs[0] = em_partition(x, kth, ax); break;
    case EM_P_ARGPARTITION: outs[0] = em_argpartition(x, kth, ax); break;
    default: return em__error("vmap: no batching rule for %s", em_prims[node->orig_prim].name);
    }
    out_axes[0] = 0;
    return outs[0] ? 0 : -1;
}

/* ---- argmax, argmin: integer results, no derivative ---- */
static int vmap_argreduce(const em_array *node, em_array *const *ins, const int *axes, int n_in,
                          em_array **outs, int *out_axes)
{
    em_array *x = front(ins[0], axes[0]);
    const em_params *p = node->params;
    int ax = (int)p->i[0] + 1;
    bool keep = p->i[1];
    em_array *r = node->orig_prim == EM_P_ARGMAX ? em_argmax(x, ax, keep) : em_argmin(x, ax, keep);
    /* the node's own shape (a flattened argmax is made with shape (1)) */
    int64_t shape[EM_MAX_DIMS];
    shape[0] = x->shape[0];
    for (int d = 0; d < node->ndim; d++)
        shape[d + 1] = node->shape[d];
    outs[0] = em_reshape(r, node->ndim + 1, shape);
    out_axes[0] = 0;
    return outs[0] ? 0 : -1;
}

static int vjp_none(em_array *const *outs, int n_out, em_array *const *cots, em_array *const *ins,
                    int n_in, const em_params *p, em_array **in_cots)
{
    return 0;
}

static int jvp_none(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                    em_array *const *in_tans, const em_params *p, em_array **out_tans)
{
    return 0;
}

__attribute__((constructor)) static void register_scan_rules(void)
{
    for (int id = EM_P_SCAN_SUM; id <= EM_P_SCAN_MIN; id++) {
        em__register_vjp((em_prim_id)id, vjp_scan);
        em__register_jvp((em_prim_id)id, jvp_scan);
        em__register_vmap((em_prim_id)id, vmap_scan);
    }
    em__register_vjp(EM_P_SORT, vjp_sort);
    em__register_jvp(EM_P_SORT, jvp_sort);
    em__register_vjp(EM_P_PARTITION, vjp_sort);
    em__register_jvp(EM_P_PARTITION, jvp_sort);
    em__register_vjp(EM_P_ARGSORT, vjp_none);
    em__register_jvp(EM_P_ARGSORT, jvp_none);
    em__register_vjp(EM_P_ARGPARTITION, vjp_none);
    em__register_jvp(EM_P_ARGPARTITION, jvp_none);
    for (int id = EM_P_SORT; id <= EM_P_ARGPARTITION; id++)
        em__register_vmap((em_prim_id)id, vmap_sort);
    em__register_vjp(EM_P_ARGMAX, vjp_none);
    em__register_jvp(EM_P_ARGMAX, jvp_none);
    em__register_vmap(EM_P_ARGMAX, vmap_argreduce);
    em__register_vjp(EM_P_ARGMIN, vjp_none);
    em__register_jvp(EM_P_ARGMIN, jvp_none);
    em__register_vmap(EM_P_ARGMIN, vmap_argreduce);
}
