/* GPU kernels of random_bits (threefry, the CPU's words), rope,
 * scaled_dot_product_attention (flash-attention style), convolution and its
 * transpose (direct), and the identity-like nodes of the transformations
 * (custom_vjp, checkpoint, depends: views, as engine/cpu/view.c). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "kernels.h"

static int random_bits_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                              const em_params *p)
{
    em_array *out = outs[0], *key = ins[0];
    size_t bytes = (size_t)out->size * em_dtype_size((em_dtype)out->dtype);
    if (!vk_dtype_ok((em_dtype)out->dtype) || bytes / 4 > INT32_MAX)
        return vk_cpu_fallback(outs, n_out, ins, n_in, p);
    /* the words are written whole: reserve them (the shape's bytes are a prefix) */
    em_buffer *b = vk_buffer_new((bytes + 3) / 4 * 4 + 4);
    if (!b)
        return -1;
    em__buffer_release(out->buf);
    out->buf = b;
    out->offset = 0;
    em__row_strides(out->ndim, out->shape, out->strides);
    if (bytes == 0)
        return 0;
    int64_t n = (int64_t)((bytes + 3) / 4);
    struct { uint32_t h, odd, k_off, k_stride, o_off; } pc = {
        .h = (uint32_t)(n / 2), .odd = (uint32_t)(n % 2),
        .k_stride = (uint32_t)(key->ndim ? key->strides[key->ndim - 1] : 0)};
    vk_opset s;
    if (vk_opset_get(&s, &key, 1, NULL) < 0)
        return -1;
    vk_alloc *a = vk_buffer_alloc(b);
    s.op[1] = (vk_operand){.a = a, .bind_off = a->off, .bind_range = (VkDeviceSize)n * 4};
    s.n = 2;
    pc.k_off = (uint32_t)s.op[0].elem_off;
    int rc = vk_run("random_bits", NULL, 0, &s, 2u, &pc, sizeof pc, vk_groups(pc.h + pc.odd, 256), 1, 1);
    vk_opset_done(&s);
    return rc;
}

static int rope_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                       const em_params *p)
{
    em_array *out = outs[0], *x = ins[0], *f = p->i[3] ? ins[1] : NULL;
    em_dtype t = (em_dtype)x->dtype;
    if (!em_dtype_is_float(t) || !vk_dtype_ok(t) || x->ndim < 2 || x->size > INT32_MAX ||
        (f && f->dtype != x->dtype))
        return vk_cpu_fallback(outs, n_out, ins, n_in, p);
    if (vk_alloc_output(out) < 0)
        return -1;
    if (out->size == 0)
        return 0;
    em_array *xd = vk_dense(x);
    if (!xd)
        return -1;
    struct {
        uint32_t total, n, L, dims, traditional, offset, has_freqs, x_off, f_off, o_off;
        int32_t fs;
        float log_base, scale;
    } pc = {.total = (uint32_t)out->size, .n = (uint32_t)x->shape[x->ndim - 1],
            .L = (uint32_t)x->shape[x->ndim - 2], .dims = (uint32_t)p->i[0],
            .traditional = (uint32_t)p->i[1], .offset = (uint32_t)p->i[2], .has_freqs = f != NULL,
            .fs = f ? (int32_t)f->strides[0] : 0, .log_base = (float)log(p->f[0]),
            .scale = (float)p->f[1]};
    vk_opset s;
    em_array *arr[3] = {xd, f, out};
    int rc = vk_opset_get(&s, arr, 3, NULL);
    if (rc == 0) {
        pc.x_off = (uint32_t)s.op[0].elem_off;
        pc.f_off = (uint32_t)s.op[1].elem_off;
        pc.o_off = (uint32_t)s.op[2].elem_off;
        char shader[32];
        snprintf(shader, sizeof shader, "rope_%s", vk_dtype_suffix(t));
        rc = vk_run(shader, NULL, 0, &s, 4u, &pc, sizeof pc, vk_groups(out->size, 256), 1, 1);
        vk_opset_done(&s);
    }
    em_release(xd);
    return rc;
}

static int sdpa_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                       const em_params *p)
{
    em_array *out = outs[0], *q = ins[0], *k = ins[1], *v = ins[2];
    em_array *mask = p->i[1] ? ins[3] : NULL;
    em_dtype t = (em_dtype)out->dtype;
    bool ok = em_dtype_is_float(t) && vk_dtype_ok(t) && q->dtype == t && k->dtype == t &&
              v->dtype == t && q->shape[3] <= 128 && v->shape[3] <= 128 && out->size <= INT32_MAX &&
              (!mask || mask->dtype == EM_BOOL || mask->dtype == EM_FLOAT32);
    if (!ok)
        return vk_cpu_fallback(outs, n_out, ins, n_in, p);
    if (vk_alloc_output(out) < 0)
        return -1;
    if (out->size == 0)
        return 0;
    struct {
        uint32_t Hq, group, Lq, Lk, D, Dv, causal;
        float scale;
        uint32_t q_off, k_off, v_off, m_off, o_off;
        int32_t qs[4], ks[4], vs[4], ms[4];
    } pc = {.Hq = (uint32_t)q->shape[1], .group = (uint32_t)(q->shape[1] / k->shape[1]),
            .Lq = (uint32_t)q->shape[2], .Lk = (uint32_t)k->shape[2], .D = (uint32_t)q->shape[3],
            .Dv = (uint32_t)v->shape[3], .causal = (uint32_t)p->i[0], .scale = (float)p->f[0]};
    for (int d = 0; d < 4; d++) {
        pc.qs[d] = (int32_t)q->strides[d];
        pc.ks[d] = (int32_t)k->strides[d];
        pc.vs[d] = (int32_t)v->strides[d];
        pc.ms[d] = mask ? (int32_t)(mask->shape[d] == 1 ? 0 : mask->strides[d]) : 0;
    }
    vk_opset s;
    em_array *arr[6] = {q, k, v, mask && mask->dtype == EM_BOOL ? mask : NULL,
                        mask && mask->dtype == EM_FLOAT32 ? mask : NULL, out};
    int rc = vk_opset_get(&s, arr, 6, NULL);
    if (rc == 0) {
        pc.q_off = (uint32_t)s.op[0].elem_off;
        pc.k_off = (uint32_t)s.op[1].elem_off;
        pc.v_off = (uint32_t)s.op[2].elem_off;
        pc.m_off = (uint32_t)(mask ? s.op[mask->dtype == EM_BOOL ? 3 : 4].elem_off : 0);
        pc.o_off = (uint32_t)s.op[5].elem_off;
        char shader[32];
        snprintf(shader, sizeof shader, "sdpa_%s", vk_dtype_suffix(t));
        int32_t spec = mask ? (mask->dtype == EM_BOOL ? 1 : 2) : 0;
        uint32_t bh = (uint32_t)(q->shape[0] * q->shape[1]);
        rc = vk_run(shader, &spec, 1, &s, 32u, &pc, sizeof pc, (pc.Lq + 63) / 64, bh, 1);
        vk_opset_done(&s);
    }
    return rc;
}

static int conv_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                       const em_params *p)
{
    em_array *out = outs[0], *x = ins[0], *w = ins[1];
    if (out->dtype != EM_FLOAT32 || x->dtype != EM_FLOAT32 || w->dtype != EM_FLOAT32 ||
        out->size > INT32_MAX || x->size > INT32_MAX)
        return vk_cpu_fallback(outs, n_out, ins, n_in, p);
    if (vk_alloc_output(out) < 0)
        return -1;
    if (out->size == 0)
        return 0;
    em_array *xd = vk_dense(x), *wd = xd ? vk_dense(w) : NULL;
    int rc = -1;
    if (xd && wd) {
        int64_t G = p->i[6];
        struct {
            uint32_t total, H, W, C, OH, OW, Cout, KH, KW, Cig, Cog;
            int32_t sh, sw, ph, pw, dh, dw;
            uint32_t x_off, w_off, o_off;
        } pc = {.total = (uint32_t)out->size, .H = (uint32_t)x->shape[1], .W = (uint32_t)x->shape[2],
                .C = (uint32_t)x->shape[3], .OH = (uint32_t)out->shape[1], .OW = (uint32_t)out->shape[2],
                .Cout = (uint32_t)out->shape[3], .KH = (uint32_t)w->shape[1], .KW = (uint32_t)w->shape[2],
                .Cig = (uint32_t)w->shape[3], .Cog = (uint32_t)(out->shape[3] / G),
                .sh = (int32_t)p->i[0], .sw = (int32_t)p->i[1], .ph = (int32_t)p->i[2],
                .pw = (int32_t)p->i[3], .dh = (int32_t)p->i[4], .dw = (int32_t)p->i[5]};
        vk_opset s;
        em_array *arr[3] = {xd, wd, out};
        rc = vk_opset_get(&s, arr, 3, NULL);
        if (rc == 0) {
            pc.x_off = (uint32_t)s.op[0].elem_off;
            pc.w_off = (uint32_t)s.op[1].elem_off;
            pc.o_off = (uint32_t)s.op[2].elem_off;
            int32_t spec = vk_prim_of(outs) == EM_P_CONV_TRANSPOSE;
            rc = vk_run("conv_f32", &spec, 1, &s, 4u, &pc, sizeof pc, vk_groups(out->size, 64), 1, 1);
            vk_opset_done(&s);
        }
    }
    em_release(xd);
    em_release(wd);
    return rc;
}

/* custom_vjp and checkpoint: output k is a view of input n_primals + k */
static int custom_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                         const em_params *p)
{
    (void)n_in;
    int n_p = (int)p->i[0];
    for (int k = 0; k < n_out; k++)
        em__set_view(outs[k], ins[n_p + k], ins[n_p + k]->offset, ins[n_p + k]->strides);
    return 0;
}

static int depends_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                          const em_params *p)
{
    (void)n_out, (void)n_in, (void)p;
    em__set_view(outs[0], ins[0], ins[0]->offset, ins[0]->strides);
    return 0;
}

__attribute__((constructor)) static void register_misc(void)
{
    em__vk_register(EM_P_RANDOM_BITS, random_bits_kernel);
    em__vk_register(EM_P_ROPE, rope_kernel);
    em__vk_register(EM_P_SDPA, sdpa_kernel);
    em__vk_register(EM_P_CONV, conv_kernel);
    em__vk_register(EM_P_CONV_TRANSPOSE, conv_kernel);
    em__vk_register(EM_P_CUSTOM_VJP, custom_kernel);
    em__vk_register(EM_P_CHECKPOINT, custom_kernel);
    em__vk_register(EM_P_DEPENDS, depends_kernel);
}
