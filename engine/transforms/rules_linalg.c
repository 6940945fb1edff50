/* Gradient, forward-derivative and batching rules of the linear algebra
 * primitives (matmul, addmm, inv, solve, cholesky, qr, svd, eigh) and of the
 * quantized matmul and dequantize.
 *
 * Matrix calculus used here (A^T: swap of the last two axes, batches ride
 * along; ∘ is the elementwise product):
 *   inv:      dY = -Y dA Y;                 Abar = -Y^T Ybar Y^T
 *   solve:    dX = A^{-1}(dB - dA X);       Bbar = A^{-T} Xbar, Abar = -Bbar X^T
 *   cholesky: dL = L Φ(L^{-1} dA L^{-T});   Φ: lower triangle, half diagonal
 *   qr (rows >= columns), svd, eigh: the usual formulas below.
 * cholesky and eigh read one triangle of A (LAPACK's uplo): their derivatives
 * are those of the function as computed, i.e. taken with respect to that
 * triangle only (the other triangle gets a zero gradient; the symmetric
 * gradient G is folded onto the read triangle as tril(G) + tril(G^T, -1)).
 * svd and eigh assume distinct singular values / eigenvalues (and nonzero
 * singular values where the matrix is not square): the derivatives of the
 * singular/eigen vectors divide by their differences. */
#include <string.h>

#include "transforms_internal.h"

/* ---- helpers ---- */
static em_array *mT(em_array *a) { return a ? em_swapaxes(a, -1, -2) : NULL; }
static em_array *mm(em_array *a, em_array *b) { return em_matmul(a, b); }
static em_array *eye_like(int64_t n, const em_array *like) { return em_eye(n, n, 0, (em_dtype)like->dtype); }
static em_array *addn(em_array *a, em_array *b) { return !a ? b : !b ? a : em_add(a, b); }
static em_array *scaled(em_array *a, double k) { return k == 1 ? a : em_multiply(a, em_scalar_f(k)); }
/* v (..., k) -> (..., k, k) with v on the diagonal */
static em_array *diag_embed(em_array *v)
{
    int ax = -2;
    int64_t k = v->shape[v->ndim - 1];
    return em_multiply(em_expand_dims(v, &ax, 1), eye_like(k, v));
}
/* the diagonal of square matrices (..., k, k) -> (..., k) */
static em_array *diag_part(em_array *m)
{
    int64_t k = m->shape[m->ndim - 1];
    int ax = -1;
    return em_sum(em_multiply(m, eye_like(k, m)), &ax, 1, false);
}
static em_array *row(em_array *v) { int ax = -2; return em_expand_dims(v, &ax, 1); } /* (...,1,k) */
static em_array *col(em_array *v) { int ax = -1; return em_expand_dims(v, &ax, 1); } /* (...,k,1) */
/* the batched array `x` with batch axis `axis` moved to the front and padded
 * with size-1 axes so it has `nd` dimensions after the batch one */
static em_array *front_pad(em_array *x, int axis, int nd)
{
    em_array *f = axis == 0 ? x : em_moveaxis(x, axis, 0);
    if (!f || f->ndim - 1 >= nd)
        return f;
    int64_t shape[EM_MAX_DIMS];
    int lead = nd - (f->ndim - 1);
    shape[0] = f->shape[0];
    for (int d = 0; d < lead; d++)
        shape[1 + d] = 1;
    for (int d = 1; d < f->ndim; d++)
        shape[lead + d] = f->shape[d];
    return em_reshape(f, nd + 1, shape);
}
static em_array *front(em_array *x, int axis) { return axis == 0 ? x : em_moveaxis(x, axis, 0); }
static int64_t batch_size(em_array *const *ins, const int *axes, int n)
{
    for (int i = 0; i < n; i++)
        if (axes[i] >= 0)
            return ins[i]->shape[axes[i]];
    return 1;
}
/* an unbatched input repeated along a new front axis of size b */
static em_array *repeat_front(em_array *x, int64_t b)
{
    int ax = 0;
    em_array *e = em_expand_dims(x, &ax, 1);
    if (!e)
        return NULL;
    int64_t shape[EM_MAX_DIMS];
    memcpy(shape, e->shape, e->ndim * sizeof *shape);
    shape[0] = b;
    return em_broadcast_to(e, e->ndim, shape);
}
static em_array *batched_front(em_array *x, int axis, int64_t b)
{
    return axis >= 0 ? front(x, axis) : repeat_front(x, b);
}
/* F_ij = 1 / (e_j - e_i) off the diagonal, 0 on it (e: (..., k)) */
static em_array *gap_inverse(em_array *e)
{
    int64_t k = e->shape[e->ndim - 1];
    em_array *I = eye_like(k, e);
    em_array *diff = em_subtract(row(e), col(e));
    return em_divide(em_subtract(em_scalar_f(1), I), em_add(diff, I));
}
/* the gradient G with respect to a symmetric A, folded onto the triangle the
 * kernel reads ('L' or 'U'); and a tangent's effective symmetric value */
static em_array *fold_triangle(em_array *G, bool upper)
{
    return upper ? em_add(em_triu(G, 0), em_triu(mT(G), 1)) : em_add(em_tril(G, 0), em_tril(mT(G), -1));
}
static em_array *read_symmetric(em_array *t, bool upper)
{
    return upper ? em_add(em_triu(t, 0), mT(em_triu(t, 1))) : em_add(em_tril(t, 0), mT(em_tril(t, -1)));
}
static int check(em_array **r, int n)
{
    for (int i = 0; i < n; i++)
        if (!r[i])
            return -1;
    return 0;
}

/* ---- matmul: inputs x (..., m, k), y (..., k, n), batch dims broadcast ---- */
static void matmul_cots(em_array *x, em_array *y, em_array *g, double alpha, em_array **dx,
                        em_array **dy)
{
    *dx = em__unbroadcast(mm(g, mT(y)), x->ndim, x->shape);
    if (y->ndim == 2 && x->ndim > 2) {
        /* one GEMM over the flattened batch instead of a batch of them summed */
        int64_t k = x->shape[x->ndim - 1], n = g->shape[g->ndim - 1];
        int64_t xs[2] = {x->size / (k ? k : 1), k}, gs[2] = {xs[0], n};
        if (k == 0)
            xs[0] = gs[0] = g->size / (n ? n : 1);
        *dy = mm(mT(em_reshape(x, 2, xs)), em_reshape(g, 2, gs));
    } else {
        *dy = em__unbroadcast(mm(mT(x), g), y->ndim, y->shape);
    }
    *dx = scaled(*dx, alpha);
    *dy = scaled(*dy, alpha);
}

static int vjp_matmul(em_array *const *outs, int n_out, em_array *const *cots, em_array *const *ins,
                      int n_in, const em_params *p, em_array **in_cots)
{
    matmul_cots(ins[0], ins[1], cots[0], 1, &in_cots[0], &in_cots[1]);
    return check(in_cots, 2);
}

static int jvp_matmul(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                      em_array *const *in_tans, const em_params *p, em_array **out_tans)
{
    em_array *o = outs[0], *t = NULL;
    if (in_tans[0])
        t = em__replay(o, (em_array *const[]){in_tans[0], ins[1]}, 2, o->ndim, o->shape);
    if (in_tans[1])
        t = addn(t, em__replay(o, (em_array *const[]){ins[0], in_tans[1]}, 2, o->ndim, o->shape));
    out_tans[0] = t;
    return t ? 0 : -1;
}

static int vmap_matmul(const em_array *node, em_array *const *ins, const int *axes, int n_in,
                       em_array **outs, int *out_axes)
{
    int nd = node->ndim; /* batch dims + 2 */
    em_array *x = axes[0] >= 0 ? front_pad(ins[0], axes[0], nd) : ins[0];
    em_array *y = axes[1] >= 0 ? front_pad(ins[1], axes[1], nd) : ins[1];
    outs[0] = em_matmul(x, y);
    out_axes[0] = 0;
    return outs[0] ? 0 : -1;
}

/* ---- addmm: inputs c (full shape), a, b; alpha f[0], beta f[1] ---- */
static int vjp_addmm(em_array *const *outs, int n_out, em_array *const *cots, em_array *const *ins,
                     int n_in, const em_params *p, em_array **in_cots)
{
    in_cots[0] = scaled(cots[0], p->f[1]);
    matmul_cots(ins[1], ins[2], cots[0], p->f[0], &in_cots[1], &in_cots[2]);
    return check(in_cots, 3);
}

static int jvp_addmm(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                     em_array *const *in_tans, const em_params *p, em_array **out_tans)
{
    em_array *t = NULL;
    if (in_tans[1])
        t = mm(in_tans[1], ins[2]);
    if (in_tans[2])
        t = addn(t, mm(ins[1], in_tans[2]));
    if (t)
        t = scaled(t, p->f[0]);
    if (in_tans[0])
        t = addn(t, scaled(in_tans[0], p->f[1]));
    if (t && t->dtype != outs[0]->dtype)
        t = em_astype(t, (em_dtype)outs[0]->dtype);
    out_tans[0] = t;
    return t ? 0 : -1;
}

static int vmap_addmm(const em_array *node, em_array *const *ins, const int *axes, int n_in,
                      em_array **outs, int *out_axes)
{
    int nd = node->ndim;
    em_array *c = axes[0] >= 0 ? front_pad(ins[0], axes[0], nd) : ins[0];
    em_array *a = axes[1] >= 0 ? front_pad(ins[1], axes[1], nd) : ins[1];
    em_array *b = axes[2] >= 0 ? front_pad(ins[2], axes[2], nd) : ins[2];
    const em_params *p = node->params;
    if (axes[1] >= 0 || axes[2] >= 0)
        outs[0] = em_addmm(c, a, b, p->f[0], p->f[1]);
    else /* only c is batched: the product does not carry the batch */
        outs[0] = em_add(scaled(mm(a, b), p->f[0]), scaled(c, p->f[1]));
    out_axes[0] = 0;
    return outs[0] ? 0 : -1;
}

/* ---- inv ---- */
static int vjp_inv(em_array *const *outs, int n_out, em_array *const *cots, em_array *const *ins,
                   int n_in, const em_params *p, em_array **in_cots)
{
    em_array *yt = mT(outs[0]);
    in_cots[0] = em_negative(mm(mm(yt, cots[0]), yt));
    return check(in_cots, 1);
}

static int jvp_inv(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                   em_array *const *in_tans, const em_params *p, em_array **out_tans)
{
    out_tans[0] = em_negative(mm(mm(outs[0], in_tans[0]), outs[0]));
    return check(out_tans, 1);
}

static int vmap_inv(const em_array *node, em_array *const *ins, const int *axes, int n_in,
                    em_array **outs, int *out_axes)
{
    outs[0] = em_inv(front(ins[0], axes[0]));
    out_axes[0] = 0;
    return check(outs, 1);
}

/* ---- solve: inputs A (..., n, n), B (..., n, k), same batch shape ---- */
static int vjp_solve(em_array *const *outs, int n_out, em_array *const *cots, em_array *const *ins,
                     int n_in, const em_params *p, em_array **in_cots)
{
    em_array *bbar = em_solve(mT(ins[0]), cots[0]);
    in_cots[1] = bbar;
    in_cots[0] = em_negative(mm(bbar, mT(outs[0])));
    return check(in_cots, 2);
}

static int jvp_solve(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                     em_array *const *in_tans, const em_params *p, em_array **out_tans)
{
    em_array *rhs = in_tans[1];
    if (in_tans[0]) {
        em_array *d = mm(in_tans[0], outs[0]);
        rhs = rhs ? em_subtract(rhs, d) : em_negative(d);
    }
    out_tans[0] = em_solve(ins[0], rhs);
    return check(out_tans, 1);
}

static int vmap_solve(const em_array *node, em_array *const *ins, const int *axes, int n_in,
                      em_array **outs, int *out_axes)
{
    int nd = node->ndim;
    em_array *a = axes[0] >= 0 ? front_pad(ins[0], axes[0], nd) : ins[0];
    em_array *b = axes[1] >= 0 ? front_pad(ins[1], axes[1], nd) : ins[1];
    outs[0] = em_solve(a, b);
    out_axes[0] = 0;
    return check(outs, 1);
}

/* ---- cholesky (params i[0]: upper) ---- */
static em_array *phi(em_array *m)
{
    int64_t k = m->shape[m->ndim - 1];
    return em_subtract(em_tril(m, 0), em_multiply(em_scalar_f(0.5), em_multiply(m, eye_like(k, m))));
}

static int vjp_cholesky(em_array *const *outs, int n_out, em_array *const *cots,
                        em_array *const *ins, int n_in, const em_params *p, em_array **in_cots)
{
    bool upper = p && p->i[0];
    em_array *L = upper ? mT(outs[0]) : outs[0];
    em_array *Lbar = upper ? mT(cots[0]) : cots[0];
    em_array *Linv = em_inv(L);
    em_array *S = mm(mm(mT(Linv), phi(mm(mT(L), Lbar))), Linv);
    /* S is the gradient for symmetric tangents; as such, its symmetric part */
    em_array *G = em_multiply(em_scalar_f(0.5), em_add(S, mT(S)));
    in_cots[0] = fold_triangle(G, upper);
    return check(in_cots, 1);
}

static int jvp_cholesky(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                        em_array *const *in_tans, const em_params *p, em_array **out_tans)
{
    bool upper = p && p->i[0];
    em_array *L = upper ? mT(outs[0]) : outs[0];
    em_array *Linv = em_inv(L);
    em_array *dA = read_symmetric(in_tans[0], upper);
    em_array *dL = mm(L, phi(mm(mm(Linv, dA), mT(Linv))));
    out_tans[0] = upper ? mT(dL) : dL;
    return check(out_tans, 1);
}

static int vmap_cholesky(const em_array *node, em_array *const *ins, const int *axes, int n_in,
                         em_array **outs, int *out_axes)
{
    outs[0] = em_cholesky(front(ins[0], axes[0]), node->params && node->params->i[0]);
    out_axes[0] = 0;
    return check(outs, 1);
}

/* ---- qr (reduced; rows >= columns) ----
 * C = Q^T dA R^{-1}, Ω = tril(C,-1) - tril(C,-1)^T: dR = (C - Ω) R,
 * dQ = dA R^{-1} - Q (C - Ω). Adjoint: N = Rbar R^T - Q^T Qbar,
 * Abar = (Qbar + Q (triu(N) + tril(N^T,-1))) R^{-T}. */
static int qr_shape_ok(const em_array *a)
{
    if (a->shape[a->ndim - 2] < a->shape[a->ndim - 1]) {
        char d[128];
        return em__error("qr: derivatives need rows >= columns, got %s", em__describe(a, d, sizeof d));
    }
    return 0;
}

static int vjp_qr(em_array *const *outs, int n_out, em_array *const *cots, em_array *const *ins,
                  int n_in, const em_params *p, em_array **in_cots)
{
    if (qr_shape_ok(ins[0]) < 0)
        return -1;
    em_array *Q = outs[0], *R = outs[1], *Qbar = cots[0], *Rbar = n_out > 1 ? cots[1] : NULL;
    if (!Q || !R) {
        em_qr(ins[0], &Q, &R);
        if (!Q || !R)
            return -1;
    }
    em_array *N = NULL;
    if (Rbar)
        N = mm(Rbar, mT(R));
    if (Qbar)
        N = N ? em_subtract(N, mm(mT(Q), Qbar)) : em_negative(mm(mT(Q), Qbar));
    em_array *Z = em_add(em_triu(N, 0), em_tril(mT(N), -1));
    em_array *lhs = mm(Q, Z);
    if (Qbar)
        lhs = em_add(lhs, Qbar);
    /* lhs R^{-T} = (R^{-1} lhs^T)^T */
    in_cots[0] = mT(em_solve(R, mT(lhs)));
    return check(in_cots, 1);
}

static int jvp_qr(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                  em_array *const *in_tans, const em_params *p, em_array **out_tans)
{
    if (qr_shape_ok(ins[0]) < 0)
        return -1;
    em_array *Q = outs[0], *R = outs[1];
    if (!Q || !R) {
        em_qr(ins[0], &Q, &R);
        if (!Q || !R)
            return -1;
    }
    em_array *dARinv = mT(em_solve(mT(R), mT(in_tans[0]))); /* dA R^{-1} */
    em_array *C = mm(mT(Q), dARinv);
    em_array *low = em_tril(C, -1);
    em_array *M = em_subtract(C, em_subtract(low, mT(low)));
    out_tans[0] = em_subtract(dARinv, mm(Q, M));
    out_tans[1] = mm(M, R);
    return check(out_tans, 2);
}

static int vmap_qr(const em_array *node, em_array *const *ins, const int *axes, int n_in,
                   em_array **outs, int *out_axes)
{
    if (em_qr(front(ins[0], axes[0]), &outs[0], &outs[1]) < 0)
        return -1;
    out_axes[0] = out_axes[1] = 0;
    return 0;
}

/* ---- svd (params i[0]: full_matrices, i[1]: compute_uv; outputs u, s, vt
 * or s alone). A = U diag(s) V^T, F_ij = 1/(s_j^2 - s_i^2), dS = U^T dA V:
 *   ds = diag(dS)
 *   dU = U (F∘(dS D + D dS^T)) + (I - U U^T) dA V D^{-1}     (the last for m > n)
 *   dV = V (F∘(D dS + dS^T D)) + (I - V V^T) dA^T U D^{-1}   (the last for n > m)
 * and the adjoint of that map. */
static int svd_parts(em_array *const *outs, int n_out, em_array *a, const em_params *p,
                     em_array **u, em_array **s, em_array **vt)
{
    int64_t m = a->shape[a->ndim - 2], n = a->shape[a->ndim - 1];
    bool uv = n_out == 3;
    if (uv && p->i[0] && m != n)
        return em__error("svd: derivatives of full_matrices u and vt of a non-square matrix are not "
                         "defined (%lld x %lld)", (long long)m, (long long)n);
    if (uv && outs[0] && outs[1] && outs[2]) {
        *u = outs[0];
        *s = outs[1];
        *vt = outs[2];
        return 0;
    }
    /* s alone, or dead siblings: the reduced factors again */
    return em_svd(a, false, u, s, vt);
}

static int vjp_svd(em_array *const *outs, int n_out, em_array *const *cots, em_array *const *ins,
                   int n_in, const em_params *p, em_array **in_cots)
{
    em_array *A = ins[0], *U, *s, *Vt;
    if (svd_parts(outs, n_out, A, p, &U, &s, &Vt) < 0)
        return -1;
    em_array *sbar = n_out == 3 ? cots[1] : cots[0];
    em_array *Ubar = n_out == 3 ? cots[0] : NULL, *Vtbar = n_out == 3 ? cots[2] : NULL;
    int64_t m = A->shape[A->ndim - 2], n = A->shape[A->ndim - 1];
    em_array *V = mT(Vt), *inner = NULL, *extra = NULL;
    if (sbar)
        inner = diag_embed(sbar);
    if (Ubar || Vtbar) {
        em_array *F = gap_inverse(em_square(s));
        if (Ubar) {
            em_array *J = mm(mT(U), Ubar);
            em_array *K = em_multiply(F, J);
            inner = addn(inner, em_multiply(em_add(K, mT(K)), row(s)));
            if (m > n)
                extra = mm(em_divide(em_subtract(Ubar, mm(U, J)), row(s)), Vt);
        }
        if (Vtbar) {
            em_array *Vbar = mT(Vtbar);
            em_array *J = mm(Vt, Vbar);
            em_array *Lm = em_multiply(F, J);
            inner = addn(inner, em_multiply(col(s), em_add(Lm, mT(Lm))));
            if (n > m)
                extra = addn(extra, mm(U, mT(em_divide(em_subtract(Vbar, mm(V, J)), row(s)))));
        }
    }
    em_array *g = inner ? mm(mm(U, inner), Vt) : NULL;
    in_cots[0] = addn(g, extra);
    return in_cots[0] || (!sbar && !Ubar && !Vtbar) ? 0 : -1;
}

static int jvp_svd(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                   em_array *const *in_tans, const em_params *p, em_array **out_tans)
{
    em_array *A = ins[0], *dA = in_tans[0], *U, *s, *Vt;
    if (svd_parts(outs, n_out, A, p, &U, &s, &Vt) < 0)
        return -1;
    int64_t m = A->shape[A->ndim - 2], n = A->shape[A->ndim - 1];
    em_array *V = mT(Vt);
    em_array *dS = mm(mm(mT(U), dA), V);
    em_array *ds = diag_part(dS);
    if (n_out == 1) {
        out_tans[0] = ds;
        return check(out_tans, 1);
    }
    em_array *F = gap_inverse(em_square(s));
    em_array *dSD = em_multiply(dS, row(s)), *DdS = em_multiply(col(s), dS);
    em_array *dU = mm(U, em_multiply(F, em_add(dSD, mT(dSD))));
    em_array *dV = mm(V, em_multiply(F, em_add(DdS, mT(DdS))));
    if (m > n) {
        em_array *dAV = mm(dA, V);
        dU = em_add(dU, em_divide(em_subtract(dAV, mm(U, mm(mT(U), dAV))), row(s)));
    }
    if (n > m) {
        em_array *dAtU = mm(mT(dA), U);
        dV = em_add(dV, em_divide(em_subtract(dAtU, mm(V, mm(Vt, dAtU))), row(s)));
    }
    out_tans[0] = dU;
    out_tans[1] = ds;
    out_tans[2] = mT(dV);
    return check(out_tans, 3);
}

static int vmap_svd(const em_array *node, em_array *const *ins, const int *axes, int n_in,
                    em_array **outs, int *out_axes)
{
    em_array *x = front(ins[0], axes[0]);
    if (!x)
        return -1;
    const em_params *p = node->params;
    if (p->i[1]) {
        if (em_svd(x, p->i[0], &outs[0], &outs[1], &outs[2]) < 0)
            return -1;
        out_axes[0] = out_axes[1] = out_axes[2] = 0;
        return 0;
    }
    /* singular values alone: the same primitive on the batch */
    int64_t shape[EM_MAX_DIMS];
    shape[0] = x->shape[0];
    memcpy(shape + 1, node->shape, node->ndim * sizeof *shape);
    em_dtype t = (em_dtype)node->dtype;
    int nd = node->ndim + 1;
    const int64_t *shapes[1] = {shape};
    em__internal_begin();
    int rc = em__node_multi(EM_P_SVD, 1, &t, &nd, shapes, &x, 1, p, outs);
    rc = em__internal_end_many(rc, outs, rc == 0 ? 1 : 0);
    out_axes[0] = 0;
    return rc;
}

/* ---- eigh (params i[0]: 'L' or 'U'; outputs w, v). A = V diag(w) V^T,
 * F_ij = 1/(w_j - w_i), dS = V^T dA V: dw = diag(dS), dV = V (F∘dS);
 * Abar = V (diag(wbar) + F∘(V^T Vbar)) V^T, folded onto the read triangle. */
static int eigh_parts(em_array *const *outs, em_array *a, const em_params *p, em_array **w,
                      em_array **v)
{
    if (outs[0] && outs[1]) {
        *w = outs[0];
        *v = outs[1];
        return 0;
    }
    char uplo[2] = {(char)p->i[0], 0};
    return em_eigh(a, uplo, w, v);
}

static int vjp_eigh(em_array *const *outs, int n_out, em_array *const *cots, em_array *const *ins,
                    int n_in, const em_params *p, em_array **in_cots)
{
    em_array *w, *V;
    if (eigh_parts(outs, ins[0], p, &w, &V) < 0)
        return -1;
    em_array *inner = cots[0] ? diag_embed(cots[0]) : NULL;
    if (cots[1])
        inner = addn(inner, em_multiply(gap_inverse(w), mm(mT(V), cots[1])));
    em_array *G = mm(mm(V, inner), mT(V));
    in_cots[0] = fold_triangle(G, p->i[0] == 'U');
    return check(in_cots, 1);
}

static int jvp_eigh(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                    em_array *const *in_tans, const em_params *p, em_array **out_tans)
{
    em_array *w, *V;
    if (eigh_parts(outs, ins[0], p, &w, &V) < 0)
        return -1;
    em_array *dA = read_symmetric(in_tans[0], p->i[0] == 'U');
    em_array *dS = mm(mm(mT(V), dA), V);
    out_tans[0] = diag_part(dS);
    out_tans[1] = mm(V, em_multiply(gap_inverse(w), dS));
    return check(out_tans, 2);
}

static int vmap_eigh(const em_array *node, em_array *const *ins, const int *axes, int n_in,
                     em_array **outs, int *out_axes)
{
    char uplo[2] = {(char)node->params->i[0], 0};
    if (em_eigh(front(ins[0], axes[0]), uplo, &outs[0], &outs[1]) < 0)
        return -1;
    out_axes[0] = out_axes[1] = 0;
    return 0;
}

/* ---- quantized: inputs wq (uint32), scales, biases (params i[0] group
 * size, i[1] bits, i[2] transpose for the matmul). The packed weights get no
 * gradient; quantized_matmul differentiates in x only (scales and biases of a
 * frozen quantized layer get none); dequantize in scales and biases. */
static int vjp_qmm(em_array *const *outs, int n_out, em_array *const *cots, em_array *const *ins,
                   int n_in, const em_params *p, em_array **in_cots)
{
    em_array *g = em_quantized_matmul(cots[0], ins[1], ins[2], ins[3], !p->i[2], (int)p->i[0], (int)p->i[1]);
    in_cots[0] = g && g->dtype != ins[0]->dtype ? em_astype(g, (em_dtype)ins[0]->dtype) : g;
    return check(in_cots, 1);
}

static int jvp_qmm(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                   em_array *const *in_tans, const em_params *p, em_array **out_tans)
{
    if (!in_tans[0])
        return 0; /* scales/biases tangents: not differentiated */
    em_array *o = outs[0];
    out_tans[0] = em__replay(o, (em_array *const[]){in_tans[0], ins[1], ins[2], ins[3]}, 4, o->ndim, o->shape);
    return check(out_tans, 1);
}

static int vmap_qmm(const em_array *node, em_array *const *ins, const int *axes, int n_in,
                    em_array **outs, int *out_axes)
{
    if (axes[1] >= 0 || axes[2] >= 0 || axes[3] >= 0)
        return em__error("vmap: quantized_matmul is batched over x only, not over its weights");
    const em_params *p = node->params;
    outs[0] = em_quantized_matmul(front(ins[0], axes[0]), ins[1], ins[2], ins[3], p->i[2], (int)p->i[0], (int)p->i[1]);
    out_axes[0] = 0;
    return check(outs, 1);
}

/* dequantize: w = q * s + b per group; q = dequantize with s = 1, b = 0 */
static em_array *grouped(em_array *a, int64_t groups, int64_t gs)
{
    int64_t shape[EM_MAX_DIMS + 1];
    memcpy(shape, a->shape, (a->ndim - 1) * sizeof *shape);
    shape[a->ndim - 1] = groups;
    shape[a->ndim] = gs;
    return em_reshape(a, a->ndim + 1, shape);
}

static int vjp_dequantize(em_array *const *outs, int n_out, em_array *const *cots,
                          em_array *const *ins, int n_in, const em_params *p, em_array **in_cots)
{
    em_array *s = ins[1];
    int64_t groups = s->shape[s->ndim - 1], gs = p->i[0];
    em_array *q = em_dequantize(ins[0], em_ones_like(s), em_zeros_like(s), (int)gs, (int)p->i[1]);
    int ax = -1;
    em_array *g = grouped(cots[0], groups, gs);
    in_cots[1] = em_sum(em_multiply(g, grouped(q, groups, gs)), &ax, 1, false);
    in_cots[2] = em_sum(g, &ax, 1, false);
    return check(in_cots + 1, 2);
}

static int jvp_dequantize(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                          em_array *const *in_tans, const em_params *p, em_array **out_tans)
{
    em_array *o = outs[0], *s = ins[1], *t = NULL;
    int64_t groups = s->shape[s->ndim - 1], gs = p->i[0];
    int ax = -1;
    if (in_tans[1]) {
        em_array *q = em_dequantize(ins[0], em_ones_like(s), em_zeros_like(s), (int)gs, (int)p->i[1]);
        t = em_multiply(grouped(q, groups, gs), em_expand_dims(in_tans[1], &ax, 1));
    }
    if (in_tans[2])
        t = addn(t, em_broadcast_to(em_expand_dims(in_tans[2], &ax, 1), o->ndim + 1,
                                    grouped(o, groups, gs)->shape));
    if (!t)
        return 0;
    out_tans[0] = em_reshape(t, o->ndim, o->shape);
    return check(out_tans, 1);
}

static int vmap_dequantize(const em_array *node, em_array *const *ins, const int *axes, int n_in,
                           em_array **outs, int *out_axes)
{
    int64_t b = batch_size(ins, axes, n_in);
    em_array *x[3];
    for (int i = 0; i < 3; i++)
        x[i] = batched_front(ins[i], axes[i], b);
    const em_params *p = node->params;
    outs[0] = em_dequantize(x[0], x[1], x[2], (int)p->i[0], (int)p->i[1]);
    out_axes[0] = 0;
    return check(outs, 1);
}

__attribute__((constructor)) static void register_linalg_rules(void)
{
    em__register_vjp(EM_P_MATMUL, vjp_matmul);
    em__register_jvp(EM_P_MATMUL, jvp_matmul);
    em__register_vmap(EM_P_MATMUL, vmap_matmul);
    em__register_vjp(EM_P_ADDMM, vjp_addmm);
    em__register_jvp(EM_P_ADDMM, jvp_addmm);
    em__register_vmap(EM_P_ADDMM, vmap_addmm);
    em__register_vjp(EM_P_INV, vjp_inv);
    em__register_jvp(EM_P_INV, jvp_inv);
    em__register_vmap(EM_P_INV, vmap_inv);
    em__register_vjp(EM_P_SOLVE, vjp_solve);
    em__register_jvp(EM_P_SOLVE, jvp_solve);
    em__register_vmap(EM_P_SOLVE, vmap_solve);
    em__register_vjp(EM_P_CHOLESKY, vjp_cholesky);
    em__register_jvp(EM_P_CHOLESKY, jvp_cholesky);
    em__register_vmap(EM_P_CHOLESKY, vmap_cholesky);
    em__register_vjp(EM_P_QR, vjp_qr);
    em__register_jvp(EM_P_QR, jvp_qr);
    em__register_vmap(EM_P_QR, vmap_qr);
    em__register_vjp(EM_P_SVD, vjp_svd);
    em__register_jvp(EM_P_SVD, jvp_svd);
    em__register_vmap(EM_P_SVD, vmap_svd);
    em__register_vjp(EM_P_EIGH, vjp_eigh);
    em__register_jvp(EM_P_EIGH, jvp_eigh);
    em__register_vmap(EM_P_EIGH, vmap_eigh);
    em__register_vjp(EM_P_QUANTIZED_MATMUL, vjp_qmm);
    em__register_jvp(EM_P_QUANTIZED_MATMUL, jvp_qmm);
    em__register_vmap(EM_P_QUANTIZED_MATMUL, vmap_qmm);
    em__register_vjp(EM_P_DEQUANTIZE, vjp_dequantize);
    em__register_jvp(EM_P_DEQUANTIZE, jvp_dequantize);
    em__register_vmap(EM_P_DEQUANTIZE, vmap_dequantize);
}
