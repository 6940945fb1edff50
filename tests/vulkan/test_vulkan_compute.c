/* Reductions, softmax and norms, and matmul on the GPU against the CPU. */
#include "vk_test.h"

static double tol_for(em_dtype t)
{
    if (!em_dtype_is_float(t))
        return 0;
    return t == EM_FLOAT32 ? 1e-10 : t == EM_FLOAT16 ? 1e-5 : 1e-4;
}

typedef em_array *(*red_fn)(em_array *, const int *, int, bool);

static void reductions(void)
{
    static const struct {
        const char *name;
        red_fn f;
        double lo, hi;
    } ops[] = {{"sum", em_sum, -5, 5},  {"prod", em_prod, 0.7, 1.4}, {"max", em_max, -9, 9},
               {"min", em_min, -9, 9},  {"all", em_all, 0, 1.2},     {"any", em_any, -0.2, 1}};
    const em_dtype ts[] = {EM_FLOAT32, EM_FLOAT16, EM_BFLOAT16, EM_INT32, EM_INT8, EM_UINT8,
                           EM_INT64, EM_BOOL};
    int64_t shape[4] = {3, 5, 4, 70};
    const int ax0[] = {3}, ax1[] = {0}, ax2[] = {1, 3}, ax3[] = {0, 2};
    const struct { const int *axes; int n; } sets[] = {{ax0, 1}, {ax1, 1}, {ax2, 2}, {ax3, 2}, {NULL, 0}};
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        for (size_t k = 0; k < sizeof ts / sizeof *ts; k++) {
            em_dtype t = ts[k];
            if (t == EM_BOOL && (ops[i].f == em_prod))
                continue;
            double lo = ops[i].lo, hi = ops[i].hi;
            if (!em_dtype_is_float(t) && ops[i].f == em_prod) {
                lo = 1;
                hi = 2.05; /* 1s and 2s */
            }
            if (t == EM_UINT8 && lo < 0)
                lo = 0;
            EM_SCOPE {
                em_array *x = vt_rand(t, 4, shape, lo, hi, 5 + i);
                for (size_t s = 0; s < sizeof sets / sizeof *sets; s++) {
                    for (int tr = 0; tr < 2; tr++) {
                        em_array *xi = tr ? em_transpose(x, (int[]){3, 1, 0, 2}) : x;
                        vt_on(em_cpu());
                        em_array *c = ops[i].f(xi, sets[s].axes, sets[s].n, s == 2);
                        vt_on(em_gpu());
                        em_array *g = ops[i].f(xi, sets[s].axes, sets[s].n, s == 2);
                        vt_on(em_cpu());
                        char what[96];
                        snprintf(what, sizeof what, "%s %s axes#%zu%s", ops[i].name,
                                 em_dtype_name(t), s, tr ? " transposed" : "");
                        /* prod of many f16 values: rounding of the product order */
                        double tol = tol_for(em_array_dtype(c));
                        if (ops[i].f == em_prod && em_dtype_is_float(t))
                            tol = t == EM_FLOAT32 ? 1e-8 : 1e-3;
                        if (ops[i].f == em_sum && em_dtype_is_float(t) && t != EM_FLOAT32)
                            tol = 1e-4;
                        vt_compare(what, c, g, tol);
                    }
                }
                for (int ax = -1; ax < 4; ax++) {
                    if (ops[i].f != em_max)
                        break;
                    vt_on(em_cpu());
                    em_array *c1 = ax < 0 ? em_argmax(x, EM_AXIS_ALL, false) : em_argmax(x, ax, false);
                    em_array *c2 = ax < 0 ? em_argmin(x, EM_AXIS_ALL, false) : em_argmin(x, ax, true);
                    vt_on(em_gpu());
                    em_array *g1 = ax < 0 ? em_argmax(x, EM_AXIS_ALL, false) : em_argmax(x, ax, false);
                    em_array *g2 = ax < 0 ? em_argmin(x, EM_AXIS_ALL, false) : em_argmin(x, ax, true);
                    vt_on(em_cpu());
                    char what[64];
                    snprintf(what, sizeof what, "argmax %s axis %d", em_dtype_name(t), ax);
                    vt_compare(what, c1, g1, 0);
                    snprintf(what, sizeof what, "argmin %s axis %d", em_dtype_name(t), ax);
                    vt_compare(what, c2, g2, 0);
                }
            }
        }
    /* NaN propagates through max and is found first by argmax */
    float v[6] = {1, NAN, 3, -2, NAN, 0};
    int64_t s6[2] = {2, 3};
    EM_SCOPE {
        em_array *x = em_array_from_data(v, 2, s6, EM_FLOAT32);
        int ax = 1;
        vt_on(em_cpu());
        em_array *c1 = em_max(x, &ax, 1, false), *c2 = em_argmax(x, 1, false), *c3 = em_sum(x, NULL, 0, false);
        vt_on(em_gpu());
        em_array *g1 = em_max(x, &ax, 1, false), *g2 = em_argmax(x, 1, false), *g3 = em_sum(x, NULL, 0, false);
        vt_on(em_cpu());
        vt_compare("max with NaN", c1, g1, 0);
        vt_compare("argmax with NaN", c2, g2, 0);
        vt_compare("sum with NaN", c3, g3, 0);
    }
}

static void rows(void)
{
    const em_dtype ts[] = {EM_FLOAT32, EM_FLOAT16, EM_BFLOAT16};
    const int64_t ns[] = {7, 300, 1000};
    for (size_t k = 0; k < 3; k++)
        for (size_t j = 0; j < 3; j++) {
            em_dtype t = ts[k];
            int64_t shape[3] = {3, 4, ns[j]}, ws = ns[j];
            EM_SCOPE {
                em_array *x = vt_rand(t, 3, shape, -6, 6, 3 + j);
                em_array *w = vt_rand(t, 1, &ws, 0.5, 1.5, 4);
                em_array *b = vt_rand(t, 1, &ws, -1, 1, 5);
                em_array *c[6], *g[6];
                for (int dev = 0; dev < 2; dev++) {
                    vt_on(dev ? em_gpu() : em_cpu());
                    em_array **r = dev ? g : c;
                    r[0] = em_softmax(x, -1);
                    r[1] = em_log_softmax(x, -1);
                    r[2] = em_rms_norm(x, w, 1e-5);
                    r[3] = em_layer_norm(x, w, b, 1e-5);
                    r[4] = em_layer_norm(x, NULL, NULL, 1e-5);
                    r[5] = em_softmax(em_transpose(x, (int[]){2, 1, 0}), 0);
                }
                vt_on(em_cpu());
                const char *names[6] = {"softmax", "log_softmax", "rms_norm", "layer_norm",
                                        "layer_norm plain", "softmax axis 0 of a view"};
                for (int i = 0; i < 6; i++) {
                    char what[96];
                    snprintf(what, sizeof what, "%s %s n=%lld", names[i], em_dtype_name(t),
                             (long long)ns[j]);
                    vt_compare(what, c[i], g[i], t == EM_FLOAT32 ? 1e-10 : 1e-4);
                }
            }
        }
}

static void matmuls(void)
{
    const em_dtype ts[] = {EM_FLOAT32, EM_FLOAT16, EM_BFLOAT16};
    const int64_t dims[][3] = {{1, 1, 1}, {5, 7, 3}, {64, 64, 64}, {70, 33, 129}, {1, 200, 90}, {130, 1, 17}};
    for (size_t k = 0; k < 3; k++)
        for (size_t d = 0; d < sizeof dims / sizeof *dims; d++) {
            em_dtype t = ts[k];
            int64_t M = dims[d][0], N = dims[d][1], K = dims[d][2];
            EM_SCOPE {
                em_array *a = vt_rand(t, 2, (int64_t[]){M, K}, -1, 1, 8);
                em_array *b = vt_rand(t, 2, (int64_t[]){K, N}, -1, 1, 9);
                em_array *bt = vt_rand(t, 2, (int64_t[]){N, K}, -1, 1, 10);
                em_array *a3 = vt_rand(t, 3, (int64_t[]){3, M, K}, -1, 1, 11);
                em_array *c[3], *g[3];
                for (int dev = 0; dev < 2; dev++) {
                    vt_on(dev ? em_gpu() : em_cpu());
                    em_array **r = dev ? g : c;
                    r[0] = em_matmul(a, b);
                    r[1] = em_matmul(a, em_transpose(bt, NULL));
                    r[2] = em_matmul(a3, b); /* batch broadcast */
                }
                vt_on(em_cpu());
                const char *names[3] = {"matmul", "matmul b transposed", "matmul batched"};
                for (int i = 0; i < 3; i++) {
                    char what[96];
                    snprintf(what, sizeof what, "%s %s %lldx%lldx%lld", names[i], em_dtype_name(t),
                             (long long)M, (long long)N, (long long)K);
                    vt_compare(what, c[i], g[i], t == EM_FLOAT32 ? 1e-10 : t == EM_FLOAT16 ? 1e-5 : 1e-4);
                }
            }
        }
}

/* Float16 shapes the cooperative-matrix path takes where the device has it
 * (M, N, K >= 64, N and K multiples of 8): whole tiles, ragged M/N/K edges,
 * transposed A and B views, batches; elsewhere the tiled kernel runs them. */
static void matmuls_coop(void)
{
    const int64_t dims[][3] = {{256, 384, 512}, {200, 136, 264}, {64, 64, 64}, {130, 72, 1000}};
    for (size_t d = 0; d < sizeof dims / sizeof *dims; d++) {
        int64_t M = dims[d][0], N = dims[d][1], K = dims[d][2];
        EM_SCOPE {
            em_dtype t = EM_FLOAT16;
            em_array *a = vt_rand(t, 2, (int64_t[]){M, K}, -1, 1, 21);
            em_array *at = vt_rand(t, 2, (int64_t[]){K, M}, -1, 1, 22);
            em_array *b = vt_rand(t, 2, (int64_t[]){K, N}, -1, 1, 23);
            em_array *bt = vt_rand(t, 2, (int64_t[]){N, K}, -1, 1, 24);
            em_array *a3 = vt_rand(t, 3, (int64_t[]){2, M, K}, -1, 1, 25);
            em_array *b3 = vt_rand(t, 3, (int64_t[]){2, K, N}, -1, 1, 26);
            em_array *c[4], *g[4];
            for (int dev = 0; dev < 2; dev++) {
                vt_on(dev ? em_gpu() : em_cpu());
                em_array **r = dev ? g : c;
                r[0] = em_matmul(a, b);
                r[1] = em_matmul(a, em_transpose(bt, NULL));
                r[2] = em_matmul(em_transpose(at, NULL), b);
                r[3] = em_matmul(a3, b3);
            }
            vt_on(em_cpu());
            const char *names[4] = {"f16 matmul", "f16 matmul b transposed",
                                    "f16 matmul a transposed", "f16 matmul batched"};
            for (int i = 0; i < 4; i++) {
                char what[96];
                snprintf(what, sizeof what, "%s %lldx%lldx%lld", names[i], (long long)M,
                         (long long)N, (long long)K);
                vt_compare(what, c[i], g[i], 1e-5);
            }
        }
    }
}

/* Few outputs over many elements: the two-pass split (partials, then the
 * partials reduced). */
static void reductions_split(void)
{
    EM_SCOPE {
        em_array *x = vt_rand(EM_FLOAT32, 1, (int64_t[]){1 << 18}, -1, 1, 41);
        em_array *x2 = vt_rand(EM_FLOAT32, 2, (int64_t[]){3, 1 << 17}, -1, 1, 42);
        em_array *xi = vt_rand(EM_INT8, 1, (int64_t[]){1 << 17}, -100, 100, 43);
        em_array *c[7], *g[7];
        for (int dev = 0; dev < 2; dev++) {
            vt_on(dev ? em_gpu() : em_cpu());
            em_array **r = dev ? g : c;
            r[0] = em_sum(x, NULL, 0, false);
            r[1] = em_max(x, NULL, 0, false);
            r[2] = em_sum(x2, (int[]){1}, 1, false);
            r[3] = em_min(em_transpose(x2, NULL), (int[]){0}, 1, true);
            r[4] = em_sum(xi, NULL, 0, false);
            r[5] = em_all(em_greater(x, em_scalar_f(-2.0)), NULL, 0, false);
            r[6] = em_any(em_greater(x, em_scalar_f(0.999999)), NULL, 0, false);
        }
        vt_on(em_cpu());
        const char *names[7] = {"split sum", "split max", "split sum axis 1", "split min of a view",
                                "split sum int8", "split all", "split any"};
        for (int i = 0; i < 7; i++)
            vt_compare(names[i], c[i], g[i], i == 0 || i == 2 ? 1e-10 : 0);
    }
}

/* Half matmuls reach the GPU kernel uncast; one beyond the shader (four
 * unmergeable batch dims) goes through float32 on the CPU. */
static void matmuls_half_fallback(void)
{
    const em_dtype ts[] = {EM_FLOAT16, EM_BFLOAT16};
    for (int k = 0; k < 2; k++)
        EM_SCOPE {
            em_array *a = vt_rand(ts[k], 6, (int64_t[]){2, 1, 2, 1, 5, 7}, -1, 1, 31);
            em_array *b = vt_rand(ts[k], 6, (int64_t[]){1, 2, 1, 2, 7, 3}, -1, 1, 32);
            vt_on(em_cpu());
            em_array *c = em_matmul(a, b);
            vt_on(em_gpu());
            em_array *g = em_matmul(a, b);
            vt_on(em_cpu());
            char what[96];
            snprintf(what, sizeof what, "matmul %s 4 broadcast batch dims (cpu)", em_dtype_name(ts[k]));
            vt_compare(what, c, g, 1e-4);
        }
}

int main(void)
{
    vt_require_gpu();
    size_t before = em_memory_stats_get().active;
    reductions();
    rows();
    matmuls();
    matmuls_coop();
    matmuls_half_fallback();
    reductions_split();
    em_synchronize();
    size_t after = em_memory_stats_get().active;
    if (after != before) {
        printf("FAIL memory left active: %zu -> %zu bytes\n", before, after);
        vt_failures++;
    }
    printf("%d checks, %d failed\n", vt_checks, vt_failures);
    return vt_failures != 0;
}
