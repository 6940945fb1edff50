/* Runners of the linear algebra parity cases (cases_linalg.py). QR, SVD and
 * eigh are unique only up to signs: their runners return reconstructions
 * (q@r, u@diag(s)@vt, v@diag(w)@v^T) and products that must be identities. */
#include <string.h>

#include "parity.h"

/* Swaps the last two axes. */
static em_array *mT(em_array *a)
{
    int nd = em_array_ndim(a), perm[8];
    for (int i = 0; i < nd; i++)
        perm[i] = i;
    perm[nd - 1] = nd - 2;
    perm[nd - 2] = nd - 1;
    return em_transpose(a, perm);
}

static em_array *maybe_t(em_array *a, const parity_args *args, const char *key)
{
    return parity_bool(args, key, false) ? mT(a) : a;
}

static int run_matmul(em_array **in, int n, const parity_args *a, em_array **out)
{
    em_array *x = maybe_t(in[0], a, "transpose_a"), *y = maybe_t(in[1], a, "transpose_b");
    int64_t step = parity_int(a, "step_a", 1);
    if (step != 1) {
        int64_t z[2] = {0, 0}, st[2] = {1, step};
        x = em_slice(x, z, NULL, st);
    }
    out[0] = em_matmul(x, y);
    return out[0] ? 0 : -1;
}

static int run_addmm(em_array **in, int n, const parity_args *a, em_array **out)
{
    out[0] = em_addmm(in[0], in[1], in[2], parity_f64(a, "alpha", 1), parity_f64(a, "beta", 1));
    return out[0] ? 0 : -1;
}

static int run_outer(em_array **in, int n, const parity_args *a, em_array **out)
{
    out[0] = em_outer(in[0], in[1]);
    return out[0] ? 0 : -1;
}

static int run_inner(em_array **in, int n, const parity_args *a, em_array **out)
{
    out[0] = em_inner(in[0], in[1]);
    return out[0] ? 0 : -1;
}

static int run_tensordot(em_array **in, int n, const parity_args *a, em_array **out)
{
    int xa[8], xb[8];
    int na = parity_ints(a, "axes_a", xa, 8), nb = parity_ints(a, "axes_b", xb, 8);
    if (na < 0)
        na = 0;
    if (nb < 0)
        nb = 0;
    out[0] = em_tensordot(in[0], in[1], xa, xb, na < nb ? na : nb);
    return out[0] ? 0 : -1;
}

static int run_einsum(em_array **in, int n, const parity_args *a, em_array **out)
{
    out[0] = em_einsum(parity_arg(a, "subscripts"), in, n);
    return out[0] ? 0 : -1;
}

static int run_inv(em_array **in, int n, const parity_args *a, em_array **out)
{
    out[0] = em_inv(maybe_t(in[0], a, "transpose_a"));
    /* LAPACK's failures show at evaluation */
    return out[0] && em_eval(out[0]) == 0 ? 0 : -1;
}

static int run_solve(em_array **in, int n, const parity_args *a, em_array **out)
{
    out[0] = em_solve(in[0], in[1]);
    /* LAPACK's failures show at evaluation */
    return out[0] && em_eval(out[0]) == 0 ? 0 : -1;
}

static int run_cholesky(em_array **in, int n, const parity_args *a, em_array **out)
{
    out[0] = em_cholesky(in[0], parity_bool(a, "upper", false));
    /* LAPACK's failures show at evaluation */
    return out[0] && em_eval(out[0]) == 0 ? 0 : -1;
}

static int run_qr(em_array **in, int n, const parity_args *a, em_array **out)
{
    em_array *q, *r;
    if (em_qr(in[0], &q, &r) < 0)
        return -1;
    out[0] = em_matmul(q, r);
    out[1] = em_matmul(mT(q), q);
    out[2] = em_abs(r);
    return out[0] && out[1] && out[2] ? 0 : -1;
}

/* x (..., rows, cols) with its last axis cut to k. */
static em_array *cut_last(em_array *x, int axis_from_end, int64_t k)
{
    int nd = em_array_ndim(x);
    int64_t start[8] = {0}, stop[8];
    memcpy(stop, em_array_shape(x), nd * sizeof *stop);
    stop[nd - axis_from_end] = k;
    return em_slice(x, start, stop, NULL);
}

static int run_svd(em_array **in, int n, const parity_args *a, em_array **out)
{
    em_array *u, *s, *vt;
    if (em_svd(in[0], parity_bool(a, "full", false), &u, &s, &vt) < 0)
        return -1;
    int nd = em_array_ndim(s);
    int64_t k = em_array_dim(s, -1), sh[8];
    memcpy(sh, em_array_shape(s), nd * sizeof *sh);
    sh[nd - 1] = 1;
    sh[nd] = k;
    em_array *us = em_multiply(cut_last(u, 1, k), em_reshape(s, nd + 1, sh));
    out[0] = em_matmul(us, cut_last(vt, 2, k));
    out[1] = s;
    out[2] = em_matmul(mT(u), u);
    out[3] = em_matmul(vt, mT(vt));
    return out[0] && out[2] && out[3] ? 0 : -1;
}

static int run_eigh(em_array **in, int n, const parity_args *a, em_array **out)
{
    em_array *w, *v;
    if (em_eigh(in[0], parity_arg(a, "uplo"), &w, &v) < 0)
        return -1;
    int nd = em_array_ndim(w);
    int64_t sh[8];
    memcpy(sh, em_array_shape(w), nd * sizeof *sh);
    sh[nd] = sh[nd - 1];
    sh[nd - 1] = 1;
    out[0] = w;
    out[1] = em_matmul(em_multiply(v, em_reshape(w, nd + 1, sh)), mT(v));
    out[2] = em_matmul(mT(v), v);
    return out[1] && out[2] ? 0 : -1;
}

static int run_norm(em_array **in, int n, const parity_args *a, em_array **out)
{
    int axes[8];
    int na = parity_ints(a, "axes", axes, 8);
    const char *ord = parity_arg(a, "ord");
    out[0] = em_norm(in[0], ord && strcmp(ord, "none") ? ord : NULL, na < 0 ? NULL : axes,
                     na < 0 ? 0 : na, parity_bool(a, "keepdims", false));
    return out[0] ? 0 : -1;
}

static int run_norm_p(em_array **in, int n, const parity_args *a, em_array **out)
{
    int axes[8];
    int na = parity_ints(a, "axes", axes, 8);
    out[0] = em_norm_p(in[0], parity_f64(a, "p", 2), na < 0 ? NULL : axes, na < 0 ? 0 : na,
                       parity_bool(a, "keepdims", false));
    return out[0] ? 0 : -1;
}

const parity_op parity_ops_linalg[] = {
    {"matmul", run_matmul},     {"addmm", run_addmm},     {"outer", run_outer},
    {"inner", run_inner},       {"tensordot", run_tensordot}, {"einsum", run_einsum},
    {"inv", run_inv},           {"solve", run_solve},     {"cholesky", run_cholesky},
    {"qr", run_qr},             {"svd", run_svd},         {"eigh", run_eigh},
    {"norm", run_norm},         {"norm_p", run_norm_p},   {NULL, NULL},
};
