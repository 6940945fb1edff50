/* Kernels of the fused primitives: softmax, log_softmax, rms_norm, layer_norm
 * (over the last axis), rope and scaled dot-product attention. One pass per
 * row, rows spread over the thread pool; half types are computed in float32,
 * float64 in double. Inputs may be strided: rows are located per row (one
 * division per dimension per row, none per element).
 *
 * The float32 row functions are compiled three times (baseline, AVX2,
 * AVX-512; isa.h) and the rows kernel, built once, takes the best build's.
 * glibc declares its vector expf/logf (libmvec) only under __FAST_MATH__, so
 * it is defined here (as in unary.c) to let gcc vectorise the exp passes;
 * nothing else depends on fast-math semantics. */
#ifndef __FAST_MATH__
#define __FAST_MATH__ 1
#endif
#include "half.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "isa.h"
#include "loops.h"

/* ---- float32 rows (per instruction set): short passes over a row that sits
 * in L1; reductions keep FL independent lanes so they vectorise ---- */
#define FL 16

static float max_f(const float *x, int64_t n)
{
    float mv[FL];
    for (int k = 0; k < FL; k++)
        mv[k] = -INFINITY;
    int64_t i = 0;
    for (; i + FL <= n; i += FL)
        for (int k = 0; k < FL; k++)
            mv[k] = x[i + k] > mv[k] ? x[i + k] : mv[k];
    float m = -INFINITY;
    for (; i < n; i++)
        m = x[i] > m ? x[i] : m;
    for (int k = 0; k < FL; k++)
        m = mv[k] > m ? mv[k] : m;
    return m;
}

/* sum of x, or of x * x when sq */
static float sum_f(const float *x, int64_t n, bool sq)
{
    float sv[FL] = {0};
    int64_t i = 0;
    if (sq)
        for (; i + FL <= n; i += FL)
            for (int k = 0; k < FL; k++)
                sv[k] += x[i + k] * x[i + k];
    else
        for (; i + FL <= n; i += FL)
            for (int k = 0; k < FL; k++)
                sv[k] += x[i + k];
    float s = 0;
    for (; i < n; i++)
        s += sq ? x[i] * x[i] : x[i];
    for (int w = FL / 2; w > 0; w /= 2)
        for (int k = 0; k < w; k++)
            sv[k] += sv[k + w];
    return s + sv[0];
}

static void softmax_row_f(float *x, int64_t n, bool log_out)
{
    float m = max_f(x, n);
    if (m == -INFINITY)
        m = 0;
    if (log_out) {
        float t[256], s = 0;
        for (int64_t i = 0; i < n; i += 256) {
            int64_t c = n - i < 256 ? n - i : 256;
            for (int64_t k = 0; k < c; k++)
                t[k] = expf(x[i + k] - m);
            s += sum_f(t, c, false);
        }
        float l = logf(s);
        for (int64_t i = 0; i < n; i++)
            x[i] = (x[i] - m) - l;
        return;
    }
    for (int64_t i = 0; i < n; i++)
        x[i] = expf(x[i] - m);
    float inv = 1.0f / sum_f(x, n, false);
    for (int64_t i = 0; i < n; i++)
        x[i] *= inv;
}

static void rms_row_f(float *x, int64_t n, const float *w, double eps)
{
    float k = 1.0f / sqrtf(sum_f(x, n, true) / (float)n + (float)eps);
    if (w)
        for (int64_t i = 0; i < n; i++)
            x[i] = x[i] * k * w[i];
    else
        for (int64_t i = 0; i < n; i++)
            x[i] *= k;
}

static void ln_row_f(float *x, int64_t n, const float *w, const float *b, double eps)
{
    float mu = sum_f(x, n, false) / (float)n;
    for (int64_t i = 0; i < n; i++)
        x[i] -= mu;
    float k = 1.0f / sqrtf(sum_f(x, n, true) / (float)n + (float)eps);
    if (w && b)
        for (int64_t i = 0; i < n; i++)
            x[i] = x[i] * k * w[i] + b[i];
    else if (w)
        for (int64_t i = 0; i < n; i++)
            x[i] = x[i] * k * w[i];
    else if (b)
        for (int64_t i = 0; i < n; i++)
            x[i] = x[i] * k + b[i];
    else
        for (int64_t i = 0; i < n; i++)
            x[i] *= k;
}

/* dot(a, b) in eight interleaved partial sums (vectorised; a single running
 * sum waits on each add: decoding's scores over a long cache took most of
 * the attention's time) */
static inline float sdpa_dot(const float *a, const float *b, int64_t n)
{
    float acc[8] = {0};
    int64_t e = 0;
    for (; e + 8 <= n; e += 8)
        for (int l = 0; l < 8; l++)
            acc[l] += a[e + l] * b[e + l];
    float d = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; e < n; e++)
        d += a[e] * b[e];
    return d;
}

#if defined(__AVX512F__)
#include <immintrin.h>
/* lane i = the sum of v[i]'s lanes, for 16 vectors at once: pairs
 * interleaved, then quads, then 128-bit blocks (45 operations, against about
 * 5 for each vector's own horizontal sum) */
static inline __m512 sum16(const __m512 v[16])
{
    __m512 w[8], x[4];
    for (int i = 0; i < 8; i++)
        w[i] = _mm512_add_ps(_mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]), _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1]));
    for (int i = 0; i < 4; i++)
        x[i] = _mm512_add_ps(_mm512_shuffle_ps(w[2 * i], w[2 * i + 1], 0x44),
                             _mm512_shuffle_ps(w[2 * i], w[2 * i + 1], 0xEE));
    __m512 z01 = _mm512_add_ps(_mm512_shuffle_f32x4(x[0], x[1], 0x88), _mm512_shuffle_f32x4(x[0], x[1], 0xDD));
    __m512 z23 = _mm512_add_ps(_mm512_shuffle_f32x4(x[2], x[3], 0x88), _mm512_shuffle_f32x4(x[2], x[3], 0xDD));
    return _mm512_add_ps(_mm512_shuffle_f32x4(z01, z23, 0x88), _mm512_shuffle_f32x4(z01, z23, 0xDD));
}
#endif

/* sc[t] = scale dot(q, k + t ks) for t < n: the attention's scores. With
 * AVX-512 and D a multiple of 16, sixteen keys at a time whose partial sums
 * are reduced together (decoding's one query over a long cache spent most of
 * its time in the per-key horizontal sums). */
#if defined(__AVX512F__)
/* scores_row_f's blocks of 16 keys from t, D a multiple of 16: as a constant
 * (the head sizes of the models, 64 and 128), q stays in registers and the
 * 16 keys' chains are unrolled; the same operations either way */
static inline __attribute__((always_inline)) int64_t scores16(const float *q, const float *k, int64_t ks,
                                                             int64_t D, int64_t t, int64_t n, float scale,
                                                             float *sc)
{
    __m512 sv = _mm512_set1_ps(scale);
    for (; t + 16 <= n; t += 16) {
        __m512 v[16];
        for (int i = 0; i < 16; i++) {
            const float *kr = k + (t + i) * ks;
            __m512 a = _mm512_mul_ps(_mm512_loadu_ps(q), _mm512_loadu_ps(kr));
            for (int64_t d = 16; d < D; d += 16)
                a = _mm512_fmadd_ps(_mm512_loadu_ps(q + d), _mm512_loadu_ps(kr + d), a);
            v[i] = a;
        }
        _mm512_storeu_ps(sc + t, _mm512_mul_ps(sum16(v), sv));
    }
    return t;
}
#endif

static void scores_row_f(const float *q, const float *k, int64_t ks, int64_t D, int64_t n, float scale, float *sc)
{
    int64_t t = 0;
#if defined(__AVX512F__)
    if (D == 64)
        t = scores16(q, k, ks, 64, t, n, scale, sc);
    else if (D == 128)
        t = scores16(q, k, ks, 128, t, n, scale, sc);
    else if (D % 16 == 0)
        t = scores16(q, k, ks, D, t, n, scale, sc);
#endif
    for (; t < n; t++)
        sc[t] = sdpa_dot(q, k + t * ks, D) * scale;
}

typedef struct {
    void (*softmax)(float *x, int64_t n, bool log_out);
    void (*rms)(float *x, int64_t n, const float *w, double eps);
    void (*ln)(float *x, int64_t n, const float *w, const float *b, double eps);
    void (*scores)(const float *q, const float *k, int64_t ks, int64_t D, int64_t n, float scale, float *sc);
} fast_rows;

const void *EM_ISA_FN(em__fast_rows)(void)
{
    static const fast_rows r = {softmax_row_f, rms_row_f, ln_row_f, scores_row_f};
    return &r;
}

#if EM_ISA_IS_BASE

/* Element offset of row r (rows of the last axis) of a. */
static int64_t row_offset(const em_array *a, int64_t r)
{
    int64_t off = 0;
    for (int d = a->ndim - 2; d >= 0 && r; d--) {
        int64_t n = a->shape[d];
        off += (r % n) * a->strides[d];
        r /= n;
    }
    return off;
}

static int64_t last_stride(const em_array *a) { return a->ndim ? a->strides[a->ndim - 1] : 1; }

/* Row i/o in float (f16, bf16, f32) or double (f64). */
static void load_f(const em_array *a, int64_t r, int64_t n, float *dst)
{
    int64_t s = last_stride(a);
    const char *base = (const char *)em__data(a);
    int64_t off = row_offset(a, r);
    switch (a->dtype) {
    case EM_FLOAT32: {
        const float *p = (const float *)base + off;
        if (s == 1)
            memcpy(dst, p, n * sizeof(float));
        else
            for (int64_t i = 0; i < n; i++) dst[i] = p[i * s];
        break;
    }
    case EM_FLOAT16: {
        const uint16_t *p = (const uint16_t *)base + off;
        for (int64_t i = 0; i < n; i++) dst[i] = em__half_to_float(p[i * s]);
        break;
    }
    case EM_BFLOAT16: {
        const uint16_t *p = (const uint16_t *)base + off;
        for (int64_t i = 0; i < n; i++) dst[i] = em__bf16_to_float(p[i * s]);
        break;
    }
    default: break;
    }
}

static void store_f(em_array *o, int64_t r, int64_t n, const float *src)
{
    char *base = (char *)em__data(o);
    switch (o->dtype) {
    case EM_FLOAT32: memcpy((float *)base + r * n, src, n * sizeof(float)); break;
    case EM_FLOAT16: {
        uint16_t *p = (uint16_t *)base + r * n;
        for (int64_t i = 0; i < n; i++) p[i] = em__float_to_half(src[i]);
        break;
    }
    case EM_BFLOAT16: {
        uint16_t *p = (uint16_t *)base + r * n;
        for (int64_t i = 0; i < n; i++) p[i] = em__float_to_bf16(src[i]);
        break;
    }
    default: break;
    }
}

static void load_d(const em_array *a, int64_t r, int64_t n, double *dst)
{
    int64_t s = last_stride(a);
    const double *p = (const double *)em__data(a) + row_offset(a, r);
    for (int64_t i = 0; i < n; i++)
        dst[i] = p[i * s];
}

/* ---- the row computations, for T = float and double ---- */
#define ROW_FUNCS(T, SFX, EXP, LOG, SQRT)                                          \
    static void softmax_row_##SFX(T *x, int64_t n, bool log_out)                   \
    {                                                                              \
        T m = -INFINITY;                                                           \
        for (int64_t i = 0; i < n; i++)                                            \
            m = x[i] > m ? x[i] : m;                                               \
        if (m == -INFINITY)                                                        \
            m = 0;                                                                 \
        T s = 0;                                                                   \
        if (log_out) {                                                             \
            for (int64_t i = 0; i < n; i++)                                        \
                s += EXP(x[i] - m);                                                \
            T l = LOG(s);                                                          \
            for (int64_t i = 0; i < n; i++)                                        \
                x[i] = (x[i] - m) - l;                                             \
        } else {                                                                   \
            for (int64_t i = 0; i < n; i++) {                                      \
                x[i] = EXP(x[i] - m);                                              \
                s += x[i];                                                         \
            }                                                                      \
            T inv = (T)1 / s;                                                      \
            for (int64_t i = 0; i < n; i++)                                        \
                x[i] *= inv;                                                       \
        }                                                                          \
    }                                                                              \
    static void rms_row_##SFX(T *x, int64_t n, const T *w, double eps)             \
    {                                                                              \
        T ss = 0;                                                                  \
        for (int64_t i = 0; i < n; i++)                                            \
            ss += x[i] * x[i];                                                     \
        T k = (T)1 / SQRT(ss / (T)n + (T)eps);                                     \
        if (w)                                                                     \
            for (int64_t i = 0; i < n; i++)                                        \
                x[i] = x[i] * k * w[i];                                            \
        else                                                                       \
            for (int64_t i = 0; i < n; i++)                                        \
                x[i] *= k;                                                         \
    }                                                                              \
    static void ln_row_##SFX(T *x, int64_t n, const T *w, const T *b, double eps)  \
    {                                                                              \
        T s = 0;                                                                   \
        for (int64_t i = 0; i < n; i++)                                            \
            s += x[i];                                                             \
        T mu = s / (T)n, v = 0;                                                    \
        for (int64_t i = 0; i < n; i++) {                                          \
            x[i] -= mu;                                                            \
            v += x[i] * x[i];                                                      \
        }                                                                          \
        T k = (T)1 / SQRT(v / (T)n + (T)eps);                                      \
        for (int64_t i = 0; i < n; i++)                                            \
            x[i] = x[i] * k * (w ? w[i] : (T)1) + (b ? b[i] : (T)0);               \
    }
ROW_FUNCS(double, d, exp, log, sqrt)

/* ---- softmax, log_softmax, rms_norm, layer_norm ---- */
typedef struct {
    em_prim_id prim;
    em_array *out, *x;
    int64_t n;
    const void *w, *b; /* dense float or double copies of the weight and bias */
    double eps;
} rows_job;

static void rows_range(void *ctx, int64_t begin, int64_t end)
{
    rows_job *j = ctx;
    int64_t n = j->n;
    if (j->x->dtype == EM_FLOAT64) {
        for (int64_t r = begin; r < end; r++) {
            double *x = (double *)em__data(j->out) + r * n;
            load_d(j->x, r, n, x);
            switch (j->prim) {
            case EM_P_SOFTMAX: softmax_row_d(x, n, false); break;
            case EM_P_LOG_SOFTMAX: softmax_row_d(x, n, true); break;
            case EM_P_RMS_NORM: rms_row_d(x, n, j->w, j->eps); break;
            default: ln_row_d(x, n, j->w, j->b, j->eps); break;
            }
        }
        return;
    }
    const fast_rows *fr = em__cpu_fast_rows();
    bool direct = j->x->dtype == EM_FLOAT32;
    float *tmp = direct ? NULL : malloc(n * sizeof *tmp);
    if (!direct && !tmp)
        return; /* cannot happen in practice; the output stays undefined */
    for (int64_t r = begin; r < end; r++) {
        float *x = direct ? (float *)em__data(j->out) + r * n : tmp;
        load_f(j->x, r, n, x);
        switch (j->prim) {
        case EM_P_SOFTMAX: fr->softmax(x, n, false); break;
        case EM_P_LOG_SOFTMAX: fr->softmax(x, n, true); break;
        case EM_P_RMS_NORM: fr->rms(x, n, j->w, j->eps); break;
        default: fr->ln(x, n, j->w, j->b, j->eps); break;
        }
        if (!direct)
            store_f(j->out, r, n, x);
    }
    free(tmp);
}

/* A dense float (or double for f64) copy of a 1-d parameter. */
static void *param_copy(const em_array *a, bool dbl)
{
    int64_t n = a->shape[0];
    void *p = malloc((n ? n : 1) * (dbl ? sizeof(double) : sizeof(float)));
    if (!p)
        return NULL;
    if (dbl)
        load_d(a, 0, n, p);
    else
        load_f(a, 0, n, p);
    return p;
}

static int rows_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                       const em_params *p)
{
    em_array *out = outs[0], *x = ins[0];
    if (em__alloc_output(out) < 0)
        return -1;
    rows_job j = {.prim = (em_prim_id)out->orig_prim, .out = out, .x = x,
                  .n = x->ndim ? x->shape[x->ndim - 1] : 1, .eps = p ? p->f[0] : 0};
    if (x->size == 0)
        return 0;
    bool dbl = x->dtype == EM_FLOAT64;
    int k = 1;
    void *w = NULL, *b = NULL;
    if (p && p->i[0]) {
        if (!(w = param_copy(ins[k++], dbl)))
            return em__error("%s: out of memory", em_prims[j.prim].name);
    }
    if (p && p->i[1]) {
        if (!(b = param_copy(ins[k++], dbl))) {
            free(w);
            return em__error("%s: out of memory", em_prims[j.prim].name);
        }
    }
    j.w = w;
    j.b = b;
    int64_t rows = x->size / j.n;
    em__parallel_for(rows, 1 + 16384 / (j.n + 1), rows_range, &j);
    free(w);
    free(b);
    return 0;
}

/* ---- rope ---- */
typedef struct {
    em_array *out, *x;
    int64_t n, L, half, dims;
    bool traditional;
    const double *cs; /* (L, half) cos then (L, half) sin */
} rope_job;

/* one row rotated in place by the angles of c (half cosines) and s (the
 * sines): rope's float32 arithmetic */
static void rope_row_f(float *x, int64_t half, bool traditional, const double *c, const double *s)
{
    for (int64_t i = 0; i < half; i++) {
        int64_t a = traditional ? 2 * i : i, b = traditional ? 2 * i + 1 : i + half;
        float x1 = x[a], x2 = x[b], ci = (float)c[i], si = (float)s[i];
        x[a] = x1 * ci - x2 * si;
        x[b] = x1 * si + x2 * ci;
    }
}

static void rope_range(void *ctx, int64_t begin, int64_t end)
{
    rope_job *j = ctx;
    int64_t n = j->n, h = j->half;
    bool dbl = j->x->dtype == EM_FLOAT64;
    float *tmp = dbl ? NULL : malloc(n * sizeof *tmp);
    double *tmpd = dbl ? malloc(n * sizeof *tmpd) : NULL;
    if (!tmp && !tmpd)
        return;
    for (int64_t r = begin; r < end; r++) {
        int64_t l = r % j->L;
        const double *c = j->cs + l * h, *s = j->cs + (j->L + l) * h;
        if (dbl) {
            double *x = tmpd, *o = (double *)em__data(j->out) + r * n;
            load_d(j->x, r, n, x);
            memcpy(o, x, n * sizeof *x);
            for (int64_t i = 0; i < h; i++) {
                int64_t a = j->traditional ? 2 * i : i, b = j->traditional ? 2 * i + 1 : i + h;
                double x1 = x[a], x2 = x[b];
                o[a] = x1 * c[i] - x2 * s[i];
                o[b] = x1 * s[i] + x2 * c[i];
            }
            continue;
        }
        float *x = tmp;
        load_f(j->x, r, n, x);
        rope_row_f(x, h, j->traditional, c, s);
        store_f(j->out, r, n, x);
    }
    free(tmp);
    free(tmpd);
}

/* The cos (L, half) then sin (L, half) of positions offset .. offset + L - 1
 * (times scale) at the inverse frequencies of base, or 1 / freqs (a 1-d
 * array) when given; NULL when out of memory. */
static double *rope_table(int64_t half, int64_t L, int64_t offset, double base, double scale,
                          const em_array *freqs)
{
    double *cs = malloc((2 * L * half + 1) * sizeof *cs);
    double *inv = malloc((half + 1) * sizeof *inv);
    if (!cs || !inv) {
        free(cs);
        free(inv);
        return NULL;
    }
    if (freqs) {
        const char *fd = em__data(freqs);
        for (int64_t i = 0; i < half; i++) {
            int64_t o = i * freqs->strides[0];
            double v = freqs->dtype == EM_FLOAT64   ? ((const double *)fd)[o]
                       : freqs->dtype == EM_FLOAT16 ? em__half_to_float(((const uint16_t *)fd)[o])
                       : freqs->dtype == EM_BFLOAT16 ? em__bf16_to_float(((const uint16_t *)fd)[o])
                                                     : ((const float *)fd)[o];
            inv[i] = 1.0 / v;
        }
    } else {
        for (int64_t i = 0; i < half; i++)
            inv[i] = exp(-(double)i * log(base) / (double)half);
    }
    for (int64_t l = 0; l < L; l++) {
        double pos = (double)(offset + l) * scale;
        for (int64_t i = 0; i < half; i++) {
            double th = pos * inv[i];
            cs[l * half + i] = cos(th);
            cs[(L + l) * half + i] = sin(th);
        }
    }
    free(inv);
    return cs;
}

/* params: i[0] dims, i[1] traditional, i[2] offset, i[3] has freqs; f[0] base, f[1] scale */
static int rope_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                       const em_params *p)
{
    em_array *out = outs[0], *x = ins[0];
    if (em__alloc_output(out) < 0)
        return -1;
    if (x->size == 0)
        return 0;
    rope_job j = {.out = out, .x = x, .n = x->shape[x->ndim - 1], .L = x->shape[x->ndim - 2],
                  .dims = p->i[0], .half = p->i[0] / 2, .traditional = p->i[1]};
    double *cs = rope_table(j.half, j.L, p->i[2], p->f[0], p->f[1], p->i[3] ? ins[1] : NULL);
    if (!cs)
        return em__error("rope: out of memory");
    j.cs = cs;
    em__parallel_for(x->size / j.n, 1 + 16384 / (j.n + 1), rope_range, &j);
    free(cs);
    return 0;
}

/* ---- scaled dot-product attention ---- */
/* A 4-d operand as float32 with element strides (a dense converted copy unless
 * it is float32 with a unit last stride). */
typedef struct {
    const float *p;
    int64_t s[4];
    float *own;
    size_t own_n;
} f4;

static int f4_get(f4 *v, const em_array *a)
{
    memset(v, 0, sizeof *v);
    if (a->dtype == EM_FLOAT32 && a->strides[3] == 1) {
        v->p = em__data(a);
        memcpy(v->s, a->strides, sizeof v->s);
        return 0;
    }
    int64_t D = a->shape[3], rows = a->size / (D ? D : 1);
    v->own_n = (size_t)(a->size ? a->size : 1);
    v->own = malloc(v->own_n * sizeof(float));
    if (!v->own)
        return -1;
    for (int64_t r = 0; r < rows; r++) {
        if (a->dtype == EM_FLOAT64) {
            const double *src = (const double *)em__data(a) + row_offset(a, r);
            for (int64_t i = 0; i < D; i++)
                v->own[r * D + i] = (float)src[i * a->strides[3]];
        } else {
            load_f(a, r, D, v->own + r * D);
        }
    }
    em__row_strides(4, a->shape, v->s);
    v->p = v->own;
    return 0;
}

typedef struct {
    f4 q, k, v;
    em_array *out, *mask;
    float *out_f; /* instead of out: rows of Dv floats */
    int64_t B, Hq, Hkv, Lq, Lk, D, Dv;
    float scale;
    bool causal;
} sdpa_job;

/* this part of fast.c is built for the baseline only: the rows of attention
 * are cloned for AVX2 and AVX-512 (the same operations in the same order,
 * wider; chosen when the library loads), and take their scores from the best
 * build's rows (scores_row_f: in another order with AVX-512) */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define SDPA_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SDPA_CLONES
#endif

/* max and sum of x[0 .. n) in 16 lanes (vectorised; the max as the loop
 * keeping m unless x[t] > m, NaN never taken) */
SDPA_CLONES static float row_max(const float *x, int64_t n)
{
    float part[16], m = -INFINITY;
    for (int l = 0; l < 16; l++)
        part[l] = -INFINITY;
    int64_t t = 0;
    for (; t + 16 <= n; t += 16)
        for (int l = 0; l < 16; l++)
            part[l] = x[t + l] > part[l] ? x[t + l] : part[l];
    for (; t < n; t++)
        m = x[t] > m ? x[t] : m;
    for (int l = 0; l < 16; l++)
        m = part[l] > m ? part[l] : m;
    return m;
}

SDPA_CLONES static float row_sum(const float *x, int64_t n)
{
    float part[16] = {0}, s = 0;
    int64_t t = 0;
    for (; t + 16 <= n; t += 16)
        for (int l = 0; l < 16; l++)
            part[l] += x[t + l];
    for (int l = 0; l < 16; l++)
        s += part[l];
    for (; t < n; t++)
        s += x[t];
    return s;
}

/* Rows sharing a key-value head (a query's heads in a group, or a prompt's
 * positions of one head) go through the keys together, SDPA_BLOCK at a time:
 * the block's keys and values are read once from memory for up to SDPA_GROUP
 * rows and again from L1 for the others (each row alone read a long cache
 * from memory or L2 once per head). Each row's numbers are those of a row
 * done alone: its scores in the same blocks of 16, its values' sum in the
 * same order (even keys and odd ones in two sums, added at the end: one
 * running sum waited on each add). */
#define SDPA_GROUP 8
#define SDPA_BLOCK 64 /* a multiple of 16 and of 2 */

/* a += sum over the pairs (t, t + 1) in [t0, t1) of p_t v_t (into a) and
 * p_t+1 v_t+1 (into b), then the lone last key when t1 - t0 is odd; head
 * sizes known here keep the sums in registers */
#define SDPA_AV(DV, A, B)                                                      \
    do {                                                                       \
        float a_[DV], b_[DV];                                                  \
        memcpy(a_, A, sizeof a_);                                              \
        memcpy(b_, B, sizeof b_);                                              \
        int64_t t = t0;                                                        \
        for (; t + 1 < t1; t += 2) {                                           \
            float p0 = p[t], p1 = p[t + 1];                                    \
            const float *v0 = vb + t * vs, *v1 = v0 + vs;                      \
            for (int64_t e = 0; e < (DV); e++) {                               \
                a_[e] += p0 * v0[e];                                           \
                b_[e] += p1 * v1[e];                                           \
            }                                                                  \
        }                                                                      \
        if (t < t1)                                                            \
            for (int64_t e = 0; e < (DV); e++)                                 \
                a_[e] += p[t] * vb[t * vs + e];                                \
        memcpy(A, a_, sizeof a_);                                              \
        memcpy(B, b_, sizeof b_);                                              \
    } while (0)

SDPA_CLONES static void sdpa_av(const float *p, const float *vb, int64_t vs, int64_t t0, int64_t t1,
                                int64_t Dv, float *a, float *b)
{
    if (Dv == 64) {
        SDPA_AV(64, a, b);
    } else if (Dv == 128) {
        SDPA_AV(128, a, b);
    } else {
        int64_t t = t0;
        for (; t + 1 < t1; t += 2) {
            float p0 = p[t], p1 = p[t + 1];
            const float *v0 = vb + t * vs, *v1 = v0 + vs;
            for (int64_t e = 0; e < Dv; e++) {
                a[e] += p0 * v0[e];
                b[e] += p1 * v1[e];
            }
        }
        if (t < t1)
            for (int64_t e = 0; e < Dv; e++)
                a[e] += p[t] * vb[t * vs + e];
    }
}

SDPA_CLONES static void sdpa_range(void *ctx, int64_t begin, int64_t end)
{
    sdpa_job *j = ctx;
    int64_t Lk = j->Lk, D = j->D, Dv = j->Dv, ks = j->k.s[2], vs = j->v.s[2];
    float *sc = malloc(SDPA_GROUP * (Lk + 1) * sizeof *sc);
    float *acc = malloc(SDPA_GROUP * (2 * Dv + 1) * sizeof *acc);
    if (!sc || !acc) {
        free(sc);
        free(acc);
        return;
    }
    int64_t group = j->Hq / j->Hkv;
    const fast_rows *fr = em__cpu_fast_rows();
    for (int64_t r0 = begin; r0 < end;) {
        /* the rows from r0 on that share its batch and key-value head */
        int64_t b = r0 / (j->Lq * j->Hq), hk = (r0 / j->Lq) % j->Hq / group, n = 0;
        const float *q[SDPA_GROUP];
        int64_t last[SDPA_GROUP], lmax = -1, h[SDPA_GROUP], i[SDPA_GROUP];
        for (; n < SDPA_GROUP && r0 + n < end; n++) {
            int64_t r = r0 + n;
            if (r / (j->Lq * j->Hq) != b || (r / j->Lq) % j->Hq / group != hk)
                break;
            i[n] = r % j->Lq;
            h[n] = (r / j->Lq) % j->Hq;
            q[n] = j->q.p + b * j->q.s[0] + h[n] * j->q.s[1] + i[n] * j->q.s[2];
            last[n] = j->causal ? i[n] + Lk - j->Lq : Lk - 1; /* last key seen */
            if (last[n] > Lk - 1)
                last[n] = Lk - 1;
            if (last[n] > lmax)
                lmax = last[n];
        }
        const float *kb = j->k.p + b * j->k.s[0] + hk * j->k.s[1];
        const float *vb = j->v.p + b * j->v.s[0] + hk * j->v.s[1];
        for (int64_t t0 = 0; t0 <= lmax; t0 += SDPA_BLOCK)
            for (int64_t g = 0; g < n; g++) {
                int64_t t1 = t0 + SDPA_BLOCK < last[g] + 1 ? t0 + SDPA_BLOCK : last[g] + 1;
                if (t1 > t0)
                    fr->scores(q[g], kb + t0 * ks, ks, D, t1 - t0, j->scale, sc + g * (Lk + 1) + t0);
            }
        float m[SDPA_GROUP], s[SDPA_GROUP];
        for (int64_t g = 0; g < n; g++) {
            float *sg = sc + g * (Lk + 1);
            if (j->mask) {
                const em_array *mk = j->mask;
                int64_t mo = b * mk->strides[0] + h[g] * mk->strides[1] + i[g] * mk->strides[2];
                int64_t ms = mk->strides[3];
                if (mk->dtype == EM_BOOL) {
                    const uint8_t *mp = (const uint8_t *)em__data(mk) + mo;
                    for (int64_t t = 0; t <= last[g]; t++)
                        if (!mp[t * ms])
                            sg[t] = -INFINITY;
                } else {
                    const float *mp = (const float *)em__data(mk) + mo;
                    for (int64_t t = 0; t <= last[g]; t++)
                        sg[t] += mp[t * ms];
                }
            }
            m[g] = row_max(sg, last[g] + 1);
            s[g] = 0;
            memset(acc + g * 2 * Dv, 0, 2 * Dv * sizeof *acc);
            if (m[g] != -INFINITY) {
                for (int64_t t = 0; t <= last[g]; t++) /* a pass of its own: vectorised (libmvec) */
                    sg[t] = expf(sg[t] - m[g]);
                s[g] = row_sum(sg, last[g] + 1);
            }
        }
        for (int64_t t0 = 0; t0 <= lmax; t0 += SDPA_BLOCK)
            for (int64_t g = 0; g < n; g++) {
                int64_t t1 = t0 + SDPA_BLOCK < last[g] + 1 ? t0 + SDPA_BLOCK : last[g] + 1;
                if (t1 > t0 && m[g] != -INFINITY)
                    sdpa_av(sc + g * (Lk + 1), vb, vs, t0, t1, Dv, acc + g * 2 * Dv, acc + g * 2 * Dv + Dv);
            }
        for (int64_t g = 0; g < n; g++) {
            int64_t r = r0 + g;
            float *a = acc + g * 2 * Dv;
            if (m[g] != -INFINITY) {
                float inv = 1.0f / s[g];
                for (int64_t e = 0; e < Dv; e++)
                    a[e] = (a[e] + a[Dv + e]) * inv;
            }
            if (j->out_f) {
                memcpy(j->out_f + r * Dv, a, Dv * sizeof *a);
                continue;
            }
            store_f(j->out, r, Dv, a);
            if (j->out->dtype == EM_FLOAT64) {
                double *o = (double *)em__data(j->out) + r * Dv;
                for (int64_t e = 0; e < Dv; e++)
                    o[e] = a[e];
            }
        }
        r0 += n;
    }
    free(sc);
    free(acc);
}

/* inputs q, k, v[, mask broadcast to (B, Hq, Lq, Lk), float32 or bool];
 * params f[0] scale, i[0] causal, i[1] has mask */
static int sdpa_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                       const em_params *p)
{
    em_array *out = outs[0];
    if (em__alloc_output(out) < 0)
        return -1;
    if (out->size == 0)
        return 0;
    sdpa_job j = {.out = out, .mask = p->i[1] ? ins[3] : NULL, .B = ins[0]->shape[0],
                  .Hq = ins[0]->shape[1], .Lq = ins[0]->shape[2], .D = ins[0]->shape[3],
                  .Hkv = ins[1]->shape[1], .Lk = ins[1]->shape[2], .Dv = ins[2]->shape[3],
                  .scale = (float)p->f[0], .causal = p->i[0]};
    if (f4_get(&j.q, ins[0]) < 0 || f4_get(&j.k, ins[1]) < 0 || f4_get(&j.v, ins[2]) < 0) {
        free(j.q.own);
        free(j.k.own);
        free(j.v.own);
        return em__error("scaled_dot_product_attention: out of memory");
    }
    int64_t rows = j.B * j.Hq * j.Lq;
    em__parallel_for(rows, 1 + 4096 / (j.Lk * (j.D + j.Dv) + 1), sdpa_range, &j);
    free(j.q.own);
    free(j.k.own);
    free(j.v.own);
    return 0;
}

/* ---- decoding's one-token kernels (decode.h): the ops' arithmetic on
 * plain float32 rows ---- */
int em__rope_rows_f32(float *x, int64_t rows, int64_t n, int64_t dims, bool traditional, double base,
                      double scale, int64_t pos, const em_array *freqs)
{
    int64_t half = dims / 2;
    double *cs = rope_table(half, 1, pos, base, scale, freqs);
    if (!cs)
        return em__error("rope: out of memory");
    for (int64_t r = 0; r < rows; r++)
        rope_row_f(x + r * n, half, traditional, cs, cs + half);
    free(cs);
    return 0;
}

void em__rms_rows_f32(float *x, int64_t rows, int64_t n, const float *w, double eps)
{
    const fast_rows *fr = em__cpu_fast_rows();
    for (int64_t r = 0; r < rows; r++)
        fr->rms(x + r * n, n, w, eps);
}

void em__attend_one_f32(const float *q, int64_t Hq, const float *k, const float *v, int64_t Hkv,
                        int64_t head_stride, int64_t L, int64_t D, float scale, float *out)
{
    sdpa_job j = {.out_f = out, .B = 1, .Hq = Hq, .Hkv = Hkv, .Lq = 1, .Lk = L, .D = D, .Dv = D,
                  .scale = scale};
    j.q = (f4){.p = q, .s = {Hq * D, D, D, 1}};
    j.k = (f4){.p = k, .s = {Hkv * head_stride, head_stride, D, 1}};
    j.v = (f4){.p = v, .s = {Hkv * head_stride, head_stride, D, 1}};
    /* one contiguous part a thread: the heads of a key-value head together
     * (sdpa_range reads its cache once for them); a short cache inline */
    if (Hq * L * D < 32768)
        sdpa_range(&j, 0, Hq);
    else
        em__parallel_split(Hq, 0, sdpa_range, &j);
}

/* y = x sigmoid(x) u for float32 rows: decoding's one-token MLP
 * (models/llm.c), em_multiply(em_multiply(g, em_sigmoid(g)), u) in one pass,
 * the exp vectorised as in attention */
SDPA_CLONES void em__silu_mul_f32(const float *g, const float *u, float *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        y[i] = g[i] * (1.0f / (1.0f + expf(-g[i]))) * u[i];
}

__attribute__((constructor)) static void register_fast(void)
{
    em__cpu_register(EM_P_SOFTMAX, rows_kernel);
    em__cpu_register(EM_P_LOG_SOFTMAX, rows_kernel);
    em__cpu_register(EM_P_RMS_NORM, rows_kernel);
    em__cpu_register(EM_P_LAYER_NORM, rows_kernel);
    em__cpu_register(EM_P_ROPE, rope_kernel);
    em__cpu_register(EM_P_SDPA, sdpa_kernel);
}
#endif
