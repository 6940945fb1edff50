/* em_async_eval on the GPU: the call returns before the GPU finishes (the
 * worker submits and does not wait), the caller builds the next graph
 * meanwhile, and every way of reading a result waits for the GPU: em_eval,
 * em_array_read of an array the worker already finished, em_synchronize, and
 * a CPU op reading a GPU result. Results are compared with the same chain on
 * the CPU. */
#include <time.h>

#include "vk_test.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* A step of an iteration: y <- tanh(y @ w) * 0.5 + x. */
static em_array *step(em_array *y, em_array *w, em_array *x)
{
    return em_add(em_multiply(em_tanh(em_matmul(y, w)), em_scalar_f(0.5f)), x);
}

int main(void)
{
    vt_require_gpu();
    size_t before = em_memory_stats_get().active;
    const int64_t n = 256;
    const int steps = 12;
    EM_SCOPE {
        em_array *w = vt_rand(EM_FLOAT32, 2, (int64_t[]){n, n}, -0.1, 0.1, 1);
        em_array *x = vt_rand(EM_FLOAT32, 2, (int64_t[]){n, n}, -1, 1, 2);
        /* the CPU's chain */
        vt_on(em_cpu());
        em_array *yc = x;
        em_array *cpu_steps[12];
        for (int i = 0; i < steps; i++) {
            yc = step(yc, w, x);
            cpu_steps[i] = yc;
        }
        em_eval_many(cpu_steps, steps);

        /* the GPU's: each step started asynchronously while the next is built */
        vt_on(em_gpu());
        em_array *yg = x;
        em_array *gpu_steps[12];
        double t_async = 0;
        for (int i = 0; i < steps; i++) {
            yg = step(yg, w, x);
            gpu_steps[i] = yg;
            double t = now();
            if (em_async_eval(&yg, 1) < 0) {
                printf("FAIL async_eval: %s\n", em_error_message());
                vt_failures++;
            }
            t_async += now() - t;
        }
        /* an independent graph evaluated meanwhile (waits for the async work) */
        em_array *z = em_sum(em_multiply(x, x), NULL, 0, false);
        vt_on(em_cpu());
        em_array *zc = em_sum(em_multiply(x, x), NULL, 0, false);
        vt_compare("independent graph during async work", zc, z, 1e-10);
        /* read an intermediate step directly (the worker has finished it) */
        vt_compare("async step 6 read back", cpu_steps[5], gpu_steps[5], 1e-8);
        vt_compare("async last step", cpu_steps[steps - 1], gpu_steps[steps - 1], 1e-8);

        /* again, this time waiting with em_synchronize and reading with a CPU op */
        vt_on(em_gpu());
        em_array *y2 = step(gpu_steps[steps - 1], w, x);
        em_async_eval(&y2, 1);
        em_synchronize();
        vt_on(em_cpu());
        em_array *y2c = step(cpu_steps[steps - 1], w, x);
        vt_compare("after em_synchronize", y2c, y2, 1e-8);
        em_array *y2m = em_max(y2, NULL, 0, false); /* a CPU op on a GPU result */
        vt_compare("cpu op on an async gpu result", em_max(y2c, NULL, 0, false), y2m, 0);

        /* timing: async_eval returns at once; eval waits for the GPU */
        vt_on(em_gpu());
        em_array *big = vt_rand(EM_FLOAT32, 2, (int64_t[]){256, 256}, -1, 1, 3);
        em_array *h = big;
        for (int i = 0; i < 8; i++)
            h = em_tanh(em_matmul(h, big));
        double t = now();
        em_async_eval(&h, 1);
        double t_call = now() - t;
        em_eval(h);
        double t_total = now() - t;
        printf("async_eval: %.3f ms per call over %d steps; a 256^2 x 8 matmul chain: call %.3f ms, "
               "to completion %.3f ms\n",
               t_async * 1e3 / steps, steps, t_call * 1e3, t_total * 1e3);
        vt_on(em_cpu());
    }
    em_synchronize();
    size_t after = em_memory_stats_get().active;
    if (after != before) {
        printf("FAIL memory left active: %zu -> %zu bytes\n", before, after);
        vt_failures++;
    }
    printf("%d checks, %d failed\n", vt_checks, vt_failures);
    return vt_failures != 0;
}
