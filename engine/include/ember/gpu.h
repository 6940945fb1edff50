/* The gpu device: which Vulkan device Ember uses and what it can do.
 *
 * The backend starts on first use (em_device_available(em_gpu()), or the first
 * node evaluated on a gpu stream). Device choice: discrete before integrated
 * before virtual before CPU implementations (lavapipe); the environment
 * variable EMBER_VULKAN_DEVICE overrides it with an index (as listed by
 * em_gpu_list_devices) or a substring of the device's name. Without a usable
 * device, gpu streams run on the CPU and em_gpu_unavailable_reason() says why. */
#ifndef EMBER_GPU_H
#define EMBER_GPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum em_gpu_kind {
    EM_GPU_OTHER = 0,
    EM_GPU_INTEGRATED = 1,
    EM_GPU_DISCRETE = 2,
    EM_GPU_VIRTUAL = 3,
    EM_GPU_CPU = 4, /* a software implementation such as lavapipe */
} em_gpu_kind;

/* Subgroup operations (bits of em_gpu_info.subgroup_ops), as Vulkan's. */
enum {
    EM_SUBGROUP_BASIC = 1 << 0,
    EM_SUBGROUP_VOTE = 1 << 1,
    EM_SUBGROUP_ARITHMETIC = 1 << 2,
    EM_SUBGROUP_BALLOT = 1 << 3,
    EM_SUBGROUP_SHUFFLE = 1 << 4,
    EM_SUBGROUP_SHUFFLE_RELATIVE = 1 << 5,
    EM_SUBGROUP_CLUSTERED = 1 << 6,
    EM_SUBGROUP_QUAD = 1 << 7,
};

typedef struct em_gpu_info {
    char name[256];
    char driver[256];        /* driver name and version text, when known */
    em_gpu_kind kind;
    uint32_t vendor_id, device_id;
    uint32_t api_version;    /* VK_MAKE_API_VERSION layout */
    int index;               /* in em_gpu_list_devices */
    /* arithmetic and storage */
    bool fp16;               /* shaderFloat16 */
    bool int8;               /* shaderInt8 */
    bool int64;              /* shaderInt64 */
    bool fp64;               /* shaderFloat64 */
    bool storage16;          /* 16-bit storage buffer access */
    bool storage8;           /* 8-bit storage buffer access */
    /* execution */
    uint32_t subgroup_size;
    uint32_t subgroup_ops;   /* EM_SUBGROUP_* bits (compute stage) */
    bool cooperative_matrix_nv;
    bool push_descriptors;
    bool buffer_device_address;
    /* limits */
    uint64_t max_storage_buffer_range;
    uint32_t max_shared_memory;
    uint32_t max_workgroup_invocations;
    uint32_t max_push_constants;
    /* memory */
    uint64_t device_memory;  /* bytes of the largest device-local heap */
    bool unified_memory;     /* arrays live in host-visible memory: the CPU
                                reads and writes them in place */
} em_gpu_info;

/* Fills *info for the device in use (starting the backend if needed). false
 * when no device is usable. */
bool em_gpu_get_info(em_gpu_info *info);
/* Why the gpu device is unavailable ("" while it is available or untried). */
const char *em_gpu_unavailable_reason(void);
/* Names of the Vulkan devices present, in index order, up to max; returns how
 * many there are (whether or not the backend is started), or -1 with an
 * error if Vulkan itself is missing. */
int em_gpu_list_devices(em_gpu_info *out, int max);
/* Bytes of host (CPU) arrays copied into GPU memory since the start: a GPU
 * kernel reading a CPU array uploads what it reads each time, and a CPU array
 * moved to the gpu (em_contiguous on a gpu stream) is copied once. Lets a caller
 * check that what should stay on the GPU (model weights) is not copied again
 * and again. 0 without a Vulkan backend. */
uint64_t em_gpu_upload_bytes(void);

#ifdef __cplusplus
}
#endif
#endif
