/* Kernels of CONV and CONV_TRANSPOSE (channels last, float32/float64).
 * conv: im2col of a chunk of samples (rows (n,oh,ow), columns (g,kh,kw,c)),
 * then one GEMM per group against the weight rows of that group, written into
 * the output's channel slice (ldc = C_out). A 1x1 kernel with stride 1 and no
 * padding skips im2col. conv_transpose: per sample and group, one GEMM gives
 * every input pixel's contribution (kh,kw,o); a gather pass then adds them
 * into each output row (parallel over rows, no races). */
#include <string.h>

#include "blas.h"
#include "linalg_cpu.h"
#include "loops.h"

typedef struct {
    int64_t N, H, W, C, OH, OW, Cout, KH, KW, G, Cig, Cog;
    int sh, sw, ph, pw, dh, dw, oph, opw;
    size_t esz;
} conv_geom;

static void geom(conv_geom *g, const em_array *x, const em_array *w, const em_array *out,
                 const em_params *p)
{
    g->N = x->shape[0];
    g->H = x->shape[1];
    g->W = x->shape[2];
    g->C = x->shape[3];
    g->OH = out->shape[1];
    g->OW = out->shape[2];
    g->Cout = out->shape[3];
    g->KH = w->shape[1];
    g->KW = w->shape[2];
    g->G = p->i[6];
    g->Cig = w->shape[3];
    g->Cog = g->Cout / g->G;
    g->sh = (int)p->i[0];
    g->sw = (int)p->i[1];
    g->ph = (int)p->i[2];
    g->pw = (int)p->i[3];
    g->dh = (int)p->i[4];
    g->dw = (int)p->i[5];
    g->oph = (int)p->i[7];
    g->opw = (int)p->i[8];
    g->esz = em_dtype_size((em_dtype)out->dtype);
}

static void gemm(const em_blas *b, bool f64, int tb, int64_t m, int64_t n, int64_t k,
                 const void *A, int64_t lda, const void *B, int64_t ldb, float beta, void *Cm,
                 int64_t ldc)
{
    if (f64)
        b->dgemm(EM_CBLAS_ROW_MAJOR, EM_CBLAS_NO_TRANS, tb, (int)m, (int)n, (int)k, 1.0, A,
                 (int)lda, B, (int)ldb, beta, Cm, (int)ldc);
    else
        b->sgemm(EM_CBLAS_ROW_MAJOR, EM_CBLAS_NO_TRANS, tb, (int)m, (int)n, (int)k, 1.0f, A,
                 (int)lda, B, (int)ldb, beta, Cm, (int)ldc);
}

/* Dense views of the inputs (copies when strided). */
typedef struct {
    em_array *a;
    void *copy;
    const char *data;
} dense_in;

static int dense(dense_in *d, em_array *a)
{
    d->a = a;
    d->copy = NULL;
    if (em__is_row_contiguous(a)) {
        d->data = em__data(a);
        return 0;
    }
    int64_t st[EM_MAX_DIMS];
    d->copy = em__lin_dense_copy(a, st);
    d->data = d->copy;
    return d->copy ? 0 : -1;
}

static void undense(dense_in *d)
{
    if (d->copy)
        em__lin_dense_free(d->a, d->copy);
}

typedef struct {
    const conv_geom *g;
    const char *x;
    char *col;
    int64_t n0; /* first sample of the chunk */
} im2col_job;

/* rows r = (n - n0, oh) of the chunk; each fills OW rows of col. */
static void im2col_rows(void *ctx, int64_t begin, int64_t end)
{
    const im2col_job *j = ctx;
    const conv_geom *g = j->g;
    size_t cbytes = g->Cig * g->esz;
    int64_t ncol = g->G * g->KH * g->KW * g->Cig;
    for (int64_t r = begin; r < end; r++) {
        int64_t nl = r / g->OH, oh = r - nl * g->OH, n = j->n0 + nl;
        const char *xn = j->x + n * g->H * g->W * g->C * (int64_t)g->esz;
        for (int64_t ow = 0; ow < g->OW; ow++) {
            char *dst = j->col + ((nl * g->OH + oh) * g->OW + ow) * ncol * (int64_t)g->esz;
            for (int64_t gr = 0; gr < g->G; gr++)
                for (int64_t kh = 0; kh < g->KH; kh++) {
                    int64_t ih = oh * g->sh - g->ph + kh * g->dh;
                    for (int64_t kw = 0; kw < g->KW; kw++, dst += cbytes) {
                        int64_t iw = ow * g->sw - g->pw + kw * g->dw;
                        if (ih < 0 || ih >= g->H || iw < 0 || iw >= g->W)
                            memset(dst, 0, cbytes);
                        else
                            memcpy(dst, xn + ((ih * g->W + iw) * g->C + gr * g->Cig) * g->esz,
                                   cbytes);
                    }
                }
        }
    }
}

static int conv_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                       const em_params *p)
{
    (void)n_out, (void)n_in;
    em_array *out = outs[0];
    if (em__alloc_output(out) < 0)
        return -1;
    conv_geom g;
    geom(&g, ins[0], ins[1], out, p);
    if (out->size == 0)
        return 0;
    int64_t kkc = g.KH * g.KW * g.Cig;
    if (kkc == 0) {
        memset(em__data(out), 0, out->size * g.esz);
        return 0;
    }
    const em_blas *b = em__blas();
    if (!b)
        return -1;
    bool f64 = out->dtype == EM_FLOAT64;
    dense_in x, w;
    if (dense(&x, ins[0]) < 0)
        return -1;
    if (dense(&w, ins[1]) < 0) {
        undense(&x);
        return -1;
    }
    int rc = 0;
    char *o = em__data(out);
    bool pointwise = g.KH == 1 && g.KW == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0;
    if (pointwise) {
        for (int64_t gr = 0; gr < g.G; gr++)
            gemm(b, f64, EM_CBLAS_TRANS, g.N * g.H * g.W, g.Cog, g.Cig,
                 x.data + gr * g.Cig * g.esz, g.C, w.data + gr * g.Cog * kkc * g.esz, kkc, 0,
                 o + gr * g.Cog * g.esz, g.Cout);
    } else {
        int64_t per_sample = g.OH * g.OW * g.G * kkc;
        int64_t chunk = (int64_t)(32 << 20) / (per_sample * (int64_t)g.esz + 1);
        if (chunk < 1)
            chunk = 1;
        if (chunk > g.N)
            chunk = g.N;
        size_t col_bytes = (size_t)(chunk * per_sample) * g.esz;
        char *col = em__host_alloc(col_bytes);
        if (!col) {
            rc = -1;
        } else {
            for (int64_t n0 = 0; n0 < g.N; n0 += chunk) {
                int64_t nc = g.N - n0 < chunk ? g.N - n0 : chunk;
                im2col_job j = {.g = &g, .x = x.data, .col = col, .n0 = n0};
                em__parallel_for(nc * g.OH, 1 + (1 << 14) / (g.OW * g.G * kkc + 1), im2col_rows, &j);
                for (int64_t gr = 0; gr < g.G; gr++)
                    gemm(b, f64, EM_CBLAS_TRANS, nc * g.OH * g.OW, g.Cog, kkc,
                         col + gr * kkc * g.esz, g.G * kkc, w.data + gr * g.Cog * kkc * g.esz, kkc,
                         0, o + (n0 * g.OH * g.OW * g.Cout + gr * g.Cog) * g.esz, g.Cout);
            }
            em__host_free(col, col_bytes);
        }
    }
    undense(&x);
    undense(&w);
    return rc;
}

/* ---- transpose ---- */

typedef struct {
    const conv_geom *g;
    const char *cols; /* per group: (H*W) x (KH*KW*Cog) */
    char *out;        /* this sample's output */
} gather_job;

#define GATHER(T)                                                                  \
    static void gather_##T(const gather_job *j, int64_t begin, int64_t end)        \
    {                                                                              \
        const conv_geom *g = j->g;                                                 \
        int64_t kko = g->KH * g->KW * g->Cog;                                      \
        for (int64_t oh = begin; oh < end; oh++) {                                 \
            T *orow = (T *)j->out + oh * g->OW * g->Cout;                          \
            memset(orow, 0, g->OW * g->Cout * sizeof(T));                          \
            for (int64_t kh = 0; kh < g->KH; kh++) {                               \
                int64_t t = oh + g->ph - kh * g->dh;                               \
                if (t < 0 || t % g->sh)                                            \
                    continue;                                                      \
                int64_t ih = t / g->sh;                                            \
                if (ih >= g->H)                                                    \
                    continue;                                                      \
                for (int64_t ow = 0; ow < g->OW; ow++)                             \
                    for (int64_t kw = 0; kw < g->KW; kw++) {                       \
                        int64_t u = ow + g->pw - kw * g->dw;                       \
                        if (u < 0 || u % g->sw)                                    \
                            continue;                                              \
                        int64_t iw = u / g->sw;                                    \
                        if (iw >= g->W)                                            \
                            continue;                                              \
                        for (int64_t gr = 0; gr < g->G; gr++) {                    \
                            const T *src = (const T *)j->cols +                    \
                                           gr * g->H * g->W * kko +                \
                                           (ih * g->W + iw) * kko +                \
                                           (kh * g->KW + kw) * g->Cog;             \
                            T *dst = orow + ow * g->Cout + gr * g->Cog;            \
                            for (int64_t c = 0; c < g->Cog; c++)                   \
                                dst[c] += src[c];                                  \
                        }                                                          \
                    }                                                              \
            }                                                                      \
        }                                                                          \
    }
GATHER(float)
GATHER(double)

static void gather_range(void *ctx, int64_t begin, int64_t end)
{
    const gather_job *j = ctx;
    if (j->g->esz == 8)
        gather_double(j, begin, end);
    else
        gather_float(j, begin, end);
}

/* Weight (Cout, KH, KW, Cig) -> per group (KH, KW, Cog) x Cig rows. */
static void permute_weight(const conv_geom *g, const char *w, char *wp)
{
    size_t row = g->Cig * g->esz;
    for (int64_t gr = 0; gr < g->G; gr++)
        for (int64_t o = 0; o < g->Cog; o++)
            for (int64_t kh = 0; kh < g->KH; kh++)
                for (int64_t kw = 0; kw < g->KW; kw++) {
                    const char *src = w + (((gr * g->Cog + o) * g->KH + kh) * g->KW + kw) * row;
                    char *dst = wp + (gr * g->KH * g->KW * g->Cog + (kh * g->KW + kw) * g->Cog + o) * row;
                    memcpy(dst, src, row);
                }
}

static int conv_transpose_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                                 const em_params *p)
{
    (void)n_out, (void)n_in;
    em_array *out = outs[0];
    if (em__alloc_output(out) < 0)
        return -1;
    conv_geom g;
    geom(&g, ins[0], ins[1], out, p);
    g.Cog = g.Cout / g.G;
    if (out->size == 0)
        return 0;
    const em_blas *b = em__blas();
    if (!b)
        return -1;
    bool f64 = out->dtype == EM_FLOAT64;
    int64_t kko = g.KH * g.KW * g.Cog;
    dense_in x, w;
    if (dense(&x, ins[0]) < 0)
        return -1;
    if (dense(&w, ins[1]) < 0) {
        undense(&x);
        return -1;
    }
    size_t wp_bytes = (size_t)(g.G * kko * g.Cig + 1) * g.esz;
    size_t cols_bytes = (size_t)(g.G * g.H * g.W * kko + 1) * g.esz;
    char *wp = em__host_alloc(wp_bytes), *cols = wp ? em__host_alloc(cols_bytes) : NULL;
    int rc = 0;
    if (!wp || !cols) {
        rc = -1;
    } else {
        permute_weight(&g, w.data, wp);
        for (int64_t n = 0; n < g.N; n++) {
            const char *xn = x.data + n * g.H * g.W * g.C * (int64_t)g.esz;
            for (int64_t gr = 0; gr < g.G; gr++) {
                char *cg = cols + gr * g.H * g.W * kko * (int64_t)g.esz;
                if (g.Cig == 0)
                    memset(cg, 0, g.H * g.W * kko * g.esz);
                else
                    gemm(b, f64, EM_CBLAS_TRANS, g.H * g.W, kko, g.Cig, xn + gr * g.Cig * g.esz,
                         g.C, wp + gr * kko * g.Cig * g.esz, g.Cig, 0, cg, kko);
            }
            gather_job j = {.g = &g, .cols = cols,
                            .out = (char *)em__data(out) + n * g.OH * g.OW * g.Cout * (int64_t)g.esz};
            em__parallel_for(g.OH, 1 + (1 << 14) / (g.OW * g.Cout * g.KH + 1), gather_range, &j);
        }
    }
    if (wp)
        em__host_free(wp, wp_bytes);
    if (cols)
        em__host_free(cols, cols_bytes);
    undense(&x);
    undense(&w);
    return rc;
}

__attribute__((constructor)) static void register_conv(void)
{
    em__cpu_register(EM_P_CONV, conv_kernel);
    em__cpu_register(EM_P_CONV_TRANSPOSE, conv_transpose_kernel);
}
