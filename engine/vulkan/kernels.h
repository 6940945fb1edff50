/* Shared by the kernels_*.c files of the Vulkan backend. */
#ifndef EMBER_VK_KERNELS_H
#define EMBER_VK_KERNELS_H

#include "vk_internal.h"
#include "../../shaders/ops.glsl.h"

/* Drops size-1 dims and merges dims contiguous in every operand; returns the
 * new ndim (>= 1). mstr[o] are the merged strides of operand o. */
int vk_merge_dims(int ndim, const int64_t *shape, int n_ops, const int64_t *const *strides,
                  int64_t *mshape, int64_t (*mstr)[EM_MAX_DIMS]);
/* Whether the element offsets a shader computes in int32 stay in range. */
bool vk_fits_i32(int nd, const int64_t *shape, const int64_t *strides, int64_t base);

/* The elementwise driver (kernels_elementwise.c): out (contiguous, allocated
 * here) from up to 3 strided inputs through `shader` with spec constants
 * {op, ndim}. Push constants: n, input offsets, output offset, [f0], then
 * shape[maxd] and each input's strides[maxd]. Returns 0, -1 on error, or
 * VK_USE_CPU when the layout is beyond the shader (the caller falls back). */
#define VK_USE_CPU (-2)
int vk_elementwise(const char *shader, int32_t op, em_array *out, em_array *const *ins, int n_in,
                   int maxd, float f0);
/* A dense row-major GPU copy of any array (for kernels that need one); a new
 * reference, or NULL with an error. */
em_array *vk_contiguous(em_array *a);

#endif
