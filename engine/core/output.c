/* How kernels give their outputs memory: fresh, donated, or a view. */
#include "array_internal.h"

int em__alloc_output(em_array *out)
{
    size_t nbytes = (size_t)out->size * em_dtype_size((em_dtype)out->dtype);
    em_buffer *b = em__buffer_new(nbytes, EM_CPU);
    if (!b)
        return -1;
    em__buffer_release(out->buf);
    out->buf = b;
    out->offset = 0;
    em__row_strides(out->ndim, out->shape, out->strides);
    return 0;
}

int em__donate_or_alloc(em_array *out, em_array *in)
{
    /* The node being evaluated holds one reference to `in`; if that is the only
     * one and nothing else shares the buffer, nobody can see it change. */
    if (in->buf && atomic_load(&in->refs) == 1 && atomic_load(&in->buf->refs) == 1 &&
        !in->buf->release && in->offset == 0 && in->size == out->size &&
        em_dtype_size((em_dtype)in->dtype) == em_dtype_size((em_dtype)out->dtype) &&
        em__is_row_contiguous(in) && in->buf->nbytes >= (size_t)out->size * em_dtype_size((em_dtype)out->dtype)) {
        em__buffer_retain(in->buf);
        em__buffer_release(out->buf);
        out->buf = in->buf;
        out->offset = 0;
        em__row_strides(out->ndim, out->shape, out->strides);
        return 0;
    }
    return em__alloc_output(out);
}

void em__set_view(em_array *out, em_array *in, int64_t offset, const int64_t *strides)
{
    em__buffer_retain(in->buf);
    em__buffer_release(out->buf);
    out->buf = in->buf;
    out->offset = offset;
    for (int i = 0; i < out->ndim; i++)
        out->strides[i] = strides[i];
}
