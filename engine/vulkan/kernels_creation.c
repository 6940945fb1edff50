/* GPU kernels of full, arange, linspace and tri. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "convert.h"
#include "kernels.h"

static int fill(em_array *out, uint32_t v0, uint32_t v1)
{
    char shader[16];
    size_t e = em_dtype_size((em_dtype)out->dtype);
    snprintf(shader, sizeof shader, "full_%zu", e);
    vk_pipeline *pipe = vk_pipeline_get(shader, 1, 16, (int32_t[]){0}, 1);
    if (!pipe)
        return -1;
    int rc = 0;
    int64_t chunk = (int64_t)((vk.info.max_storage_buffer_range - 1024) / e) & ~(int64_t)1023;
    for (int64_t s = 0; s < out->size && rc == 0; s += chunk) {
        int64_t len = out->size - s < chunk ? out->size - s : chunk;
        vk_operand op;
        if ((rc = vk_operand_range(out, s, len, &op)) < 0)
            break;
        uint32_t pc[4] = {(uint32_t)len, (uint32_t)op.elem_off, v0, v1};
        vk_binding b = vk_bind(&op, true);
        rc = vk_dispatch(pipe, &b, 1, pc, vk_groups(len, 256), 1, 1);
        vk_operand_done(&op);
    }
    return rc;
}

static int full_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                       const em_params *p)
{
    em_array *out = outs[0];
    em_dtype t = (em_dtype)out->dtype;
    size_t e = em_dtype_size(t);
    if (t == EM_FLOAT64 || (e < 4 && !vk_dtype_ok(t)))
        return vk_cpu_fallback(outs, n_out, ins, n_in, p);
    if (vk_alloc_output(out) < 0)
        return -1;
    if (out->size == 0)
        return 0;
    unsigned char v[8] = {0};
    em__store_f64(v, t, p->f[0]);
    if (t == EM_INT64 || t == EM_UINT64)
        memcpy(v, &p->i[0], 8);
    uint32_t w[2] = {0, 0};
    memcpy(w, v, e);
    return fill(out, w[0], w[1]);
}

static int create_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                         const em_params *p)
{
    em_array *out = outs[0];
    em_prim_id prim = vk_prim_of(outs);
    em_dtype t = (em_dtype)out->dtype;
    if (!vk_dtype_ok(t) || out->size > INT32_MAX ||
        em_dtype_size(t) * (size_t)out->size + 1024 > vk.info.max_storage_buffer_range)
        return vk_cpu_fallback(outs, n_out, ins, n_in, p);
    struct {
        uint32_t n, o_off, m;
        int32_t k;
        uint32_t eye;
        int32_t i0, i1;
        float f0, f1, f2;
    } pc = {0};
    int32_t op;
    pc.n = (uint32_t)out->size;
    if (prim == EM_P_TRI) {
        op = COP_TRI;
        pc.m = (uint32_t)(out->ndim >= 2 ? out->shape[1] : 1);
        pc.k = (int32_t)p->i[0];
        pc.eye = p->i[1] != 0;
        if (pc.m == 0)
            pc.m = 1;
    } else if (em_dtype_is_float(t)) {
        op = prim == EM_P_ARANGE ? COP_ARANGE : COP_LINSPACE;
        pc.f0 = (float)p->f[0];
        if (prim == EM_P_ARANGE) {
            pc.f1 = (float)p->f[1];
        } else {
            int64_t n = out->size;
            pc.f1 = n > 1 ? (float)((p->f[1] - p->f[0]) / (double)(n - 1)) : 0.0f;
            pc.f2 = (float)p->f[1];
        }
    } else {
        /* integer outputs: exact only for integral start and step */
        double start = p->f[0], step = prim == EM_P_ARANGE ? p->f[1] : 0;
        double last = start + step * (double)(out->size ? out->size - 1 : 0);
        if (prim != EM_P_ARANGE || start != floor(start) || step != floor(step) ||
            fabs(start) > INT32_MAX || fabs(last) > INT32_MAX || fabs(step) > INT32_MAX)
            return vk_cpu_fallback(outs, n_out, ins, n_in, p);
        op = COP_ARANGE;
        pc.i0 = (int32_t)start;
        pc.i1 = (int32_t)step;
    }
    if (vk_alloc_output(out) < 0)
        return -1;
    if (out->size == 0)
        return 0;
    char shader[32];
    snprintf(shader, sizeof shader, "create_%s", vk_dtype_suffix(t));
    vk_pipeline *pipe = vk_pipeline_get(shader, 1, sizeof pc, &op, 1);
    if (!pipe)
        return -1;
    vk_operand o;
    if (vk_operand_get(out, &o, NULL) < 0)
        return -1;
    pc.o_off = (uint32_t)o.elem_off;
    vk_binding b = vk_bind(&o, true);
    int rc = vk_dispatch(pipe, &b, 1, &pc, vk_groups(out->size, 256), 1, 1);
    vk_operand_done(&o);
    return rc;
}

__attribute__((constructor)) static void register_creation(void)
{
    em__vk_register(EM_P_FULL, full_kernel);
    em__vk_register(EM_P_ARANGE, create_kernel);
    em__vk_register(EM_P_LINSPACE, create_kernel);
    em__vk_register(EM_P_TRI, create_kernel);
}
