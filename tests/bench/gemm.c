/* bench-gemm: em_matmul float32 at 1024 and 2048 with 1 and 2 OpenBLAS
 * threads, beside OpenBLAS's own cblas_sgemm called directly on the same data
 * (Ember should be within a few percent: it adds no copies). Prints one JSON
 * object; gemm.py puts numpy's figures beside it. */
#include <stdio.h>

#include <ember/cpu.h>
#include <ember/ember.h>

#include "bench.h"
#include "cpu/blas.h"

static int64_t N;
static em_array *a, *b;
static float *ha, *hb, *hc;
static const em_blas *blas;

static void run_ember(void *ctx)
{
    EM_SCOPE {
        em_array *c = em_matmul(a, b);
        em_eval(c);
    }
}

static void run_blas(void *ctx)
{
    blas->sgemm(EM_CBLAS_ROW_MAJOR, EM_CBLAS_NO_TRANS, EM_CBLAS_NO_TRANS, (int)N, (int)N, (int)N,
                1.0f, ha, (int)N, hb, (int)N, 0.0f, hc, (int)N);
}

int main(void)
{
    int smoke = bench_smoke();
    blas = em__blas();
    if (!blas) {
        fprintf(stderr, "bench-gemm: %s\n", em_error_message());
        return 1;
    }
    em_cpu_blas info;
    em_cpu_blas_info(&info);
    int sizes[2] = {1024, 2048}, threads[2] = {1, 2};
    if (smoke)
        sizes[0] = 64, sizes[1] = 128;
    int reps = smoke ? 2 : 5;
    printf("{\"core\": \"%s\", \"coretype_env\": \"%s\", \"chosen_by_ember\": %s, \"results\": [",
           info.core, info.coretype_env, info.chosen_by_ember ? "true" : "false");
    for (int si = 0; si < 2; si++) {
        N = sizes[si];
        ha = malloc(N * N * sizeof *ha);
        hb = malloc(N * N * sizeof *hb);
        hc = malloc(N * N * sizeof *hc);
        for (int64_t i = 0; i < N * N; i++) {
            ha[i] = (float)((i * 7) % 13) * 0.1f - 0.6f;
            hb[i] = (float)((i * 5) % 11) * 0.1f - 0.5f;
        }
        int64_t shape[2] = {N, N};
        a = em_array_from_data(ha, 2, shape, EM_FLOAT32);
        b = em_array_from_data(hb, 2, shape, EM_FLOAT32);
        for (int ti = 0; ti < 2; ti++) {
            em_cpu_set_num_threads(threads[ti]);
            run_ember(NULL);
            run_blas(NULL);
            /* interleave so that both see the same machine state */
            double te = 1e30, tb = 1e30;
            for (int r = 0; r < reps; r++) {
                double t = bench_best(1, run_ember, NULL);
                te = t < te ? t : te;
                t = bench_best(1, run_blas, NULL);
                tb = t < tb ? t : tb;
            }
            double flops = 2.0 * N * N * N;
            printf("%s{\"n\": %lld, \"threads\": %d, \"ember_gflops\": %.2f, \"blas_gflops\": %.2f}",
                   si || ti ? ", " : "", (long long)N, threads[ti], flops / te / 1e9,
                   flops / tb / 1e9);
        }
        em_release(a);
        em_release(b);
        free(ha);
        free(hb);
        free(hc);
    }
    printf("]}\n");
    return 0;
}
