/* Built when libvulkan is missing at build time: the gpu device is never
 * available and gpu streams run on the CPU. */
#include "backend.h"
#include "array_internal.h"
#include "ember/gpu.h"

int em__gpu_init(void) { return -1; }
bool em_gpu_get_info(em_gpu_info *info) { (void)info; return false; }
const char *em_gpu_unavailable_reason(void)
{
    return "gpu: this build of Ember has no Vulkan backend (libvulkan-dev was missing)";
}
int em_gpu_list_devices(em_gpu_info *out, int max)
{
    (void)out;
    (void)max;
    return em__error("%s", em_gpu_unavailable_reason());
}
const char *em__vk_coopmat_info(void) { return ""; }
uint64_t em_gpu_upload_bytes(void) { return 0; }
