/* GPU kernels of MLX affine quantization: quantize (one invocation per group),
 * dequantize, and quantized_matmul: a matrix-vector kernel for decoding
 * (x @ w.T with up to 8 rows of x: 32 invocations per output column stream
 * its packed row in 16-byte loads), a matrix-matrix path (w dequantized on
 * the GPU into x's type, then the tiled matmul), and a generic one-output-per-
 * invocation kernel for the rest (w not transposed). */
#include <stdio.h>
#include <string.h>

#include "kernels.h"

typedef struct {
    uint32_t n, K, gs, bits, w_off, q_off, s_off, b_off, o_off;
    uint32_t M, N, tr;
} quant_pc;

static bool float_ok(em_dtype t) { return em_dtype_is_float(t) && vk_dtype_ok(t); }

static int run_quant(int op, em_dtype t, em_array *const *arr, uint32_t wmask, quant_pc *pc,
                     int64_t n)
{
    vk_opset s;
    int rc = vk_opset_get(&s, arr, 5, NULL);
    if (rc < 0)
        return -1;
    pc->n = (uint32_t)n;
    pc->w_off = (uint32_t)s.op[0].elem_off;
    pc->q_off = (uint32_t)s.op[1].elem_off;
    pc->s_off = (uint32_t)s.op[2].elem_off;
    pc->b_off = (uint32_t)s.op[3].elem_off;
    pc->o_off = (uint32_t)s.op[4].elem_off;
    char shader[32];
    snprintf(shader, sizeof shader, "quant_%s", vk_dtype_suffix(t));
    int32_t spec = op;
    rc = vk_run(shader, &spec, 1, &s, wmask, pc, sizeof *pc, vk_groups(n, 64), 1, 1);
    vk_opset_done(&s);
    return rc;
}

static int quantize_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                           const em_params *p)
{
    em_array *w = ins[0];
    em_dtype t = (em_dtype)w->dtype;
    if (!float_ok(t) || w->size > INT32_MAX)
        return vk_cpu_fallback(outs, n_out, ins, n_in, p);
    for (int i = 0; i < 3; i++)
        if (vk_alloc_output(outs[i]) < 0)
            return -1;
    if (w->size == 0)
        return 0;
    em_array *wd = vk_dense(w);
    if (!wd)
        return -1;
    quant_pc pc = {.K = (uint32_t)w->shape[w->ndim - 1], .gs = (uint32_t)p->i[0], .bits = (uint32_t)p->i[1]};
    em_array *arr[5] = {wd, outs[0], outs[1], outs[2], NULL};
    int rc = run_quant(0, t, arr, 14u, &pc, w->size / pc.gs);
    em_release(wd);
    return rc;
}

/* out (allocated, dense, of dtype t = the scales') = dequantize(q, s, b) */
static int dequant_into(em_array *out, em_array *q, em_array *s, em_array *b, int gs, int bits)
{
    em_array *qd = vk_dense(q), *sd = qd ? vk_dense(s) : NULL, *bd = sd ? vk_dense(b) : NULL;
    int rc = -1;
    if (bd) {
        quant_pc pc = {.K = (uint32_t)out->shape[out->ndim - 1], .gs = (uint32_t)gs, .bits = (uint32_t)bits};
        em_array *arr[5] = {out, qd, sd, bd, NULL};
        rc = run_quant(1, (em_dtype)out->dtype, arr, 1u, &pc, out->size);
    }
    em_release(qd);
    em_release(sd);
    em_release(bd);
    return rc;
}

static int dequantize_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                             const em_params *p)
{
    em_array *out = outs[0];
    if (!float_ok((em_dtype)out->dtype) || out->dtype != ins[1]->dtype || out->size > INT32_MAX)
        return vk_cpu_fallback(outs, n_out, ins, n_in, p);
    if (vk_alloc_output(out) < 0)
        return -1;
    if (out->size == 0)
        return 0;
    return dequant_into(out, ins[0], ins[1], ins[2], (int)p->i[0], (int)p->i[1]);
}

/* the tiled matmul of kernels_matmul.c, on arrays already on the GPU */
int vk_matmul_arrays(em_array *out, em_array *a, em_array *b);

static int qmatmul_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                          const em_params *p)
{
    em_array *out = outs[0], *x = ins[0], *wq = ins[1], *sc = ins[2], *bi = ins[3];
    em_dtype t = (em_dtype)out->dtype;
    int gs = (int)p->i[0], bits = (int)p->i[1];
    bool tr = p->i[2];
    if (!float_ok(t) || x->dtype != t || sc->dtype != t || out->size > INT32_MAX ||
        x->size > INT32_MAX || wq->ndim != 2)
        return vk_cpu_fallback(outs, n_out, ins, n_in, p);
    int64_t K = x->shape[x->ndim - 1], M = K ? x->size / K : 0, N = out->shape[out->ndim - 1];
    if (vk_alloc_output(out) < 0)
        return -1;
    if (out->size == 0)
        return 0;
    int per = 32 / bits;
    em_array *xd = vk_dense(x), *qd = xd ? vk_dense(wq) : NULL;
    em_array *sd = qd ? vk_dense(sc) : NULL, *bd = sd ? vk_dense(bi) : NULL;
    int rc = -1;
    if (!bd)
        goto done;
    if (tr && M <= 8 && (bits == 4 || bits == 8) && (K / per) % 4 == 0 && K > 0) {
        /* decode: the matrix-vector kernel */
        vk_opset s;
        em_array *arr[5] = {xd, qd, sd, bd, out};
        if (vk_opset_get(&s, arr, 5, NULL) < 0)
            goto done;
        if (s.op[1].elem_off % 4 == 0) {
            struct { uint32_t M, N, K, gs, x_off, q_off4, s_off, b_off, o_off; } pc = {
                .M = (uint32_t)M, .N = (uint32_t)N, .K = (uint32_t)K, .gs = (uint32_t)gs,
                .x_off = (uint32_t)s.op[0].elem_off, .q_off4 = (uint32_t)(s.op[1].elem_off / 4),
                .s_off = (uint32_t)s.op[2].elem_off, .b_off = (uint32_t)s.op[3].elem_off,
                .o_off = (uint32_t)s.op[4].elem_off};
            char shader[32];
            snprintf(shader, sizeof shader, "qmv_%s", vk_dtype_suffix(t));
            int32_t spec = bits;
            /* decoding (M 1): 16 columns per workgroup (qmv.comp's 8 R); else 8 */
            uint32_t groups = (uint32_t)(M == 1 ? (N + 15) / 16 : (N + 7) / 8);
            rc = vk_run(shader, &spec, 1, &s, 16u, &pc, sizeof pc, groups, 1, 1);
            vk_opset_done(&s);
            goto done;
        }
        vk_opset_done(&s);
    }
    if (M > 8) {
        /* prefill: w dequantized into x's type, then the tiled matmul */
        int64_t wshape[2] = {tr ? N : K, tr ? K : N};
        em_array *wf = em__alloc_array(t, 2, wshape);
        if (!wf)
            goto done;
        wf->orig_prim = EM_P_DEQUANTIZE;
        if (vk_alloc_output(wf) < 0 || dequant_into(wf, qd, sd, bd, gs, bits) < 0) {
            em_release(wf);
            goto done;
        }
        wf->flags |= EM_F_EVALUATED;
        em_array wv = *wf; /* as (K, N): a transposed view when w is (N, K) */
        if (tr) {
            wv.shape[0] = K;
            wv.shape[1] = N;
            wv.strides[0] = 1;
            wv.strides[1] = K;
        }
        em_array xv = *xd; /* x as (M, K) */
        xv.ndim = 2;
        xv.shape[0] = M;
        xv.shape[1] = K;
        xv.strides[0] = K;
        xv.strides[1] = 1;
        em_array ov = *out;
        ov.ndim = 2;
        ov.shape[0] = M;
        ov.shape[1] = N;
        ov.strides[0] = N;
        ov.strides[1] = 1;
        rc = vk_matmul_arrays(&ov, &xv, &wv);
        em_release(wf);
        goto done;
    }
    {
        quant_pc pc = {.K = (uint32_t)K, .gs = (uint32_t)gs, .bits = (uint32_t)bits, .M = (uint32_t)M,
                       .N = (uint32_t)N, .tr = tr};
        em_array *arr[5] = {xd, qd, sd, bd, out};
        rc = run_quant(2, t, arr, 16u, &pc, out->size);
    }
done:
    em_release(xd);
    em_release(qd);
    em_release(sd);
    em_release(bd);
    return rc;
}

__attribute__((constructor)) static void register_quant(void)
{
    em__vk_register(EM_P_QUANTIZE, quantize_kernel);
    em__vk_register(EM_P_DEQUANTIZE, dequantize_kernel);
    em__vk_register(EM_P_QUANTIZED_MATMUL, qmatmul_kernel);
}
