/* The view primitives on the GPU: transpose, broadcast and slice share the
 * input's buffer exactly as on the CPU (the CPU kernels only set strides, so
 * they are called directly, with no wait); reshape is a view where the
 * layout allows and a GPU copy otherwise. */
#include "kernels.h"

static int pure_view(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                     const em_params *p)
{
    em_kernel_fn k = em_cpu_backend.kernels[vk_prim_of(outs)];
    if (!k)
        return em__error("%s: no view kernel", em_prims[vk_prim_of(outs)].name);
    return k(outs, n_out, ins, n_in, p);
}

/* Strides of out viewing in's elements in row-major order, if possible. */
static bool reshape_strides(const em_array *in, const em_array *out, int64_t *strides)
{
    if (em__is_row_contiguous(in)) {
        em__row_strides(out->ndim, out->shape, strides);
        return true;
    }
    int i = 0, o = 0;
    while (i < in->ndim || o < out->ndim) {
        if (i < in->ndim && in->shape[i] == 1) {
            i++;
            continue;
        }
        if (o < out->ndim && out->shape[o] == 1) {
            strides[o++] = 1;
            continue;
        }
        if (i >= in->ndim || o >= out->ndim)
            return false;
        int64_t isz = in->shape[i], osz = out->shape[o];
        int o0 = o;
        while (isz != osz) {
            if (isz < osz) {
                if (++i >= in->ndim || in->strides[i - 1] != in->strides[i] * in->shape[i])
                    return false;
                isz *= in->shape[i];
            } else {
                if (++o >= out->ndim)
                    return false;
                osz *= out->shape[o];
            }
        }
        int64_t s = in->strides[i];
        for (int k = o; k >= o0; k--) {
            strides[k] = s;
            s *= out->shape[k];
        }
        i++;
        o++;
    }
    return true;
}

static int reshape_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                          const em_params *p)
{
    em_array *out = outs[0], *in = ins[0];
    int64_t strides[EM_MAX_DIMS];
    if (in->size == 0 || reshape_strides(in, out, strides)) {
        if (in->size == 0)
            em__row_strides(out->ndim, out->shape, strides);
        em__set_view(out, in, in->offset, strides);
        return 0;
    }
    if (!vk_dtype_ok((em_dtype)in->dtype) && em_dtype_size((em_dtype)in->dtype) < 4)
        return vk_cpu_fallback(outs, n_out, ins, n_in, p);
    em_array *dense = vk_contiguous(in);
    if (!dense)
        return -1;
    em__row_strides(out->ndim, out->shape, strides);
    em__set_view(out, dense, 0, strides);
    em_release(dense);
    return 0;
}

__attribute__((constructor)) static void register_views(void)
{
    em__vk_register(EM_P_TRANSPOSE, pure_view);
    em__vk_register(EM_P_BROADCAST, pure_view);
    em__vk_register(EM_P_SLICE, pure_view);
    em__vk_register(EM_P_RESHAPE, reshape_kernel);
}
