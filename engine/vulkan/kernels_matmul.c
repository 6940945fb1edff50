/* GPU kernel of matmul: a tiled shared-memory shader (float32, float16,
 * bfloat16; float accumulation) reading A and B through their strides, batch
 * dims broadcast. Integer and float64 matmuls, and addmm, run on the CPU. */
#include <stdio.h>
#include <string.h>

#include "kernels.h"

/* out = alpha * a @ b + beta * c (c NULL: plain matmul). alloc: give out a
 * buffer (else it has a dense one already). VK_USE_CPU when the shapes or
 * types are beyond the shader. */
static int matmul_gpu(em_array *out, em_array *a, em_array *b, em_array *c, float alpha, float beta,
                      bool alloc)
{
    em_dtype t = (em_dtype)out->dtype;
    if (!em_dtype_is_float(t) || !vk_dtype_ok(t) || a->dtype != t || b->dtype != t ||
        out->ndim < 2 || (c && c->dtype != t))
        return VK_USE_CPU;
    int nb = out->ndim - 2;
    int64_t M = out->shape[nb], N = out->shape[nb + 1], K = a->shape[a->ndim - 1];
    struct {
        uint32_t M, N, K, a_off, b_off, o_off;
        int32_t sam, sak, sbk, sbn;
        uint32_t bshape[3];
        int32_t abs_[3], bbs[3];
        uint32_t c_off;
        int32_t scm, scn;
        int32_t cbs[3];
        float alpha, beta;
    } pc = {0};
    /* batch dims: merge those where both inputs and the output stay regular */
    int64_t bs[EM_MAX_DIMS], as_[EM_MAX_DIMS], bs_b[EM_MAX_DIMS], cs_[EM_MAX_DIMS];
    int k = 0;
    int64_t batch = 1;
    for (int d = 0; d < nb; d++) {
        int da = d - (out->ndim - a->ndim), db = d - (out->ndim - b->ndim);
        int64_t sa = da >= 0 && a->shape[da] != 1 ? a->strides[da] : 0;
        int64_t sb = db >= 0 && b->shape[db] != 1 ? b->strides[db] : 0;
        int64_t sc = c && c->shape[d] != 1 ? c->strides[d] : 0;
        int64_t n = out->shape[d];
        batch *= n;
        if (n == 1)
            continue;
        if (k > 0 && as_[k - 1] == sa * n && bs_b[k - 1] == sb * n && cs_[k - 1] == sc * n) {
            bs[k - 1] *= n;
            as_[k - 1] = sa;
            bs_b[k - 1] = sb;
            cs_[k - 1] = sc;
            continue;
        }
        bs[k] = n;
        as_[k] = sa;
        cs_[k] = sc;
        bs_b[k++] = sb;
    }
    if (k > 3 || batch > 65535 || M * N > UINT32_MAX || out->size > UINT32_MAX)
        return VK_USE_CPU;
    if (alloc && vk_alloc_output(out) < 0)
        return -1;
    if (out->size == 0)
        return 0;
    vk_operand oa, ob, oo, oc;
    bool fa = true, fb = true, fc = true;
    if (vk_operand_get(a, &oa, &fa) < 0)
        return fa ? -1 : VK_USE_CPU;
    if (vk_operand_get(b, &ob, &fb) < 0) {
        vk_operand_done(&oa);
        return fb ? -1 : VK_USE_CPU;
    }
    if (vk_operand_get(c ? c : a, &oc, &fc) < 0) {
        vk_operand_done(&oa);
        vk_operand_done(&ob);
        return fc ? -1 : VK_USE_CPU;
    }
    if (vk_operand_get(out, &oo, NULL) < 0) {
        vk_operand_done(&oa);
        vk_operand_done(&ob);
        vk_operand_done(&oc);
        return -1;
    }
    if (c) {
        pc.c_off = (uint32_t)oc.elem_off;
        pc.scm = (int32_t)(M > 1 && c->shape[nb] != 1 ? c->strides[nb] : 0);
        pc.scn = (int32_t)(N > 1 && c->shape[nb + 1] != 1 ? c->strides[nb + 1] : 0);
        for (int d = 0; d < k; d++)
            pc.cbs[d] = (int32_t)cs_[d];
    }
    pc.alpha = alpha;
    pc.beta = beta;
    pc.M = (uint32_t)M;
    pc.N = (uint32_t)N;
    pc.K = (uint32_t)K;
    pc.a_off = (uint32_t)oa.elem_off;
    pc.b_off = (uint32_t)ob.elem_off;
    pc.o_off = (uint32_t)oo.elem_off;
    pc.sam = (int32_t)(M > 1 ? a->strides[a->ndim - 2] : 0);
    pc.sak = (int32_t)a->strides[a->ndim - 1];
    pc.sbk = (int32_t)b->strides[b->ndim - 2];
    pc.sbn = (int32_t)(N > 1 ? b->strides[b->ndim - 1] : 0);
    for (int d = 0; d < k; d++) {
        pc.bshape[d] = (uint32_t)bs[d];
        pc.abs_[d] = (int32_t)as_[d];
        pc.bbs[d] = (int32_t)bs_b[d];
    }
    char shader[32];
    snprintf(shader, sizeof shader, "matmul_%s", vk_dtype_suffix(t));
    int32_t spec[2] = {c != NULL, k};
    vk_pipeline *pipe = vk_pipeline_get(shader, 4, sizeof pc, spec, 2);
    int rc = -1;
    if (pipe) {
        vk_binding bd[4] = {vk_bind(&oa, false), vk_bind(&ob, false), vk_bind(&oo, true),
                            vk_bind(&oc, false)};
        rc = vk_dispatch(pipe, bd, 4, &pc, (uint32_t)((N + 63) / 64), (uint32_t)((M + 63) / 64),
                         (uint32_t)batch);
    }
    vk_operand_done(&oa);
    vk_operand_done(&ob);
    vk_operand_done(&oc);
    vk_operand_done(&oo);
    return rc;
}

int vk_matmul_arrays(em_array *out, em_array *a, em_array *b)
{
    int rc = matmul_gpu(out, a, b, NULL, 1.0f, 0.0f, false);
    return rc == VK_USE_CPU ? em__error("gpu: matmul of this shape is beyond the gpu kernel") : rc;
}

static int matmul_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                         const em_params *p)
{
    int rc = matmul_gpu(outs[0], ins[0], ins[1], NULL, 1.0f, 0.0f, true);
    return rc == VK_USE_CPU ? vk_cpu_fallback(outs, n_out, ins, n_in, p) : rc;
}

/* addmm: ins c (broadcast to the output), a, b; f[0] alpha, f[1] beta */
static int addmm_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                        const em_params *p)
{
    int64_t K = ins[1]->shape[ins[1]->ndim - 1];
    if (K == 0)
        return vk_cpu_fallback(outs, n_out, ins, n_in, p);
    int rc = matmul_gpu(outs[0], ins[1], ins[2], ins[0], (float)p->f[0], (float)p->f[1], true);
    return rc == VK_USE_CPU ? vk_cpu_fallback(outs, n_out, ins, n_in, p) : rc;
}

__attribute__((constructor)) static void register_matmul(void)
{
    em__vk_register(EM_P_MATMUL, matmul_kernel);
    em__vk_register(EM_P_ADDMM, addmm_kernel);
}
