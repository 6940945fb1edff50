/* bench-elementwise: per-op overhead on small arrays, elementwise add on 16M
 * float32 against the machine's measured memory bandwidth (a memcpy-style
 * read+write stream, like the add's own traffic). Prints one JSON object; run.sh
 * puts numpy's figures beside it. */
#include <stdio.h>
#include <string.h>

#include <ember/ember.h>

#include "bench.h"

static int64_t N;
static em_array *a, *b;

static void run_add(void *ctx)
{
    EM_SCOPE {
        em_array *c = em_add(a, b);
        em_eval(c);
    }
}

static float *src1, *src2, *dst;
static void run_stream(void *ctx)
{
    /* the same traffic as c = a + b: two streams read, one written */
    for (int64_t i = 0; i < N; i++)
        dst[i] = src1[i] + src2[i];
}

static int n_small;
static void run_small_graph(void *ctx)
{
    EM_SCOPE {
        em_array *x = em_ones(1, (int64_t[]){16}, EM_FLOAT32);
        for (int i = 0; i < n_small; i++)
            x = em_add(x, em_scalar_f(1));
        em_eval(x);
    }
}

int main(void)
{
    int smoke = bench_smoke();
    N = smoke ? (1 << 16) : (16 << 20);
    int reps = smoke ? 2 : 10;
    int64_t shape[1] = {N};
    float *h = malloc(N * sizeof *h);
    for (int64_t i = 0; i < N; i++)
        h[i] = (float)(i % 1000) * 0.001f;
    a = em_array_from_data(h, 1, shape, EM_FLOAT32);
    b = em_array_from_data(h, 1, shape, EM_FLOAT32);
    run_add(NULL);
    double t_add = bench_best(reps, run_add, NULL);

    src1 = malloc(N * 4);
    src2 = malloc(N * 4);
    dst = malloc(N * 4);
    memcpy(src1, h, N * 4);
    memcpy(src2, h, N * 4);
    memset(dst, 0, N * 4);
    run_stream(NULL);
    double t_stream = bench_best(reps, run_stream, NULL);

    n_small = smoke ? 100 : 10000;
    run_small_graph(NULL);
    double t_small = bench_best(smoke ? 2 : 5, run_small_graph, NULL);

    double bytes = 3.0 * N * 4;
    printf("{\"n\": %lld, \"add_seconds\": %.6f, \"add_gbs\": %.2f, "
           "\"stream_1thread_gbs\": %.2f, \"overhead_us_per_op\": %.3f}\n",
           (long long)N, t_add, bytes / t_add / 1e9, bytes / t_stream / 1e9,
           t_small / n_small * 1e6 /* one add node per step (the scalar is data) */);
    em_release(a);
    em_release(b);
    free(h);
    free(src1);
    free(src2);
    free(dst);
    return 0;
}
