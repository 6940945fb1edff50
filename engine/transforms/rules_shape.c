/* Rules of the view primitives (reshape, transpose, slice, broadcast), the
 * copy, and the creation primitives (constants: no gradient). */
#include "transforms_internal.h"

static int replay_tangent(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                          em_array *const *in_tans, const em_params *p, em_array **out_tans)
{
    /* a view of the tangent, made as the output was made of the input */
    out_tans[0] = em__replay(outs[0], (em_array *const[]){in_tans[0]}, 1, outs[0]->ndim, outs[0]->shape);
    return out_tans[0] ? 0 : -1;
}

static int vjp_reshape(em_array *const *outs, int n_out, em_array *const *cots, em_array *const *ins,
                       int n_in, const em_params *p, em_array **in_cots)
{
    in_cots[0] = em_reshape(cots[0], ins[0]->ndim, ins[0]->shape);
    return in_cots[0] ? 0 : -1;
}

static int vjp_copy(em_array *const *outs, int n_out, em_array *const *cots, em_array *const *ins,
                    int n_in, const em_params *p, em_array **in_cots)
{
    in_cots[0] = cots[0];
    return 0;
}

static int vjp_transpose(em_array *const *outs, int n_out, em_array *const *cots,
                         em_array *const *ins, int n_in, const em_params *p, em_array **in_cots)
{
    int inv[EM_MAX_DIMS];
    for (int i = 0; i < outs[0]->ndim; i++)
        inv[p->i[i]] = i;
    in_cots[0] = em_transpose(cots[0], inv);
    return in_cots[0] ? 0 : -1;
}

static int vjp_broadcast(em_array *const *outs, int n_out, em_array *const *cots,
                         em_array *const *ins, int n_in, const em_params *p, em_array **in_cots)
{
    in_cots[0] = em__unbroadcast(cots[0], ins[0]->ndim, ins[0]->shape);
    return in_cots[0] ? 0 : -1;
}

static int vjp_slice(em_array *const *outs, int n_out, em_array *const *cots, em_array *const *ins,
                     int n_in, const em_params *p, em_array **in_cots)
{
    int64_t start[EM_MAX_DIMS], stop[EM_MAX_DIMS], step[EM_MAX_DIMS];
    for (int d = 0; d < ins[0]->ndim; d++) {
        start[d] = p->i[d];
        step[d] = p->i[EM_MAX_DIMS + d];
        stop[d] = start[d] + outs[0]->shape[d] * step[d];
        if (stop[d] < 0)
            stop[d] = INT64_MIN; /* a negative step running past index 0 */
    }
    in_cots[0] = em_slice_update(em_zeros_like(ins[0]), cots[0], start, stop, step);
    return in_cots[0] ? 0 : -1;
}

/* ---- vmap ---- */
static em_array *front(em_array *x, int axis) { return axis == 0 ? x : em_moveaxis(x, axis, 0); }

static int vmap_reshape(const em_array *node, em_array *const *ins, const int *axes, int n_in,
                        em_array **outs, int *out_axes)
{
    em_array *x = front(ins[0], axes[0]);
    int64_t shape[EM_MAX_DIMS];
    shape[0] = x->shape[0];
    for (int d = 0; d < node->ndim; d++)
        shape[d + 1] = node->shape[d];
    outs[0] = em_reshape(x, node->ndim + 1, shape);
    out_axes[0] = 0;
    return outs[0] ? 0 : -1;
}

static int vmap_copy(const em_array *node, em_array *const *ins, const int *axes, int n_in,
                     em_array **outs, int *out_axes)
{
    outs[0] = em_contiguous(ins[0]);
    out_axes[0] = axes[0];
    return outs[0] ? 0 : -1;
}

static int vmap_transpose(const em_array *node, em_array *const *ins, const int *axes, int n_in,
                          em_array **outs, int *out_axes)
{
    em_array *x = front(ins[0], axes[0]);
    int perm[EM_MAX_DIMS];
    perm[0] = 0;
    for (int i = 0; i < node->ndim; i++)
        perm[i + 1] = (int)node->params->i[i] + 1;
    outs[0] = em_transpose(x, perm);
    out_axes[0] = 0;
    return outs[0] ? 0 : -1;
}

static int vmap_broadcast(const em_array *node, em_array *const *ins, const int *axes, int n_in,
                          em_array **outs, int *out_axes)
{
    em_array *x = front(ins[0], axes[0]);
    /* line the input's own dims up with the output's trailing dims */
    int lead = node->ndim - (x->ndim - 1);
    int64_t mid[EM_MAX_DIMS], shape[EM_MAX_DIMS];
    mid[0] = x->shape[0];
    for (int d = 0; d < lead; d++)
        mid[d + 1] = 1;
    for (int d = 1; d < x->ndim; d++)
        mid[lead + d] = x->shape[d];
    shape[0] = x->shape[0];
    for (int d = 0; d < node->ndim; d++)
        shape[d + 1] = node->shape[d];
    outs[0] = em_broadcast_to(em_reshape(x, node->ndim + 1, mid), node->ndim + 1, shape);
    out_axes[0] = 0;
    return outs[0] ? 0 : -1;
}

static int vmap_slice(const em_array *node, em_array *const *ins, const int *axes, int n_in,
                      em_array **outs, int *out_axes)
{
    em_array *x = front(ins[0], axes[0]);
    int64_t start[EM_MAX_DIMS], stop[EM_MAX_DIMS], step[EM_MAX_DIMS];
    start[0] = 0;
    stop[0] = x->shape[0];
    step[0] = 1;
    for (int d = 0; d < node->ndim; d++) {
        start[d + 1] = node->params->i[d];
        step[d + 1] = node->params->i[EM_MAX_DIMS + d];
        stop[d + 1] = start[d + 1] + node->shape[d] * step[d + 1];
        if (stop[d + 1] < 0)
            stop[d + 1] = INT64_MIN;
    }
    outs[0] = em_slice(x, start, stop, step);
    out_axes[0] = 0;
    return outs[0] ? 0 : -1;
}

__attribute__((constructor)) static void register_shape_rules(void)
{
    em__register_vjp(EM_P_RESHAPE, vjp_reshape);
    em__register_vjp(EM_P_TRANSPOSE, vjp_transpose);
    em__register_vjp(EM_P_BROADCAST, vjp_broadcast);
    em__register_vjp(EM_P_SLICE, vjp_slice);
    em__register_vjp(EM_P_COPY, vjp_copy);
    em__register_jvp(EM_P_RESHAPE, replay_tangent);
    em__register_jvp(EM_P_TRANSPOSE, replay_tangent);
    em__register_jvp(EM_P_BROADCAST, replay_tangent);
    em__register_jvp(EM_P_SLICE, replay_tangent);
    em__register_jvp(EM_P_COPY, replay_tangent);
    em__register_vmap(EM_P_RESHAPE, vmap_reshape);
    em__register_vmap(EM_P_TRANSPOSE, vmap_transpose);
    em__register_vmap(EM_P_BROADCAST, vmap_broadcast);
    em__register_vmap(EM_P_SLICE, vmap_slice);
    em__register_vmap(EM_P_COPY, vmap_copy);
}
