/* GPU kernels of softmax, log_softmax, rms_norm and layer_norm (over the
 * last axis): one workgroup per row. */
#include <stdio.h>
#include <string.h>

#include "kernels.h"

static int rows_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                       const em_params *p)
{
    em_array *out = outs[0], *x = ins[0];
    em_prim_id prim = vk_prim_of(outs);
    em_dtype t = (em_dtype)x->dtype;
    if (!em_dtype_is_float(t) || !vk_dtype_ok(t) || x->ndim == 0)
        return vk_cpu_fallback(outs, n_out, ins, n_in, p);
    bool has_w = p && p->i[0], has_b = p && p->i[1];
    if (prim == EM_P_SOFTMAX || prim == EM_P_LOG_SOFTMAX)
        has_w = has_b = false;
    em_array *w = has_w ? ins[1] : NULL, *b = has_b ? ins[has_w ? 2 : 1] : NULL;
    int64_t n = x->shape[x->ndim - 1];
    struct {
        uint32_t rows, n, x_off, w_off, b_off, o_off;
        int32_t xs, ws, bs;
        uint32_t has_w, has_b;
        float eps;
        uint32_t shape[6];
        int32_t str[6];
    } pc = {0};
    /* outer dims, merged */
    int64_t ms[EM_MAX_DIMS], mst[1][EM_MAX_DIMS];
    const int64_t *st[1] = {x->strides};
    int nd = x->ndim > 1 ? vk_merge_dims(x->ndim - 1, x->shape, 1, st, ms, mst) : 1;
    if (x->ndim == 1) {
        ms[0] = 1;
        mst[0][0] = 0;
    }
    if (nd > 6 || n > INT32_MAX || x->size > UINT32_MAX)
        return vk_cpu_fallback(outs, n_out, ins, n_in, p);
    if (vk_alloc_output(out) < 0)
        return -1;
    if (out->size == 0)
        return 0;
    int32_t op = prim == EM_P_SOFTMAX ? 1 : prim == EM_P_LOG_SOFTMAX ? 2 : prim == EM_P_RMS_NORM ? 3 : 4;
    char shader[32];
    snprintf(shader, sizeof shader, "rows_%s", vk_dtype_suffix(t));
    int32_t spec[2] = {op, nd};
    vk_pipeline *pipe = vk_pipeline_get(shader, 4, sizeof pc, spec, 2);
    if (!pipe)
        return -1;
    vk_operand ox, ow, ob, oo;
    bool fits = true;
    int rc = vk_operand_get(x, &ox, &fits);
    if (rc < 0)
        return fits ? -1 : vk_cpu_fallback(outs, n_out, ins, n_in, p);
    rc = vk_operand_get(w ? w : x, &ow, NULL);
    if (rc == 0)
        rc = vk_operand_get(b ? b : x, &ob, NULL);
    if (rc == 0)
        rc = vk_operand_get(out, &oo, NULL);
    if (rc == 0) {
        pc.rows = (uint32_t)(x->size / (n ? n : 1));
        pc.n = (uint32_t)n;
        pc.x_off = (uint32_t)ox.elem_off;
        pc.w_off = (uint32_t)ow.elem_off;
        pc.b_off = (uint32_t)ob.elem_off;
        pc.o_off = (uint32_t)oo.elem_off;
        pc.xs = (int32_t)x->strides[x->ndim - 1];
        pc.ws = w ? (int32_t)w->strides[0] : 0;
        pc.bs = b ? (int32_t)b->strides[0] : 0;
        pc.has_w = w != NULL;
        pc.has_b = b != NULL;
        pc.eps = p ? (float)p->f[0] : 0.0f;
        for (int d = 0; d < nd; d++) {
            pc.shape[d] = (uint32_t)ms[d];
            pc.str[d] = (int32_t)mst[0][d];
        }
        vk_binding bd[4] = {vk_bind(&ox, false), vk_bind(&ow, false), vk_bind(&ob, false),
                            vk_bind(&oo, true)};
        rc = vk_dispatch(pipe, bd, 4, &pc, pc.rows < 65535 ? pc.rows : 65535, 1, 1);
        vk_operand_done(&oo);
    }
    vk_operand_done(&ox);
    vk_operand_done(&ow);
    vk_operand_done(&ob);
    return rc;
}

__attribute__((constructor)) static void register_rows(void)
{
    em__vk_register(EM_P_SOFTMAX, rows_kernel);
    em__vk_register(EM_P_LOG_SOFTMAX, rows_kernel);
    em__vk_register(EM_P_RMS_NORM, rows_kernel);
    em__vk_register(EM_P_LAYER_NORM, rows_kernel);
}
