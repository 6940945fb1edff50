/* bench-reduce: sum (all, axis 0, axis 1), max over axis 1, softmax over the
 * last axis and a transposing copy, all of a 4096 x 4096 float32 array, on
 * Ember's threads (EMBER_NUM_THREADS sets them). Prints one JSON object of
 * best-of-N seconds; reduce.py puts numpy's and PyTorch's beside it. */
#include <stdio.h>
#include <string.h>

#include <ember/ember.h>

#include "array_internal.h"
#include "bench.h"

static em_array *a;
static int which;

static void run(void *ctx)
{
    EM_SCOPE {
        em_array *r = NULL;
        switch (which) {
        case 0: r = em_sum(a, NULL, 0, false); break;
        case 1: r = em_sum(a, (int[]){0}, 1, false); break;
        case 2: r = em_sum(a, (int[]){1}, 1, false); break;
        case 3: r = em_max(a, (int[]){1}, 1, false); break;
        case 4: r = em_softmax(a, -1); break;
        default: r = em_contiguous(em_transpose(a, NULL)); break;
        }
        if (em_eval(r) < 0)
            fprintf(stderr, "bench-reduce: %s\n", em_error_message());
    }
}

int main(void)
{
    int64_t n = bench_smoke() ? 256 : 4096;
    int reps = bench_smoke() ? 2 : 20;
    float *h = malloc(n * n * sizeof *h);
    uint32_t st = 1;
    for (int64_t i = 0; i < n * n; i++) {
        st = st * 1664525u + 1013904223u;
        h[i] = (float)(st >> 8) * (1.0f / 16777216.0f) * 4.0f - 2.0f;
    }
    a = em_array_from_data(h, 2, (int64_t[]){n, n}, EM_FLOAT32);
    const char *names[] = {"sum_all", "sum_axis0", "sum_axis1", "max_axis1", "softmax", "transpose_copy"};
    printf("{\"n\": %lld, \"threads\": %d", (long long)n, em__num_threads());
    for (which = 0; which < 6; which++) {
        run(NULL);
        printf(", \"%s\": %.6f", names[which], bench_best(reps, run, NULL));
    }
    printf("}\n");
    em_release(a);
    free(h);
    return 0;
}
