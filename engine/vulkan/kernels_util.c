/* Helpers of the GPU kernels beyond the elementwise ones: operand sets and
 * dispatch, strided copies into an output, index conversion and checks. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "kernels.h"

const char *vk_size_suffix(size_t esz)
{
    return esz == 1 ? "1" : esz == 2 ? "2" : esz == 4 ? "4" : "8";
}

static int dummy(vk_operand *op)
{
    memset(op, 0, sizeof *op);
    op->tmp = op->a = vk_mem_alloc(16);
    if (!op->a)
        return -1;
    op->bind_off = op->a->off;
    op->bind_range = 16;
    return 0;
}

int vk_opset_get(vk_opset *s, em_array *const *arrs, int n, bool *fits)
{
    s->n = 0;
    if (fits)
        *fits = true;
    for (int i = 0; i < n; i++) {
        bool f = true;
        int rc = arrs[i] ? vk_operand_get(arrs[i], &s->op[i], &f) : dummy(&s->op[i]);
        if (rc < 0) {
            vk_opset_done(s);
            if (!f && fits) {
                *fits = false;
                return -1;
            }
            if (!f)
                return em__error("gpu: an operand exceeds the device's binding range");
            return -1;
        }
        s->n = i + 1;
    }
    return 0;
}

void vk_opset_done(vk_opset *s)
{
    for (int i = 0; i < s->n; i++)
        vk_operand_done(&s->op[i]);
    s->n = 0;
}

int vk_run(const char *shader, const int32_t *spec, int n_spec, vk_opset *s, uint32_t write_mask,
           const void *pc, uint32_t pc_size, uint32_t gx, uint32_t gy, uint32_t gz)
{
    vk_pipeline *p = vk_pipeline_get(shader, s->n, pc_size, spec, n_spec);
    if (!p)
        return -1;
    vk_binding b[8];
    for (int i = 0; i < s->n; i++)
        b[i] = vk_bind(&s->op[i], (write_mask >> i) & 1);
    return vk_dispatch(p, b, s->n, pc, gx, gy, gz);
}

int vk_scopy(em_array *dst, int64_t off, const int64_t *dst_strides, em_array *src)
{
    if (src->size == 0)
        return 0;
    int64_t ms[EM_MAX_DIMS], mst[2][EM_MAX_DIMS];
    const int64_t *st[2] = {src->strides, dst_strides};
    int nd = vk_merge_dims(src->ndim, src->shape, 2, st, ms, mst);
    struct {
        uint32_t n, a_off, o_off, pad;
        uint32_t shape[8];
        int32_t sa[8], so[8];
    } pc = {0};
    vk_opset s;
    em_array *arr[2] = {src, dst};
    if (src->size > UINT32_MAX || vk_opset_get(&s, arr, 2, NULL) < 0)
        return src->size > UINT32_MAX ? em__error("gpu: copy of %" PRId64 " elements is too large", src->size) : -1;
    pc.n = (uint32_t)src->size;
    pc.a_off = (uint32_t)s.op[0].elem_off;
    pc.o_off = (uint32_t)(s.op[1].elem_off + off);
    for (int d = 0; d < nd; d++) {
        pc.shape[d] = (uint32_t)ms[d];
        pc.sa[d] = (int32_t)mst[0][d];
        pc.so[d] = (int32_t)mst[1][d];
    }
    char shader[32];
    snprintf(shader, sizeof shader, "scopy_%s", vk_size_suffix(em_dtype_size((em_dtype)src->dtype)));
    int32_t spec[2] = {0, nd};
    int rc = vk_run(shader, spec, 2, &s, 2u, &pc, sizeof pc, vk_groups(src->size, 256), 1, 1);
    vk_opset_done(&s);
    return rc;
}

em_array *vk_index_i32(em_array *idx)
{
    em_array *t = em__alloc_array(EM_INT32, idx->ndim, idx->shape);
    if (!t)
        return NULL;
    t->orig_prim = EM_P_ASTYPE;
    char shader[32];
    snprintf(shader, sizeof shader, "cast_%s_i32", vk_dtype_suffix((em_dtype)idx->dtype));
    int rc = vk_elementwise(shader, 0, t, &idx, 1, EM_MAX_DIMS, 0.0f);
    if (rc == VK_USE_CPU)
        rc = em__error("gpu: index array too large");
    if (rc < 0) {
        em_release(t);
        return NULL;
    }
    t->flags |= EM_F_EVALUATED;
    return t;
}

em_array *vk_dense(em_array *a)
{
    if (vk_buffer_alloc(a->buf) && em__is_row_contiguous(a)) {
        em_retain(a);
        return a;
    }
    return vk_contiguous(a);
}

static int64_t ld_index(const void *base, int64_t off, em_dtype t)
{
    switch (t) {
    case EM_UINT8: return ((const uint8_t *)base)[off];
    case EM_UINT16: return ((const uint16_t *)base)[off];
    case EM_UINT32: return ((const uint32_t *)base)[off];
    case EM_UINT64: return (int64_t)((const uint64_t *)base)[off];
    case EM_INT8: return ((const int8_t *)base)[off];
    case EM_INT16: return ((const int16_t *)base)[off];
    case EM_INT32: return ((const int32_t *)base)[off];
    default: return ((const int64_t *)base)[off];
    }
}

int vk_check_index(const char *op, em_array *idx, int axis, int64_t n, int64_t ext)
{
    if (idx->size == 0 || !idx->buf || !idx->buf->data)
        return 0;
    if (idx->buf->device == EM_GPU && vk_busy())
        return 0; /* reading would wait for the GPU: the kernels clamp instead */
    int64_t coord[EM_MAX_DIMS] = {0};
    const void *base = idx->buf->data;
    for (int64_t i = 0; i < idx->size; i++) {
        int64_t off = idx->offset;
        for (int d = 0; d < idx->ndim; d++)
            off += coord[d] * idx->strides[d];
        int64_t v0 = ld_index(base, off, (em_dtype)idx->dtype), v = v0 < 0 ? v0 + n : v0;
        if (v < 0 || v + ext > n)
            return em__error("%s: index %" PRId64 " is out of range for axis %d of size %" PRId64, op,
                             v0, axis, n);
        for (int d = idx->ndim - 1; d >= 0; d--) {
            if (++coord[d] < idx->shape[d])
                break;
            coord[d] = 0;
        }
    }
    return 0;
}
