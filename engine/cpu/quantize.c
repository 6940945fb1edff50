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

static float qrow4_c(const uint32_t *w, const float *s, const float *b, const float *x,
                     const float *xs, int64_t K, int gs)
{
    return qrow_generic(w, s, b, x, xs, K, gs, 4);
}
static float qrow8_c(const uint32_t *w, const float *s, const float *b, const float *x,
                     const float *xs, int64_t K, int gs)
{
    return qrow_generic(w, s, b, x, xs, K, gs, 8);
}
static float qrow2_c(const uint32_t *w, const float *s, const float *b, const float *x,
                     const float *xs, int64_t K, int gs)
{
    return qrow_generic(w, s, b, x, xs, K, gs, 2);
}

/* EMBER_QMATMUL_ISA=c|avx2|avx512 forces a path (for tests and benchmarks). */
static em_qrow_fn pick_row(int bits)
{
    static int isa = -1; /* 0 c, 1 avx2, 2 avx512 */
    if (isa < 0) {
        const char *env = getenv("EMBER_QMATMUL_ISA");
        __builtin_cpu_init();
        int best = __builtin_cpu_supports("avx512f") ? 2
                   : __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? 1 : 0;
        int want = !env ? best : !strcmp(env, "avx512") ? 2 : !strcmp(env, "avx2") ? 1 : 0;
        isa = want < best ? want : best;
    }
    if (bits == 4)
        return isa == 2 ? em__qrow4_avx512 : isa == 1 ? em__qrow4_avx2 : qrow4_c;
    if (bits == 8)
        return isa == 2 ? em__qrow8_avx512 : isa == 1 ? em__qrow8_avx2 : qrow8_c;
    return qrow2_c;
}

typedef struct {
    em_qrow_fn row;
    const uint32_t *w;
    const void *s, *b;
    em_dtype st;
    const float *x, *xs;
    float *out;
    int64_t M, N, K;
    int gs, bits;
} qmv_job;

static void qmv_range(void *ctx, int64_t begin, int64_t end)
{
    qmv_job *j = ctx;
    int64_t ng = j->K / j->gs, wpr = j->K * j->bits / 32;
    float sb[2 * 1024], *s = sb, *b;
    if (ng > 1024) {
        s = malloc(2 * ng * sizeof *s);
        if (!s)
            return;
    }
    b = s + ng;
    for (int64_t n = begin; n < end; n++) {
        if (j->st == EM_FLOAT32) {
            memcpy(s, (const float *)j->s + n * ng, ng * sizeof *s);
            memcpy(b, (const float *)j->b + n * ng, ng * sizeof *b);
        } else {
            for (int64_t g = 0; g < ng; g++) {
                s[g] = ldf(j->s, j->st, n * ng + g);
                b[g] = ldf(j->b, j->st, n * ng + g);
            }
        }
        for (int64_t m = 0; m < j->M; m++)
            j->out[m * j->N + n] =
                j->row(j->w + n * wpr, s, b, j->x + m * j->K, j->xs + m * ng, j->K, j->gs);
    }
    if (s != sb)
        free(s);
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
        float *xs = malloc((M * ng + 1) * sizeof *xs);
        qmv_job j = {.row = pick_row(bits), .w = dense(wq, &o2), .s = dense(sc, &o3), .b = dense(bi, &o4),
                     .st = (em_dtype)sc->dtype, .x = xf, .xs = xs, .out = of, .M = M, .N = N, .K = K,
                     .gs = gs, .bits = bits};
        if (!xs || !j.w || !j.s || !j.b) {
            free(xs);
            rc = em__error("quantized_matmul: out of memory");
            goto done;
        }
        for (int64_t i = 0; i < M * ng; i++) {
            float t = 0;
            for (int k = 0; k < gs; k++)
                t += xf[i * gs + k];
            xs[i] = t;
        }
        em__parallel_for(N, 1 + 262144 / (K * M + 1), qmv_range, &j);
        free(xs);
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
