/* Kernels of MATMUL and ADDMM: float32/float64 through OpenBLAS (transposed
 * views passed as CblasTrans, broadcast batch dims walked by strides, nothing
 * copied for usable layouts); integer types with a simple loop in the type. */
#include <string.h>

#include "blas.h"
#include "linalg_cpu.h"
#include "loops.h"

/* A dense row-major copy of `in` in scratch memory; *strides gets its strides. */
void *em__lin_dense_copy(em_array *in, int64_t *strides)
{
    size_t esz = em_dtype_size((em_dtype)in->dtype);
    size_t nbytes = (size_t)(in->size ? in->size : 1) * esz;
    void *p = em__host_alloc(nbytes);
    if (!p)
        return NULL;
    em__row_strides(in->ndim, in->shape, strides);
    if (in->size) {
        em_buffer b = {.data = p, .nbytes = nbytes};
        em_array dst = {.buf = &b, .dtype = in->dtype};
        em__copy_strided(&dst, 0, strides, in);
    }
    return p;
}

void em__lin_dense_free(em_array *in, void *p)
{
    size_t esz = em_dtype_size((em_dtype)in->dtype);
    em__host_free(p, (size_t)(in->size ? in->size : 1) * esz);
}

/* How BLAS can read a rows x cols matrix with strides (s0, s1): as is (lda =
 * s0), or transposed (lda = s1). false when neither works. */
static bool blas_layout(int64_t rows, int64_t cols, int64_t s0, int64_t s1, int *trans,
                        int64_t *ld)
{
    if ((cols == 1 || s1 == 1) && (rows == 1 || s0 >= cols)) {
        *trans = EM_CBLAS_NO_TRANS;
        *ld = rows == 1 ? (cols > 1 ? cols : 1) : s0;
        return *ld >= 1 && *ld >= cols;
    }
    if ((rows == 1 || s0 == 1) && (cols == 1 || s1 >= rows)) {
        *trans = EM_CBLAS_TRANS;
        *ld = cols == 1 ? (rows > 1 ? rows : 1) : s1;
        return *ld >= 1 && *ld >= rows;
    }
    return false;
}

typedef struct {
    const em_blas *blas;
    bool f64;
    const char *a, *b;
    char *c;
    int ta, tb;
    int64_t lda, ldb, m, n, k;
    int nb;
    int64_t bshape[EM_MAX_DIMS], sa[EM_MAX_DIMS], sb[EM_MAX_DIMS];
    size_t esz;
    double alpha, beta;
} gemm_job;

static void gemm_range(void *ctx, int64_t begin, int64_t end)
{
    gemm_job *j = ctx;
    for (int64_t bi = begin; bi < end; bi++) {
        int64_t rem = bi, oa = 0, ob = 0;
        for (int d = j->nb - 1; d >= 0; d--) {
            int64_t c = rem % j->bshape[d];
            rem /= j->bshape[d];
            oa += c * j->sa[d];
            ob += c * j->sb[d];
        }
        const char *pa = j->a + oa * (int64_t)j->esz, *pb = j->b + ob * (int64_t)j->esz;
        char *pc = j->c + bi * j->m * j->n * (int64_t)j->esz;
        if (j->f64)
            j->blas->dgemm(EM_CBLAS_ROW_MAJOR, j->ta, j->tb, (int)j->m, (int)j->n, (int)j->k,
                           j->alpha, (const double *)pa, (int)j->lda, (const double *)pb,
                           (int)j->ldb, j->beta, (double *)pc, (int)j->n);
        else
            j->blas->sgemm(EM_CBLAS_ROW_MAJOR, j->ta, j->tb, (int)j->m, (int)j->n, (int)j->k,
                           (float)j->alpha, (const float *)pa, (int)j->lda, (const float *)pb,
                           (int)j->ldb, (float)j->beta, (float *)pc, (int)j->n);
    }
}

/* Integer matmul: out rows (batch * m) in parallel, i-p-j loops in the type. */
typedef struct {
    const char *a, *b;
    char *c;
    int64_t m, n, k;
    int nb;
    int64_t bshape[EM_MAX_DIMS], sa[EM_MAX_DIMS], sb[EM_MAX_DIMS];
    int dtype;
} int_job;

#define INT_MM(ENUM, T, CT, LD, ST)                                                \
    static void imm_##ENUM(const int_job *j, int64_t begin, int64_t end)           \
    {                                                                              \
        for (int64_t r = begin; r < end; r++) {                                    \
            int64_t bi = r / j->m, i = r - bi * j->m, rem = bi, oa = 0, ob = 0;    \
            for (int d = j->nb - 1; d >= 0; d--) {                                 \
                int64_t c = rem % j->bshape[d];                                    \
                rem /= j->bshape[d];                                               \
                oa += c * j->sa[d];                                                \
                ob += c * j->sb[d];                                                \
            }                                                                      \
            const T *A = (const T *)j->a + oa + i * j->k;                          \
            const T *B = (const T *)j->b + ob;                                     \
            T *C = (T *)j->c + r * j->n;                                           \
            for (int64_t q = 0; q < j->n; q++)                                     \
                C[q] = 0;                                                          \
            for (int64_t p = 0; p < j->k; p++) {                                   \
                T av = A[p];                                                       \
                const T *Bp = B + p * j->n;                                        \
                for (int64_t q = 0; q < j->n; q++)                                 \
                    C[q] = (T)(C[q] + av * Bp[q]);                                 \
            }                                                                      \
        }                                                                          \
    }
EM_FOR_INT_DTYPES(INT_MM)
#undef INT_MM

static void int_range(void *ctx, int64_t begin, int64_t end)
{
    const int_job *j = ctx;
    switch (j->dtype) {
#define CASE(ENUM, T, CT, LD, ST) case ENUM: imm_##ENUM(j, begin, end); break;
        EM_FOR_INT_DTYPES(CASE)
#undef CASE
    default: break;
    }
}

/* Batch strides of an operand against the output's batch shape (broadcast
 * dims get 0). */
static void batch_strides(const em_array *x, const int64_t *strides, int nb, const int64_t *bshape,
                          int64_t *s)
{
    int xb = x->ndim - 2, lead = nb - xb;
    for (int d = 0; d < nb; d++) {
        int e = d - lead;
        s[d] = e < 0 || x->shape[e] == 1 ? 0 : strides[e];
    }
    (void)bshape;
}

static int matmul_impl(em_array *out, em_array *a, em_array *b, em_array *c, double alpha,
                       double beta)
{
    if (em__alloc_output(out) < 0)
        return -1;
    int nb = out->ndim - 2;
    int64_t m = out->shape[nb], n = out->shape[nb + 1], k = a->shape[a->ndim - 1];
    size_t esz = em_dtype_size((em_dtype)out->dtype);
    int64_t batch = 1;
    for (int d = 0; d < nb; d++)
        batch *= out->shape[d];
    if (out->size == 0)
        return 0;
    em_dtype t = (em_dtype)out->dtype;
    if (t != EM_FLOAT32 && t != EM_FLOAT64) {
        int_job j = {.m = m, .n = n, .k = k, .nb = nb, .dtype = t, .c = em__data(out)};
        memcpy(j.bshape, out->shape, nb * sizeof(int64_t));
        int64_t stra[EM_MAX_DIMS], strb[EM_MAX_DIMS];
        void *ca = NULL, *cb = NULL;
        if (em__is_row_contiguous(a)) {
            j.a = em__data(a);
            em__row_strides(a->ndim, a->shape, stra);
        } else if (!(ca = em__lin_dense_copy(a, stra))) {
            return -1;
        } else {
            j.a = ca;
        }
        if (em__is_row_contiguous(b)) {
            j.b = em__data(b);
            em__row_strides(b->ndim, b->shape, strb);
        } else if (!(cb = em__lin_dense_copy(b, strb))) {
            if (ca)
                em__lin_dense_free(a, ca);
            return -1;
        } else {
            j.b = cb;
        }
        batch_strides(a, stra, nb, out->shape, j.sa);
        batch_strides(b, strb, nb, out->shape, j.sb);
        em__parallel_for(batch * m, 1 + (1 << 15) / (n * k + 1), int_range, &j);
        if (ca)
            em__lin_dense_free(a, ca);
        if (cb)
            em__lin_dense_free(b, cb);
        return 0;
    }
    const em_blas *bl = em__blas();
    if (!bl)
        return -1;
    if (c)
        em__copy_strided(out, 0, out->strides, c);
    if (k == 0) {
        if (!c)
            memset(em__data(out), 0, out->size * esz);
        else if (beta != 1.0) {
            /* scale c by beta */
            if (t == EM_FLOAT32) {
                float *p = em__data(out);
                for (int64_t i = 0; i < out->size; i++)
                    p[i] = (float)(beta * p[i]);
            } else {
                double *p = em__data(out);
                for (int64_t i = 0; i < out->size; i++)
                    p[i] *= beta;
            }
        }
        return 0;
    }
    gemm_job j = {.blas = bl, .f64 = t == EM_FLOAT64, .c = em__data(out), .m = m, .n = n, .k = k,
                  .nb = nb, .esz = esz, .alpha = alpha, .beta = c ? beta : 0.0};
    memcpy(j.bshape, out->shape, nb * sizeof(int64_t));
    void *ca = NULL, *cb = NULL;
    int64_t stra[EM_MAX_DIMS], strb[EM_MAX_DIMS];
    const int64_t *sa = a->strides, *sb = b->strides;
    j.a = em__data(a);
    j.b = em__data(b);
    if (!blas_layout(m, k, sa[a->ndim - 2], sa[a->ndim - 1], &j.ta, &j.lda)) {
        if (!(ca = em__lin_dense_copy(a, stra)))
            return -1;
        j.a = ca;
        sa = stra;
        blas_layout(m, k, sa[a->ndim - 2], sa[a->ndim - 1], &j.ta, &j.lda);
    }
    if (!blas_layout(k, n, sb[b->ndim - 2], sb[b->ndim - 1], &j.tb, &j.ldb)) {
        if (!(cb = em__lin_dense_copy(b, strb))) {
            if (ca)
                em__lin_dense_free(a, ca);
            return -1;
        }
        j.b = cb;
        sb = strb;
        blas_layout(k, n, sb[b->ndim - 2], sb[b->ndim - 1], &j.tb, &j.ldb);
    }
    batch_strides(a, sa, nb, out->shape, j.sa);
    batch_strides(b, sb, nb, out->shape, j.sb);
    /* Many small products: one per worker, each single-threaded in OpenBLAS.
     * Large ones: OpenBLAS spreads each over its own threads. */
    if (batch > 1 && m * n * k <= (1 << 18))
        em__parallel_for(batch, 1 + (1 << 18) / (m * n * k + 1), gemm_range, &j);
    else
        gemm_range(&j, 0, batch);
    if (ca)
        em__lin_dense_free(a, ca);
    if (cb)
        em__lin_dense_free(b, cb);
    return 0;
}

static int matmul_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                         const em_params *p)
{
    (void)n_out;
    (void)n_in;
    (void)p;
    return matmul_impl(outs[0], ins[0], ins[1], NULL, 1.0, 0.0);
}

/* ins: c (broadcast to the output's shape), a, b; f[0] alpha, f[1] beta. */
static int addmm_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                        const em_params *p)
{
    (void)n_out;
    (void)n_in;
    return matmul_impl(outs[0], ins[1], ins[2], ins[0], p->f[0], p->f[1]);
}

__attribute__((constructor)) static void register_matmul(void)
{
    em__cpu_register(EM_P_MATMUL, matmul_kernel);
    em__cpu_register(EM_P_ADDMM, addmm_kernel);
}
