/* Helpers of the llm checks (llm_check.c, llm_gpu_check.c): a failure
 * counter, the largest difference from a reference, reading ids from the
 * reference safetensors. */
#ifndef EMBER_LLM_TEST_H
#define EMBER_LLM_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "ember/ember.h"

static int failures;
#define CHECK(c, ...)                                                                              \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                            \
            printf(__VA_ARGS__);                                                                   \
            printf("\n");                                                                          \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

/* max |a - ref| over n float32 values (infinity if a cannot be read) */
static inline double max_diff(em_array *a, const float *ref, int64_t n)
{
    float *x = malloc(n * sizeof *x);
    double d = INFINITY;
    if (x && em_array_read(a, EM_FLOAT32, x, n) == n) {
        d = 0;
        for (int64_t i = 0; i < n; i++)
            d = fmax(d, fabs((double)x[i] - ref[i]));
    }
    free(x);
    return d;
}

/* the tensor `name` of st as int32 (malloc'ed, one spare element); *n its size */
static inline int32_t *read_i32(em_safetensors *st, const char *name, int64_t *n)
{
    em_array *a = em_safetensors_get(st, name);
    *n = a ? em_array_size(a) : 0;
    int32_t *p = malloc((*n + 1) * sizeof *p);
    em_array_read(a, EM_INT32, p, *n);
    em_release(a);
    return p;
}

#endif
