/* GPU kernel of matmul: a tiled shared-memory shader (float32, float16,
 * bfloat16; float accumulation) reading A and B through their strides, batch
 * dims broadcast. Integer and float64 matmuls, and addmm, run on the CPU. */
#include <stdio.h>
#include <string.h>

#include "kernels.h"

static int matmul_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                         const em_params *p)
{
    em_array *out = outs[0], *a = ins[0], *b = ins[1];
    em_dtype t = (em_dtype)out->dtype;
    if (!em_dtype_is_float(t) || !vk_dtype_ok(t) || a->dtype != t || b->dtype != t ||
        out->ndim < 2)
        return vk_cpu_fallback(outs, n_out, ins, n_in, p);
    int nb = out->ndim - 2;
    int64_t M = out->shape[nb], N = out->shape[nb + 1], K = a->shape[a->ndim - 1];
    struct {
        uint32_t M, N, K, a_off, b_off, o_off;
        int32_t sam, sak, sbk, sbn;
        uint32_t bshape[3];
        int32_t abs_[3], bbs[3];
    } pc = {0};
    /* batch dims: merge those where both inputs and the output stay regular */
    int64_t bs[EM_MAX_DIMS], as_[EM_MAX_DIMS], bs_b[EM_MAX_DIMS];
    int k = 0;
    int64_t batch = 1;
    for (int d = 0; d < nb; d++) {
        int da = d - (out->ndim - a->ndim), db = d - (out->ndim - b->ndim);
        int64_t sa = da >= 0 && a->shape[da] != 1 ? a->strides[da] : 0;
        int64_t sb = db >= 0 && b->shape[db] != 1 ? b->strides[db] : 0;
        int64_t n = out->shape[d];
        batch *= n;
        if (n == 1)
            continue;
        if (k > 0 && as_[k - 1] == sa * n && bs_b[k - 1] == sb * n) {
            bs[k - 1] *= n;
            as_[k - 1] = sa;
            bs_b[k - 1] = sb;
            continue;
        }
        bs[k] = n;
        as_[k] = sa;
        bs_b[k++] = sb;
    }
    if (k > 3 || batch > 65535 || M * N > UINT32_MAX || out->size > UINT32_MAX)
        return vk_cpu_fallback(outs, n_out, ins, n_in, p);
    if (vk_alloc_output(out) < 0)
        return -1;
    if (out->size == 0)
        return 0;
    vk_operand oa, ob, oo;
    bool fa = true, fb = true;
    if (vk_operand_get(a, &oa, &fa) < 0)
        return fa ? -1 : vk_cpu_fallback(outs, n_out, ins, n_in, p);
    if (vk_operand_get(b, &ob, &fb) < 0) {
        vk_operand_done(&oa);
        return fb ? -1 : vk_cpu_fallback(outs, n_out, ins, n_in, p);
    }
    if (vk_operand_get(out, &oo, NULL) < 0) {
        vk_operand_done(&oa);
        vk_operand_done(&ob);
        return -1;
    }
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
    int32_t spec[2] = {0, k};
    vk_pipeline *pipe = vk_pipeline_get(shader, 3, sizeof pc, spec, 2);
    int rc = -1;
    if (pipe) {
        vk_binding bd[3] = {vk_bind(&oa, false), vk_bind(&ob, false), vk_bind(&oo, true)};
        rc = vk_dispatch(pipe, bd, 3, &pc, (uint32_t)((N + 63) / 64), (uint32_t)((M + 63) / 64),
                         (uint32_t)batch);
    }
    vk_operand_done(&oa);
    vk_operand_done(&ob);
    vk_operand_done(&oo);
    return rc;
}

__attribute__((constructor)) static void register_matmul(void)
{
    em__vk_register(EM_P_MATMUL, matmul_kernel);
}
