/* The gpu device: starting, capabilities, memory in place, statistics, and a
 * first dispatch. */
#include "vk_test.h"

int main(void)
{
    vt_require_gpu();
    em_gpu_info info;
    if (!em_gpu_get_info(&info)) {
        printf("FAIL em_gpu_get_info\n");
        return 1;
    }
    printf("device %d: %s (%s), Vulkan %u.%u, kind %d\n", info.index, info.name, info.driver,
           info.api_version >> 22, (info.api_version >> 12) & 0x3ff, (int)info.kind);
    printf("fp16 %d int8 %d int64 %d storage16 %d storage8 %d subgroup %u ops 0x%x coopmat_nv %d "
           "push_descriptors %d bda %d\n",
           info.fp16, info.int8, info.int64, info.storage16, info.storage8, info.subgroup_size,
           info.subgroup_ops, info.cooperative_matrix_nv, info.push_descriptors,
           info.buffer_device_address);
    printf("max storage buffer range %llu, shared %u, unified memory %d\n",
           (unsigned long long)info.max_storage_buffer_range, info.max_shared_memory,
           info.unified_memory);
    int nd = em_gpu_list_devices(NULL, 0);
    printf("%d Vulkan device(s)\n", nd);
    if (nd < 1 || info.subgroup_size == 0 || info.max_storage_buffer_range == 0)
        vt_failures++;

    /* a first dispatch: full and add on the gpu */
    size_t before = em_memory_stats_get().gpu_active;
    vt_on(em_gpu());
    int64_t shape[1] = {1000};
    em_array *a = em_full(1, shape, 1.5, EM_FLOAT32);
    em_array *b = em_add(a, a);
    if (em_eval(b) < 0) {
        printf("FAIL eval: %s\n", em_error_message());
        return 1;
    }
    size_t during = em_memory_stats_get().gpu_active;
    const float *d = em_array_data(b);
    if (!d || d[0] != 3.0f || d[999] != 3.0f) {
        printf("FAIL add on the gpu: %g\n", d ? d[0] : -1.0);
        vt_failures++;
    }
    if (during <= before) {
        printf("FAIL gpu memory is not counted (%zu -> %zu)\n", before, during);
        vt_failures++;
    }
    em_release(a);
    em_release(b);
    em_synchronize();
    size_t after = em_memory_stats_get().gpu_active;
    if (after != before) {
        printf("FAIL gpu memory left active: %zu -> %zu\n", before, after);
        vt_failures++;
    }
    vt_on(em_cpu());
    printf("%s\n", vt_failures ? "FAILED" : "ok");
    return vt_failures != 0;
}
