/* The Vulkan instance and device: choice of a device, capability detection,
 * one compute queue, and the backend's registration (lazily, on first use). */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "vk_internal.h"

/* What the cooperative-matrix query found (for benchmarks and bug reports). */
static char vk_coop_info[1024];
const char *em__vk_coopmat_info(void)
{
    return vk_coop_info;
}

vk_state vk;
em_backend em__vk_backend = {.name = "vulkan", .device = EM_GPU};

void em__vk_register(em_prim_id prim, em_kernel_fn fn) { em__vk_backend.kernels[prim] = fn; }

static char unavailable[512];
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static bool started;

const char *em_gpu_unavailable_reason(void) { return unavailable; }

static int kind_rank(VkPhysicalDeviceType t)
{
    switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return 0;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return 1;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return 2;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return 4;
    default: return 3;
    }
}

static em_gpu_kind kind_of(VkPhysicalDeviceType t)
{
    switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return EM_GPU_DISCRETE;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return EM_GPU_INTEGRATED;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return EM_GPU_VIRTUAL;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return EM_GPU_CPU;
    default: return EM_GPU_OTHER;
    }
}

static bool has_ext(const VkExtensionProperties *e, uint32_t n, const char *name)
{
    for (uint32_t i = 0; i < n; i++)
        if (!strcmp(e[i].extensionName, name))
            return true;
    return false;
}

/* Everything we learn about one physical device. */
typedef struct dev_caps {
    VkPhysicalDeviceProperties props;
    VkPhysicalDeviceVulkan11Properties p11;
    VkPhysicalDeviceVulkan12Properties p12;
    VkPhysicalDeviceFeatures2 f;
    VkPhysicalDeviceVulkan11Features f11;
    VkPhysicalDeviceVulkan12Features f12;
    VkPhysicalDeviceCooperativeMatrixFeaturesNV fcm;
    bool ext_push, ext_coopmat;
    uint64_t device_memory;
} dev_caps;

static void query_caps(VkPhysicalDevice pd, dev_caps *c)
{
    memset(c, 0, sizeof *c);
    vkGetPhysicalDeviceProperties(pd, &c->props);
    uint32_t n_ext = 0;
    vkEnumerateDeviceExtensionProperties(pd, NULL, &n_ext, NULL);
    VkExtensionProperties *ext = calloc(n_ext ? n_ext : 1, sizeof *ext);
    if (ext && vkEnumerateDeviceExtensionProperties(pd, NULL, &n_ext, ext) == VK_SUCCESS) {
        c->ext_push = has_ext(ext, n_ext, VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME);
        c->ext_coopmat = has_ext(ext, n_ext, VK_NV_COOPERATIVE_MATRIX_EXTENSION_NAME);
    }
    free(ext);
    if (c->props.apiVersion < VK_API_VERSION_1_2)
        return;
    c->p12.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_PROPERTIES;
    c->p11.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_PROPERTIES;
    c->p11.pNext = &c->p12;
    VkPhysicalDeviceProperties2 p2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
                                      .pNext = &c->p11};
    vkGetPhysicalDeviceProperties2(pd, &p2);
    c->fcm.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_NV;
    c->f12.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES;
    c->f12.pNext = c->ext_coopmat ? &c->fcm : NULL;
    c->f11.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES;
    c->f11.pNext = &c->f12;
    c->f.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2;
    c->f.pNext = &c->f11;
    vkGetPhysicalDeviceFeatures2(pd, &c->f);
    VkPhysicalDeviceMemoryProperties mp;
    vkGetPhysicalDeviceMemoryProperties(pd, &mp);
    for (uint32_t i = 0; i < mp.memoryHeapCount; i++)
        if ((mp.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) &&
            mp.memoryHeaps[i].size > c->device_memory)
            c->device_memory = mp.memoryHeaps[i].size;
}

static void fill_info(em_gpu_info *in, const dev_caps *c, int index)
{
    memset(in, 0, sizeof *in);
    snprintf(in->name, sizeof in->name, "%s", c->props.deviceName);
    if (c->props.apiVersion >= VK_API_VERSION_1_2)
        snprintf(in->driver, sizeof in->driver, "%.120s %.120s", c->p12.driverName, c->p12.driverInfo);
    in->kind = kind_of(c->props.deviceType);
    in->vendor_id = c->props.vendorID;
    in->device_id = c->props.deviceID;
    in->api_version = c->props.apiVersion;
    in->index = index;
    in->fp16 = c->f12.shaderFloat16;
    in->int8 = c->f12.shaderInt8;
    in->int64 = c->f.features.shaderInt64;
    in->fp64 = c->f.features.shaderFloat64;
    in->storage16 = c->f11.storageBuffer16BitAccess;
    in->storage8 = c->f12.storageBuffer8BitAccess;
    in->subgroup_size = c->p11.subgroupSize;
    if (c->p11.subgroupSupportedStages & VK_SHADER_STAGE_COMPUTE_BIT)
        in->subgroup_ops = c->p11.subgroupSupportedOperations & 0xff;
    in->cooperative_matrix_nv = c->ext_coopmat && c->fcm.cooperativeMatrix;
    in->push_descriptors = c->ext_push;
    in->buffer_device_address = c->f12.bufferDeviceAddress;
    in->max_storage_buffer_range = c->props.limits.maxStorageBufferRange;
    in->max_shared_memory = c->props.limits.maxComputeSharedMemorySize;
    in->max_workgroup_invocations = c->props.limits.maxComputeWorkGroupInvocations;
    in->max_push_constants = c->props.limits.maxPushConstantsSize;
    in->device_memory = c->device_memory;
}

static VkInstance make_instance(void)
{
    VkApplicationInfo app = {
        .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
        .pApplicationName = "ember",
        .pEngineName = "ember",
        .apiVersion = VK_API_VERSION_1_3,
    };
    uint32_t loader = VK_API_VERSION_1_0;
    if (vkEnumerateInstanceVersion(&loader) != VK_SUCCESS || loader < VK_API_VERSION_1_2) {
        snprintf(unavailable, sizeof unavailable,
                 "gpu: the Vulkan loader supports only Vulkan %u.%u; 1.2 or later is needed",
                 VK_API_VERSION_MAJOR(loader), VK_API_VERSION_MINOR(loader));
        return VK_NULL_HANDLE;
    }
    if (loader < VK_API_VERSION_1_3)
        app.apiVersion = VK_API_VERSION_1_2;
    VkInstanceCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                               .pApplicationInfo = &app};
    VkInstance inst = VK_NULL_HANDLE;
    VkResult r = vkCreateInstance(&ci, NULL, &inst);
    if (r != VK_SUCCESS) {
        snprintf(unavailable, sizeof unavailable,
                 "gpu: vkCreateInstance failed (VkResult %d): is a Vulkan driver installed "
                 "(mesa-vulkan-drivers provides lavapipe)?", (int)r);
        return VK_NULL_HANDLE;
    }
    return inst;
}

/* Physical devices in preference order (discrete first; stable). */
static int list_physical(VkInstance inst, VkPhysicalDevice **out)
{
    uint32_t n = 0;
    if (vkEnumeratePhysicalDevices(inst, &n, NULL) != VK_SUCCESS)
        return -1;
    VkPhysicalDevice *pd = calloc(n ? n : 1, sizeof *pd);
    if (!pd)
        return -1;
    if (vkEnumeratePhysicalDevices(inst, &n, pd) != VK_SUCCESS && n == 0) {
        free(pd);
        return -1;
    }
    int rank[64];
    for (uint32_t i = 0; i < n && i < 64; i++) {
        VkPhysicalDeviceProperties pr;
        vkGetPhysicalDeviceProperties(pd[i], &pr);
        rank[i] = kind_rank(pr.deviceType);
    }
    if (n > 64)
        n = 64;
    for (uint32_t i = 1; i < n; i++) /* insertion sort keeps equal ranks in order */
        for (uint32_t j = i; j > 0 && rank[j - 1] > rank[j]; j--) {
            int tr = rank[j];
            rank[j] = rank[j - 1];
            rank[j - 1] = tr;
            VkPhysicalDevice tp = pd[j];
            pd[j] = pd[j - 1];
            pd[j - 1] = tp;
        }
    *out = pd;
    return (int)n;
}

static bool name_matches(const char *name, const char *want)
{
    size_t n = strlen(want);
    for (const char *p = name; *p; p++) {
        size_t k = 0;
        while (k < n && p[k] && tolower((unsigned char)p[k]) == tolower((unsigned char)want[k]))
            k++;
        if (k == n)
            return true;
    }
    return false;
}

int em_gpu_list_devices(em_gpu_info *out, int max)
{
    VkInstance inst = vk.instance;
    bool own = false;
    if (!inst) {
        char keep[sizeof unavailable];
        memcpy(keep, unavailable, sizeof keep);
        inst = make_instance();
        if (!inst) {
            em__error("%s", unavailable);
            memcpy(unavailable, keep, sizeof keep);
            return -1;
        }
        own = true;
    }
    VkPhysicalDevice *pd = NULL;
    int n = list_physical(inst, &pd);
    for (int i = 0; i < n && i < max && out; i++) {
        dev_caps c;
        query_caps(pd[i], &c);
        fill_info(&out[i], &c, i);
    }
    free(pd);
    if (own)
        vkDestroyInstance(inst, NULL);
    if (n < 0)
        return em__error("gpu: could not list the Vulkan devices");
    return n;
}

static int pick_device(VkPhysicalDevice *pd, int n, dev_caps *caps_out)
{
    const char *want = getenv("EMBER_VULKAN_DEVICE");
    if (want && *want) {
        char *end;
        long idx = strtol(want, &end, 10);
        if (*end == '\0') {
            if (idx < 0 || idx >= n) {
                snprintf(unavailable, sizeof unavailable,
                         "gpu: EMBER_VULKAN_DEVICE=%s, but there are %d Vulkan devices", want, n);
                return -1;
            }
            query_caps(pd[idx], caps_out);
            if (caps_out->props.apiVersion < VK_API_VERSION_1_2) {
                snprintf(unavailable, sizeof unavailable,
                         "gpu: device %ld (%s) supports only Vulkan %u.%u; 1.2 is needed", idx,
                         caps_out->props.deviceName, VK_API_VERSION_MAJOR(caps_out->props.apiVersion),
                         VK_API_VERSION_MINOR(caps_out->props.apiVersion));
                return -1;
            }
            return (int)idx;
        }
        for (int i = 0; i < n; i++) {
            query_caps(pd[i], caps_out);
            if (name_matches(caps_out->props.deviceName, want) &&
                caps_out->props.apiVersion >= VK_API_VERSION_1_2 && caps_out->f12.timelineSemaphore)
                return i;
        }
        snprintf(unavailable, sizeof unavailable,
                 "gpu: EMBER_VULKAN_DEVICE=%s matches no Vulkan 1.2 device", want);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        query_caps(pd[i], caps_out);
        if (caps_out->props.apiVersion >= VK_API_VERSION_1_2 && caps_out->f12.timelineSemaphore)
            return i;
    }
    snprintf(unavailable, sizeof unavailable,
             n ? "gpu: no Vulkan device supports Vulkan 1.2 with timeline semaphores"
               : "gpu: no Vulkan device found (install mesa-vulkan-drivers for lavapipe, or a GPU "
                 "driver)");
    return -1;
}

static void shutdown_all(void)
{
    if (!vk.dev)
        return;
    vk_synchronize();
    vkDeviceWaitIdle(vk.dev);
    vk_dispatch_shutdown();
    vk_pipeline_shutdown();
    vk_memory_shutdown();
    vkDestroyDevice(vk.dev, NULL);
    vk.dev = VK_NULL_HANDLE;
    vkDestroyInstance(vk.instance, NULL);
    vk.instance = VK_NULL_HANDLE;
}

static void init_once_fn(void)
{
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&vk.lock, &ma);
    pthread_mutexattr_destroy(&ma);

    const char *off = getenv("EMBER_VULKAN_DISABLE");
    if (off && *off && strcmp(off, "0")) {
        snprintf(unavailable, sizeof unavailable, "gpu: disabled by EMBER_VULKAN_DISABLE");
        return;
    }
    vk.instance = make_instance();
    if (!vk.instance)
        return;
    VkPhysicalDevice *pd = NULL;
    int n = list_physical(vk.instance, &pd);
    if (n < 0) {
        snprintf(unavailable, sizeof unavailable, "gpu: could not list the Vulkan devices");
        goto fail_instance;
    }
    dev_caps c;
    int idx = pick_device(pd, n, &c);
    if (idx < 0) {
        free(pd);
        goto fail_instance;
    }
    vk.phys = pd[idx];
    free(pd);
    vk.props = c.props;
    vkGetPhysicalDeviceMemoryProperties(vk.phys, &vk.memprops);
    fill_info(&vk.info, &c, idx);

    /* one queue that can compute (prefer a compute-only family) */
    uint32_t nq = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(vk.phys, &nq, NULL);
    VkQueueFamilyProperties qf[32];
    if (nq > 32)
        nq = 32;
    vkGetPhysicalDeviceQueueFamilyProperties(vk.phys, &nq, qf);
    int fam = -1;
    for (uint32_t i = 0; i < nq; i++)
        if ((qf[i].queueFlags & VK_QUEUE_COMPUTE_BIT) && !(qf[i].queueFlags & VK_QUEUE_GRAPHICS_BIT)) {
            fam = (int)i;
            break;
        }
    for (uint32_t i = 0; i < nq && fam < 0; i++)
        if (qf[i].queueFlags & VK_QUEUE_COMPUTE_BIT)
            fam = (int)i;
    if (fam < 0) {
        snprintf(unavailable, sizeof unavailable, "gpu: %s has no compute queue", vk.info.name);
        goto fail_instance;
    }
    vk.qfamily = (uint32_t)fam;

    /* enable what we use and the device has */
    VkPhysicalDeviceCooperativeMatrixFeaturesNV fcm = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_NV,
        .cooperativeMatrix = VK_TRUE};
    VkPhysicalDeviceVulkan12Features f12 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES,
        .pNext = vk.info.cooperative_matrix_nv ? &fcm : NULL,
        .timelineSemaphore = VK_TRUE,
        .shaderFloat16 = c.f12.shaderFloat16,
        .shaderInt8 = c.f12.shaderInt8,
        .storageBuffer8BitAccess = c.f12.storageBuffer8BitAccess,
        .uniformAndStorageBuffer8BitAccess = c.f12.uniformAndStorageBuffer8BitAccess,
        .vulkanMemoryModel = c.f12.vulkanMemoryModel,
        .shaderSubgroupExtendedTypes = c.f12.shaderSubgroupExtendedTypes,
    };
    VkPhysicalDeviceVulkan11Features f11 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES,
        .pNext = &f12,
        .storageBuffer16BitAccess = c.f11.storageBuffer16BitAccess,
        .uniformAndStorageBuffer16BitAccess = c.f11.uniformAndStorageBuffer16BitAccess,
    };
    VkPhysicalDeviceFeatures2 f = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
                                   .pNext = &f11};
    f.features.shaderInt64 = c.f.features.shaderInt64;
    f.features.shaderInt16 = c.f.features.shaderInt16;
    f.features.shaderFloat64 = c.f.features.shaderFloat64;
    const char *exts[4];
    uint32_t n_ext = 0;
    if (c.ext_push)
        exts[n_ext++] = VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME;
    if (vk.info.cooperative_matrix_nv)
        exts[n_ext++] = VK_NV_COOPERATIVE_MATRIX_EXTENSION_NAME;
    float prio = 1.0f;
    VkDeviceQueueCreateInfo qci = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                   .queueFamilyIndex = vk.qfamily,
                                   .queueCount = 1,
                                   .pQueuePriorities = &prio};
    VkDeviceCreateInfo dci = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                              .pNext = &f,
                              .queueCreateInfoCount = 1,
                              .pQueueCreateInfos = &qci,
                              .enabledExtensionCount = n_ext,
                              .ppEnabledExtensionNames = exts};
    VkResult r = vkCreateDevice(vk.phys, &dci, NULL, &vk.dev);
    if (r != VK_SUCCESS) {
        snprintf(unavailable, sizeof unavailable, "gpu: vkCreateDevice failed on %s (VkResult %d)",
                 vk.info.name, (int)r);
        vk.dev = VK_NULL_HANDLE;
        goto fail_instance;
    }
    vkGetDeviceQueue(vk.dev, vk.qfamily, 0, &vk.queue);
    vk.int64 = c.f.features.shaderInt64;
    vk.int16 = c.f.features.shaderInt16;
    vk.float64 = c.f.features.shaderFloat64;
    vk.storage8 = c.f12.storageBuffer8BitAccess;
    vk.storage16 = c.f11.storageBuffer16BitAccess;
    vk.fp16 = c.f12.shaderFloat16;
    vk.int8 = c.f12.shaderInt8;
    vk.bda = false; /* detected (info), not enabled: no kernel uses addresses yet */
    vk.coopmat_nv = vk.info.cooperative_matrix_nv;
    vk.subgroup_arith = (vk.info.subgroup_ops & EM_SUBGROUP_ARITHMETIC) != 0;
    vk.subgroup_shuffle = (vk.info.subgroup_ops & EM_SUBGROUP_SHUFFLE) != 0;
    snprintf(vk_coop_info, sizeof vk_coop_info, "coopmat_nv %d fp16 %d storage16 %d vmm %d subgroup %u",
             vk.coopmat_nv, vk.fp16, vk.storage16, (int)c.f12.vulkanMemoryModel,
             vk.info.subgroup_size);
    if (vk.coopmat_nv && vk.fp16 && vk.storage16 && c.f12.vulkanMemoryModel &&
        vk.info.subgroup_size == 32) {
        PFN_vkGetPhysicalDeviceCooperativeMatrixPropertiesNV get_cm =
            (PFN_vkGetPhysicalDeviceCooperativeMatrixPropertiesNV)vkGetInstanceProcAddr(
                vk.instance, "vkGetPhysicalDeviceCooperativeMatrixPropertiesNV");
        uint32_t n_cm = 0;
        if (get_cm)
            get_cm(vk.phys, &n_cm, NULL);
        size_t w0 = strlen(vk_coop_info);
        int w = (int)w0 + snprintf(vk_coop_info + w0, sizeof vk_coop_info - w0, "; %u shapes:", n_cm);
        if (get_cm && n_cm > 0) {
            VkCooperativeMatrixPropertiesNV *cm = calloc(n_cm, sizeof *cm);
            for (uint32_t i = 0; cm && i < n_cm; i++)
                cm[i].sType = VK_STRUCTURE_TYPE_COOPERATIVE_MATRIX_PROPERTIES_NV;
            if (cm && get_cm(vk.phys, &n_cm, cm) == VK_SUCCESS)
                for (uint32_t i = 0; i < n_cm; i++) {
                    if (w > 0 && (size_t)w < sizeof vk_coop_info)
                        w += snprintf(vk_coop_info + w, sizeof vk_coop_info - (size_t)w,
                                      " %ux%ux%u:%d,%d,%d,%d/s%d", cm[i].MSize, cm[i].NSize,
                                      cm[i].KSize, (int)cm[i].AType, (int)cm[i].BType,
                                      (int)cm[i].CType, (int)cm[i].DType, (int)cm[i].scope);
                    if (cm[i].MSize == 16 && cm[i].NSize == 16 && cm[i].KSize == 16 &&
                        cm[i].AType == VK_COMPONENT_TYPE_FLOAT16_NV &&
                        cm[i].BType == VK_COMPONENT_TYPE_FLOAT16_NV &&
                        cm[i].CType == VK_COMPONENT_TYPE_FLOAT32_NV &&
                        cm[i].DType == VK_COMPONENT_TYPE_FLOAT32_NV &&
                        cm[i].scope == VK_SCOPE_SUBGROUP_NV)
                        vk.coopmat_f16 = true;
                }
            free(cm);
        }
    }
    if (c.ext_push) {
        vk.cmd_push_descriptor =
            (PFN_vkCmdPushDescriptorSetKHR)vkGetDeviceProcAddr(vk.dev, "vkCmdPushDescriptorSetKHR");
        vk.push_desc = vk.cmd_push_descriptor != NULL;
    }
    const char *nopush = getenv("EMBER_VULKAN_NO_PUSH_DESCRIPTORS");
    if (nopush && *nopush && strcmp(nopush, "0"))
        vk.push_desc = false;

    if (vk_memory_init() < 0 || vk_pipeline_init() < 0 || vk_dispatch_init() < 0) {
        snprintf(unavailable, sizeof unavailable, "gpu: %s: %s", vk.info.name, em_error_message());
        em_error_clear();
        vk_dispatch_shutdown();
        vk_pipeline_shutdown();
        vk_memory_shutdown();
        vkDestroyDevice(vk.dev, NULL);
        vk.dev = VK_NULL_HANDLE;
        goto fail_instance;
    }
    em__vk_backend.synchronize = vk_synchronize;
    em__vk_backend.flush = vk_flush;
    em__vk_backend.read = vk_read;
    started = true;
    unavailable[0] = '\0';
    atexit(shutdown_all);
    return;

fail_instance:
    vkDestroyInstance(vk.instance, NULL);
    vk.instance = VK_NULL_HANDLE;
}

int em__gpu_init(void)
{
    pthread_once(&init_once, init_once_fn);
    if (!started)
        return -1;
    em_gpu_backend = &em__vk_backend;
    return 0;
}

bool em_gpu_get_info(em_gpu_info *info)
{
    if (em__gpu_init() < 0)
        return false;
    if (info)
        *info = vk.info;
    return true;
}
