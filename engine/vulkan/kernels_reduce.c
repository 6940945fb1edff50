/* GPU kernels of the reductions: sum, prod, max, min, all, any over any set
 * of axes, and argmax/argmin over one axis. One shader (reduce.comp) walks the
 * kept and reduced dims by strides (at most 4 of each after merging), so no
 * input is copied first. */
#include <stdio.h>
#include <string.h>

#include "kernels.h"

/* Merges one group of dims (in order) into at most 4; -1 if more remain. */
static int merge_group(int n, const int64_t *shape, const int64_t *strides, uint32_t *ms,
                       int32_t *mst)
{
    int64_t s[EM_MAX_DIMS], st[EM_MAX_DIMS];
    int k = 0;
    for (int d = 0; d < n; d++) {
        if (shape[d] == 1)
            continue;
        if (k > 0 && st[k - 1] == strides[d] * shape[d]) {
            s[k - 1] *= shape[d];
            st[k - 1] = strides[d];
            continue;
        }
        s[k] = shape[d];
        st[k++] = strides[d];
    }
    if (k == 0) {
        s[0] = 1;
        st[0] = 0;
        k = 1;
    }
    if (k > 4)
        return -1;
    for (int d = 0; d < k; d++) {
        if (s[d] > UINT32_MAX || st[d] > INT32_MAX || st[d] < INT32_MIN)
            return -1;
        ms[d] = (uint32_t)s[d];
        mst[d] = (int32_t)st[d];
    }
    return k;
}

static int reduce_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                         const em_params *p)
{
    em_array *out = outs[0], *in = ins[0];
    em_prim_id prim = vk_prim_of(outs);
    em_dtype t = (em_dtype)in->dtype, ot = (em_dtype)out->dtype;
    if (!vk_dtype_ok(t) || !vk_dtype_ok(ot))
        return vk_cpu_fallback(outs, n_out, ins, n_in, p);
    bool arg = prim == EM_P_ARGMAX || prim == EM_P_ARGMIN;
    bool red[EM_MAX_DIMS] = {0};
    for (int d = 0; d < in->ndim; d++)
        red[d] = arg ? d == p->i[0] : p->i[d] != 0;
    int64_t ksh[EM_MAX_DIMS], kst[EM_MAX_DIMS], rsh[EM_MAX_DIMS], rst[EM_MAX_DIMS];
    int nk = 0, nr = 0;
    int64_t R = 1;
    for (int d = 0; d < in->ndim; d++) {
        if (red[d]) {
            rsh[nr] = in->shape[d];
            rst[nr++] = in->strides[d];
            R *= in->shape[d];
        } else {
            ksh[nk] = in->shape[d];
            kst[nk++] = in->strides[d];
        }
    }
    struct {
        uint32_t n_out, R, a_off, o_off;
        uint32_t ks[4];
        int32_t kst[4];
        uint32_t rs[4];
        int32_t rst[4];
    } pc = {0};
    int NK = merge_group(nk, ksh, kst, pc.ks, pc.kst);
    int NR = merge_group(nr, rsh, rst, pc.rs, pc.rst);
    if (NK < 0 || NR < 0 || R > UINT32_MAX || out->size > UINT32_MAX)
        return vk_cpu_fallback(outs, n_out, ins, n_in, p);
    static const int8_t rop[EM_P_COUNT] = {
        [EM_P_REDUCE_SUM] = ROP_SUM, [EM_P_REDUCE_PROD] = ROP_PROD, [EM_P_REDUCE_MAX] = ROP_MAX,
        [EM_P_REDUCE_MIN] = ROP_MIN, [EM_P_REDUCE_ALL] = ROP_ALL, [EM_P_REDUCE_ANY] = ROP_ANY,
        [EM_P_ARGMAX] = ROP_ARGMAX, [EM_P_ARGMIN] = ROP_ARGMIN};
    char shader[48];
    if (arg)
        snprintf(shader, sizeof shader, "argreduce_%s", vk_dtype_suffix(t));
    else if (ot == EM_BOOL && t != EM_BOOL)
        snprintf(shader, sizeof shader, "reduce_%s_b", vk_dtype_suffix(t));
    else
        snprintf(shader, sizeof shader, "reduce_%s_%s", vk_dtype_suffix(t), vk_dtype_suffix(ot));
    if (!vk_shader_exists(shader))
        return vk_cpu_fallback(outs, n_out, ins, n_in, p);
    if (vk_alloc_output(out) < 0)
        return -1;
    if (out->size == 0)
        return 0;
    /* few elements per output: smaller workgroups */
    int32_t wg = R <= 32 ? 32 : R <= 128 ? 128 : 256;
    int32_t spec[4] = {rop[prim], NK, NR, wg};
    vk_pipeline *pipe = vk_pipeline_get(shader, 2, sizeof pc, spec, 4);
    if (!pipe)
        return -1;
    vk_operand a, o;
    bool fits = true;
    if (vk_operand_get(in, &a, &fits) < 0) {
        if (!fits)
            return vk_cpu_fallback(outs, n_out, ins, n_in, p);
        return -1;
    }
    if (vk_operand_get(out, &o, NULL) < 0) {
        vk_operand_done(&a);
        return -1;
    }
    pc.n_out = (uint32_t)out->size;
    pc.R = (uint32_t)R;
    pc.a_off = (uint32_t)a.elem_off;
    pc.o_off = (uint32_t)o.elem_off;
    int rc;
    /* Few outputs over many elements (a full sum): one workgroup per output
     * would leave the GPU idle, so split the reduced dim into P parts, reduce
     * to n_out * P partials, then the partials (the same op; outputs of 4 or 8
     * bytes, or bool, so no partial is rounded). */
    size_t osz = em_dtype_size(ot);
    int P = 0;
    if (!arg && NR == 1 && out->size <= 64 && R >= (1 << 16) && (osz >= 4 || ot == EM_BOOL) &&
        (em_dtype_is_float(ot) ? ot == EM_FLOAT32 : true)) {
        for (int c = 1024; c >= 32 && !P; c /= 2)
            if (R % c == 0 && (int64_t)out->size * c <= 65535)
                P = c;
    }
    if (P) {
        __typeof__(pc) p1 = pc, p2 = {0};
        int64_t ksh1[EM_MAX_DIMS + 1], kst1[EM_MAX_DIMS + 1];
        memcpy(ksh1, ksh, nk * sizeof *ksh);
        memcpy(kst1, kst, nk * sizeof *kst);
        ksh1[nk] = P;
        kst1[nk] = (int64_t)pc.rst[0] * (R / P);
        int NK1 = merge_group(nk + 1, ksh1, kst1, p1.ks, p1.kst);
        char s2[48];
        snprintf(s2, sizeof s2, "reduce_%s_%s", vk_dtype_suffix(ot), vk_dtype_suffix(ot));
        vk_alloc *tmp = NK1 > 0 && vk_shader_exists(s2) ? vk_mem_alloc((size_t)out->size * P * osz) : NULL;
        if (!tmp) {
            em_error_clear();
            P = 0;
        } else {
            p1.n_out = (uint32_t)(out->size * P);
            p1.R = (uint32_t)(R / P);
            p1.rs[0] = (uint32_t)(R / P);
            p1.o_off = 0;
            int32_t spec1[4] = {rop[prim], NK1, 1, 256};
            int32_t spec2[4] = {rop[prim], 1, 1, 256};
            vk_pipeline *pipe1 = vk_pipeline_get(shader, 2, sizeof pc, spec1, 4);
            vk_pipeline *pipe2 = vk_pipeline_get(s2, 2, sizeof pc, spec2, 4);
            rc = -1;
            if (pipe1 && pipe2) {
                vk_binding tb = {tmp, tmp->off, tmp->size, true};
                vk_binding b1[2] = {vk_bind(&a, false), tb};
                rc = vk_dispatch(pipe1, b1, 2, &p1, p1.n_out, 1, 1);
                p2.n_out = (uint32_t)out->size;
                p2.R = (uint32_t)P;
                p2.ks[0] = (uint32_t)out->size;
                p2.kst[0] = P;
                p2.rs[0] = (uint32_t)P;
                p2.rst[0] = 1;
                p2.o_off = (uint32_t)o.elem_off;
                tb.write = false;
                vk_binding b2[2] = {tb, vk_bind(&o, true)};
                if (rc == 0)
                    rc = vk_dispatch(pipe2, b2, 2, &p2, p2.n_out, 1, 1);
            }
            vk_mem_free(tmp);
        }
    }
    if (!P) {
        vk_binding b[2] = {vk_bind(&a, false), vk_bind(&o, true)};
        rc = vk_dispatch(pipe, b, 2, &pc, out->size < 65535 ? (uint32_t)out->size : 65535, 1, 1);
    }
    vk_operand_done(&a);
    vk_operand_done(&o);
    return rc;
}

__attribute__((constructor)) static void register_reduce(void)
{
    for (int id = EM_P_REDUCE_SUM; id <= EM_P_ARGMIN; id++)
        em__vk_register((em_prim_id)id, reduce_kernel);
}
