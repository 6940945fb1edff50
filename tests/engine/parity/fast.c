/* Runners of the fused-primitive parity cases (cases_fast.py): each op runs
 * as the fused kernel (NAME) and as its fallback of basic ops (NAME_fallback). */
#include "parity.h"
#include "../../../engine/ops/fast_internal.h"

static em_array *maybe_t(em_array *x, const parity_args *a)
{
    if (parity_bool(a, "transpose", false))
        return em_transpose(x, NULL);
    if (parity_bool(a, "swap12", false))
        return em_transpose(x, (int[]){0, 2, 1, 3});
    return x;
}

#define PAIR(NAME, EXPR_FAST, EXPR_FB)                                              \
    static int run_##NAME(em_array **in, int n, const parity_args *a, em_array **out) \
    {                                                                               \
        bool fb = false;                                                            \
        (void)fb;                                                                   \
        out[0] = EXPR_FAST;                                                         \
        return out[0] ? 0 : -1;                                                     \
    }                                                                               \
    static int run_##NAME##_fallback(em_array **in, int n, const parity_args *a, em_array **out) \
    {                                                                               \
        out[0] = EXPR_FB;                                                           \
        return out[0] ? 0 : -1;                                                     \
    }

#define AXIS (int)parity_int(a, "axis", -1)
#define EPS parity_f64(a, "eps", 1e-5)
PAIR(softmax, em_softmax(maybe_t(in[0], a), AXIS), em__softmax_fallback(maybe_t(in[0], a), AXIS))
PAIR(log_softmax, em_log_softmax(maybe_t(in[0], a), AXIS), em__log_softmax_fallback(maybe_t(in[0], a), AXIS))
PAIR(rms_norm, em_rms_norm(maybe_t(in[0], a), n > 1 ? in[1] : NULL, EPS),
     em__rms_norm_fallback(maybe_t(in[0], a), n > 1 ? in[1] : NULL, EPS))

static void ln_args(em_array **in, const parity_args *a, em_array **w, em_array **b)
{
    int k = 1;
    *w = parity_bool(a, "weight", false) ? in[k++] : NULL;
    *b = parity_bool(a, "bias", false) ? in[k++] : NULL;
}

static int run_layer_norm(em_array **in, int n, const parity_args *a, em_array **out)
{
    em_array *w, *b;
    ln_args(in, a, &w, &b);
    out[0] = em_layer_norm(in[0], w, b, EPS);
    return out[0] ? 0 : -1;
}

static int run_layer_norm_fallback(em_array **in, int n, const parity_args *a, em_array **out)
{
    em_array *w, *b;
    ln_args(in, a, &w, &b);
    out[0] = em__layer_norm_fallback(in[0], w, b, EPS);
    return out[0] ? 0 : -1;
}

#define ROPE_ARGS maybe_t(in[0], a), (int)parity_int(a, "dims", 0), parity_bool(a, "traditional", false), \
    parity_f64(a, "base", 10000.0), parity_f64(a, "scale", 1.0), parity_int(a, "offset", 0),           \
    parity_bool(a, "freqs", false) ? in[1] : NULL
PAIR(rope, em_rope(ROPE_ARGS), em__rope_fallback(ROPE_ARGS))

#define SDPA_ARGS maybe_t(in[0], a), maybe_t(in[1], a), maybe_t(in[2], a), parity_f64(a, "scale", 1.0), \
    parity_bool(a, "mask", false) ? in[3] : NULL, parity_bool(a, "causal", false)
PAIR(sdpa, em_scaled_dot_product_attention(SDPA_ARGS),
     em__scaled_dot_product_attention_fallback(SDPA_ARGS))

#define ENTRY(NAME) {#NAME, run_##NAME}, {#NAME "_fallback", run_##NAME##_fallback},
const parity_op parity_ops_fast[] = {
    ENTRY(softmax) ENTRY(log_softmax) ENTRY(rms_norm) ENTRY(layer_norm) ENTRY(rope) ENTRY(sdpa)
    {NULL, NULL},
};
