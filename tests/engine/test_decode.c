/* Decoding's direct CPU path against references written here in double:
 * em__parallel_split's parts (every index once, the caller's part first and
 * lead longer), em__qmv_direct (4- and 8-bit weights dequantized here from
 * the MLX packing, several items of uneven lengths in one call, with and
 * without the next call's weights to prefetch) and the one-token kernels of
 * cpu/decode.h (rope, rms rows, grouped one-query attention over a cache
 * with spare capacity). Run at 1 and 2 threads. */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ember/ember.h>

#include "check.h"
#include "core/array_internal.h"
#include "cpu/decode.h"
#include "cpu/quantize.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static float frand(void) /* uniform in [-1, 1) */
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (float)((double)(rng >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

/* ---- em__parallel_split ---- */
typedef struct {
    atomic_int *seen;
    atomic_llong first_end; /* end of the range that starts at 0 */
} split_ctx;

static void mark(void *ctx, int64_t begin, int64_t end)
{
    split_ctx *c = ctx;
    for (int64_t i = begin; i < end; i++)
        atomic_fetch_add(&c->seen[i], 1);
    if (begin == 0)
        atomic_store(&c->first_end, end);
}

static void test_split(void)
{
    int64_t ns[] = {1, 2, 3, 7, 100, 1001, 40000};
    int64_t leads[] = {0, 1, 5, -3, 50, 100000};
    for (size_t a = 0; a < sizeof ns / sizeof *ns; a++)
        for (size_t b = 0; b < sizeof leads / sizeof *leads; b++) {
            int64_t n = ns[a], lead = leads[b];
            split_ctx c = {calloc(n, sizeof(atomic_int))};
            atomic_init(&c.first_end, -1);
            em__parallel_split(n, lead, mark, &c);
            int64_t bad = -1;
            for (int64_t i = 0; i < n && bad < 0; i++)
                if (atomic_load(&c.seen[i]) != 1)
                    bad = i;
            CHECK(bad < 0, "split n %lld lead %lld: index %lld covered %d times", (long long)n,
                  (long long)lead, (long long)bad, bad < 0 ? 1 : atomic_load(&c.seen[bad]));
            int64_t first = em__parallel_split_first(n, lead), part = em__parallel_split_size(n, lead);
            int64_t fe = atomic_load(&c.first_end);
            CHECK(fe == first || fe == n, "split n %lld lead %lld: first part ends at %lld, not %lld",
                  (long long)n, (long long)lead, (long long)fe, (long long)first);
            CHECK(first >= 1 && first <= n && part >= 1 && first + (em__num_threads() - 1) * part >= n,
                  "split n %lld lead %lld: first %lld, parts %lld do not cover it", (long long)n,
                  (long long)lead, (long long)first, (long long)part);
            if (lead >= 0 && n - lead > em__num_threads() && first < n)
                CHECK(first == part + lead, "split n %lld lead %lld: the first part is not lead longer",
                      (long long)n, (long long)lead);
            free(c.seen);
        }
}

/* ---- em__qmv_direct ---- */
typedef struct {
    int64_t N;
    em_array *q, *s, *b; /* from em_quantize */
    double *w;           /* dequantized here (N, K) */
} qmat;

static bool make_qmat(qmat *m, int64_t N, int64_t K, int bits, int gs)
{
    float *wf = malloc(N * K * sizeof *wf);
    for (int64_t i = 0; i < N * K; i++)
        wf[i] = frand() * 0.05f;
    em_array *w = em_array_from_data(wf, 2, (int64_t[]){N, K}, EM_FLOAT32);
    free(wf);
    m->N = N;
    if (em_quantize(w, gs, bits, &m->q, &m->s, &m->b) < 0 || em_eval(m->q) < 0 || em_eval(m->s) < 0 ||
        em_eval(m->b) < 0) {
        em_release(w);
        return false;
    }
    em_release(w);
    /* the MLX packing: value j of a row is bits j*bits .. of the row's uint32 words */
    const uint32_t *qd = em_array_data(m->q);
    const float *sd = em_array_data(m->s), *bd = em_array_data(m->b);
    int64_t words = K * bits / 32, ng = K / gs;
    m->w = malloc(N * K * sizeof *m->w);
    for (int64_t n = 0; n < N; n++)
        for (int64_t j = 0; j < K; j++) {
            int64_t bit = j * bits;
            uint32_t v = (qd[n * words + bit / 32] >> (bit % 32)) & ((1u << bits) - 1);
            m->w[n * K + j] = (double)sd[n * ng + j / gs] * v + bd[n * ng + j / gs];
        }
    return true;
}

static void free_qmat(qmat *m)
{
    em_release(m->q);
    em_release(m->s);
    em_release(m->b);
    free(m->w);
}

static void test_qmv(int bits, int64_t K, const int64_t *Ns, int n, bool with_next)
{
    int gs = 64;
    qmat m[4], nx[2];
    em_qmv_item it[4], next[2];
    bool ok = true;
    for (int i = 0; i < n; i++)
        ok &= make_qmat(&m[i], Ns[i], K, bits, gs);
    for (int i = 0; i < 2; i++)
        ok &= make_qmat(&nx[i], 300 + 100 * i, K, bits, gs);
    CHECK(ok, "qmv: making the matrices");
    if (!ok)
        return;
    float *x = malloc(K * sizeof *x);
    for (int64_t k = 0; k < K; k++)
        x[k] = frand();
    for (int i = 0; i < n; i++)
        it[i] = (em_qmv_item){m[i].q, m[i].s, m[i].b, gs, bits, calloc(Ns[i], sizeof(float))};
    for (int i = 0; i < 2; i++)
        next[i] = (em_qmv_item){nx[i].q, nx[i].s, nx[i].b, gs, bits, NULL};
    int rc = em__qmv_direct(x, K, it, n, with_next ? next : NULL, with_next ? 2 : 0);
    CHECK(rc == 0, "qmv %d-bit K %lld: em__qmv_direct returned %d", bits, (long long)K, rc);
    for (int i = 0; i < n && rc == 0; i++) {
        double err = 0, big = 0;
        for (int64_t r = 0; r < Ns[i]; r++) {
            double ref = 0;
            for (int64_t k = 0; k < K; k++)
                ref += m[i].w[r * K + k] * x[k];
            err = fmax(err, fabs(ref - it[i].y[r]));
            big = fmax(big, fabs(ref));
        }
        CHECK(err <= 2e-6 * big, "qmv %d-bit K %lld item %d (N %lld, next %d): max error %g of %g", bits,
              (long long)K, i, (long long)Ns[i], with_next, err, big);
    }
    for (int i = 0; i < n; i++) {
        free(it[i].y);
        free_qmat(&m[i]);
    }
    for (int i = 0; i < 2; i++)
        free_qmat(&nx[i]);
    free(x);
}

/* ---- rope, rms rows, one-query attention ---- */
static void test_rope_rms(void)
{
    int64_t rows = 5, n = 64, dims = 48, pos = 37;
    double base = 10000.0, scale = 0.5;
    float *x = malloc(rows * n * sizeof *x), *y = malloc(rows * n * sizeof *y);
    for (int64_t i = 0; i < rows * n; i++)
        x[i] = y[i] = frand();
    for (int trad = 0; trad < 2; trad++) {
        memcpy(y, x, rows * n * sizeof *y);
        CHECK(em__rope_rows_f32(y, rows, n, dims, trad, base, scale, pos, NULL) == 0, "rope");
        double err = 0;
        for (int64_t r = 0; r < rows; r++)
            for (int64_t i = 0; i < dims / 2; i++) {
                double th = pos * scale * pow(base, -2.0 * i / dims);
                int64_t a = trad ? 2 * i : i, b = trad ? 2 * i + 1 : i + dims / 2;
                double x1 = x[r * n + a], x2 = x[r * n + b];
                err = fmax(err, fabs(y[r * n + a] - (x1 * cos(th) - x2 * sin(th))));
                err = fmax(err, fabs(y[r * n + b] - (x1 * sin(th) + x2 * cos(th))));
            }
        for (int64_t r = 0; r < rows; r++) /* past dims: unchanged */
            for (int64_t i = dims; i < n; i++)
                err = fmax(err, fabs(y[r * n + i] - x[r * n + i]));
        CHECK(err < 1e-5, "rope (traditional %d): max error %g", trad, err);
    }
    float w[64];
    for (int i = 0; i < 64; i++)
        w[i] = 1.0f + 0.5f * frand();
    memcpy(y, x, rows * n * sizeof *y);
    em__rms_rows_f32(y, rows, n, w, 1e-6);
    double err = 0;
    for (int64_t r = 0; r < rows; r++) {
        double ss = 0;
        for (int64_t i = 0; i < n; i++)
            ss += (double)x[r * n + i] * x[r * n + i];
        double k = 1.0 / sqrt(ss / n + 1e-6);
        for (int64_t i = 0; i < n; i++)
            err = fmax(err, fabs(y[r * n + i] - x[r * n + i] * k * w[i]));
    }
    CHECK(err < 1e-5, "rms rows: max error %g", err);
    free(x);
    free(y);
}

static void test_attend(int64_t Hq, int64_t Hk, int64_t D, int64_t L)
{
    int64_t cap = L + 13; /* a cache with room to spare: heads cap D apart */
    float *q = malloc(Hq * D * sizeof *q), *out = malloc(Hq * D * sizeof *out);
    float *k = malloc(Hk * cap * D * sizeof *k), *v = malloc(Hk * cap * D * sizeof *v);
    for (int64_t i = 0; i < Hq * D; i++)
        q[i] = frand();
    for (int64_t i = 0; i < Hk * cap * D; i++) {
        k[i] = frand();
        v[i] = frand();
    }
    float scale = 1.0f / sqrtf((float)D);
    em__attend_one_f32(q, Hq, k, v, Hk, cap * D, L, D, scale, out);
    double err = 0;
    double *p = malloc(L * sizeof *p);
    for (int64_t h = 0; h < Hq; h++) {
        int64_t hk = h / (Hq / Hk);
        double m = -INFINITY, s = 0;
        for (int64_t t = 0; t < L; t++) {
            double d = 0;
            for (int64_t e = 0; e < D; e++)
                d += (double)q[h * D + e] * k[(hk * cap + t) * D + e];
            p[t] = d * scale;
            m = fmax(m, p[t]);
        }
        for (int64_t t = 0; t < L; t++)
            s += p[t] = exp(p[t] - m);
        for (int64_t e = 0; e < D; e++) {
            double o = 0;
            for (int64_t t = 0; t < L; t++)
                o += p[t] * v[(hk * cap + t) * D + e];
            err = fmax(err, fabs(o / s - out[h * D + e]));
        }
    }
    CHECK(err < 2e-6, "attend Hq %lld Hk %lld D %lld L %lld: max error %g", (long long)Hq, (long long)Hk,
          (long long)D, (long long)L, err);
    free(p);
    free(q);
    free(out);
    free(k);
    free(v);
}

int main(void)
{
    test_split();
    int64_t qkv[3] = {1152, 128, 128}, gu[2] = {4864, 4864}, one[1] = {896}, odd[2] = {37, 5};
    for (int nx = 0; nx < 2; nx++) {
        test_qmv(4, 896, qkv, 3, nx);
        test_qmv(4, 896, gu, 2, nx);
        test_qmv(4, 4864, one, 1, nx);
        test_qmv(8, 896, qkv, 3, nx);
        test_qmv(4, 256, odd, 2, nx);
    }
    test_rope_rms();
    test_attend(14, 2, 64, 1);
    test_attend(14, 2, 64, 37);
    test_attend(14, 2, 64, 160);
    test_attend(8, 8, 128, 50);
    test_attend(4, 1, 32, 21);
    if (failures)
        fprintf(stderr, "%d failures\n", failures);
    else
        printf("PASS (threads %d)\n", em__num_threads());
    return failures ? 1 : 0;
}
