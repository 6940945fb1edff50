/* Kernels of MLX's affine quantization: quantize, dequantize, quantized matmul.
 * Values are packed into uint32 from the low bits up (bits 2, 4 or 8); each
 * group of gs values along the last axis has a scale and a bias: w = s * q + b.
 * Quantized matmul with x @ w.T (decode: one row of x) reads the packed
 * weights once, unpacking them in registers (AVX2 / AVX-512 when the CPU has
 * them); many rows of x (prefill) dequantize w and use OpenBLAS. */
#include "half.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "loops.h"
#include "qmatmul_simd.h"
#include "quantize.h"

static inline float ldf(const void *p, em_dtype t, int64_t i)
{
    switch (t) {
    case EM_FLOAT16: return em__half_to_float(((const uint16_t *)p)[i]);
    case EM_BFLOAT16: return em__bf16_to_float(((const uint16_t *)p)[i]);
    case EM_FLOAT64: return (float)((const double *)p)[i];
    default: return ((const float *)p)[i];
    }
}

static inline void stf(void *p, em_dtype t, int64_t i, float v)
{
    switch (t) {
    case EM_FLOAT16: ((uint16_t *)p)[i] = em__float_to_half(v); break;
    case EM_BFLOAT16: ((uint16_t *)p)[i] = em__float_to_bf16(v); break;
    case EM_FLOAT64: ((double *)p)[i] = v; break;
    default: ((float *)p)[i] = v; break;
    }
}

/* Row-major data of a: its own buffer when already so, else a dense copy in
 * *own (freed by the caller). NULL on allocation failure. */
static const void *dense(const em_array *a, void **own)
{
    *own = NULL;
    if (em__is_row_contiguous(a))
        return em__data(a);
    size_t e = em_dtype_size((em_dtype)a->dtype);
    char *d = malloc(a->size ? a->size * e : 1);
    if (!d)
        return NULL;
    const char *src = (const char *)a->buf->data;
    for (int64_t i = 0; i < a->size; i++) {
        int64_t off = a->offset, r = i;
        for (int k = a->ndim - 1; k >= 0; k--) {
            off += (r % a->shape[k]) * a->strides[k];
            r /= a->shape[k];
        }
        memcpy(d + i * e, src + off * e, e);
    }
    *own = d;
    return d;
}

/* ---- quantize ---- */
typedef struct {
    const void *w;
    em_dtype t;
    uint32_t *q;
    void *s, *b;
    int64_t K;
    int gs, bits;
} quant_job;

static void quant_range(void *ctx, int64_t begin, int64_t end)
{
    quant_job *j = ctx;
    int64_t ng = j->K / j->gs, wpr = j->K * j->bits / 32;
    int per = 32 / j->bits;
    float n_bins = (float)((1 << j->bits) - 1);
    for (int64_t r = begin; r < end; r++) {
        uint32_t *qr = j->q + r * wpr;
        memset(qr, 0, wpr * sizeof *qr);
        for (int64_t g = 0; g < ng; g++) {
            int64_t base = r * j->K + g * j->gs;
            float mx = -INFINITY, mn = INFINITY;
            for (int i = 0; i < j->gs; i++) {
                float v = ldf(j->w, j->t, base + i);
                mx = v > mx ? v : mx;
                mn = v < mn ? v : mn;
            }
            /* MLX: the edge of larger magnitude is represented exactly */
            bool lo_edge = fabsf(mn) > fabsf(mx);
            float scale = fmaxf((mx - mn) / n_bins, 1e-7f);
            scale = lo_edge ? scale : -scale;
            float edge = lo_edge ? mn : mx;
            float q0 = rintf(edge / scale);
            float bias = 0;
            if (q0 != 0) {
                scale = edge / q0;
                bias = edge;
            }
            stf(j->s, j->t, r * ng + g, scale);
            stf(j->b, j->t, r * ng + g, bias);
            for (int i = 0; i < j->gs; i++) {
                float q = rintf((ldf(j->w, j->t, base + i) - bias) / scale);
                q = q < 0 ? 0 : q > n_bins ? n_bins : q;
                int64_t k = g * j->gs + i;
                qr[k / per] |= (uint32_t)q << (j->bits * (k % per));
            }
        }
    }
}

static int quantize_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                           const em_params *p)
{
    em_array *w = ins[0];
    for (int i = 0; i < 3; i++)
        if (em__alloc_output(outs[i]) < 0)
            return -1;
    void *own;
    quant_job j = {.w = dense(w, &own), .t = (em_dtype)w->dtype, .q = em__data(outs[0]),
                   .s = em__data(outs[1]), .b = em__data(outs[2]), .K = w->shape[w->ndim - 1],
                   .gs = (int)p->i[0], .bits = (int)p->i[1]};
    if (!j.w)
        return em__error("quantize: out of memory");
    if (w->size)
        em__parallel_for(w->size / j.K, 1 + 65536 / j.K, quant_range, &j);
    free(own);
    return 0;
}

/* ---- dequantize ---- */
typedef struct {
    const uint32_t *q;
    const void *s, *b;
    em_dtype st;
    void *out;
    em_dtype ot;
    int64_t K;
    int gs, bits;
} deq_job;

static void deq_range(void *ctx, int64_t begin, int64_t end)
{
    deq_job *j = ctx;
    int64_t ng = j->K / j->gs, wpr = j->K * j->bits / 32;
    int per = 32 / j->bits;
    uint32_t m = (1u << j->bits) - 1;
    for (int64_t r = begin; r < end; r++) {
        const uint32_t *qr = j->q + r * wpr;
        for (int64_t g = 0; g < ng; g++) {
            float s = ldf(j->s, j->st, r * ng + g), b = ldf(j->b, j->st, r * ng + g);
            for (int i = 0; i < j->gs; i++) {
                int64_t k = g * j->gs + i;
                float q = (float)((qr[k / per] >> (j->bits * (k % per))) & m);
                stf(j->out, j->ot, r * j->K + k, s * q + b);
            }
        }
    }
}

static int dequant_into(const em_array *wq, const em_array *s, const em_array *b, int gs, int bits,
                        void *out, em_dtype ot)
{
    void *o1, *o2, *o3;
    deq_job j = {.q = dense(wq, &o1), .s = dense(s, &o2), .b = dense(b, &o3), .st = (em_dtype)s->dtype,
                 .out = out, .ot = ot, .K = wq->shape[wq->ndim - 1] * 32 / bits, .gs = gs, .bits = bits};
    int rc = 0;
    if (!j.q || !j.s || !j.b)
        rc = em__error("dequantize: out of memory");
    else if (wq->size)
        em__parallel_for(wq->size / wq->shape[wq->ndim - 1], 1 + 65536 / j.K, deq_range, &j);
    free(o1);
    free(o2);
    free(o3);
    return rc;
}

static int dequantize_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                             const em_params *p)
{
    if (em__alloc_output(outs[0]) < 0)
        return -1;
    return dequant_into(ins[0], ins[1], ins[2], (int)p->i[0], (int)p->i[1], em__data(outs[0]),
                        (em_dtype)outs[0]->dtype);
}

/* ---- quantized matmul ---- */
static float qrow_generic(const uint32_t *w, const float *s, const float *b, const float *x,
                          const float *xs, int64_t K, int gs, int bits)
{
    int per = 32 / bits;
    uint32_t m = (1u << bits) - 1;
    float acc = 0;
    for (int64_t g = 0; g < K / gs; g++) {
        float d = 0;
        for (int i = 0; i < gs; i++) {
            int64_t k = g * gs + i;
            d += (float)((w[k / per] >> (bits * (k % per))) & m) * x[k];
        }
        acc += s[g] * d + b[g] * xs[g];
    }
    return acc;
}

/* EMBER_QMATMUL_ISA=c|avx2|avx512-novnni|avx512-int16|avx512 caps the path
 * (tests, benchmarks): avx512 with VNNI takes 4-bit x as int8 levels
 * (vpdpbusd), avx512-int16 the int16 levels of the other kernels. */
static int qmv_isa(void)
{
    static int isa = -1; /* 0 c, 1 avx2, 2 avx512, 3 avx512 + vnni, 4 the same with int8 x */
    if (isa < 0) {
        const char *env = getenv("EMBER_QMATMUL_ISA");
        int best = 0;
#if defined(__x86_64__)
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
            best = 1;
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
            __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
            best = __builtin_cpu_supports("avx512vnni") ? 4 : 2;
#endif
        int want = !env ? 4
                   : !strcmp(env, "avx512") ? 4
                   : !strcmp(env, "avx512-int16") ? 3
                   : !strcmp(env, "avx512-novnni") ? 2
                   : !strcmp(env, "avx2") ? 1 : 0;
        isa = want < best ? want : best; /* a race here writes the same value */
    }
    return isa;
}

/* The dot kernel of (bits, K) on this CPU and its 4-bit x layout block; NULL
 * for the plain C path (2 bits, no AVX2). */
static em_qdot_fn pick_dot(int bits, int64_t K, int *block)
{
    int isa = qmv_isa();
#if defined(__x86_64__)
    if (bits == 4 && isa >= 2 && K % 64 == 0) {
        *block = EM_QMV_BLOCK_AVX512;
        return isa >= 3 ? em__qdot_b4_avx512vnni : em__qdot_b4_avx512;
    }
    if (bits == 8 && isa >= 2) {
        *block = 0;
        return isa >= 3 ? em__qdot_b8_avx512vnni : em__qdot_b8_avx512;
    }
    if (isa >= 1 && (bits == 4 || bits == 8)) {
        *block = bits == 4 ? EM_QMV_BLOCK_AVX2 : 0;
        return bits == 4 ? em__qdot_b4_avx2 : em__qdot_b8_avx2;
    }
#endif
    *block = 0;
    return NULL;
}

/* The vpdpbusd kernel of (bits, K, gs) (x as int8 levels), or NULL. */
static em_qdot8_fn pick_dot8(int bits, int64_t K, int gs)
{
#if defined(__x86_64__)
    if (bits == 4 && qmv_isa() == 4 && K % 128 == 0 && (gs == 32 || gs == 64 || gs == 128))
        return em__qdot8_b4_avx512vnni;
#endif
    return NULL;
}

/* x (M rows of K, float) in the kernels' form (qmatmul_simd.h): xh, xl (M*K)
 * and dx (M*ng); 4-bit rows reordered within blocks of `block` values. */
static void qmv_prep(const float *x, int64_t M, int64_t K, int gs, int block, int16_t *xh,
                     int16_t *xl, float *dx)
{
    int64_t ng = K / gs;
    for (int64_t i = 0; i < M * ng; i++) {
        const float *xg = x + i * gs;
        float mx = 0;
        for (int k = 0; k < gs; k++)
            mx = fmaxf(mx, fabsf(xg[k]));
        double d = (float)(mx / 32767.0), inv = mx > 0 ? 1.0 / d : 0;
        dx[i] = (float)d;
        for (int k = 0; k < gs; k++) {
            double h = rint(xg[k] * inv);
            h = h > 32767 ? 32767 : h < -32767 ? -32767 : h;
            double l = rint((xg[k] - h * d) * inv * 32768.0);
            l = l > 32767 ? 32767 : l < -32767 ? -32767 : l;
            int64_t pos = i * gs + k;
            if (block) { /* evens first, then odds, within each block */
                int64_t j = pos % block;
                pos += (j & 1 ? block / 2 : 0) + j / 2 - j;
            }
            xh[pos] = (int16_t)h;
            xl[pos] = (int16_t)l;
        }
    }
}

typedef struct {
    em_qdot_fn dot;
    em_qdot8_fn dot8; /* instead of dot: x as xq */
    const int8_t *xq;
    const uint8_t *w;
    const void *s, *b;
    em_dtype st;
    const float *x, *xs, *dx; /* x float (C path), group sums, x steps */
    const int16_t *xh, *xl;
    float *out;
    int64_t M, N, K;
    int gs, bits;
} qmv_job;

/* Rows [4 begin, 4 end) of w, clipped to N; the SIMD row kernels prefetch
 * on into tail (tail_bytes of weights this thread reads next) when given. */
static void qmv_rows(qmv_job *j, int64_t begin, int64_t end, const uint8_t *tail, int64_t tail_bytes)
{
    bool simd = j->dot || j->dot8;
    int64_t ng = j->K / j->gs, rb = j->K * j->bits / 8;
    float stack[8 * 256], *s = stack;
    if (ng > 256 && !simd) {
        s = malloc(8 * ng * sizeof *s);
        if (!s)
            return;
    }
    float *b = s + 4 * ng; /* 4 rows of scales and biases (C path) */
    /* the kernels prefetch four rows at least 16 KB ahead (short rows: the
     * next four alone are too close to cover the memory's latency; 16 KB
     * measured a little faster than 8 in the 4-bit decode on the 2-core
     * EPYC machine) */
    int64_t pf_rows = 4 * (16384 > 4 * rb ? (16384 + 4 * rb - 1) / (4 * rb) : 1);
#if defined(__x86_64__)
    if ((j->dot == em__qdot_b8_avx512vnni || j->dot == em__qdot_b8_avx512) && j->M == 1) {
        int st = j->st == EM_FLOAT16 ? EM_QST_F16 : j->st == EM_BFLOAT16 ? EM_QST_BF16 : EM_QST_F32;
        (j->dot == em__qdot_b8_avx512vnni ? em__qmv_rows_b8_avx512vnni : em__qmv_rows_b8_avx512)(
            j->w, rb, j->s, j->b, st, ng, j->xh, j->xl, j->dx, j->xs, j->K, j->gs, 4 * begin, 4 * end, j->N,
            pf_rows, tail, tail_bytes, j->out);
        return;
    }
    if (j->dot8 == em__qdot8_b4_avx512vnni && j->M == 1) { /* the row loop inside the kernel */
        int st = j->st == EM_FLOAT16 ? EM_QST_F16 : j->st == EM_BFLOAT16 ? EM_QST_BF16 : EM_QST_F32;
        for (int64_t m = 0; m < j->M; m++)
            em__qmv8_rows_b4_avx512vnni(j->w, rb, j->s, j->b, st, ng, j->xq + 3 * m * j->K, j->dx + m * ng,
                                        j->xs + m * ng, j->K, j->gs, 4 * begin, 4 * end, j->N, pf_rows,
                                        tail, tail_bytes, j->out + m * j->N);
        return;
    }
#endif
    for (int64_t n0 = 4 * begin; n0 < 4 * end && n0 < j->N; n0 += 4) {
        int nr = j->N - n0 < 4 ? (int)(j->N - n0) : 4;
        for (int r = 0; r < nr && !simd; r++) {
            int64_t n = n0 + r;
            if (j->st == EM_FLOAT32) {
                memcpy(s + r * ng, (const float *)j->s + n * ng, ng * sizeof *s);
                memcpy(b + r * ng, (const float *)j->b + n * ng, ng * sizeof *b);
            } else {
                for (int64_t g = 0; g < ng; g++) {
                    s[r * ng + g] = ldf(j->s, j->st, n * ng + g);
                    b[r * ng + g] = ldf(j->b, j->st, n * ng + g);
                }
            }
        }
        if (simd && n0 + 4 < j->N) { /* the next rows' scales and biases */
            size_t e = em_dtype_size(j->st);
            const char *ps = (const char *)j->s + (n0 + 4) * ng * e;
            const char *pb = (const char *)j->b + (n0 + 4) * ng * e;
            for (int64_t o = 0; o < 4 * ng * (int64_t)e; o += 64) {
                __builtin_prefetch(ps + o);
                __builtin_prefetch(pb + o);
            }
        }
        for (int64_t m = 0; m < j->M; m++) {
            const float *xs = j->xs + m * ng;
            float res[4];
            if (simd) {
                const uint8_t *wr[4];
                const void *sr[4], *br[4];
                size_t e = em_dtype_size(j->st);
                for (int r = 0; r < 4; r++) {
                    int64_t n = n0 + (r < nr ? r : 0);
                    wr[r] = j->w + n * rb;
                    sr[r] = (const char *)j->s + n * ng * e;
                    br[r] = (const char *)j->b + n * ng * e;
                }
                int st = j->st == EM_FLOAT16 ? EM_QST_F16 : j->st == EM_BFLOAT16 ? EM_QST_BF16 : EM_QST_F32;
                /* the four rows pf_rows ahead, or these again at the end */
                const uint8_t *pf = j->w + (n0 + pf_rows < j->N ? n0 + pf_rows : n0) * rb;
                if (j->dot8)
                    j->dot8(wr, pf, sr, br, st, j->xq + 3 * m * j->K, j->dx + m * ng, xs, j->K, j->gs, res);
                else
                    j->dot(wr, pf, sr, br, st, j->xh + m * j->K, j->xl + m * j->K, j->dx + m * ng, xs, j->K,
                           j->gs, res);
            } else {
                for (int r = 0; r < nr; r++)
                    res[r] = qrow_generic((const uint32_t *)(j->w + (n0 + r) * rb), s + r * ng,
                                          b + r * ng, j->x + m * j->K, xs, j->K, j->gs, j->bits);
            }
            for (int r = 0; r < nr; r++)
                j->out[m * j->N + n0 + r] = res[r];
        }
    }
    if (s != stack)
        free(s);
}

static void qmv_range(void *ctx, int64_t begin, int64_t end) { qmv_rows(ctx, begin, end, NULL, 0); }

/* x's group sums xs and, for the dot kernels, its kernel form (qmv_prep) */
static void qmv_prepare(const float *x, int64_t M, int64_t K, int gs, int block, bool dot, int16_t *xh,
                        int16_t *xl, int8_t *xq, float *dx, float *xs)
{
#if defined(__x86_64__)
    if (xq) { /* for a dot8 kernel */
        em__qmv_prep8_avx512(x, M, K, gs, xq, dx, xs);
        return;
    }
    if (dot && qmv_isa() >= 2 && gs % 16 == 0 && (block == 0 || block == EM_QMV_BLOCK_AVX512)) {
        em__qmv_prep_avx512(x, M, K, gs, block, xh, xl, dx, xs);
        return;
    }
#endif
    for (int64_t i = 0; i < M * (K / gs); i++) {
        double t = 0;
        for (int k = 0; k < gs; k++)
            t += x[i * gs + k];
        xs[i] = (float)t;
    }
    if (dot)
        qmv_prep(x, M, K, gs, block, xh, xl, dx);
}

/* ---- decoding's direct path (quantize.h) ---- */

static bool ready(const em_array *a)
{
    return a && a->buf && (a->flags & EM_F_EVALUATED) && em__is_row_contiguous(a);
}

/* Several matrices read as one sequence of blocks of four rows: item i has
 * blocks [first[i], first[i + 1]); w its weights, rb bytes a row. */
typedef struct {
    const uint8_t *w[EM_QMV_MAX_ITEMS];
    int64_t rb[EM_QMV_MAX_ITEMS], first[EM_QMV_MAX_ITEMS + 1];
    int n;
} qmv_seq;

/* The weights from block `at` of the sequence up to block `end`: where they
 * start and how many bytes follow in that item. */
static const uint8_t *seq_at(const qmv_seq *q, int64_t at, int64_t end, int64_t *bytes)
{
    for (int i = 0; i < q->n; i++)
        if (at < q->first[i + 1]) {
            int64_t stop = end < q->first[i + 1] ? end : q->first[i + 1];
            *bytes = (stop - at) * 4 * q->rb[i];
            return q->w[i] + (at - q->first[i]) * 4 * q->rb[i];
        }
    *bytes = 0;
    return NULL;
}

typedef struct {
    qmv_job *jobs;
    qmv_seq cur, next; /* next: the call after this one (next.n 0: unknown) */
    int64_t first, part, next_first, next_part; /* em__parallel_split's parts of each */
} qmv_multi;

/* One thread's part [begin, end): each item's rows, the prefetches running on
 * into the next item of the part, and from its end into the same part of the
 * next call (whose first rows are then in cache when it starts). */
static void qmv_multi_range(void *ctx, int64_t begin, int64_t end)
{
    const qmv_multi *mj = ctx;
    for (int i = 0; i < mj->cur.n; i++) {
        int64_t a = mj->cur.first[i], b = mj->cur.first[i + 1];
        int64_t lo = begin > a ? begin : a, hi = end < b ? end : b;
        if (lo >= hi)
            continue;
        int64_t tb = 0;
        const uint8_t *tail = NULL;
        if (hi < end) {
            tail = seq_at(&mj->cur, hi, end, &tb);
        } else if (mj->next.n && mj->part > 0) {
            /* part k of this call: part k of the next */
            int64_t k = begin < mj->first ? 0 : 1 + (begin - mj->first) / mj->part;
            int64_t at = k == 0 ? 0 : mj->next_first + (k - 1) * mj->next_part;
            int64_t to = k == 0 ? mj->next_first : at + mj->next_part;
            tail = seq_at(&mj->next, at, to, &tb);
        }
        qmv_rows(&mj->jobs[i], lo - a, hi - a, tail, tb);
    }
}

/* The caller's lead in blocks of four rows: about what a thread streams in
 * the microsecond a worker takes to start. Measured on the 4-bit decode (2
 * threads): the caller then waits 0.5 us a call for the worker instead of
 * about 1-2; with 64 KB the caller became the one that finishes last. */
#define QMV_LEAD_BYTES (32 << 10)
static int64_t qmv_lead(const qmv_seq *q)
{
    return q->n ? QMV_LEAD_BYTES / (4 * q->rb[0]) : 0;
}

/* items as a sequence; false when one is not a ready (N, K bits / 32) uint32 matrix */
static bool seq_of(const em_qmv_item *it, int n, qmv_seq *q)
{
    q->n = 0;
    q->first[0] = 0;
    for (int i = 0; i < n && i < EM_QMV_MAX_ITEMS; i++) {
        const em_array *w = it[i].w;
        if (!ready(w) || w->dtype != EM_UINT32 || w->ndim != 2)
            return false;
        q->w[i] = em__data(w);
        q->rb[i] = w->shape[1] * 4;
        q->first[i + 1] = q->first[i] + (w->shape[0] + 3) / 4;
        q->n = i + 1;
    }
    return true;
}

int em__qmv_direct(const float *x, int64_t K, const em_qmv_item *it, int n, const em_qmv_item *next,
                   int n_next)
{
    if (n < 1 || n > EM_QMV_MAX_ITEMS || K <= 0)
        return 1;
    int gs = it[0].group_size, form = -2; /* x's form: the int16 block, or -1 for int8 levels */
    qmv_job jobs[EM_QMV_MAX_ITEMS];
    for (int i = 0; i < n; i++) {
        const em_qmv_item *q = &it[i];
        int b = -1;
        em_qdot8_fn dot8 = q->group_size == gs ? pick_dot8(q->bits, K, gs) : NULL;
        em_qdot_fn dot = q->group_size == gs && !dot8 ? pick_dot(q->bits, K, &b) : NULL;
        if ((!dot && !dot8) || (form != -2 && b != form) || K % gs || !ready(q->w) || !ready(q->scales) ||
            !ready(q->biases) || q->w->dtype != EM_UINT32 || q->w->ndim != 2 || q->scales->ndim != 2 ||
            q->biases->ndim != 2 || q->scales->dtype != q->biases->dtype ||
            (q->scales->dtype != EM_FLOAT32 && q->scales->dtype != EM_FLOAT16 &&
             q->scales->dtype != EM_BFLOAT16))
            return 1;
        int64_t N = q->w->shape[0];
        if (q->w->shape[1] * 32 != K * q->bits || q->scales->shape[0] != N || q->biases->shape[0] != N ||
            q->scales->shape[1] != K / gs || q->biases->shape[1] != K / gs)
            return 1;
        form = b;
        jobs[i] = (qmv_job){.dot = dot, .dot8 = dot8, .w = em__data(q->w), .s = em__data(q->scales),
                            .b = em__data(q->biases), .st = (em_dtype)q->scales->dtype, .out = q->y,
                            .M = 1, .N = N, .K = K, .gs = gs, .bits = q->bits};
    }
    int64_t ng = K / gs;
    /* xh and xl (int16), or xq (int8, 3 K bytes) */
    int16_t *xh = malloc(2 * K * sizeof *xh);
    float *dx = malloc(2 * ng * sizeof *dx);
    if (!xh || !dx) {
        free(xh);
        free(dx);
        return em__error("quantized matvec: out of memory");
    }
    int16_t *xl = xh + K;
    int8_t *xq = form == -1 ? (int8_t *)xh : NULL;
    float *xs = dx + ng;
    qmv_prepare(x, 1, K, gs, form, true, xh, xl, xq, dx, xs);
    for (int i = 0; i < n; i++) {
        jobs[i].x = x;
        jobs[i].xs = xs;
        jobs[i].dx = dx;
        jobs[i].xh = xh;
        jobs[i].xl = xl;
        jobs[i].xq = xq;
    }
    qmv_multi mj = {.jobs = jobs};
    seq_of(it, n, &mj.cur); /* the items were checked above: it holds */
    if (!next || !seq_of(next, n_next, &mj.next))
        mj.next.n = 0;
    /* one sequential stream a thread (dynamic chunks would restart the
     * prefetching at each), or inline when the whole is small */
    int64_t total = mj.cur.first[n], nn = mj.next.first[mj.next.n]; /* blocks of four rows */
    if (total < 2 * (1 + 65536 / (4 * K + 1))) {
        mj.first = mj.part = total;
        mj.next_first = mj.next_part = nn;
        qmv_multi_range(&mj, 0, total);
    } else {
        int64_t lead = qmv_lead(&mj.cur), nlead = mj.next.n ? qmv_lead(&mj.next) : 0;
        mj.first = em__parallel_split_first(total, lead);
        mj.part = em__parallel_split_size(total, lead);
        mj.next_first = em__parallel_split_first(nn, nlead);
        mj.next_part = em__parallel_split_size(nn, nlead);
        em__parallel_split(total, lead, qmv_multi_range, &mj);
    }
    free(xh);
    free(dx);
    return 0;
}

/* inputs x (M, K) dense after the op's reshape, wq, scales, biases;
 * params i[0] gs, i[1] bits, i[2] transpose */
static int qmatmul_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                          const em_params *p)
{
    em_array *out = outs[0], *x = ins[0], *wq = ins[1], *sc = ins[2], *bi = ins[3];
    if (em__alloc_output(out) < 0)
        return -1;
    int gs = (int)p->i[0], bits = (int)p->i[1];
    bool tr = p->i[2];
    int64_t K = x->shape[x->ndim - 1], M = K ? x->size / K : 0;
    int64_t N = out->shape[out->ndim - 1];
    if (out->size == 0)
        return 0;
    em_dtype ot = (em_dtype)out->dtype;
    /* x as dense float32, and its group sums */
    float *xf = malloc((M * K + 1) * sizeof *xf);
    float *of = ot == EM_FLOAT32 ? em__data(out) : malloc(M * N * sizeof *of);
    void *o1 = NULL, *o2 = NULL, *o3 = NULL, *o4 = NULL;
    const void *xd = dense(x, &o1);
    int rc = 0;
    if (!xf || !of || !xd) {
        rc = em__error("quantized_matmul: out of memory");
        goto done;
    }
    for (int64_t i = 0; i < M * K; i++)
        xf[i] = ldf(xd, (em_dtype)x->dtype, i);
    if (tr && M < 16) {
        int64_t ng = K / gs;
        int block = 0;
        em_qdot_fn dot = pick_dot(bits, K, &block);
        em_qdot8_fn dot8 = pick_dot8(bits, K, gs);
        em_dtype st = (em_dtype)sc->dtype;
        if (st != EM_FLOAT32 && st != EM_FLOAT16 && st != EM_BFLOAT16)
            dot = NULL, dot8 = NULL;
        if (dot8)
            dot = NULL;
        float *xs = malloc((M * ng + 1) * sizeof *xs), *dx = malloc((M * ng + 1) * sizeof *dx);
        int16_t *xh = dot ? malloc((M * K + 1) * sizeof *xh) : NULL;
        int16_t *xl = dot ? malloc((M * K + 1) * sizeof *xl) : NULL;
        int8_t *xq = dot8 ? malloc(3 * M * K + 1) : NULL;
        qmv_job j = {.dot = dot, .dot8 = dot8, .xq = xq, .w = dense(wq, &o2), .s = dense(sc, &o3),
                     .b = dense(bi, &o4), .st = (em_dtype)sc->dtype, .x = xf, .xs = xs, .dx = dx, .xh = xh,
                     .xl = xl, .out = of, .M = M, .N = N, .K = K, .gs = gs, .bits = bits};
        if (!xs || !dx || (dot && (!xh || !xl)) || (dot8 && !xq) || !j.w || !j.s || !j.b) {
            free(xs);
            free(dx);
            free(xh);
            free(xl);
            free(xq);
            rc = em__error("quantized_matmul: out of memory");
            goto done;
        }
        qmv_prepare(xf, M, K, gs, block, dot != NULL, xh, xl, xq, dx, xs);
        int64_t blocks = (N + 3) / 4;
        em__parallel_for(blocks, 1 + 65536 / (4 * K * M + 1), qmv_range, &j);
        free(xs);
        free(dx);
        free(xh);
        free(xl);
        free(xq);
    } else {
        /* dequantize w to float32 and multiply with OpenBLAS */
        const em_blas *blas = em__blas();
        float *wf = malloc((N * K + 1) * sizeof *wf);
        if (!blas || !wf) {
            free(wf);
            rc = blas ? em__error("quantized_matmul: out of memory") : -1;
            goto done;
        }
        rc = dequant_into(wq, sc, bi, gs, bits, wf, EM_FLOAT32);
        if (rc == 0) {
            if (tr) /* wf is (N, K) */
                blas->sgemm(EM_CBLAS_ROW_MAJOR, EM_CBLAS_NO_TRANS, EM_CBLAS_TRANS, (int)M, (int)N,
                            (int)K, 1.0f, xf, (int)K, wf, (int)K, 0.0f, of, (int)N);
            else /* wf is (K, N) */
                blas->sgemm(EM_CBLAS_ROW_MAJOR, EM_CBLAS_NO_TRANS, EM_CBLAS_NO_TRANS, (int)M, (int)N,
                            (int)K, 1.0f, xf, (int)K, wf, (int)N, 0.0f, of, (int)N);
        }
        free(wf);
    }
    if (rc == 0 && ot != EM_FLOAT32)
        for (int64_t i = 0; i < M * N; i++)
            stf(em__data(out), ot, i, of[i]);
done:
    free(xf);
    if (of && ot != EM_FLOAT32)
        free(of);
    free(o1);
    free(o2);
    free(o3);
    free(o4);
    return rc;
}

__attribute__((constructor)) static void register_quantize(void)
{
    em__cpu_register(EM_P_QUANTIZE, quantize_kernel);
    em__cpu_register(EM_P_DEQUANTIZE, dequantize_kernel);
    em__cpu_register(EM_P_QUANTIZED_MATMUL, qmatmul_kernel);
}
