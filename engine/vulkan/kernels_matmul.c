/* GPU kernel of matmul: a tiled shared-memory shader (float32, float16,
 * bfloat16; float accumulation) reading A and B through their strides, batch
 * dims broadcast. Integer and float64 matmuls, and addmm, run on the CPU. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

/* Which matmul path: EMBER_VULKAN_MATMUL=tiled|coopmat forces one (coopmat
 * only where the device has it); by default the cooperative-matrix path for
 * float16 where the device has it. */
enum { PATH_AUTO, PATH_TILED, PATH_COOPMAT };
static int matmul_path(void)
{
    static int path = -1;
    if (path < 0) {
        const char *e = getenv("EMBER_VULKAN_MATMUL");
        path = e && !strcmp(e, "tiled") ? PATH_TILED : e && !strcmp(e, "coopmat") ? PATH_COOPMAT : PATH_AUTO;
    }
    return path;
}

/* The tile shapes of the cooperative-matrix shader (shaders/meson.build
 * builds one variant each): [WM, WN, TM, TN, BK]. EMBER_VULKAN_COOPMAT_CFG
 * picks one (for tuning). On an H200 at 4096^3: 185, 153, 168, 150 and 153
 * TFLOP/s; variants reading the fragments straight from global memory (no
 * shared staging) reached only 36-52. Tried on 2026-11-22 and dropped: one
 * shared buffer with BK 64 or 128x256 tiles (148-178), global loads two
 * slices ahead (144-166), 16x8x16 fragments (187), 256 or 512 threads
 * (150-169). Ceilings measured with parts taken out: without the shared
 * fragment loads 193, without the global loads 256, without both 312: the driver's
 * cooperative-matrix multiply itself, not our data movement, bounds this
 * shader near 0.25-0.33 of cuBLAS (783 TFLOP/s). */
static const int coop_cfgs[][5] = {{2, 2, 4, 4, 32}, {2, 4, 4, 2, 32}, {2, 4, 4, 4, 16},
                                    {4, 2, 2, 4, 32}, {2, 2, 4, 4, 16}};

static bool aligned8(int64_t v) { return (v & 7) == 0; }

/* float16 A @ B on tensor cores (shaders/matmul_coop.comp). pc points at the
 * tiled kernel's push constants, whose first fields the coop shader shares.
 * VK_USE_CPU (nothing recorded) when the shapes or layouts are beyond it: the
 * caller then takes the tiled kernel. */
static int matmul_coop(const void *pc, size_t pc_size, em_dtype t, em_array *a, em_array *b, int nbatch,
                       int64_t batch, const vk_operand *oa, const vk_operand *ob,
                       const vk_operand *oo)
{
    if (t != EM_FLOAT16 || matmul_path() == PATH_TILED)
        return VK_USE_CPU;
    if (!vk.coopmat_f16) {
        static bool said;
        if (matmul_path() == PATH_COOPMAT && !said) {
            said = true;
            fprintf(stderr, "ember: EMBER_VULKAN_MATMUL=coopmat, but %s has no usable cooperative "
                            "matrix (f16 16x16x16); the tiled kernel runs\n", vk.info.name);
        }
        return VK_USE_CPU;
    }
    const struct {
        uint32_t M, N, K, a_off, b_off, o_off;
        int32_t sam, sak, sbk, sbn;
        uint32_t bshape[3];
        int32_t abs_[3], bbs[3];
    } *p = pc;
    (void)pc_size;
    if (matmul_path() != PATH_COOPMAT && (p->M < 64 || p->N < 64 || p->K < 64))
        return VK_USE_CPU;
    int at, bt;
    if (p->sak == 1 && aligned8(p->sam))
        at = 0;
    else if (p->sam == 1 && aligned8(p->sak) && aligned8(p->M))
        at = 1;
    else
        return VK_USE_CPU;
    if (p->sbn == 1 && aligned8(p->sbk))
        bt = 0;
    else if (p->sbk == 1 && aligned8(p->sbn))
        bt = 1;
    else
        return VK_USE_CPU;
    if (!aligned8(p->K) || !aligned8(p->N) || !aligned8(p->a_off) || !aligned8(p->b_off) ||
        !aligned8(p->o_off))
        return VK_USE_CPU;
    for (int d = 0; d < nbatch; d++)
        if (!aligned8(p->abs_[d]) || !aligned8(p->bbs[d]))
            return VK_USE_CPU;
    if (oa->bind_off % 16 || ob->bind_off % 16 || oo->bind_off % 16)
        return VK_USE_CPU;
    (void)a;
    (void)b;
    static int cfg = -1;
    if (cfg < 0) {
        const char *e = getenv("EMBER_VULKAN_COOPMAT_CFG");
        cfg = e ? atoi(e) : 0;
        if (cfg < 0 || cfg >= (int)(sizeof coop_cfgs / sizeof *coop_cfgs))
            cfg = 0;
    }
    const int *cf = coop_cfgs[cfg];
    uint32_t bm = (uint32_t)(cf[0] * cf[2] * 16), bn = (uint32_t)(cf[1] * cf[3] * 16);
    char shader[32];
    snprintf(shader, sizeof shader, "matmul_coop%d_f16", cfg);
    int32_t spec[3] = {at, bt, nbatch};
    /* the coop push constants are the tiled kernel's up to bbs */
    vk_pipeline *pipe = vk_pipeline_get(shader, 3, (uint32_t)sizeof *p, spec, 3);
    if (!pipe)
        return -1;
    vk_binding bd[3] = {vk_bind(oa, false), vk_bind(ob, false), vk_bind(oo, true)};
    return vk_dispatch(pipe, bd, 3, p, (p->N + bn - 1) / bn, (p->M + bm - 1) / bm,
                       (uint32_t)batch);
}

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
    if (!c) {
        int rc = matmul_coop(&pc.M, sizeof pc, t, a, b, k, batch, &oa, &ob, &oo);
        if (rc != VK_USE_CPU) {
            vk_operand_done(&oa);
            vk_operand_done(&ob);
            vk_operand_done(&oc);
            vk_operand_done(&oo);
            return rc;
        }
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

/* The CPU's matmul takes float32, not the half types the GPU gets as they
 * are: beyond the shader, a half matmul goes through float32 copies on the
 * CPU (as em_matmul does on the CPU). */
static int half_fallback(em_array *out, em_array *a, em_array *b, const em_params *p)
{
    if (vk_synchronize() < 0)
        return -1;
    /* the CPU's unary kernel picks its row by the output's prim */
    em_kernel_fn cast = em_cpu_backend.kernels[EM_P_ASTYPE];
    em_kernel_fn mm = em_cpu_backend.kernels[EM_P_MATMUL];
    em_array *a32 = em__alloc_array(EM_FLOAT32, a->ndim, a->shape);
    em_array *b32 = em__alloc_array(EM_FLOAT32, b->ndim, b->shape);
    em_array *o32 = em__alloc_array(EM_FLOAT32, out->ndim, out->shape);
    int rc = -1;
    if (cast && mm && a32 && b32 && o32) {
        a32->orig_prim = b32->orig_prim = EM_P_ASTYPE;
        o32->orig_prim = EM_P_MATMUL;
        em_array *ia[1] = {a}, *ib[1] = {b}, *io[1] = {o32};
        em_array *mi[2] = {a32, b32};
        rc = cast(&a32, 1, ia, 1, NULL);
        if (rc == 0)
            rc = cast(&b32, 1, ib, 1, NULL);
        if (rc == 0)
            rc = mm(&o32, 1, mi, 2, p);
        if (rc == 0) {
            uint16_t prim = out->orig_prim;
            out->orig_prim = EM_P_ASTYPE;
            rc = cast(&out, 1, io, 1, NULL);
            out->orig_prim = prim;
        }
    } else if (!cast || !mm) {
        em__error("matmul: no cpu kernel for the half-precision fallback");
    }
    em_release(a32);
    em_release(b32);
    em_release(o32);
    return rc;
}

static int matmul_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                         const em_params *p)
{
    int rc = matmul_gpu(outs[0], ins[0], ins[1], NULL, 1.0f, 0.0f, true);
    if (rc == VK_USE_CPU && (outs[0]->dtype == EM_FLOAT16 || outs[0]->dtype == EM_BFLOAT16))
        return half_fallback(outs[0], ins[0], ins[1], p);
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
