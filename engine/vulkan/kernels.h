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


/* ---- helpers of the kernels beyond elementwise (kernels_util.c) ---- */
/* Operands of one dispatch: arrays bound in order (NULL: a tiny dummy). */
typedef struct vk_opset {
    vk_operand op[8];
    int n;
} vk_opset;
/* Binds every array; on failure releases what was bound. fits (if given) is
 * set false, with no error, when an array exceeds the binding range. */
int vk_opset_get(vk_opset *s, em_array *const *arrs, int n, bool *fits);
void vk_opset_done(vk_opset *s);
/* Dispatches shader over the set; writes[i] marks the bindings written. */
int vk_run(const char *shader, const int32_t *spec, int n_spec, vk_opset *s, uint32_t write_mask,
           const void *pc, uint32_t pc_size, uint32_t gx, uint32_t gy, uint32_t gz);
/* Copies src (any strides) into dst's GPU buffer at element offset off with
 * strides dst_strides (over src's shape). */
int vk_scopy(em_array *dst, int64_t off, const int64_t *dst_strides, em_array *src);
/* A dense GPU int32 copy of an index array (a new reference, or NULL). */
em_array *vk_index_i32(em_array *idx);
/* A dense GPU copy unless a already is dense on the GPU (then a retained). */
em_array *vk_dense(em_array *a);
/* Checks the indices of an integer array against an axis of size n where a
 * slice of `ext` elements starts (host data, or GPU data when the GPU is idle;
 * otherwise the kernels clamp without an error). -1 with an error. */
int vk_check_index(const char *op, em_array *idx, int axis, int64_t n, int64_t ext);
const char *vk_size_suffix(size_t esz);
#endif
