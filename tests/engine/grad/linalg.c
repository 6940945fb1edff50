/* Gradient cases of the linear algebra primitives (matmul, addmm, inv, solve,
 * cholesky, qr, svd, eigh), the ops built on them (outer, inner, tensordot,
 * einsum, norms) and composites (an MLP with softmax cross-entropy, causal
 * attention written with basic ops). */
#include <math.h>

#include "grad.h"

static em_array *f_matmul(em_array *const *x) { return em_matmul(x[0], x[1]); }
static em_array *f_addmm(em_array *const *x) { return em_addmm(x[0], x[1], x[2], 0.7, 1.3); }
static em_array *f_outer(em_array *const *x) { return em_outer(x[0], x[1]); }
static em_array *f_inner(em_array *const *x) { return em_inner(x[0], x[1]); }
static em_array *f_tensordot(em_array *const *x)
{
    return em_tensordot(x[0], x[1], (int[]){1, 2}, (int[]){1, 0}, 2);
}
#define EINSUM(NAME, SPEC, N) \
    static em_array *f_einsum_##NAME(em_array *const *x) { return em_einsum(SPEC, x, N); }
EINSUM(mm, "ij,jk->ik", 2)
EINSUM(bmm, "bij,bjk->bik", 2)
EINSUM(dot, "i,i->", 2)
EINSUM(attn, "bqd,bkd->bqk", 2)
EINSUM(trace, "ii->", 1)
EINSUM(outer3, "i,j,k->ijk", 3)

/* well conditioned: x + 4 I */
static em_array *shifted(em_array *a)
{
    int64_t n = em_array_shape(a)[em_array_ndim(a) - 1];
    return em_add(a, em_multiply(em_eye(n, n, 0, EM_FLOAT64), em_scalar_f(4)));
}
static em_array *f_inv(em_array *const *x) { return em_inv(shifted(x[0])); }
static em_array *f_solve(em_array *const *x) { return em_solve(shifted(x[0]), x[1]); }
static em_array *f_cholesky(em_array *const *x) { return em_cholesky(x[0], false); }
static em_array *f_cholesky_upper(em_array *const *x) { return em_cholesky(x[0], true); }
static em_array *f_qr(em_array *const *x)
{
    em_array *q, *r;
    if (em_qr(x[0], &q, &r) < 0)
        return NULL;
    return em_concatenate((em_array *[]){q, r}, 2, -2);
}
static em_array *f_qr_r(em_array *const *x)
{
    em_array *q, *r;
    return em_qr(x[0], &q, &r) < 0 ? NULL : r;
}
static em_array *f_svd_s(em_array *const *x)
{
    em_array *u, *s, *vt;
    return em_svd(x[0], false, &u, &s, &vt) < 0 ? NULL : s;
}
static em_array *row_scale(em_array *u, em_array *s)
{
    int ax = -2;
    return em_multiply(u, em_expand_dims(s, &ax, 1));
}
static em_array *f_svd_usvt(em_array *const *x)
{
    em_array *u, *s, *vt;
    if (em_svd(x[0], false, &u, &s, &vt) < 0)
        return NULL;
    return em_matmul(row_scale(u, s), vt);
}
/* u s^2 vt: not the identity, so the vector terms matter */
static em_array *f_svd_us2vt(em_array *const *x)
{
    em_array *u, *s, *vt;
    if (em_svd(x[0], false, &u, &s, &vt) < 0)
        return NULL;
    return em_matmul(row_scale(u, em_square(s)), vt);
}
static em_array *f_svd_polar(em_array *const *x)
{
    em_array *u, *s, *vt;
    if (em_svd(x[0], false, &u, &s, &vt) < 0)
        return NULL;
    return em_matmul(u, vt);
}
static em_array *f_eigh_w(em_array *const *x)
{
    em_array *w, *v;
    return em_eigh(x[0], "L", &w, &v) < 0 ? NULL : w;
}
static em_array *eig_rebuild(em_array *const *x, const char *uplo, bool exp_w)
{
    em_array *w, *v;
    if (em_eigh(x[0], uplo, &w, &v) < 0)
        return NULL;
    if (exp_w)
        w = em_exp(em_multiply(w, em_scalar_f(0.1)));
    return em_matmul(row_scale(v, w), em_swapaxes(v, -1, -2));
}
static em_array *f_eigh_vwvt(em_array *const *x) { return eig_rebuild(x, "L", false); }
static em_array *f_eigh_vwvt_upper(em_array *const *x) { return eig_rebuild(x, "U", false); }
static em_array *f_eigh_expm(em_array *const *x) { return eig_rebuild(x, "L", true); }
static em_array *f_norm_vec(em_array *const *x) { return em_norm(x[0], NULL, (int[]){-1}, 1, false); }
static em_array *f_norm_fro(em_array *const *x) { return em_norm(x[0], "fro", NULL, 0, false); }
static em_array *f_norm_nuc(em_array *const *x) { return em_norm(x[0], "nuc", NULL, 0, false); }
static em_array *f_norm_2(em_array *const *x) { return em_norm(x[0], "2", NULL, 0, true); }
static em_array *f_norm_p3(em_array *const *x) { return em_norm_p(x[0], 3, (int[]){0}, 1, false); }
static em_array *f_norm_p1(em_array *const *x) { return em_norm_p(x[0], 1, NULL, 0, false); }
static em_array *f_norm_inf(em_array *const *x) { return em_norm_p(x[0], INFINITY, (int[]){1}, 1, false); }

/* x (4,5), w1 (5,6), b1 (6), w2 (6,3): mean softmax cross-entropy */
static em_array *f_mlp(em_array *const *x)
{
    em_array *h = em_tanh(em_add(em_matmul(x[0], x[1]), x[2]));
    em_array *logits = em_matmul(h, x[3]);
    em_array *lse = em_logsumexp(logits, (int[]){-1}, 1, true);
    em_array *logp = em_subtract(logits, lse);
    int32_t labels[4] = {0, 2, 1, 2};
    em_array *l = em_reshape(em_array_from_data(labels, 1, (int64_t[]){4}, EM_INT32), 2, (int64_t[]){4, 1});
    em_array *c = em_reshape(em_arange(0, 3, 1, EM_INT32), 2, (int64_t[]){1, 3});
    em_array *target = em_astype(em_equal(l, c), EM_FLOAT64);
    return em_negative(em_mean(em_sum(em_multiply(logp, target), (int[]){-1}, 1, false), NULL, 0, false));
}
/* q, k, v (B, T, D): softmax(q k^T / sqrt(D) + causal mask) v */
static em_array *f_attention(em_array *const *x)
{
    int64_t T = em_array_shape(x[0])[1], D = em_array_shape(x[0])[2];
    em_array *s = em_multiply(em_matmul(x[0], em_swapaxes(x[1], -1, -2)), em_scalar_f(1 / sqrt((double)D)));
    em_array *causal = em_tri(T, T, 0, EM_BOOL);
    s = em_where(causal, s, em_scalar_f(-1e9));
    em_array *e = em_exp(em_subtract(s, em_max(s, (int[]){-1}, 1, true)));
    em_array *p = em_divide(e, em_sum(e, (int[]){-1}, 1, true));
    return em_matmul(p, x[2]);
}

#define S1(a) {1, {a}}
#define S2(a, b) {2, {a, b}}
#define S3(a, b, c) {3, {a, b, c}}
#define S4(a, b, c, d) {4, {a, b, c, d}}

const grad_case grad_cases_linalg[] = {
    {"matmul_2d", 2, {S2(3, 4), S2(4, 5)}, -2, 2, f_matmul},
    {"matmul_batched", 2, {S3(2, 3, 4), S3(2, 4, 5)}, -2, 2, f_matmul},
    {"matmul_broadcast_batch", 2, {S4(2, 1, 3, 4), S3(3, 4, 2)}, -2, 2, f_matmul},
    {"matmul_2d_batched", 2, {S2(3, 4), S3(2, 4, 5)}, -2, 2, f_matmul},
    {"matmul_batched_2d", 2, {S3(2, 3, 4), S2(4, 5)}, -2, 2, f_matmul},
    {"matmul_1d_2d", 2, {S1(4), S2(4, 5)}, -2, 2, f_matmul},
    {"matmul_2d_1d", 2, {S2(3, 4), S1(4)}, -2, 2, f_matmul},
    {"matmul_1d_1d", 2, {S1(4), S1(4)}, -2, 2, f_matmul},
    {"addmm", 3, {S2(3, 5), S2(3, 4), S2(4, 5)}, -2, 2, f_addmm},
    {"addmm_bias_row", 3, {S1(5), S2(3, 4), S2(4, 5)}, -2, 2, f_addmm},
    {"addmm_batched", 3, {S3(2, 3, 5), S3(2, 3, 4), S2(4, 5)}, -2, 2, f_addmm},
    {"outer", 2, {S1(3), S1(4)}, -2, 2, f_outer},
    {"inner", 2, {S2(3, 4), S2(2, 4)}, -2, 2, f_inner},
    {"tensordot", 2, {S3(2, 3, 4), S3(4, 3, 5)}, -2, 2, f_tensordot},
    {"einsum_mm", 2, {S2(3, 4), S2(4, 2)}, -2, 2, f_einsum_mm},
    {"einsum_bmm", 2, {S3(2, 3, 4), S3(2, 4, 2)}, -2, 2, f_einsum_bmm},
    {"einsum_dot", 2, {S1(5), S1(5)}, -2, 2, f_einsum_dot},
    {"einsum_attn", 2, {S3(2, 3, 4), S3(2, 5, 4)}, -2, 2, f_einsum_attn},
    {"einsum_trace", 1, {S2(4, 4)}, -2, 2, f_einsum_trace},
    {"einsum_outer3", 3, {S1(2), S1(3), S1(4)}, -2, 2, f_einsum_outer3},
    {"inv", 1, {S2(4, 4)}, -1, 1, f_inv},
    {"inv_batched", 1, {S3(2, 3, 3)}, -1, 1, f_inv},
    {"solve", 2, {S2(3, 3), S2(3, 2)}, -1, 1, f_solve},
    {"solve_vector", 2, {S2(4, 4), S1(4)}, -1, 1, f_solve},
    {"solve_batched", 2, {S3(2, 3, 3), S3(2, 3, 2)}, -1, 1, f_solve},
    {"solve_broadcast", 2, {S2(3, 3), S3(2, 3, 2)}, -1, 1, f_solve},
    {"cholesky", 1, {S2(4, 4)}, -1, 1, f_cholesky, GRAD_POSITIVE_DEF},
    {"cholesky_upper", 1, {S2(4, 4)}, -1, 1, f_cholesky_upper, GRAD_POSITIVE_DEF},
    {"cholesky_batched", 1, {S3(2, 3, 3)}, -1, 1, f_cholesky, GRAD_POSITIVE_DEF},
    {"qr_tall", 1, {S2(5, 3)}, -1, 1, f_qr},
    {"qr_square", 1, {S2(4, 4)}, -1, 1, f_qr},
    {"qr_r_batched", 1, {S3(2, 4, 3)}, -1, 1, f_qr_r},
    {"svd_s", 1, {S2(4, 3)}, -1, 1, f_svd_s},
    {"svd_s_wide", 1, {S2(3, 5)}, -1, 1, f_svd_s},
    {"svd_usvt_tall", 1, {S2(4, 3)}, -1, 1, f_svd_usvt},
    {"svd_usvt_wide", 1, {S2(3, 4)}, -1, 1, f_svd_usvt},
    {"svd_us2vt_tall", 1, {S2(5, 3)}, -1, 1, f_svd_us2vt},
    {"svd_us2vt_wide", 1, {S2(3, 5)}, -1, 1, f_svd_us2vt},
    {"svd_polar_square", 1, {S2(3, 3)}, -1, 1, f_svd_polar},
    {"svd_polar_batched", 1, {S3(2, 4, 3)}, -1, 1, f_svd_polar},
    {"eigh_w", 1, {S2(4, 4)}, -1, 1, f_eigh_w, GRAD_POSITIVE_DEF},
    {"eigh_vwvt", 1, {S2(4, 4)}, -1, 1, f_eigh_vwvt, GRAD_POSITIVE_DEF},
    {"eigh_vwvt_upper", 1, {S2(4, 4)}, -1, 1, f_eigh_vwvt_upper, GRAD_POSITIVE_DEF},
    {"eigh_expm_batched", 1, {S3(2, 3, 3)}, -1, 1, f_eigh_expm, GRAD_POSITIVE_DEF},
    {"norm_vector", 1, {S2(3, 4)}, -2, 2, f_norm_vec},
    {"norm_fro", 1, {S2(3, 4)}, -2, 2, f_norm_fro},
    {"norm_nuc", 1, {S2(4, 3)}, -2, 2, f_norm_nuc},
    {"norm_2", 1, {S2(3, 4)}, -2, 2, f_norm_2},
    {"norm_p3", 1, {S2(3, 4)}, 0.2, 2, f_norm_p3},
    {"norm_p1", 1, {S2(3, 4)}, 0.2, 2, f_norm_p1},
    {"norm_inf", 1, {S2(3, 4)}, -2, 2, f_norm_inf},
    {"mlp_softmax_xent", 4, {S2(4, 5), S2(5, 6), S1(6), S2(6, 3)}, -1, 1, f_mlp},
    {"attention_causal_basic", 3, {S3(2, 4, 3), S3(2, 4, 3), S3(2, 4, 3)}, -1, 1, f_attention},
    {0},
};
