/* Devices and streams. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "array_internal.h"
#include "vulkan/backend.h" /* vulkan: em__gpu_init */

em_backend *em_gpu_backend;

static atomic_int next_stream_index[2] = {1, 1};
static _Thread_local bool have_current;
static _Thread_local em_stream current;
static _Thread_local bool have_default_device;
static _Thread_local em_device default_device;

em_device em_cpu(void) { return (em_device){EM_CPU, 0}; }
em_device em_gpu(void) { return (em_device){EM_GPU, 0}; }

bool em_device_available(em_device d)
{
    /* vulkan: asking about the gpu starts the GPU backend (once) */
    if (d.type == EM_GPU && !em_gpu_backend)
        em__gpu_init();
    return d.type == EM_CPU || (d.type == EM_GPU && em_gpu_backend != NULL);
}

em_device em_default_device(void)
{
    if (!have_default_device) {
        const char *env = getenv("EMBER_DEVICE");
        default_device = env && !strcmp(env, "gpu") ? em_gpu() : em_cpu();
        have_default_device = true;
    }
    return default_device;
}

void em_set_default_device(em_device d)
{
    default_device = d;
    have_default_device = true;
    have_current = false;
}

em_stream em_default_stream(em_device d) { return (em_stream){d, 0}; }

em_stream em_new_stream(em_device d)
{
    int t = d.type == EM_GPU ? 1 : 0;
    return (em_stream){d, atomic_fetch_add(&next_stream_index[t], 1)};
}

em_stream em_current_stream(void)
{
    if (!have_current)
        return em_default_stream(em_default_device());
    return current;
}

void em_set_current_stream(em_stream s)
{
    current = s;
    have_current = true;
}
