/* What the engine's core calls of the GPU backend (engine/core/eval.c and
 * stream.c): starting it lazily. */
#ifndef EMBER_VK_BACKEND_H
#define EMBER_VK_BACKEND_H

/* Starts the Vulkan backend once and sets em_gpu_backend; 0, or -1 when no
 * device is usable (em_gpu_unavailable_reason() says why; no error is set). */
int em__gpu_init(void);

#endif
