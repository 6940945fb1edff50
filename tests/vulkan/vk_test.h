/* Helpers of the Vulkan tests: the same graph built on the CPU and on the GPU,
 * compared by normalised squared error. */
#ifndef EMBER_VK_TEST_H
#define EMBER_VK_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember/ember.h"
#include "ember/gpu.h"

static int vt_failures, vt_checks;

/* Skips (exit 77) when no Vulkan device is usable, saying why; with
 * EMBER_REQUIRE_GPU=1 that is a failure instead. */
static inline void vt_require_gpu(void)
{
    if (em_device_available(em_gpu()))
        return;
    const char *req = getenv("EMBER_REQUIRE_GPU");
    fprintf(stderr, "no usable Vulkan device: %s\n", em_gpu_unavailable_reason());
    exit(req && !strcmp(req, "1") ? 1 : 77);
}

static inline uint64_t vt_rng(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Random values in [lo, hi) of dtype t (integers: whole numbers), on the CPU. */
static inline em_array *vt_rand(em_dtype t, int ndim, const int64_t *shape, double lo, double hi,
                                uint64_t seed)
{
    int64_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= shape[i];
    double *v = malloc((n ? n : 1) * sizeof *v);
    uint64_t s = seed * 2654435761u + 1;
    for (int64_t i = 0; i < n; i++) {
        double u = (double)(vt_rng(&s) >> 11) / 9007199254740992.0;
        v[i] = lo + u * (hi - lo);
        if (!em_dtype_is_float(t))
            v[i] = floor(v[i]);
    }
    /* a private scope: the result goes to the caller's scope (or the caller) */
    em_scope *sc = em_scope_begin();
    em_array *f = em_array_from_data(v, ndim, shape, EM_FLOAT64);
    free(v);
    em_array *r = em_keep(em_astype(f, t));
    em_eval(r);
    em_scope_end(sc);
    return r;
}

static inline void vt_on(em_device d) { em_set_default_device(d); }

/* Compares a (CPU) with b (GPU): same shape and dtype, then NSE <= tol
 * (tol 0: exact, NaN equal to NaN). */
static inline bool vt_compare(const char *what, em_array *cpu, em_array *gpu, double tol)
{
    vt_checks++;
    if (!cpu || !gpu || em_eval(cpu) < 0 || em_eval(gpu) < 0) {
        printf("FAIL %s: %s\n", what, em_error_message());
        em_error_clear();
        vt_failures++;
        return false;
    }
    if (em_array_dtype(cpu) != em_array_dtype(gpu) || em_array_ndim(cpu) != em_array_ndim(gpu) ||
        memcmp(em_array_shape(cpu), em_array_shape(gpu), em_array_ndim(cpu) * sizeof(int64_t))) {
        printf("FAIL %s: shape or dtype differs (%s vs %s)\n", what,
               em_dtype_name(em_array_dtype(cpu)), em_dtype_name(em_array_dtype(gpu)));
        vt_failures++;
        return false;
    }
    int64_t n = em_array_size(cpu);
    double *x = malloc((n ? n : 1) * sizeof *x), *y = malloc((n ? n : 1) * sizeof *y);
    em_array_read(cpu, EM_FLOAT64, x, n);
    em_array_read(gpu, EM_FLOAT64, y, n);
    double num = 0, den = 0;
    int64_t bad = -1;
    for (int64_t i = 0; i < n; i++) {
        if (isnan(x[i]) || isnan(y[i]) || isinf(x[i]) || isinf(y[i])) {
            bool same = (isnan(x[i]) && isnan(y[i])) || x[i] == y[i];
            if (!same && bad < 0)
                bad = i;
            continue;
        }
        double d = x[i] - y[i];
        num += d * d;
        den += x[i] * x[i];
        if (tol == 0 && d != 0 && bad < 0)
            bad = i;
    }
    double nse = num / (den > 1e-30 ? den : 1.0);
    bool ok = bad < 0 && nse <= tol;
    if (!ok) {
        int64_t i = bad >= 0 ? bad : 0;
        printf("FAIL %s: nse %.3g (tol %.3g); e.g. [%lld] cpu %.9g gpu %.9g\n", what, nse, tol,
               (long long)i, n ? x[i] : 0.0, n ? y[i] : 0.0);
        vt_failures++;
    }
    free(x);
    free(y);
    return ok;
}

#endif
