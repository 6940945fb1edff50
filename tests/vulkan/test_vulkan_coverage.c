/* Which primitives have a GPU kernel: prints those that run on the CPU when
 * their node is on a gpu stream, and checks that such a fallback reads GPU
 * results correctly (the evaluator waits for the GPU before a CPU kernel). */
#include "array_internal.h"
#include "vk_test.h"

int main(void)
{
    vt_require_gpu();
    int missing = 0;
    printf("primitives with no GPU kernel (they run on the CPU, fenced):\n");
    for (int p = 1; p < EM_P_COUNT; p++)
        if (!em_gpu_backend->kernels[p] && em_cpu_backend.kernels[p]) {
            printf("  %s\n", em_prims[p].name);
            missing++;
        }
    int with = 0;
    for (int p = 1; p < EM_P_COUNT; p++)
        with += em_gpu_backend->kernels[p] != NULL;
    printf("%d primitives on the GPU, %d on the CPU only\n", with, missing);

    /* GPU producers feeding CPU-only consumers and back */
    int64_t shape[2] = {40, 33};
    EM_SCOPE {
        em_array *x = vt_rand(EM_FLOAT32, 2, shape, -2, 2, 99);
        em_array *c, *g;
        for (int dev = 0; dev < 2; dev++) {
            vt_on(dev ? em_gpu() : em_cpu());
            em_array *y = em_exp(em_multiply(x, x));             /* gpu */
            em_array *z = em_cumsum(em_sort(y, 1), 1, false, true); /* cpu fallback */
            em_array *r = em_sum(em_add(z, y), (int[]){0}, 1, false); /* gpu again */
            if (dev)
                g = r;
            else
                c = r;
        }
        vt_on(em_cpu());
        vt_compare("gpu -> cpu fallback -> gpu chain", c, g, 1e-10);
    }
    printf("%d checks, %d failed\n", vt_checks, vt_failures);
    return vt_failures != 0;
}
