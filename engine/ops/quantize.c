/* MLX's affine quantization: quantize, dequantize and quantized matmul, and
 * the fallbacks of dequantize and quantized matmul made of basic ops. */
#include <string.h>

#include "ember/fast.h"
#include "fast_internal.h"
#include "ops_internal.h"

#pragma weak em_matmul
#pragma weak em_stack
#pragma weak em_swapaxes
#pragma weak em_expand_dims

static int check_qparams(const char *op, int group_size, int bits)
{
    if (group_size != 32 && group_size != 64 && group_size != 128)
        return em__error("%s: group_size must be 32, 64 or 128, got %d", op, group_size);
    if (bits != 2 && bits != 4 && bits != 8)
        return em__error("%s: bits must be 2, 4 or 8, got %d", op, bits);
    return 0;
}

int em_quantize(em_array *w, int group_size, int bits, em_array **wq, em_array **scales,
                em_array **biases)
{
    em_array *out[3] = {NULL, NULL, NULL};
    *wq = *scales = *biases = NULL;
    if (!w)
        return -1;
    char d[128];
    if (check_qparams("quantize", group_size, bits) < 0)
        return -1;
    if (!em_dtype_is_float((em_dtype)w->dtype) || w->ndim < 2 ||
        w->shape[w->ndim - 1] % group_size)
        return em__error("quantize: needs a floating array of at least 2 dimensions whose last is a "
                         "multiple of group_size %d, got %s", group_size, em__describe(w, d, sizeof d));
    int nd = w->ndim;
    int64_t qs[EM_MAX_DIMS], ss[EM_MAX_DIMS];
    memcpy(qs, w->shape, nd * sizeof *qs);
    memcpy(ss, w->shape, nd * sizeof *ss);
    qs[nd - 1] = w->shape[nd - 1] * bits / 32;
    ss[nd - 1] = w->shape[nd - 1] / group_size;
    em_dtype types[3] = {EM_UINT32, (em_dtype)w->dtype, (em_dtype)w->dtype};
    int nds[3] = {nd, nd, nd};
    const int64_t *shapes[3] = {qs, ss, ss};
    em_params p = {.i = {group_size, bits}};
    int rc = em__node_multi(EM_P_QUANTIZE, 3, types, nds, shapes, &w, 1, &p, out);
    if (rc == 0) {
        *wq = out[0];
        *scales = out[1];
        *biases = out[2];
    }
    return rc;
}

/* Checks packed w against its scales and biases; writes the unpacked last
 * dimension. */
static int check_packed(const char *op, em_array *wq, em_array *s, em_array *b, int gs, int bits,
                        int64_t *unpacked)
{
    char d1[128], d2[128], d3[128];
    if (check_qparams(op, gs, bits) < 0)
        return -1;
    bool ok = wq->dtype == EM_UINT32 && wq->ndim >= 1 && s->ndim == wq->ndim && b->ndim == wq->ndim &&
              em_dtype_is_float((em_dtype)s->dtype) && b->dtype == s->dtype &&
              !memcmp(s->shape, b->shape, s->ndim * sizeof *s->shape) &&
              !memcmp(s->shape, wq->shape, (wq->ndim - 1) * sizeof *s->shape) &&
              wq->shape[wq->ndim - 1] * 32 / bits == s->shape[s->ndim - 1] * gs;
    if (!ok)
        return em__error("%s: packed weights %s (uint32), scales %s and biases %s (one float type) do "
                         "not match for group_size %d, bits %d", op, em__describe(wq, d1, sizeof d1),
                         em__describe(s, d2, sizeof d2), em__describe(b, d3, sizeof d3), gs, bits);
    *unpacked = wq->shape[wq->ndim - 1] * 32 / bits;
    return 0;
}

em_array *em_dequantize(em_array *wq, em_array *scales, em_array *biases, int group_size, int bits)
{
    if (!wq || !scales || !biases)
        return NULL;
    int64_t K;
    if (check_packed("dequantize", wq, scales, biases, group_size, bits, &K) < 0)
        return NULL;
    int64_t shape[EM_MAX_DIMS];
    memcpy(shape, wq->shape, wq->ndim * sizeof *shape);
    shape[wq->ndim - 1] = K;
    em_array *in[3] = {wq, scales, biases};
    em_params p = {.i = {group_size, bits}};
    return em__node(EM_P_DEQUANTIZE, (em_dtype)scales->dtype, wq->ndim, shape, in, 3, &p);
}

/* Shapes of a quantized matmul: K (inner) and N (outer). */
static int qmm_check(em_array *x, em_array *wq, em_array *s, em_array *b, bool transpose, int gs,
                     int bits, int64_t *K, int64_t *N)
{
    char d1[128], d2[128];
    int64_t last;
    if (check_packed("quantized_matmul", wq, s, b, gs, bits, &last) < 0)
        return -1;
    if (wq->ndim != 2)
        return em__error("quantized_matmul: packed weights must be 2-d, got %s",
                         em__describe(wq, d1, sizeof d1));
    *K = transpose ? last : wq->shape[0];
    *N = transpose ? wq->shape[0] : last;
    if (x->ndim < 1 || x->shape[x->ndim - 1] != *K || !em_dtype_is_float((em_dtype)x->dtype))
        return em__error("quantized_matmul: x %s must be floating with last dimension %lld to match "
                         "weights %s (transpose %d)", em__describe(x, d1, sizeof d1), (long long)*K,
                         em__describe(wq, d2, sizeof d2), transpose);
    return 0;
}

em_array *em_quantized_matmul(em_array *x, em_array *wq, em_array *scales, em_array *biases,
                              bool transpose, int group_size, int bits)
{
    if (!x || !wq || !scales || !biases)
        return NULL;
    int64_t K, N;
    if (qmm_check(x, wq, scales, biases, transpose, group_size, bits, &K, &N) < 0)
        return NULL;
    em_dtype t = em_promote_types((em_dtype)x->dtype, (em_dtype)scales->dtype);
    int64_t shape[EM_MAX_DIMS];
    memcpy(shape, x->shape, x->ndim * sizeof *shape);
    shape[x->ndim - 1] = N;
    em_array *in[4] = {x, wq, scales, biases};
    em_params p = {.i = {group_size, bits, transpose}};
    return em__node(EM_P_QUANTIZED_MATMUL, t, x->ndim, shape, in, 4, &p);
}

em_array *em__dequantize_fallback(em_array *wq, em_array *scales, em_array *biases, int group_size,
                                  int bits)
{
    if (!wq || !scales || !biases)
        return NULL;
    int64_t K;
    if (check_packed("dequantize", wq, scales, biases, group_size, bits, &K) < 0)
        return NULL;
    if (!em_stack || !em_expand_dims) {
        em__error("dequantize: needs stack and expand_dims, not built into this libember");
        return NULL;
    }
    int nd = wq->ndim, per = 32 / bits;
    em_scope *s = em_scope_begin();
    em_array *parts[16];
    em_array *mask = em_scalar((double)((1u << bits) - 1), EM_UINT32);
    for (int i = 0; i < per; i++)
        parts[i] = em_bitwise_and(em_right_shift(wq, em_scalar(i * bits, EM_UINT32)), mask);
    int64_t gshape[EM_MAX_DIMS + 1], fshape[EM_MAX_DIMS];
    memcpy(gshape, wq->shape, (nd - 1) * sizeof *gshape);
    gshape[nd - 1] = K / group_size;
    gshape[nd] = group_size;
    memcpy(fshape, wq->shape, (nd - 1) * sizeof *fshape);
    fshape[nd - 1] = K;
    em_dtype t = (em_dtype)scales->dtype;
    em_array *q = em_reshape(em_astype(em_stack(parts, per, -1), t), nd + 1, gshape);
    int ax = -1;
    em_array *r = em_add(em_multiply(q, em_expand_dims(scales, &ax, 1)), em_expand_dims(biases, &ax, 1));
    return em__composite_end(s, em_reshape(r, nd, fshape));
}

em_array *em__quantized_matmul_fallback(em_array *x, em_array *wq, em_array *scales,
                                        em_array *biases, bool transpose, int group_size, int bits)
{
    if (!x || !wq || !scales || !biases)
        return NULL;
    int64_t K, N;
    if (qmm_check(x, wq, scales, biases, transpose, group_size, bits, &K, &N) < 0)
        return NULL;
    if (!em_matmul || !em_swapaxes) {
        em__error("quantized_matmul: needs matmul and swapaxes, not built into this libember");
        return NULL;
    }
    em_dtype t = em_promote_types((em_dtype)x->dtype, (em_dtype)scales->dtype);
    em_scope *s = em_scope_begin();
    /* computed in float32 (float64 for float64), as the fused kernel */
    em_dtype ct = t == EM_FLOAT64 ? t : EM_FLOAT32;
    em_array *w = em__dequantize_fallback(wq, em_astype(scales, ct), em_astype(biases, ct), group_size, bits);
    em_array *r = em_matmul(em_astype(x, ct), transpose ? em_swapaxes(w, 0, 1) : w);
    return em__composite_end(s, em_astype(r, t));
}
