/* The Vulkan backend's shared state and the contracts between its files:
 * device.c (instance, device, capabilities, registration), memory.c (the
 * suballocator and GPU em_buffers), pipeline.c (shader modules, pipelines,
 * the on-disk pipeline cache), dispatch.c (command buffers, barriers,
 * submission, waits) and the kernels_*.c files. Engine-internal. */
#ifndef EMBER_VK_INTERNAL_H
#define EMBER_VK_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <vulkan/vulkan.h>

#include "array_internal.h"
#include "ember/gpu.h"

/* ---- device (device.c) ---- */
typedef struct vk_state {
    VkInstance instance;
    VkPhysicalDevice phys;
    VkDevice dev;
    VkQueue queue;
    uint32_t qfamily;
    VkPhysicalDeviceProperties props;
    VkPhysicalDeviceMemoryProperties memprops;
    em_gpu_info info;
    /* features enabled on the device */
    bool int64, int16, float64, storage8, storage16, fp16, int8, push_desc, bda, coopmat_nv,
        subgroup_arith, subgroup_shuffle;
    /* the cooperative-matrix shape the f16 matmul uses (16x16x16, f16 x f16 ->
     * f32, subgroup scope) is among the device's, subgroups have 32 lanes and
     * the Vulkan memory model is on */
    bool coopmat_f16;
    PFN_vkCmdPushDescriptorSetKHR cmd_push_descriptor;
    /* one lock for the backend; recursive, because releasing a buffer (which
     * can happen inside a kernel) takes it too */
    pthread_mutex_t lock;
} vk_state;

extern vk_state vk;

static inline void vk_lock(void) { pthread_mutex_lock(&vk.lock); }
static inline void vk_unlock(void) { pthread_mutex_unlock(&vk.lock); }

/* The backend table (kernels register into it from constructors). */
extern em_backend em__vk_backend;
void em__vk_register(em_prim_id prim, em_kernel_fn fn);
/* The prim of the node being evaluated (outs[0]). */
static inline em_prim_id vk_prim_of(em_array *const *outs) { return (em_prim_id)outs[0]->orig_prim; }

/* ---- memory (memory.c) ---- */
typedef struct vk_block vk_block;
typedef struct vk_alloc {
    vk_block *block;
    VkBuffer buffer;       /* the block's buffer */
    VkDeviceSize off;      /* bytes into the block */
    VkDeviceSize size;     /* bytes reserved (aligned) */
    void *map;             /* host pointer to the first byte (NULL if not mapped) */
    uint64_t last_use;     /* serial of the last batch that binds it */
    struct vk_alloc *next; /* deferred-free list */
} vk_alloc;

int vk_memory_init(void);
void vk_memory_shutdown(void);
/* A suballocation of at least nbytes (NULL + em__error on failure). */
vk_alloc *vk_mem_alloc(size_t nbytes);
/* Frees now if the GPU is done with it, else when its batch completes. */
void vk_mem_free(vk_alloc *a);
/* Returns deferred frees whose batches completed (called with the lock). */
void vk_mem_reclaim(uint64_t completed);
/* A fresh GPU em_buffer (refcount 1) of nbytes. */
em_buffer *vk_buffer_new(size_t nbytes);
/* Gives out a row-major GPU buffer (strides set, offset 0). */
int vk_alloc_output(em_array *out);
/* The vk_alloc behind a buffer, or NULL when it is not ours. */
static inline vk_alloc *vk_buffer_alloc(const em_buffer *b)
{
    return b && b->device == EM_GPU && b->backend ? (vk_alloc *)b->backend : NULL;
}

/* ---- pipelines (pipeline.c) ---- */
typedef struct vk_pipeline {
    VkPipeline pipe;
    VkPipelineLayout layout;
    VkDescriptorSetLayout dsl;
    int n_bindings;
    uint32_t pc_size;
} vk_pipeline;

int vk_pipeline_init(void);
void vk_pipeline_shutdown(void);
/* The pipeline of an embedded shader with the given specialization constants
 * (ids 0..n_spec-1, 32-bit each); created on first use and kept. NULL + error
 * if the shader is unknown or does not build. */
vk_pipeline *vk_pipeline_get(const char *shader, int n_bindings, uint32_t pc_size,
                             const int32_t *spec, int n_spec);
bool vk_shader_exists(const char *shader);
/* Adds a SPIR-V module under a name (shaders generated at run time). */
int vk_shader_register(const char *name, const uint32_t *code, size_t size);

/* ---- dispatch (dispatch.c) ---- */
typedef struct vk_binding {
    vk_alloc *a;
    VkDeviceSize off;   /* bytes into a->buffer (aligned to the device's minimum) */
    VkDeviceSize range; /* bytes */
    bool write;
} vk_binding;

int vk_dispatch_init(void);
void vk_dispatch_shutdown(void);
/* Records one dispatch into the current batch, with a barrier before it only
 * if it reads or overwrites what an earlier dispatch of the batch wrote (or
 * overwrites what one read). Submits the batch when it is long enough. */
int vk_dispatch(vk_pipeline *p, const vk_binding *b, int nb, const void *pc, uint32_t gx,
                uint32_t gy, uint32_t gz);
/* Submits what is recorded and waits for everything. */
int vk_synchronize(void);
/* Submits what is recorded without waiting (async_eval: the GPU runs while
 * the caller builds the next graph; a later synchronize waits). */
int vk_flush(void);
/* true if some recorded or submitted work has not completed. */
bool vk_busy(void);
/* em_backend.read: n bytes at off of GPU buffer b into dst through a GPU copy
 * to host-cached memory; 1 where reading in place is as good. */
int vk_read(const em_buffer *b, size_t off, size_t n, void *dst);

/* ---- operands (memory.c): how a kernel binds an array ---- */
typedef struct vk_operand {
    vk_alloc *a;          /* where the data is (maybe a temporary upload) */
    vk_alloc *tmp;        /* an upload to release after recording, or NULL */
    VkDeviceSize bind_off; /* aligned byte offset of the binding in a->buffer */
    VkDeviceSize bind_range;
    int64_t elem_off;     /* element offset of the array's first element in the binding */
} vk_operand;

/* Binds the elements an array of any strides reaches (uploading host data to
 * a temporary GPU buffer). Fails (-1 + error) if the span exceeds the device's
 * binding range; `fits` (if given) is set false in that case, and no error is
 * set, so the caller can split or fall back. */
int vk_operand_get(em_array *a, vk_operand *op, bool *fits);
/* Binds [elem_begin, elem_begin + n) of a contiguous region of array a's buffer
 * (a->offset counted in). */
int vk_operand_range(em_array *a, int64_t elem_begin, int64_t n, vk_operand *op);
/* Whether host loads from GPU arrays are cheap (their memory is host-cached:
 * lavapipe, system memory); else bulk reads go through vk_read. Forced false
 * by EMBER_VULKAN_STAGED_READS=1 (tests). */
bool vk_reads_in_place(void);
/* A mapped host-cached buffer of at least n bytes for the GPU to copy into
 * (kept and grown; under the lock); NULL if the device has no such memory. */
void *vk_staging(VkDeviceSize n, VkBuffer *buf);
/* Makes the GPU's writes to the staging buffer visible (non-coherent memory). */
void vk_staging_invalidate(void);
/* Counts bytes of host arrays copied into GPU memory (em_gpu_upload_bytes). */
void vk_count_upload(size_t nbytes);
void vk_operand_done(vk_operand *op);
static inline vk_binding vk_bind(const vk_operand *op, bool write)
{
    return (vk_binding){op->a, op->bind_off, op->bind_range, write};
}

/* ---- kernels' helpers (kernels_common.c) ---- */
/* Runs the CPU kernel of the node (after waiting for the GPU): the way out for
 * dtypes or layouts a GPU kernel does not handle. */
int vk_cpu_fallback(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                    const em_params *p);
/* Whether the device can hold this dtype in a shader. */
bool vk_dtype_ok(em_dtype t);
/* Short dtype suffix of shader names: "f32", "f16", "bf16", "i32", "u8", "b"... */
const char *vk_dtype_suffix(em_dtype t);
/* Workgroups for n items at `per_group` each, capped (shaders loop). */
uint32_t vk_groups(int64_t n, uint32_t per_group);

#endif
