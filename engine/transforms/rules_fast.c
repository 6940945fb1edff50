/* Gradients of the fused primitives (softmax, log_softmax, rms_norm,
 * layer_norm, rope, scaled_dot_product_attention): the vjp/jvp of each one's
 * fallback made of basic ops (ops/fast_internal.h), applied to the node's
 * inputs and parameters. */
#include "ops/fast_internal.h"
#include "transforms/transforms_internal.h"

typedef struct {
    em_prim_id prim;
    const em_params *p;
} fallback_call;

static int call_fallback(void *payload, em_array *const *in, int n, em_array **out, int max_out)
{
    (void)n;
    (void)max_out;
    fallback_call *c = payload;
    const em_params *p = c->p;
    switch (c->prim) {
    case EM_P_SOFTMAX: out[0] = em__softmax_fallback(in[0], -1); break;
    case EM_P_LOG_SOFTMAX: out[0] = em__log_softmax_fallback(in[0], -1); break;
    case EM_P_RMS_NORM: out[0] = em__rms_norm_fallback(in[0], p->i[0] ? in[1] : NULL, p->f[0]); break;
    case EM_P_LAYER_NORM:
        out[0] = em__layer_norm_fallback(in[0], p->i[0] ? in[1] : NULL,
                                         p->i[1] ? in[1 + (p->i[0] != 0)] : NULL, p->f[0]);
        break;
    case EM_P_ROPE:
        out[0] = em__rope_fallback(in[0], (int)p->i[0], p->i[1], p->f[0], p->f[1], p->i[2],
                                   p->i[3] ? in[1] : NULL);
        break;
    case EM_P_SDPA:
        out[0] = em__scaled_dot_product_attention_fallback(in[0], in[1], in[2], p->f[0],
                                                           p->i[1] ? in[3] : NULL, p->i[0]);
        break;
    default: return em__error("fused gradient: no fallback for this primitive");
    }
    return out[0] ? 1 : -1;
}

static em_prim_id prim_of(const em_array *o) { return (em_prim_id)o->orig_prim; }

static int vjp_fused(em_array *const *outs, int n_out, em_array *const *cots,
                     em_array *const *ins, int n_in, const em_params *p, em_array **in_cots)
{
    (void)n_out;
    for (int i = 0; i < n_in; i++)
        in_cots[i] = NULL;
    if (!cots[0])
        return 0;
    fallback_call c = {prim_of(outs[0]), p};
    em_closure f = {call_fallback, &c, NULL};
    em_array *o[1];
    return em_vjp(f, ins, n_in, cots, 1, o, 1, in_cots) < 0 ? -1 : 0;
}

static int jvp_fused(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                     em_array *const *in_tans, const em_params *p, em_array **out_tans)
{
    (void)n_out;
    em_array *tans[8];
    bool any = false;
    for (int i = 0; i < n_in; i++) {
        tans[i] = in_tans[i] ? in_tans[i] : em_zeros_like(ins[i]);
        any |= in_tans[i] != NULL;
    }
    out_tans[0] = NULL;
    if (!any)
        return 0;
    fallback_call c = {prim_of(outs[0]), p};
    em_closure f = {call_fallback, &c, NULL};
    em_array *o[1];
    return em_jvp(f, ins, n_in, tans, o, 1, out_tans) < 0 ? -1 : 0;
}

__attribute__((constructor)) static void register_fused_rules(void)
{
    const em_prim_id prims[] = {EM_P_SOFTMAX, EM_P_LOG_SOFTMAX, EM_P_RMS_NORM,
                                EM_P_LAYER_NORM, EM_P_ROPE, EM_P_SDPA};
    for (size_t i = 0; i < sizeof prims / sizeof *prims; i++) {
        if (!em__vjp_rule(prims[i]))
            em__register_vjp(prims[i], vjp_fused);
        if (!em__jvp_rule(prims[i]))
            em__register_jvp(prims[i], jvp_fused);
    }
}
