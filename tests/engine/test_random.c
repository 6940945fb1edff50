/* Keyed random numbers: threefry-2x32 known answers (Random123's kat_vectors),
 * bits equal to a direct single-threaded evaluation of the generator (so the
 * result cannot depend on the thread count; run with EMBER_NUM_THREADS=1 and
 * 2), keys and splits, and the distributions (mean, variance, Kolmogorov-
 * Smirnov distance to the exact CDF). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ember/ember.h>

#include "check.h"
#include "cpu/threefry.h"

#pragma weak em_argsort
#pragma weak em_argmax
#pragma weak em_take

static void test_kat(void)
{
    static const uint32_t kat[3][6] = {
        /* counter, key, expected (Random123 kat_vectors, threefry2x32 20) */
        {0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x6b200159, 0x99ba4efe},
        {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x1cb996fc, 0xbb002be7},
        {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xc4923a9c, 0x483df7a0},
    };
    for (int i = 0; i < 3; i++) {
        uint32_t out[2], key[2] = {kat[i][2], kat[i][3]};
        em__threefry2x32(key, kat[i][0], kat[i][1], out);
        CHECK(out[0] == kat[i][4] && out[1] == kat[i][5], "threefry kat %d: %08x %08x", i, out[0], out[1]);
    }
}

/* Bits of every width and odd sizes against the generator run here directly. */
static void test_bits(void)
{
    EM_SCOPE {
        em_array *key = em_random_key(0x123456789abcdefULL);
        const uint32_t *kd = em_array_data(key);
        CHECK(kd && kd[0] == 0x01234567u && kd[1] == 0x89abcdefu, "key of seed");
        int64_t sizes[] = {1, 2, 3, 7, 1000, 1000003};
        for (int w = 1; w <= 4; w *= 2)
            for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
                int64_t n = sizes[s];
                em_array *b = em_random_bits(1, &n, w, key);
                const uint8_t *got = em_array_data(b);
                int64_t bytes = n * w, words = (bytes + 3) / 4;
                uint32_t *want = malloc(words * 4);
                uint32_t k[2] = {kd[0], kd[1]};
                em__threefry_words(k, words, 0, words / 2 + words % 2, want);
                CHECK(got && !memcmp(got, want, bytes), "bits width %d size %lld", w, (long long)n);
                free(want);
            }
        /* same key, same numbers; split gives the documented words */
        int64_t n = 5000;
        em_array *a = em_random_uniform(1, &n, 0, 1, EM_FLOAT32, key);
        em_array *b = em_random_uniform(1, &n, 0, 1, EM_FLOAT32, key);
        const float *pa = em_array_data(a), *pb = em_array_data(b);
        CHECK(pa && pb && !memcmp(pa, pb, n * 4), "same key, same numbers");
        em_array *sp = em_random_split(key, 3);
        CHECK(sp && em_array_ndim(sp) == 2 && em_array_shape(sp)[0] == 3 && em_array_shape(sp)[1] == 2,
              "split shape");
        const uint32_t *ps = em_array_data(sp);
        uint32_t want[6], k[2] = {kd[0], kd[1]};
        em__threefry_words(k, 6, 0, 3, want);
        CHECK(ps && !memcmp(ps, want, sizeof want), "split words");
        /* subkeys give different streams */
        int64_t start[2] = {1, 0}, stop[2] = {2, 2};
        em_array *k0 = em_reshape(em_slice(sp, start, stop, NULL), 1, (int64_t[]){2});
        em_array *c = em_random_uniform(1, &n, 0, 1, EM_FLOAT32, k0);
        const float *pc = em_array_data(c);
        CHECK(pc && memcmp(pa, pc, n * 4), "subkey differs");
    }
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Kolmogorov-Smirnov distance between the sample and cdf. */
static double ks(double *x, int64_t n, double (*cdf)(double, const double *), const double *prm)
{
    qsort(x, n, sizeof *x, cmp_d);
    double d = 0;
    for (int64_t i = 0; i < n; i++) {
        double f = cdf(x[i], prm);
        d = fmax(d, fmax(fabs(f - (double)i / n), fabs((double)(i + 1) / n - f)));
    }
    return d;
}

static double cdf_uniform(double x, const double *p) { return fmin(1, fmax(0, (x - p[0]) / (p[1] - p[0]))); }
static double cdf_normal(double x, const double *p) { return 0.5 * (1 + erf((x - p[0]) / (p[1] * M_SQRT2))); }
static double cdf_gumbel(double x, const double *p) { (void)p; return exp(-exp(-x)); }
static double cdf_trunc(double x, const double *p)
{
    double a = 0.5 * (1 + erf(p[0] / M_SQRT2)), b = 0.5 * (1 + erf(p[1] / M_SQRT2));
    return (0.5 * (1 + erf(x / M_SQRT2)) - a) / (b - a);
}

/* Reads a as float64 into a fresh buffer; mean and variance. */
static double *sample(em_array *a, int64_t n, double *mean, double *var, double *lo, double *hi)
{
    double *x = malloc(n * sizeof *x);
    if (!a || em_array_read(a, EM_FLOAT64, x, n) != n) {
        free(x);
        return NULL;
    }
    double s = 0, s2 = 0;
    *lo = INFINITY;
    *hi = -INFINITY;
    for (int64_t i = 0; i < n; i++) {
        s += x[i];
        *lo = fmin(*lo, x[i]);
        *hi = fmax(*hi, x[i]);
    }
    *mean = s / n;
    for (int64_t i = 0; i < n; i++)
        s2 += (x[i] - *mean) * (x[i] - *mean);
    *var = s2 / (n - 1);
    return x;
}

static void test_distributions(void)
{
    const int64_t n = 200000;
    const double crit = 1.95 / sqrt((double)n); /* KS at 0.1% */
    EM_SCOPE {
        em_array *key = em_random_key(42);
        double m, v, lo, hi, *x;
        /* uniform */
        em_dtype fts[] = {EM_FLOAT32, EM_FLOAT64, EM_FLOAT16, EM_BFLOAT16};
        for (int t = 0; t < 4; t++) {
            x = sample(em_random_uniform(1, &n, -2, 3, fts[t], key), n, &m, &v, &lo, &hi);
            CHECK(x, "uniform %s", em_dtype_name(fts[t]));
            if (!x)
                continue;
            CHECK(lo >= -2 && hi < 3, "uniform %s range [%g, %g]", em_dtype_name(fts[t]), lo, hi);
            /* bfloat16 has 2^7 levels in [0, 1): its mean is 0.5 - 2^-8 before scaling */
            double mtol = fts[t] == EM_BFLOAT16 ? 0.03 : 0.02;
            CHECK(fabs(m - 0.5) < mtol && fabs(v - 25.0 / 12) < 0.04, "uniform %s mean %g var %g",
                  em_dtype_name(fts[t]), m, v);
            if (t < 2) {
                double d = ks(x, n, cdf_uniform, (double[]){-2, 3});
                CHECK(d < crit, "uniform %s KS %g", em_dtype_name(fts[t]), d);
            }
            free(x);
        }
        /* a range whose top rounds up must still stay below high */
        int64_t small = 4096;
        x = sample(em_random_uniform(1, &small, 0.0, 1e-3, EM_FLOAT16, key), small, &m, &v, &lo, &hi);
        CHECK(x && hi < 1e-3, "uniform f16 stays below high (%g)", hi);
        free(x);
        /* normal */
        for (int t = 0; t < 2; t++) {
            x = sample(em_random_normal(1, &n, 1.5, 2.0, fts[t], key), n, &m, &v, &lo, &hi);
            CHECK(x, "normal");
            if (!x)
                continue;
            CHECK(fabs(m - 1.5) < 0.03 && fabs(v - 4) < 0.06 && isfinite(lo) && isfinite(hi),
                  "normal %s mean %g var %g", em_dtype_name(fts[t]), m, v);
            double d = ks(x, n, cdf_normal, (double[]){1.5, 2.0});
            CHECK(d < crit, "normal %s KS %g", em_dtype_name(fts[t]), d);
            free(x);
        }
        x = sample(em_random_normal(1, &n, 0, 1, EM_FLOAT16, key), n, &m, &v, &lo, &hi);
        CHECK(x && fabs(m) < 0.02 && fabs(v - 1) < 0.03 && isfinite(lo), "normal f16 mean %g var %g", m, v);
        free(x);
        /* truncated normal */
        x = sample(em_random_truncated_normal(1, &n, -1, 2, EM_FLOAT32, key), n, &m, &v, &lo, &hi);
        CHECK(x && lo >= -1 && hi <= 2, "truncated_normal bounds [%g, %g]", lo, hi);
        if (x) {
            double d = ks(x, n, cdf_trunc, (double[]){-1, 2});
            CHECK(d < crit, "truncated_normal KS %g", d);
        }
        free(x);
        /* gumbel: mean is Euler's constant, variance pi^2/6 */
        x = sample(em_random_gumbel(1, &n, EM_FLOAT32, key), n, &m, &v, &lo, &hi);
        CHECK(x && fabs(m - 0.5772157) < 0.02 && fabs(v - M_PI * M_PI / 6) < 0.05 && isfinite(hi),
              "gumbel mean %g var %g", m, v);
        if (x) {
            double d = ks(x, n, cdf_gumbel, NULL);
            CHECK(d < crit, "gumbel KS %g", d);
        }
        free(x);
        /* randint: every value of [-3, 7) about equally often */
        em_array *ri = em_random_randint(1, &n, -3, 7, EM_INT32, key);
        CHECK(ri && em_array_dtype(ri) == EM_INT32, "randint dtype");
        x = sample(ri, n, &m, &v, &lo, &hi);
        CHECK(x && lo == -3 && hi == 6, "randint range [%g, %g]", lo, hi);
        if (x) {
            int64_t count[10] = {0};
            for (int64_t i = 0; i < n; i++)
                count[(int)x[i] + 3]++;
            for (int i = 0; i < 10; i++)
                CHECK(fabs(count[i] / (double)n - 0.1) < 0.004, "randint value %d: %lld", i - 3,
                      (long long)count[i]);
        }
        free(x);
        /* bernoulli with a broadcast p */
        float pv[2] = {0.2f, 0.7f};
        em_array *p = em_array_from_data(pv, 1, (int64_t[]){2}, EM_FLOAT32);
        int64_t bs[2] = {n / 2, 2};
        em_array *bern = em_random_bernoulli(p, 2, bs, key);
        CHECK(bern && em_array_dtype(bern) == EM_BOOL, "bernoulli dtype");
        x = sample(bern, n, &m, &v, &lo, &hi);
        if (x) {
            double c[2] = {0, 0};
            for (int64_t i = 0; i < n; i++)
                c[i % 2] += x[i];
            CHECK(fabs(c[0] / (n / 2) - 0.2) < 0.006 && fabs(c[1] / (n / 2) - 0.7) < 0.006,
                  "bernoulli means %g %g", c[0] / (n / 2), c[1] / (n / 2));
        }
        free(x);
    }
}

static void test_global_key(void)
{
    EM_SCOPE {
        int64_t n = 1000;
        em_random_seed(7);
        em_array *a = em_random_normal(1, &n, 0, 1, EM_FLOAT32, NULL);
        em_array *b = em_random_normal(1, &n, 0, 1, EM_FLOAT32, NULL);
        em_random_seed(7);
        em_array *c = em_random_normal(1, &n, 0, 1, EM_FLOAT32, NULL);
        const float *pa = em_array_data(a), *pb = em_array_data(b), *pc = em_array_data(c);
        CHECK(pa && pb && pc && !memcmp(pa, pc, n * 4) && memcmp(pa, pb, n * 4),
              "global key: reseeding repeats, successive calls differ");
    }
}

static void test_sort_based(void)
{
    EM_SCOPE {
        em_array *key = em_random_key(3);
        if (em_argsort) {
            int64_t n = 1000;
            em_array *perm = em_random_permutation(n, key);
            CHECK(perm && em_array_dtype(perm) == EM_INT32, "permutation dtype");
            int32_t *v = malloc(n * sizeof *v);
            char *seen = calloc(n, 1);
            int ok = perm && em_array_read(perm, EM_INT32, v, n) == n, moved = 0;
            for (int64_t i = 0; ok && i < n; i++) {
                ok = v[i] >= 0 && v[i] < n && !seen[v[i]];
                if (ok)
                    seen[v[i]] = 1;
                moved += v[i] != i;
            }
            CHECK(ok && moved > n / 2, "permutation is a shuffled arange");
            free(v);
            free(seen);
        } else {
            printf("SKIP permutation: em_argsort not built\n");
        }
        if (em_argmax) {
            /* logits log(0.1), log(0.6), log(0.3): frequencies follow */
            float lg[3] = {logf(0.1f), logf(0.6f), logf(0.3f)};
            int64_t rows = 60000;
            em_array *l = em_broadcast_to(em_array_from_data(lg, 1, (int64_t[]){3}, EM_FLOAT32), 2,
                                          (int64_t[]){rows, 3});
            em_array *c = em_random_categorical(l, -1, key);
            double *x = malloc(rows * sizeof *x), f[3] = {0};
            int ok = c && em_array_read(c, EM_FLOAT64, x, rows) == rows;
            for (int64_t i = 0; ok && i < rows; i++)
                f[(int)x[i]] += 1.0 / rows;
            CHECK(ok && fabs(f[0] - 0.1) < 0.01 && fabs(f[1] - 0.6) < 0.01 && fabs(f[2] - 0.3) < 0.01,
                  "categorical frequencies %g %g %g", f[0], f[1], f[2]);
            free(x);
        } else {
            printf("SKIP categorical: em_argmax not built\n");
        }
    }
}

static void test_errors(void)
{
    EM_SCOPE {
        int64_t n = 4;
        em_error_clear();
        em_array *bad = em_array_from_data((float[]){1, 2}, 1, (int64_t[]){2}, EM_FLOAT32);
        CHECK(!em_random_uniform(1, &n, 0, 1, EM_FLOAT32, bad) && em_error_message()[0], "float key refused");
        em_error_clear();
        CHECK(!em_random_uniform(1, &n, 0, 1, EM_INT32, NULL) && em_error_message()[0], "int dtype refused");
        em_error_clear();
        CHECK(!em_random_bits(1, &n, 3, NULL) && em_error_message()[0], "width 3 refused");
        em_error_clear();
        CHECK(!em_random_randint(1, &n, 5, 5, EM_INT32, NULL) && em_error_message()[0], "empty range refused");
        em_error_clear();
        int64_t empty = 0;
        em_array *e = em_random_normal(1, &empty, 0, 1, EM_FLOAT32, NULL);
        CHECK(e && em_eval(e) == 0 && em_array_size(e) == 0, "empty shape");
    }
}

int main(void)
{
    test_kat();
    test_bits();
    test_distributions();
    test_global_key();
    test_sort_based();
    test_errors();
    em_memory_stats st = em_memory_stats_get();
    CHECK(st.active == 0, "%zu bytes still active", st.active);
    printf("%s (%d failures)\n", failures ? "FAIL" : "ok", failures);
    return failures ? 1 : 0;
}
