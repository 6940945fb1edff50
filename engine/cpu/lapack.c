/* Kernels of the LAPACK primitives (row-major LAPACKE, float32/float64),
 * batched over the leading dims: INV, SOLVE, CHOLESKY, QR, SVD, EIGH. A
 * failure LAPACK reports (singular, not positive definite, no convergence)
 * becomes an error naming the op. */
#include <inttypes.h>
#include <string.h>

#include "blas.h"
#include "linalg_cpu.h"
#include "loops.h"

static int64_t batch_of(const em_array *a, int mat_dims)
{
    int64_t b = 1;
    for (int i = 0; i < a->ndim - mat_dims; i++)
        b *= a->shape[i];
    return b;
}

/* out gets a dense copy of in (same shape). */
static int copy_into(em_array *out, em_array *in)
{
    if (em__alloc_output(out) < 0)
        return -1;
    if (out->size)
        em__copy_strided(out, 0, out->strides, in);
    return 0;
}

static int inv_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                      const em_params *p)
{
    (void)n_out, (void)n_in, (void)p;
    em_array *out = outs[0];
    const em_blas *L = em__lapack();
    if (!L || copy_into(out, ins[0]) < 0)
        return -1;
    int n = (int)out->shape[out->ndim - 1];
    int64_t nb = batch_of(out, 2);
    if (n == 0)
        return 0;
    int *ipiv = em__host_alloc(n * sizeof *ipiv);
    if (!ipiv)
        return -1;
    int rc = 0;
    for (int64_t b = 0; b < nb && !rc; b++) {
        int info;
        if (out->dtype == EM_FLOAT64) {
            double *A = (double *)em__data(out) + b * n * n;
            info = L->dgetrf(EM_LAPACK_ROW_MAJOR, n, n, A, n, ipiv);
            if (info == 0)
                info = L->dgetri(EM_LAPACK_ROW_MAJOR, n, A, n, ipiv);
        } else {
            float *A = (float *)em__data(out) + b * n * n;
            info = L->sgetrf(EM_LAPACK_ROW_MAJOR, n, n, A, n, ipiv);
            if (info == 0)
                info = L->sgetri(EM_LAPACK_ROW_MAJOR, n, A, n, ipiv);
        }
        if (info > 0)
            rc = em__error("inv: matrix %" PRId64 " of the batch is singular (U[%d,%d] is zero)", b,
                           info - 1, info - 1);
        else if (info < 0)
            rc = em__error("inv: LAPACK getrf/getri failed (argument %d)", -info);
    }
    em__host_free(ipiv, n * sizeof *ipiv);
    return rc;
}

static int solve_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                        const em_params *p)
{
    (void)n_out, (void)n_in, (void)p;
    em_array *out = outs[0], *a = ins[0];
    const em_blas *L = em__lapack();
    if (!L || copy_into(out, ins[1]) < 0)
        return -1;
    int n = (int)a->shape[a->ndim - 1], nrhs = (int)out->shape[out->ndim - 1];
    int64_t nb = batch_of(out, 2);
    if (n == 0 || nrhs == 0 || nb == 0)
        return 0;
    int64_t st[EM_MAX_DIMS];
    void *ad = em__lin_dense_copy(a, st);
    int *ipiv = em__host_alloc(n * sizeof *ipiv);
    if (!ad || !ipiv) {
        if (ad)
            em__lin_dense_free(a, ad);
        if (ipiv)
            em__host_free(ipiv, n * sizeof *ipiv);
        return -1;
    }
    int rc = 0;
    for (int64_t b = 0; b < nb && !rc; b++) {
        int info;
        if (out->dtype == EM_FLOAT64)
            info = L->dgesv(EM_LAPACK_ROW_MAJOR, n, nrhs, (double *)ad + b * n * n, n, ipiv,
                            (double *)em__data(out) + b * n * nrhs, nrhs);
        else
            info = L->sgesv(EM_LAPACK_ROW_MAJOR, n, nrhs, (float *)ad + b * n * n, n, ipiv,
                            (float *)em__data(out) + b * n * nrhs, nrhs);
        if (info > 0)
            rc = em__error("solve: matrix %" PRId64 " of the batch is singular (U[%d,%d] is zero)",
                           b, info - 1, info - 1);
        else if (info < 0)
            rc = em__error("solve: LAPACK gesv failed (argument %d)", -info);
    }
    em__lin_dense_free(a, ad);
    em__host_free(ipiv, n * sizeof *ipiv);
    return rc;
}

static int cholesky_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                           const em_params *p)
{
    (void)n_out, (void)n_in;
    em_array *out = outs[0];
    const em_blas *L = em__lapack();
    if (!L || copy_into(out, ins[0]) < 0)
        return -1;
    bool upper = p && p->i[0];
    int n = (int)out->shape[out->ndim - 1];
    int64_t nb = batch_of(out, 2);
    for (int64_t b = 0; b < nb && n; b++) {
        int info;
        if (out->dtype == EM_FLOAT64) {
            double *A = (double *)em__data(out) + b * n * n;
            info = L->dpotrf(EM_LAPACK_ROW_MAJOR, upper ? 'U' : 'L', n, A, n);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    if (upper ? j < i : j > i)
                        A[i * n + j] = 0;
        } else {
            float *A = (float *)em__data(out) + b * n * n;
            info = L->spotrf(EM_LAPACK_ROW_MAJOR, upper ? 'U' : 'L', n, A, n);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    if (upper ? j < i : j > i)
                        A[i * n + j] = 0;
        }
        if (info > 0)
            return em__error("cholesky: matrix %" PRId64
                             " of the batch is not positive definite (leading minor %d)",
                             b, info);
        if (info < 0)
            return em__error("cholesky: LAPACK potrf failed (argument %d)", -info);
    }
    return 0;
}

static int qr_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                     const em_params *p)
{
    (void)n_out, (void)n_in, (void)p;
    em_array *a = ins[0], *q = outs[0], *r = outs[1];
    const em_blas *L = em__lapack();
    if (!L || em__alloc_output(q) < 0 || em__alloc_output(r) < 0)
        return -1;
    int m = (int)a->shape[a->ndim - 2], n = (int)a->shape[a->ndim - 1], k = m < n ? m : n;
    int64_t nb = batch_of(a, 2);
    if (k == 0 || nb == 0)
        return 0;
    bool f64 = a->dtype == EM_FLOAT64;
    size_t esz = f64 ? 8 : 4;
    int64_t st[EM_MAX_DIMS];
    char *ad = em__lin_dense_copy(a, st);
    char *tau = em__host_alloc(k * esz);
    if (!ad || !tau) {
        if (ad)
            em__lin_dense_free(a, ad);
        if (tau)
            em__host_free(tau, k * esz);
        return -1;
    }
    int rc = 0;
    for (int64_t b = 0; b < nb && !rc; b++) {
        char *A = ad + b * m * n * esz;
        int info = f64 ? L->dgeqrf(EM_LAPACK_ROW_MAJOR, m, n, (double *)A, n, (double *)tau)
                       : L->sgeqrf(EM_LAPACK_ROW_MAJOR, m, n, (float *)A, n, (float *)tau);
        if (info) {
            rc = em__error("qr: LAPACK geqrf failed (%d)", info);
            break;
        }
        for (int i = 0; i < k; i++)
            for (int j = 0; j < n; j++) {
                if (f64) {
                    double *R = (double *)em__data(r) + b * k * n;
                    R[i * n + j] = j >= i ? ((double *)A)[i * n + j] : 0;
                } else {
                    float *R = (float *)em__data(r) + b * k * n;
                    R[i * n + j] = j >= i ? ((float *)A)[i * n + j] : 0;
                }
            }
        info = f64 ? L->dorgqr(EM_LAPACK_ROW_MAJOR, m, k, k, (double *)A, n, (double *)tau)
                   : L->sorgqr(EM_LAPACK_ROW_MAJOR, m, k, k, (float *)A, n, (float *)tau);
        if (info) {
            rc = em__error("qr: LAPACK orgqr failed (%d)", info);
            break;
        }
        char *Q = (char *)em__data(q) + b * m * k * esz;
        for (int i = 0; i < m; i++)
            memcpy(Q + (size_t)i * k * esz, A + (size_t)i * n * esz, k * esz);
    }
    em__lin_dense_free(a, ad);
    em__host_free(tau, k * esz);
    return rc;
}

static void set_identity(em_array *x, int64_t nb, int rows, int cols)
{
    size_t esz = em_dtype_size((em_dtype)x->dtype);
    memset(em__data(x), 0, x->size * esz);
    for (int64_t b = 0; b < nb; b++)
        for (int i = 0; i < rows && i < cols; i++) {
            if (esz == 8)
                ((double *)em__data(x))[b * rows * cols + i * cols + i] = 1;
            else
                ((float *)em__data(x))[b * rows * cols + i * cols + i] = 1;
        }
}

/* p->i[0]: full matrices; p->i[1]: u and vt wanted (else the only output is s). */
static int svd_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                      const em_params *p)
{
    (void)n_in;
    em_array *a = ins[0];
    bool full = p->i[0], uv = p->i[1];
    em_array *u = uv ? outs[0] : NULL, *s = uv ? outs[1] : outs[0], *vt = uv ? outs[2] : NULL;
    const em_blas *L = em__lapack();
    if (!L)
        return -1;
    for (int i = 0; i < n_out; i++)
        if (em__alloc_output(outs[i]) < 0)
            return -1;
    int m = (int)a->shape[a->ndim - 2], n = (int)a->shape[a->ndim - 1], k = m < n ? m : n;
    int64_t nb = batch_of(a, 2);
    int ucols = full ? m : k, vrows = full ? n : k;
    if (nb == 0)
        return 0;
    if (k == 0) {
        if (uv) {
            set_identity(u, nb, m, ucols);
            set_identity(vt, nb, vrows, n);
        }
        return 0;
    }
    bool f64 = a->dtype == EM_FLOAT64;
    size_t esz = f64 ? 8 : 4;
    int64_t st[EM_MAX_DIMS];
    char *ad = em__lin_dense_copy(a, st);
    if (!ad)
        return -1;
    char jobz = uv ? (full ? 'A' : 'S') : 'N';
    double dummy[2];
    int rc = 0;
    for (int64_t b = 0; b < nb && !rc; b++) {
        char *A = ad + b * m * n * esz;
        char *S = (char *)em__data(s) + b * k * esz;
        char *U = uv ? (char *)em__data(u) + b * m * ucols * esz : (char *)dummy;
        char *V = uv ? (char *)em__data(vt) + b * vrows * n * esz : (char *)dummy;
        int ldu = uv ? ucols : 1, ldvt = n;
        int info = f64 ? L->dgesdd(EM_LAPACK_ROW_MAJOR, jobz, m, n, (double *)A, n, (double *)S,
                                   (double *)U, ldu, (double *)V, ldvt)
                       : L->sgesdd(EM_LAPACK_ROW_MAJOR, jobz, m, n, (float *)A, n, (float *)S,
                                   (float *)U, ldu, (float *)V, ldvt);
        if (info > 0)
            rc = em__error("svd: LAPACK gesdd did not converge (matrix %" PRId64 " of the batch)", b);
        else if (info < 0)
            rc = em__error("svd: LAPACK gesdd failed (argument %d)", -info);
    }
    em__lin_dense_free(a, ad);
    return rc;
}

/* p->i[0]: 'L' or 'U'. outs: w (..., n), v (..., n, n). */
static int eigh_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                       const em_params *p)
{
    (void)n_out, (void)n_in;
    em_array *w = outs[0], *v = outs[1];
    const em_blas *L = em__lapack();
    if (!L || em__alloc_output(w) < 0 || copy_into(v, ins[0]) < 0)
        return -1;
    char uplo = (char)p->i[0];
    int n = (int)v->shape[v->ndim - 1];
    int64_t nb = batch_of(v, 2);
    for (int64_t b = 0; b < nb && n; b++) {
        int info = v->dtype == EM_FLOAT64
                       ? L->dsyevd(EM_LAPACK_ROW_MAJOR, 'V', uplo, n,
                                   (double *)em__data(v) + b * n * n, n,
                                   (double *)em__data(w) + b * n)
                       : L->ssyevd(EM_LAPACK_ROW_MAJOR, 'V', uplo, n,
                                   (float *)em__data(v) + b * n * n, n,
                                   (float *)em__data(w) + b * n);
        if (info > 0)
            return em__error("eigh: LAPACK syevd did not converge (matrix %" PRId64 " of the batch)",
                             b);
        if (info < 0)
            return em__error("eigh: LAPACK syevd failed (argument %d)", -info);
    }
    return 0;
}

__attribute__((constructor)) static void register_lapack(void)
{
    em__cpu_register(EM_P_INV, inv_kernel);
    em__cpu_register(EM_P_SOLVE, solve_kernel);
    em__cpu_register(EM_P_CHOLESKY, cholesky_kernel);
    em__cpu_register(EM_P_QR, qr_kernel);
    em__cpu_register(EM_P_SVD, svd_kernel);
    em__cpu_register(EM_P_EIGH, eigh_kernel);
}
