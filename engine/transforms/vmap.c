/* vmap: f is traced on one example of each mapped input; the traced graph is
 * then rebuilt node by node with each primitive's batching rule, which knows
 * where its inputs' batch axes are and says where its outputs' are. */
#include <stdlib.h>

#include "transforms_internal.h"

/* node -> its batched version and that version's batch axis (-1: unbatched).
 * Axes are stored +2 so that 0 means "not in the map". */
typedef struct {
    em_ptrmap arr, axis;
} batch_map;

static int put(batch_map *m, const em_array *node, em_array *a, int axis)
{
    if (em__ptrmap_put(&m->arr, node, a) < 0)
        return -1;
    return em__ptrmap_put(&m->axis, node, (void *)(intptr_t)(axis + 2));
}

static bool get(const batch_map *m, const em_array *node, em_array **a, int *axis)
{
    intptr_t ax = (intptr_t)em__ptrmap_get(&m->axis, node);
    if (!ax)
        return false;
    *a = em__ptrmap_get(&m->arr, node);
    *axis = (int)ax - 2;
    return true;
}

int em_vmap(em_closure f, em_array *const *in, int n_in, const int *in_axes, const int *out_axes,
            em_array **out, int max_out)
{
    if (em__any_null(in, n_in))
        return -1;
    em_scope *s = em_scope_begin();
    em_ptrmap tracers = {0};
    batch_map map = {0};
    em_array **order = NULL, *outs[EM_MAX_FN_OUTPUTS] = {0};
    em_array **tr = calloc(n_in + 1, sizeof *tr);
    size_t n_order = 0;
    int n_out = -1;
    int64_t B = -1;
    if (!tr)
        goto fail;
    for (int i = 0; i < n_in; i++) {
        int ax = in_axes ? in_axes[i] : 0;
        em_array *example = in[i];
        if (ax >= 0 || (in_axes && ax < -1)) {
            ax = em__norm_axis("vmap", ax, in[i]->ndim);
            if (ax < 0)
                goto fail;
            if (B >= 0 && in[i]->shape[ax] != B) {
                em__error("vmap: input %d has %lld along its mapped axis, another has %lld", i,
                          (long long)in[i]->shape[ax], (long long)B);
                goto fail;
            }
            B = in[i]->shape[ax];
            /* a scalar index drops the mapped axis */
            example = em_take(in[i], em_scalar_i(0), ax);
            if (!example)
                goto fail;
        }
        tr[i] = em__node(EM_P_RESHAPE, (em_dtype)example->dtype, example->ndim, example->shape,
                         &example, 1, NULL);
        if (!tr[i] || em__ptrmap_put(&tracers, tr[i], tr[i]) < 0)
            goto fail;
    }
    if (B < 0) {
        em__error("vmap: no input is mapped");
        goto fail;
    }
    n_out = f.fn(f.payload, tr, n_in, outs, EM_MAX_FN_OUTPUTS);
    if (n_out < 0 || em__any_null(outs, n_out))
        goto fail;
    if (em__graph_order(outs, n_out, &tracers, &order, &n_order) < 0)
        goto fail;
    for (int i = 0; i < n_in; i++) {
        int ax = in_axes ? in_axes[i] : 0;
        if (put(&map, tr[i], in[i], ax >= 0 ? em__norm_axis("vmap", ax, in[i]->ndim) : -1) < 0)
            goto fail;
    }
    for (size_t ii = 0; ii < n_order; ii++) {
        em_array *a = order[ii];
        if (em__ptrmap_has(&map.axis, a))
            continue;
        bool any = false;
        em_array *bins[64];
        int baxes[64];
        if (a->n_inputs > 64) {
            em__error("vmap: '%s' has more than 64 inputs", em_prims[a->prim].name);
            goto fail;
        }
        for (int j = 0; j < a->n_inputs; j++) {
            if (!get(&map, a->inputs[j], &bins[j], &baxes[j])) {
                bins[j] = a->inputs[j];
                baxes[j] = -1;
            }
            any |= baxes[j] >= 0;
        }
        em_array *group_one[1] = {a};
        em_array *const *group = a->sibs ? a->sibs->out : group_one;
        int n_group = a->sibs ? a->sibs->n : 1;
        if (!any || a->prim == EM_P_NONE) {
            if (put(&map, a, a, -1) < 0)
                goto fail;
            continue;
        }
        em_vmap_rule rule = em__vmap_rule((em_prim_id)a->prim);
        if (!rule) {
            em__error("vmap: the op '%s' has no batching rule", em_prims[a->prim].name);
            goto fail;
        }
        em_array *res[EM_MAX_FN_OUTPUTS] = {0};
        int res_axes[EM_MAX_FN_OUTPUTS] = {0};
        if (rule(a, bins, baxes, a->n_inputs, res, res_axes) < 0)
            goto fail;
        /* a group is rebuilt once; its siblings later in the order are found */
        for (int g = 0; g < n_group; g++)
            if (group[g] && put(&map, group[g], res[g], res_axes[g]) < 0)
                goto fail;
    }
    int keep = n_out < max_out ? n_out : max_out;
    for (int k = 0; k < keep; k++) {
        em_array *o = outs[k], *r;
        int axis = -1;
        get(&map, outs[k], &o, &axis);
        int oa = out_axes ? out_axes[k] : 0;
        if (axis < 0) {
            /* an output that does not depend on a mapped input: repeat it */
            em_array *e = em_expand_dims(o, &oa, 1);
            int64_t shape[EM_MAX_DIMS];
            for (int d = 0; e && d < e->ndim; d++)
                shape[d] = e->shape[d];
            int ax = oa < 0 ? oa + (e ? e->ndim : 0) : oa;
            if (e)
                shape[ax] = B;
            r = e ? em_broadcast_to(e, e->ndim, shape) : NULL;
        } else {
            r = em_moveaxis(o, axis, oa);
        }
        if (!r)
            goto fail;
        out[k] = r;
    }
    free(order);
    free(tr);
    em__ptrmap_free(&tracers);
    em__ptrmap_free(&map.arr);
    em__ptrmap_free(&map.axis);
    for (int k = 0; k < keep; k++)
        em_retain(out[k]);
    em_scope_end(s);
    for (int k = 0; k < keep; k++)
        em__track(out[k]);
    return n_out;
fail:
    free(order);
    free(tr);
    em__ptrmap_free(&tracers);
    em__ptrmap_free(&map.arr);
    em__ptrmap_free(&map.axis);
    em_scope_end(s);
    return -1;
}
