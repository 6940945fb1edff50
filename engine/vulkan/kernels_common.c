/* Helpers every GPU kernel file uses: the CPU fallback, dtype support, the
 * dimension merging and launch sizes of the elementwise shaders. */
#include <stdio.h>
#include <stdlib.h>

#include "kernels.h"

/* Fallbacks taken per primitive (tests check that a kernel really ran). */
static _Atomic uint64_t fallbacks[EM_P_COUNT];

uint64_t em__vk_fallbacks(int prim)
{
    return prim >= 0 && prim < EM_P_COUNT ? fallbacks[prim] : 0;
}

int vk_cpu_fallback(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                    const em_params *p)
{
    em_prim_id prim = vk_prim_of(outs);
    fallbacks[prim]++;
    if (getenv("EMBER_VULKAN_TRACE_FALLBACK"))
        fprintf(stderr, "gpu: %s runs on the cpu\n", em_prims[prim].name);
    em_kernel_fn k = em_cpu_backend.kernels[prim];
    if (!k)
        return em__error("%s: no kernel on the gpu or the cpu", em_prims[prim].name);
    /* the CPU reads GPU arrays in place: wait for their writers first */
    for (int i = 0; i < n_in; i++)
        if (ins[i]->buf && ins[i]->buf->device == EM_GPU) {
            if (vk_synchronize() < 0)
                return -1;
            break;
        }
    return k(outs, n_out, ins, n_in, p);
}

bool vk_dtype_ok(em_dtype t)
{
    switch (t) {
    case EM_BOOL: case EM_UINT8: case EM_INT8: return vk.storage8;
    case EM_UINT16: case EM_INT16: case EM_FLOAT16: case EM_BFLOAT16: return vk.storage16;
    case EM_UINT32: case EM_INT32: case EM_FLOAT32: return true;
    case EM_UINT64: case EM_INT64: return vk.int64;
    default: return false;
    }
}

const char *vk_dtype_suffix(em_dtype t)
{
    static const char *s[EM_DTYPE_COUNT] = {
        [EM_BOOL] = "b",     [EM_UINT8] = "u8",  [EM_UINT16] = "u16",  [EM_UINT32] = "u32",
        [EM_UINT64] = "u64", [EM_INT8] = "i8",   [EM_INT16] = "i16",   [EM_INT32] = "i32",
        [EM_INT64] = "i64",  [EM_FLOAT16] = "f16", [EM_BFLOAT16] = "bf16", [EM_FLOAT32] = "f32",
        [EM_FLOAT64] = "f64"};
    return (unsigned)t < EM_DTYPE_COUNT ? s[t] : "?";
}

uint32_t vk_groups(int64_t n, uint32_t per_group)
{
    int64_t g = (n + per_group - 1) / per_group;
    if (g < 1)
        g = 1;
    if (g > 65535)
        g = 65535;
    return (uint32_t)g;
}

int vk_merge_dims(int ndim, const int64_t *shape, int n_ops, const int64_t *const *strides,
                  int64_t *mshape, int64_t (*mstr)[EM_MAX_DIMS])
{
    int nd = 0;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] == 1)
            continue;
        if (nd > 0) {
            bool merge = true;
            for (int o = 0; o < n_ops && merge; o++)
                merge = mstr[o][nd - 1] == strides[o][d] * shape[d];
            if (merge) {
                mshape[nd - 1] *= shape[d];
                for (int o = 0; o < n_ops; o++)
                    mstr[o][nd - 1] = strides[o][d];
                continue;
            }
        }
        mshape[nd] = shape[d];
        for (int o = 0; o < n_ops; o++)
            mstr[o][nd] = strides[o][d];
        nd++;
    }
    if (nd == 0) {
        mshape[0] = 1;
        for (int o = 0; o < n_ops; o++)
            mstr[o][0] = 1;
        nd = 1;
    }
    return nd;
}

bool vk_fits_i32(int nd, const int64_t *shape, const int64_t *strides, int64_t base)
{
    int64_t lo = base, hi = base;
    for (int d = 0; d < nd; d++) {
        int64_t e = (shape[d] - 1) * strides[d];
        if (e < 0)
            lo += e;
        else
            hi += e;
    }
    return lo >= 0 && hi <= INT32_MAX;
}
