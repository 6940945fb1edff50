/* Kernels of concatenate and pad: block copies with em__copy_strided. */
#include <string.h>

#include "convert.h"
#include "ember/ops.h"
#include "loops.h"

static int concatenate_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                              const em_params *p)
{
    em_array *out = outs[0];
    if (em__alloc_output(out) < 0)
        return -1;
    int ax = (int)p->i[0];
    int64_t pos = 0;
    for (int i = 0; i < n_in; i++) {
        if (ins[i]->size)
            em__copy_strided(out, pos * out->strides[ax], out->strides, ins[i]);
        pos += ins[i]->shape[ax];
    }
    return 0;
}

typedef struct {
    char *dst;
    uint64_t pattern;
    size_t esz;
} fill_job;

static void fill_range(void *ctx, int64_t b, int64_t e)
{
    fill_job *j = ctx;
    switch (j->esz) {
    case 1: memset(j->dst + b, (int)(uint8_t)j->pattern, (size_t)(e - b)); break;
    case 2: { uint16_t v = (uint16_t)j->pattern, *d = (uint16_t *)j->dst; for (int64_t i = b; i < e; i++) d[i] = v; break; }
    case 4: { uint32_t v = (uint32_t)j->pattern, *d = (uint32_t *)j->dst; for (int64_t i = b; i < e; i++) d[i] = v; break; }
    default: { uint64_t v = j->pattern, *d = (uint64_t *)j->dst; for (int64_t i = b; i < e; i++) d[i] = v; break; }
    }
}

/* A view of out's own buffer (never retained: only read by em__copy_strided). */
static em_array view_of(const em_array *out, int ndim, const int64_t *shape, const int64_t *strides,
                        int64_t offset)
{
    em_array v;
    memset(&v, 0, sizeof v);
    v.dtype = out->dtype;
    v.ndim = (uint8_t)ndim;
    v.buf = out->buf;
    v.offset = offset;
    v.size = 1;
    for (int i = 0; i < ndim; i++) {
        v.shape[i] = shape[i];
        v.strides[i] = strides[i];
        v.size *= shape[i];
    }
    return v;
}

static int pad_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                      const em_params *p)
{
    em_array *out = outs[0], *in = ins[0];
    if (em__alloc_output(out) < 0)
        return -1;
    if (out->size == 0)
        return 0;
    int nd = out->ndim;
    const int64_t *w = p->i;
    bool edge = p->i[2 * EM_MAX_DIMS] == EM_PAD_EDGE;
    int64_t inner = 0;
    for (int d = 0; d < nd; d++)
        inner += w[2 * d] * out->strides[d];
    if (!edge && out->size != in->size) {
        fill_job j = {.dst = out->buf->data, .esz = em_dtype_size((em_dtype)out->dtype)};
        em__store_f64(&j.pattern, (em_dtype)out->dtype, p->f[0]);
        em__parallel_for(out->size, 1 << 16, fill_range, &j);
    }
    if (in->size)
        em__copy_strided(out, inner, out->strides, in);
    if (!edge)
        return 0;
    /* Edge: for each axis in turn, repeat the first and last planes of what is
     * filled so far (axes before d are already full, axes after d interior). */
    for (int d = 0; d < nd; d++) {
        int64_t shape[EM_MAX_DIMS], src_strides[EM_MAX_DIMS], base = 0;
        for (int k = 0; k < nd; k++) {
            shape[k] = k < d ? out->shape[k] : in->shape[k];
            src_strides[k] = out->strides[k];
            if (k > d)
                base += w[2 * k] * out->strides[k];
        }
        src_strides[d] = 0;
        if (w[2 * d]) {
            shape[d] = w[2 * d];
            em_array v = view_of(out, nd, shape, src_strides, base + w[2 * d] * out->strides[d]);
            em__copy_strided(out, base, out->strides, &v);
        }
        if (w[2 * d + 1]) {
            shape[d] = w[2 * d + 1];
            int64_t last = w[2 * d] + in->shape[d] - 1;
            em_array v = view_of(out, nd, shape, src_strides, base + last * out->strides[d]);
            em__copy_strided(out, base + (last + 1) * out->strides[d], out->strides, &v);
        }
    }
    return 0;
}

__attribute__((constructor)) static void register_shape(void)
{
    em__cpu_register(EM_P_CONCATENATE, concatenate_kernel);
    em__cpu_register(EM_P_PAD, pad_kernel);
}
