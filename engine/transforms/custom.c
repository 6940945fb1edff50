/* custom_vjp and checkpoint: the function's outputs are wrapped in one
 * multi-output node whose inputs are the primals and f's own outputs. Forward,
 * the node is a view of f's outputs; backward, its rule calls the user's vjp
 * (custom_vjp) or differentiates a fresh call of f (checkpoint), so the first
 * call's intermediates need not be kept. */
#include <stdlib.h>

#include "transforms_internal.h"

typedef struct custom_obj {
    atomic_int refs;
    em_closure f;
    em_custom_vjp_closure vjp; /* fn NULL for checkpoint */
} custom_obj;

static void obj_retain(void *o) { atomic_fetch_add(&((custom_obj *)o)->refs, 1); }

static void obj_release(void *o)
{
    custom_obj *c = o;
    if (atomic_fetch_sub(&c->refs, 1) != 1)
        return;
    if (c->f.free_payload)
        c->f.free_payload(c->f.payload);
    if (c->vjp.free_payload)
        c->vjp.free_payload(c->vjp.payload);
    free(c);
}

static int call(void *payload, em_array *const *in, int n_in, em_array **out, int max_out)
{
    custom_obj *c = payload;
    em_array *fo[EM_MAX_FN_OUTPUTS];
    int n_f = c->f.fn(c->f.payload, in, n_in, fo, EM_MAX_FN_OUTPUTS);
    if (n_f < 0 || em__any_null(fo, n_f))
        return -1;
    if (n_f > max_out)
        return em__error("%s: the function has %d outputs, room for %d", c->vjp.fn ? "custom_vjp" : "checkpoint", n_f, max_out);
    em_array **ins = malloc((n_in + n_f) * sizeof *ins);
    if (!ins)
        return em__error("out of memory");
    em_dtype dt[EM_MAX_FN_OUTPUTS];
    int nd[EM_MAX_FN_OUTPUTS];
    const int64_t *sh[EM_MAX_FN_OUTPUTS];
    for (int i = 0; i < n_in; i++)
        ins[i] = in[i];
    for (int k = 0; k < n_f; k++) {
        ins[n_in + k] = fo[k];
        dt[k] = (em_dtype)fo[k]->dtype;
        nd[k] = fo[k]->ndim;
        sh[k] = fo[k]->shape;
    }
    em_params p = {.i = {n_in}, .obj = c, .obj_retain = obj_retain, .obj_release = obj_release};
    int rc = em__node_multi(c->vjp.fn ? EM_P_CUSTOM_VJP : EM_P_CHECKPOINT, n_f, dt, nd, sh, ins,
                            n_in + n_f, &p, out);
    free(ins);
    return rc < 0 ? -1 : n_f;
}

static em_closure make(em_closure f, em_custom_vjp_closure vjp)
{
    custom_obj *c = calloc(1, sizeof *c);
    if (!c) {
        em__error("out of memory");
        return (em_closure){0};
    }
    atomic_init(&c->refs, 1);
    c->f = f;
    c->vjp = vjp;
    return (em_closure){call, c, obj_release};
}

em_closure em_custom_vjp(em_closure f, em_custom_vjp_closure vjp) { return make(f, vjp); }

em_closure em_checkpoint(em_closure f) { return make(f, (em_custom_vjp_closure){0}); }

void em_closure_free(em_closure c)
{
    if (c.free_payload)
        c.free_payload(c.payload);
}

/* ---- rules ---- */

static int vjp_custom(em_array *const *outs, int n_out, em_array *const *cots, em_array *const *ins,
                      int n_in, const em_params *p, em_array **in_cots)
{
    custom_obj *c = p->obj;
    int n_p = (int)p->i[0];
    em_array *full[EM_MAX_FN_OUTPUTS];
    for (int k = 0; k < n_out; k++)
        full[k] = cots[k] ? cots[k] : em_zeros_like(ins[n_p + k]);
    if (c->vjp.fn)
        return c->vjp.fn(c->vjp.payload, ins, n_p, ins + n_p, n_out, full, in_cots);
    /* checkpoint: differentiate a fresh call of f on the primals, made to wait
     * for the cotangents so that blocks are recomputed one at a time, as the
     * backward pass reaches them, not all at once up front */
    em_array *waiting[64], *ignored[1];
    if (n_p > 64)
        return em__error("checkpoint: at most 64 inputs");
    for (int i = 0; i < n_p; i++) {
        em_array *deps[1 + EM_MAX_FN_OUTPUTS];
        deps[0] = ins[i];
        for (int k = 0; k < n_out; k++)
            deps[1 + k] = full[k];
        waiting[i] = em__node(EM_P_DEPENDS, (em_dtype)ins[i]->dtype, ins[i]->ndim, ins[i]->shape, deps,
                              1 + n_out, NULL);
        if (!waiting[i])
            return -1;
    }
    return em_vjp(c->f, waiting, n_p, full, n_out, ignored, 0, in_cots) < 0 ? -1 : 0;
}

static int vjp_depends(em_array *const *outs, int n_out, em_array *const *cots, em_array *const *ins,
                       int n_in, const em_params *p, em_array **in_cots)
{
    in_cots[0] = cots[0];
    return 0;
}

static int jvp_depends(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                       em_array *const *in_tans, const em_params *p, em_array **out_tans)
{
    out_tans[0] = in_tans[0];
    return 0;
}

static int vmap_depends(const em_array *node, em_array *const *ins, const int *axes, int n_in,
                        em_array **outs, int *out_axes)
{
    outs[0] = ins[0];
    out_axes[0] = axes[0];
    return 0;
}

static int jvp_custom(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                      em_array *const *in_tans, const em_params *p, em_array **out_tans)
{
    int n_p = (int)p->i[0];
    for (int k = 0; k < n_out; k++)
        out_tans[k] = in_tans[n_p + k];
    return 0;
}

static int vmap_custom(const em_array *node, em_array *const *ins, const int *axes, int n_in,
                       em_array **outs, int *out_axes)
{
    /* batching goes through f's own graph: the outputs are f's, batched */
    int n_p = (int)node->params->i[0];
    int n_out = node->sibs ? node->sibs->n : 1;
    for (int k = 0; k < n_out; k++) {
        outs[k] = ins[n_p + k];
        out_axes[k] = axes[n_p + k];
    }
    return 0;
}

__attribute__((constructor)) static void register_custom_rules(void)
{
    em__register_vjp(EM_P_CUSTOM_VJP, vjp_custom);
    em__register_vjp(EM_P_CHECKPOINT, vjp_custom);
    em__register_jvp(EM_P_CUSTOM_VJP, jvp_custom);
    em__register_jvp(EM_P_CHECKPOINT, jvp_custom);
    em__register_vmap(EM_P_CUSTOM_VJP, vmap_custom);
    em__register_vmap(EM_P_CHECKPOINT, vmap_custom);
    em__register_vjp(EM_P_DEPENDS, vjp_depends);
    em__register_jvp(EM_P_DEPENDS, jvp_depends);
    em__register_vmap(EM_P_DEPENDS, vmap_depends);
}
