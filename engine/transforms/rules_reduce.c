/* Rules of the reduction primitives. A REDUCE_* node's params mark reduced
 * axes (i[d] = 1) and keepdims (i[EM_MAX_DIMS]). */
#include "transforms_internal.h"

/* The reduced result with its reduced axes kept as size 1. */
static em_array *kept(const em_array *in, em_array *r, const em_params *p)
{
    int64_t shape[EM_MAX_DIMS];
    for (int d = 0; d < in->ndim; d++)
        shape[d] = p->i[d] ? 1 : in->shape[d];
    return em_reshape(r, in->ndim, shape);
}

static em_array *spread(const em_array *in, em_array *r, const em_params *p)
{
    return em_broadcast_to(kept(in, r, p), in->ndim, in->shape);
}

static int reduced_axes(const em_array *in, const em_params *p, int *axes)
{
    int n = 0;
    for (int d = 0; d < in->ndim; d++)
        if (p->i[d])
            axes[n++] = d;
    return n;
}

/* d out / d x for max and min: the arg-extreme positions, ties shared. */
static em_array *extreme_mask(em_array *x, em_array *out, const em_params *p)
{
    int axes[EM_MAX_DIMS], n = reduced_axes(x, p, axes);
    em_array *m = em_astype(em_equal(x, spread(x, out, p)), (em_dtype)x->dtype);
    return em_divide(m, em_sum(m, axes, n, true));
}

static int vjp_reduce(em_array *const *outs, int n_out, em_array *const *cots, em_array *const *ins,
                      int n_in, const em_params *p, em_array **in_cots)
{
    em_array *x = ins[0], *g = spread(x, cots[0], p);
    switch (outs[0]->orig_prim) {
    case EM_P_REDUCE_SUM: in_cots[0] = g; break;
    case EM_P_REDUCE_PROD: in_cots[0] = em_divide(em_multiply(g, spread(x, outs[0], p)), x); break;
    case EM_P_REDUCE_MAX:
    case EM_P_REDUCE_MIN: in_cots[0] = em_multiply(g, extreme_mask(x, outs[0], p)); break;
    default: return 0; /* all, any, argmax, argmin: not differentiable */
    }
    return in_cots[0] ? 0 : -1;
}

static int jvp_reduce(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                      em_array *const *in_tans, const em_params *p, em_array **out_tans)
{
    em_array *x = ins[0], *t = in_tans[0];
    int axes[EM_MAX_DIMS], n = reduced_axes(x, p, axes);
    bool keep = p->i[EM_MAX_DIMS];
    switch (outs[0]->orig_prim) {
    case EM_P_REDUCE_SUM: out_tans[0] = em_sum(t, axes, n, keep); break;
    case EM_P_REDUCE_PROD: out_tans[0] = em_multiply(outs[0], em_sum(em_divide(t, x), axes, n, keep)); break;
    case EM_P_REDUCE_MAX:
    case EM_P_REDUCE_MIN: out_tans[0] = em_sum(em_multiply(t, extreme_mask(x, outs[0], p)), axes, n, keep); break;
    default: return 0;
    }
    return out_tans[0] ? 0 : -1;
}

static int vmap_reduce(const em_array *node, em_array *const *ins, const int *axes_in, int n_in,
                       em_array **outs, int *out_axes)
{
    em_array *x = axes_in[0] == 0 ? ins[0] : em_moveaxis(ins[0], axes_in[0], 0);
    const em_params *p = node->params;
    bool keep = p->i[EM_MAX_DIMS];
    int axes[EM_MAX_DIMS], n = 0;
    for (int d = 0; d < EM_MAX_DIMS - 1; d++)
        if (p->i[d])
            axes[n++] = d + 1;
    switch (node->orig_prim) {
    case EM_P_REDUCE_SUM: outs[0] = em_sum(x, axes, n, keep); break;
    case EM_P_REDUCE_PROD: outs[0] = em_prod(x, axes, n, keep); break;
    case EM_P_REDUCE_MAX: outs[0] = em_max(x, axes, n, keep); break;
    case EM_P_REDUCE_MIN: outs[0] = em_min(x, axes, n, keep); break;
    case EM_P_REDUCE_ALL: outs[0] = em_all(x, axes, n, keep); break;
    case EM_P_REDUCE_ANY: outs[0] = em_any(x, axes, n, keep); break;
    default: return em__error("vmap: no batching rule for %s", em_prims[node->orig_prim].name);
    }
    out_axes[0] = 0;
    return outs[0] ? 0 : -1;
}

__attribute__((constructor)) static void register_reduce_rules(void)
{
    for (int id = EM_P_REDUCE_SUM; id <= EM_P_REDUCE_ANY; id++) {
        em__register_vjp((em_prim_id)id, vjp_reduce);
        em__register_jvp((em_prim_id)id, jvp_reduce);
        em__register_vmap((em_prim_id)id, vmap_reduce);
    }
}
