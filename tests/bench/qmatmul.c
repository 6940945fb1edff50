/* bench-qmatmul: 4-bit quantized matrix-vector product (decode), 4096 x 4096,
 * group 64, float16 scales and biases, against the machine's measured memory
 * read bandwidth (a parallel stream-read of a large buffer on Ember's own
 * threads). 48 distinct weight matrices (432 MB, beyond a 300 MB L3) are
 * cycled so that the weights come from memory, not the cache. The two are
 * timed alternately (best of each), so that both see the same load on a
 * shared machine. Prints GB/s of weights read, the bandwidth and their ratio. */
#include <stdio.h>
#include <string.h>

#include <ember/ember.h>

#include "array_internal.h"
#include "bench.h"

#define NMAT 48

static int64_t N = 4096, K = 4096;
static em_array *x, *wq[NMAT], *sc[NMAT], *bi[NMAT];

static void run_qmv(void *ctx)
{
    EM_SCOPE {
        for (int i = 0; i < NMAT; i++) {
            em_array *y = em_quantized_matmul(x, wq[i], sc[i], bi[i], true, 64, 4);
            em_eval(y);
        }
    }
}

static const uint64_t *big;
static int64_t big_n;
static uint64_t sums[256];

static void read_range(void *ctx, int64_t begin, int64_t end)
{
    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (int64_t i = begin; i + 3 < end; i += 4) {
        s0 += big[i];
        s1 += big[i + 1];
        s2 += big[i + 2];
        s3 += big[i + 3];
    }
    sums[(begin / 4096) & 255] += s0 + s1 + s2 + s3;
}

static void run_stream(void *ctx)
{
    em__parallel_for(big_n, 1 << 16, read_range, NULL);
}

int main(void)
{
    int smoke = bench_smoke();
    if (smoke)
        N = K = 256;
    int reps = smoke ? 2 : 10;
    float *xv = malloc(K * sizeof *xv);
    for (int64_t i = 0; i < K; i++)
        xv[i] = (float)((i % 17) - 8) * 0.01f;
    x = em_array_from_data(xv, 2, (int64_t[]){1, K}, EM_FLOAT32);
    size_t wbytes = 0;
    uint16_t *hw = malloc(N * K * sizeof *hw);
    for (int i = 0; i < NMAT; i++) {
        /* weights from a cheap generator: the benchmark is not about their making */
        uint32_t st = 12345u + (uint32_t)i;
        for (int64_t k = 0; k < N * K; k++) {
            st = st * 1664525u + 1013904223u;
            hw[k] = em_f32_to_f16((float)((int32_t)st >> 8) * (0.02f / 8388608.0f));
        }
        em_array *w = em_array_from_data(hw, 2, (int64_t[]){N, K}, EM_FLOAT16);
        if (em_quantize(w, 64, 4, &wq[i], &sc[i], &bi[i]) < 0 || em_eval(wq[i]) < 0 ||
            em_eval(sc[i]) < 0 || em_eval(bi[i]) < 0) {
            fprintf(stderr, "bench-qmatmul: %s\n", em_error_message());
            return 1;
        }
        em_release(w);
        wbytes += em_array_nbytes(wq[i]) + em_array_nbytes(sc[i]) + em_array_nbytes(bi[i]);
    }
    big_n = smoke ? (1 << 20) : (int64_t)(1u << 30) / 8; /* 1 GiB */
    uint64_t *b = malloc(big_n * sizeof *b);
    for (int64_t i = 0; i < big_n; i++)
        b[i] = (uint64_t)i;
    big = b;
    run_qmv(NULL);
    run_stream(NULL);
    /* alternated, so that both see the same load on a shared machine */
    double t = 1e30, ts = 1e30;
    for (int r = 0; r < reps; r++) {
        double t1 = bench_best(1, run_qmv, NULL), t2 = bench_best(1, run_stream, NULL);
        t = t1 < t ? t1 : t;
        ts = t2 < ts ? t2 : ts;
    }
    double bw = big_n * 8.0 / ts / 1e9, qbw = wbytes / t / 1e9;
    printf("qmatmul 4-bit g64 %lldx%lld matvec (x%d matrices): %.1f us each, %.1f GB/s of weights; "
           "stream read %.1f GB/s; ratio %.2f (threads %d)\n",
           (long long)N, (long long)K, NMAT, t / NMAT * 1e6, qbw, bw, qbw / bw, em__num_threads());
    for (int i = 0; i < NMAT; i++) {
        em_release(wq[i]);
        em_release(sc[i]);
        em_release(bi[i]);
    }
    em_release(x);
    free(xv);
    free(hw);
    free(b);
    return 0;
}
