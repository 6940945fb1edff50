/* bench-vulkan: Ember's GPU (Vulkan) figures, one line each:
 *   RESULT <name> <value> <unit> <detail>
 * elementwise add and a copy-like unary (GB/s), sum (GB/s), float32 and
 * float16 matmul 4096^3 (TFLOP/s), softmax 4096x4096 float32 over the last
 * axis (GB/s), 4-bit quantized matvec 4096x4096 (GB/s of weights read).
 * Timing: each case is warmed up, then `iters` independent instances are
 * evaluated in one em_eval_many (one submission stream; em_eval waits for the
 * GPU), best of several such runs. tests/bench/vulkan.py prints these beside
 * PyTorch+CUDA on the same GPU. EMBER_BENCH_SMOKE=1: tiny sizes.
 * Without a usable Vulkan device it says why and exits 0. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ember/ember.h>
#include <ember/gpu.h>

#include "bench.h"

const char *em__vk_coopmat_info(void); /* engine-internal: the cooperative-matrix query */

#define MAXIT 64

typedef em_array *(*build_fn)(void *ctx);

/* Seconds per instance: best over reps of (iters instances in one eval). */
static double time_gpu(build_fn build, void *ctx, int iters, int reps)
{
    double best = 1e30;
    for (int r = 0; r < reps + 1; r++) { /* the first run warms up */
        EM_SCOPE {
            em_array *outs[MAXIT];
            for (int i = 0; i < iters; i++)
                outs[i] = build(ctx);
            double t = bench_now();
            if (em_eval_many(outs, iters) < 0) {
                fprintf(stderr, "bench-vulkan: %s\n", em_error_message());
                em_error_clear();
            }
            t = bench_now() - t;
            if (r > 0 && t < best)
                best = t;
        }
    }
    return best / iters;
}

#define NQ 16
static em_array *A, *B, *F16A, *F16B, *X, *WQ[NQ], *SC[NQ], *BI[NQ], *SM;
static int qi;

static em_array *b_add(void *c) { return em_add(A, B); }
static em_array *b_neg(void *c) { return em_negative(A); }
static em_array *b_sum(void *c) { return em_sum(A, NULL, 0, false); }
static em_array *b_mm32(void *c) { return em_matmul(A, B); }
static em_array *b_mm16(void *c) { return em_matmul(F16A, F16B); }
/* a @ b.T with b stored (N, K): B's columns contiguous, as a linear layer's weight */
static em_array *b_mm16_nt(void *c) { return em_matmul(F16A, em_transpose(F16B, NULL)); }
static em_array *b_softmax(void *c) { return em_softmax(SM, -1); }
/* cycles through NQ weight matrices (134 MB in all): beyond the L2 cache */
static em_array *b_qmv(void *c)
{
    int i = qi++ % NQ;
    return em_quantized_matmul(X, WQ[i], SC[i], BI[i], true, 64, 4);
}

/* EMBER_BENCH_CASES=a,b: only those cases (for tuning runs) */
static bool want(const char *name)
{
    const char *e = getenv("EMBER_BENCH_CASES");
    if (!e || !*e)
        return true;
    size_t n = strlen(name);
    for (const char *p = e; (p = strstr(p, name)); p += n)
        if ((p == e || p[-1] == ',') && (p[n] == ',' || p[n] == 0))
            return true;
    return false;
}

static void result(const char *name, double v, const char *unit, const char *detail)
{
    printf("RESULT %s %.4g %s %s\n", name, v, unit, detail);
    fflush(stdout);
}

static int run(void)
{
    int smoke = bench_smoke();
    if (!em_device_available(em_gpu())) {
        printf("bench-vulkan: no usable Vulkan device: %s\n", em_gpu_unavailable_reason());
        return 0;
    }
    em_gpu_info info;
    em_gpu_get_info(&info);
    printf("bench-vulkan: %s (%s), cooperative matrix %s, matmul path %s\n", info.name,
           info.driver, info.cooperative_matrix_nv ? "yes" : "no",
           getenv("EMBER_VULKAN_MATMUL") ? getenv("EMBER_VULKAN_MATMUL") : "auto");
    printf("bench-vulkan: %s\n", em__vk_coopmat_info());
    em_set_default_device(em_gpu());
    int reps = smoke ? 1 : 5;
    char detail[128];

    /* elementwise: 2^26 float32 (256 MiB per operand) */
    int64_t n = smoke ? 1 << 12 : 1 << 26;
    em_array *key = em_random_key(1);
    A = em_random_uniform(1, &n, -1, 1, EM_FLOAT32, key);
    B = em_random_uniform(1, &n, -1, 1, EM_FLOAT32, em_random_key(2));
    em_eval(A);
    em_eval(B);
    int it = smoke ? 2 : 10;
    double t;
    if (want("add")) {
        t = time_gpu(b_add, NULL, it, reps);
        snprintf(detail, sizeof detail, "float32_n=%lld_%.1fus", (long long)n, t * 1e6);
        result("add", 3.0 * n * 4 / t / 1e9, "GB/s", detail);
    }
    if (want("copy")) {
        t = time_gpu(b_neg, NULL, it, reps);
        snprintf(detail, sizeof detail, "negative_float32_n=%lld_%.1fus", (long long)n, t * 1e6);
        result("copy", 2.0 * n * 4 / t / 1e9, "GB/s", detail);
    }
    if (want("sum")) {
        t = time_gpu(b_sum, NULL, it, reps);
        snprintf(detail, sizeof detail, "float32_n=%lld_%.1fus", (long long)n, t * 1e6);
        result("sum", 1.0 * n * 4 / t / 1e9, "GB/s", detail);
    }

    /* matmul */
    int64_t m = smoke ? 128 : 4096;
    int64_t sh[2] = {m, m};
    A = em_random_uniform(2, sh, -1, 1, EM_FLOAT32, em_random_key(3));
    B = em_random_uniform(2, sh, -1, 1, EM_FLOAT32, em_random_key(4));
    F16A = em_astype(A, EM_FLOAT16);
    F16B = em_astype(B, EM_FLOAT16);
    em_array *all[4] = {A, B, F16A, F16B};
    em_eval_many(all, 4);
    it = smoke ? 2 : 10;
    double flop = 2.0 * m * m * m;
    if (want("matmul_f32")) {
        t = time_gpu(b_mm32, NULL, it, reps);
        snprintf(detail, sizeof detail, "float32_%lld^3_%.3fms", (long long)m, t * 1e3);
        result("matmul_f32", flop / t / 1e12, "TFLOP/s", detail);
    }
    if (want("matmul_f16")) {
        t = time_gpu(b_mm16, NULL, it, reps);
        snprintf(detail, sizeof detail, "float16_%lld^3_%.3fms", (long long)m, t * 1e3);
        result("matmul_f16", flop / t / 1e12, "TFLOP/s", detail);
    }

    if (want("matmul_f16_nt")) {
        t = time_gpu(b_mm16_nt, NULL, it, reps);
        snprintf(detail, sizeof detail, "float16_a@b.T_%lld^3_%.3fms", (long long)m, t * 1e3);
        result("matmul_f16_nt", flop / t / 1e12, "TFLOP/s", detail);
    }

    /* softmax over the last axis of 4096 x 4096 float32 */
    SM = A;
    if (want("softmax")) {
        t = time_gpu(b_softmax, NULL, it, reps);
        snprintf(detail, sizeof detail, "float32_%lldx%lld_%.1fus", (long long)m, (long long)m, t * 1e6);
        result("softmax", 2.0 * m * m * 4 / t / 1e9, "GB/s", detail);
    }

    if (!want("qmv4"))
        return 0;
    /* 4-bit quantized matvec: w (N, K) float16, group 64; x (1, K) */
    int nq = smoke ? 2 : NQ;
    em_array *q[3 * NQ + 1];
    for (int i = 0; i < nq; i++) {
        em_array *wf = em_astype(em_random_uniform(2, sh, -1, 1, EM_FLOAT32, em_random_key(10 + i)),
                                 EM_FLOAT16);
        if (em_quantize(wf, 64, 4, &WQ[i], &SC[i], &BI[i]) < 0) {
            fprintf(stderr, "bench-vulkan: quantize: %s\n", em_error_message());
            return 1;
        }
        q[3 * i] = WQ[i];
        q[3 * i + 1] = SC[i];
        q[3 * i + 2] = BI[i];
    }
    int64_t xs[2] = {1, m};
    X = em_astype(em_random_uniform(2, xs, -1, 1, EM_FLOAT32, em_random_key(5)), EM_FLOAT16);
    q[3 * nq] = X;
    em_eval_many(q, 3 * nq + 1);
    for (int i = nq; i < NQ; i++) {
        WQ[i] = WQ[i % nq];
        SC[i] = SC[i % nq];
        BI[i] = BI[i % nq];
    }
    it = smoke ? 2 : 48;
    t = time_gpu(b_qmv, NULL, it, reps);
    double wbytes = (double)em_array_nbytes(WQ[0]) + em_array_nbytes(SC[0]) + em_array_nbytes(BI[0]);
    snprintf(detail, sizeof detail, "%lldx%lld_group64_float16_%.1fus", (long long)m, (long long)m,
             t * 1e6);
    result("qmv4", wbytes / t / 1e9, "GB/s", detail);
    return 0;
}

int main(void)
{
    int rc = 0;
    EM_SCOPE {
        rc = run();
    }
    return rc;
}
