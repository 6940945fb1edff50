/* Linear algebra constructors: matmul and its relatives (addmm, outer, inner,
 * tensordot), the LAPACK ops (inv, solve, cholesky, qr, svd, eigh) and norms. */
#include <math.h>
#include <string.h>

#include "linalg_ops.h"

static em_array *reshape_to(em_array *a, int nd, const int64_t *shape)
{
    return em_reshape(a, nd, shape);
}

em_array *em_matmul(em_array *a, em_array *b)
{
    if (!a || !b)
        return NULL;
    char d1[128], d2[128];
    if (a->ndim == 0 || b->ndim == 0) {
        em__error("matmul: scalar operands are not allowed (%s, %s)", em__describe(a, d1, sizeof d1),
                  em__describe(b, d2, sizeof d2));
        return NULL;
    }
    int64_t ka = a->shape[a->ndim - 1], kb = b->ndim == 1 ? b->shape[0] : b->shape[b->ndim - 2];
    if (ka != kb) {
        em__error("matmul: inner dimensions differ (%s @ %s)", em__describe(a, d1, sizeof d1),
                  em__describe(b, d2, sizeof d2));
        return NULL;
    }
    int nb;
    int64_t shape[EM_MAX_DIMS + 2];
    int abd = a->ndim > 2 ? a->ndim - 2 : 0, bbd = b->ndim > 2 ? b->ndim - 2 : 0;
    if (em__broadcast_shapes("matmul", abd, a->shape, bbd, b->shape, &nb, shape) < 0)
        return NULL;
    if (nb + 2 > EM_MAX_DIMS) {
        em__error("matmul: too many dimensions (%s @ %s)", em__describe(a, d1, sizeof d1),
                  em__describe(b, d2, sizeof d2));
        return NULL;
    }
    em_dtype t = em__result_type(a, b);
    em_dtype ct = t == EM_FLOAT16 || t == EM_BFLOAT16 ? EM_FLOAT32 : t == EM_BOOL ? EM_INT32 : t;
    /* vulkan: on the GPU, half types go to the matmul kernel as they are (it
     * accumulates in float32 and rounds once, as the cast here does) */
    if (ct != t && t != EM_BOOL && em_current_stream().device.type == EM_GPU &&
        em_device_available(em_gpu()))
        ct = t;
    int64_t m = a->ndim == 1 ? 1 : a->shape[a->ndim - 2], n = b->ndim == 1 ? 1 : b->shape[b->ndim - 1];
    shape[nb] = m;
    shape[nb + 1] = n;
    em__internal_begin();
    em_array *x = NULL, *y = NULL, *xc = NULL, *yc = NULL, *r = NULL;
    int64_t s2[2] = {1, ka};
    x = a->ndim == 1 ? reshape_to(a, 2, s2) : em_retain(a);
    s2[0] = kb;
    s2[1] = 1;
    y = b->ndim == 1 ? reshape_to(b, 2, s2) : em_retain(b);
    xc = em__cast(x, ct);
    yc = em__cast(y, ct);
    if (xc && yc) {
        em_array *in[2] = {xc, yc};
        r = em__node(EM_P_MATMUL, ct, nb + 2, shape, in, 2, NULL);
    }
    if (r && ct != t) {
        em_array *q = em_astype(r, t);
        em_release(r);
        r = q;
    }
    if (r && (a->ndim == 1 || b->ndim == 1)) {
        int nd = nb;
        if (a->ndim != 1)
            shape[nd++] = m;
        if (b->ndim != 1)
            shape[nd++] = n;
        em_array *q = reshape_to(r, nd, shape);
        em_release(r);
        r = q;
    }
    em_release(x);
    em_release(y);
    em_release(xc);
    em_release(yc);
    return em__internal_end(r);
}

em_array *em_addmm(em_array *c, em_array *a, em_array *b, double alpha, double beta)
{
    if (!c || !a || !b)
        return NULL;
    char d1[128], d2[128];
    if (a->ndim < 2 || b->ndim < 2) {
        /* vectors: through matmul's promotion rules */
        em_scope *s = em_scope_begin();
        em_array *r = em_add(em_multiply(em_matmul(a, b), em_scalar_f(alpha)),
                             em_multiply(c, em_scalar_f(beta)));
        return em__composite_end(s, r);
    }
    int64_t ka = a->shape[a->ndim - 1], kb = b->shape[b->ndim - 2];
    if (ka != kb) {
        em__error("addmm: inner dimensions differ (%s @ %s)", em__describe(a, d1, sizeof d1),
                  em__describe(b, d2, sizeof d2));
        return NULL;
    }
    em_dtype t = em__result_type(a, b);
    t = em__result_type(c, a->dtype == t ? a : b);
    if (t != EM_FLOAT32 && t != EM_FLOAT64) {
        em_scope *s = em_scope_begin();
        em_array *r = em_add(em_multiply(em_matmul(a, b), em_scalar_f(alpha)),
                             em_multiply(c, em_scalar_f(beta)));
        if (r && r->dtype != t)
            r = em_astype(r, t);
        return em__composite_end(s, r);
    }
    int nb, nd;
    int64_t shape[EM_MAX_DIMS + 2], full[EM_MAX_DIMS + 2];
    if (em__broadcast_shapes("addmm", a->ndim - 2, a->shape, b->ndim - 2, b->shape, &nb, shape) < 0)
        return NULL;
    shape[nb] = a->shape[a->ndim - 2];
    shape[nb + 1] = b->shape[b->ndim - 1];
    if (em__broadcast_shapes("addmm", nb + 2, shape, c->ndim, c->shape, &nd, full) < 0)
        return NULL;
    if (nd != nb + 2 || memcmp(full, shape, nd * sizeof *full)) {
        em__error("addmm: c %s does not broadcast to the product's shape (%s @ %s)",
                  em__describe(c, d1, sizeof d1), em__describe(a, d2, sizeof d2),
                  em__describe(b, d1 + 64, 64));
        return NULL;
    }
    em__internal_begin();
    em_array *cc = em__cast(c, t), *cb = em__broadcast(cc, nd, shape);
    em_array *ac = em__cast(a, t), *bc = em__cast(b, t), *r = NULL;
    if (cb && ac && bc) {
        em_params p = {.f = {alpha, beta}};
        em_array *in[3] = {cb, ac, bc};
        r = em__node(EM_P_ADDMM, t, nd, shape, in, 3, &p);
    }
    em_release(cc);
    em_release(cb);
    em_release(ac);
    em_release(bc);
    return em__internal_end(r);
}

em_array *em_outer(em_array *a, em_array *b)
{
    if (!a || !b)
        return NULL;
    em_scope *s = em_scope_begin();
    int64_t sa[2] = {a->size, 1}, sb[2] = {1, b->size};
    em_array *r = em_multiply(em_reshape(a, 2, sa), em_reshape(b, 2, sb));
    return em__composite_end(s, r);
}

em_array *em_inner(em_array *a, em_array *b)
{
    if (!a || !b)
        return NULL;
    if (a->ndim == 0 || b->ndim == 0)
        return em_multiply(a, b);
    int ax = -1, bx = -1;
    return em_tensordot(a, b, &ax, &bx, 1);
}

em_array *em_tensordot(em_array *a, em_array *b, const int *axes_a, const int *axes_b, int n)
{
    if (!a || !b)
        return NULL;
    char d1[128], d2[128];
    if (n < 0 || n > a->ndim || n > b->ndim) {
        em__error("tensordot: %d axes for %s and %s", n, em__describe(a, d1, sizeof d1),
                  em__describe(b, d2, sizeof d2));
        return NULL;
    }
    int xa[EM_MAX_DIMS], xb[EM_MAX_DIMS];
    bool ua[EM_MAX_DIMS] = {0}, ub[EM_MAX_DIMS] = {0};
    int64_t k = 1;
    for (int i = 0; i < n; i++) {
        xa[i] = em__norm_axis("tensordot", axes_a[i], a->ndim);
        xb[i] = em__norm_axis("tensordot", axes_b[i], b->ndim);
        if (xa[i] < 0 || xb[i] < 0)
            return NULL;
        if (ua[xa[i]] || ub[xb[i]]) {
            em__error("tensordot: repeated axis");
            return NULL;
        }
        ua[xa[i]] = ub[xb[i]] = true;
        if (a->shape[xa[i]] != b->shape[xb[i]]) {
            em__error("tensordot: axis %d of %s and axis %d of %s differ in size", axes_a[i],
                      em__describe(a, d1, sizeof d1), axes_b[i], em__describe(b, d2, sizeof d2));
            return NULL;
        }
        k *= a->shape[xa[i]];
    }
    int pa[EM_MAX_DIMS], pb[EM_MAX_DIMS], np = 0, nq = 0;
    int64_t oshape[2 * EM_MAX_DIMS], m = 1, nn = 1;
    int nd = 0;
    for (int i = 0; i < a->ndim; i++)
        if (!ua[i]) {
            pa[np++] = i;
            oshape[nd++] = a->shape[i];
            m *= a->shape[i];
        }
    for (int i = 0; i < n; i++)
        pa[np++] = xa[i];
    for (int i = 0; i < n; i++)
        pb[nq++] = xb[i];
    for (int i = 0; i < b->ndim; i++)
        if (!ub[i]) {
            pb[nq++] = i;
            oshape[nd++] = b->shape[i];
            nn *= b->shape[i];
        }
    if (nd > EM_MAX_DIMS) {
        em__error("tensordot: the result would have %d dimensions", nd);
        return NULL;
    }
    em_scope *s = em_scope_begin();
    int64_t s2a[2] = {m, k}, s2b[2] = {k, nn};
    em_array *x = em_reshape(em_transpose(a, pa), 2, s2a);
    em_array *y = em_reshape(em_transpose(b, pb), 2, s2b);
    em_array *r = em_reshape(em_matmul(x, y), nd, oshape);
    return em__composite_end(s, r);
}

/* ---- sums through matmul with a ones vector (used by norms and einsum) ---- */

em_array *em__lin_sum(em_array *a, const int *axes, int n_axes, bool keepdims)
{
    if (!a)
        return NULL;
    int ax[EM_MAX_DIMS];
    int n = em__norm_axes("sum", axes, n_axes, a->ndim, ax);
    if (n < 0)
        return NULL;
    bool red[EM_MAX_DIMS] = {0};
    for (int i = 0; i < n; i++)
        red[ax[i]] = true;
    int perm[EM_MAX_DIMS], np = 0, nk = 0;
    int64_t shape[EM_MAX_DIMS + 1], kshape[EM_MAX_DIMS], k = 1;
    for (int i = 0; i < a->ndim; i++)
        if (!red[i]) {
            perm[np++] = i;
            shape[nk++] = a->shape[i];
        }
    int nkeep = nk;
    for (int i = 0; i < a->ndim; i++)
        if (red[i]) {
            perm[np++] = i;
            k *= a->shape[i];
        }
    for (int i = 0; i < a->ndim; i++)
        kshape[i] = red[i] ? 1 : a->shape[i];
    em_scope *s = em_scope_begin();
    em_dtype t = (em_dtype)a->dtype;
    if (t == EM_BOOL)
        t = EM_INT32;
    em_array *r;
    if (n == 0) {
        r = em_astype(a, t);
    } else {
        shape[nkeep] = k;
        em_array *x = em_reshape(em_transpose(a, perm), nkeep + 1, shape);
        int64_t one = k;
        em_array *ones = em_ones(1, &one, t);
        r = em_matmul(x, ones);
        if (r && r->dtype != t)
            r = em_astype(r, t);
    }
    if (keepdims)
        r = em_reshape(r, a->ndim, kshape);
    return em__composite_end(s, r);
}

/* ---- LAPACK ops ---- */

static int lapack_input(const char *op, em_array *a, bool square)
{
    char d[128];
    if (a->ndim < 2)
        return em__error("%s: needs at least 2 dimensions, got %s", op, em__describe(a, d, sizeof d));
    if (square && a->shape[a->ndim - 1] != a->shape[a->ndim - 2])
        return em__error("%s: needs square matrices, got %s", op, em__describe(a, d, sizeof d));
    return 0;
}

static em_dtype lapack_type(em_dtype t)
{
    return t == EM_FLOAT64 ? EM_FLOAT64 : EM_FLOAT32;
}

static em_array *lapack_unary(em_prim_id prim, const char *op, em_array *a, const em_params *p)
{
    if (!a)
        return NULL;
    if (lapack_input(op, a, true) < 0)
        return NULL;
    em_dtype t = lapack_type((em_dtype)a->dtype);
    em__internal_begin();
    em_array *x = em__cast(a, t), *r = NULL;
    if (x)
        r = em__node(prim, t, a->ndim, a->shape, &x, 1, p);
    em_release(x);
    return em__internal_end(r);
}

em_array *em_inv(em_array *a) { return lapack_unary(EM_P_INV, "inv", a, NULL); }

em_array *em_cholesky(em_array *a, bool upper)
{
    em_params p = {.i = {upper}};
    return lapack_unary(EM_P_CHOLESKY, "cholesky", a, &p);
}

em_array *em_solve(em_array *a, em_array *b)
{
    if (!a || !b)
        return NULL;
    if (lapack_input("solve", a, true) < 0)
        return NULL;
    char d1[128], d2[128];
    int64_t n = a->shape[a->ndim - 1];
    bool vec = b->ndim == 1;
    if (b->ndim == 0 || (vec ? b->shape[0] : b->shape[b->ndim - 2]) != n) {
        em__error("solve: %s does not match %s", em__describe(b, d2, sizeof d2),
                  em__describe(a, d1, sizeof d1));
        return NULL;
    }
    int nb;
    int64_t bshape[EM_MAX_DIMS + 2];
    int bb = vec ? 0 : b->ndim - 2;
    if (em__broadcast_shapes("solve", a->ndim - 2, a->shape, bb, b->shape, &nb, bshape) < 0)
        return NULL;
    em_dtype t = lapack_type(em_promote_types((em_dtype)a->dtype, (em_dtype)b->dtype));
    int64_t ashape[EM_MAX_DIMS + 2], rshape[EM_MAX_DIMS + 2];
    memcpy(ashape, bshape, nb * sizeof *ashape);
    memcpy(rshape, bshape, nb * sizeof *rshape);
    ashape[nb] = ashape[nb + 1] = n;
    rshape[nb] = n;
    rshape[nb + 1] = vec ? 1 : b->shape[b->ndim - 1];
    em__internal_begin();
    em_array *ac = em__cast(a, t), *bc = em__cast(b, t), *bv = NULL, *ab = NULL, *b2 = NULL,
             *r = NULL;
    int64_t vshape[2] = {n, 1};
    bv = vec ? em_reshape(bc, 2, vshape) : em_retain(bc);
    ab = em__broadcast(ac, nb + 2, ashape);
    b2 = em__broadcast(bv, nb + 2, rshape);
    if (ab && b2) {
        em_array *in[2] = {ab, b2};
        r = em__node(EM_P_SOLVE, t, nb + 2, rshape, in, 2, NULL);
    }
    if (r && vec) {
        em_array *q = em_reshape(r, nb + 1, rshape);
        em_release(r);
        r = q;
    }
    em_release(ac);
    em_release(bc);
    em_release(bv);
    em_release(ab);
    em_release(b2);
    return em__internal_end(r);
}

int em_qr(em_array *a, em_array **q, em_array **r)
{
    *q = *r = NULL;
    if (!a)
        return -1;
    if (lapack_input("qr", a, false) < 0)
        return -1;
    em_dtype t = lapack_type((em_dtype)a->dtype);
    int nd = a->ndim;
    int64_t m = a->shape[nd - 2], n = a->shape[nd - 1], k = m < n ? m : n;
    int64_t qs[EM_MAX_DIMS], rs[EM_MAX_DIMS];
    memcpy(qs, a->shape, nd * sizeof *qs);
    memcpy(rs, a->shape, nd * sizeof *rs);
    qs[nd - 1] = k;
    rs[nd - 2] = k;
    em__internal_begin();
    em_array *x = em__cast(a, t), *out[2] = {NULL, NULL};
    int rc = -1;
    if (x) {
        em_dtype ts[2] = {t, t};
        int nds[2] = {nd, nd};
        const int64_t *shapes[2] = {qs, rs};
        rc = em__node_multi(EM_P_QR, 2, ts, nds, shapes, &x, 1, NULL, out);
    }
    em_release(x);
    *q = out[0];
    *r = out[1];
    return em__internal_end_many(rc, out, rc == 0 ? 2 : 0);
}

/* compute_uv false: s only (one output). */
static int svd_impl(em_array *a, bool full, bool compute_uv, em_array **out)
{
    if (lapack_input("svd", a, false) < 0)
        return -1;
    em_dtype t = lapack_type((em_dtype)a->dtype);
    int nd = a->ndim;
    int64_t m = a->shape[nd - 2], n = a->shape[nd - 1], k = m < n ? m : n;
    int64_t us[EM_MAX_DIMS], ss[EM_MAX_DIMS], vs[EM_MAX_DIMS];
    memcpy(us, a->shape, nd * sizeof *us);
    memcpy(ss, a->shape, nd * sizeof *ss);
    memcpy(vs, a->shape, nd * sizeof *vs);
    us[nd - 1] = full ? m : k;
    ss[nd - 2] = k;
    vs[nd - 2] = full ? n : k;
    em__internal_begin();
    em_array *x = em__cast(a, t);
    int rc = -1;
    if (x) {
        em_params p = {.i = {full, compute_uv}};
        em_dtype ts[3] = {t, t, t};
        if (compute_uv) {
            int nds[3] = {nd, nd - 1, nd};
            const int64_t *shapes[3] = {us, ss, vs};
            rc = em__node_multi(EM_P_SVD, 3, ts, nds, shapes, &x, 1, &p, out);
        } else {
            int nds[1] = {nd - 1};
            const int64_t *shapes[1] = {ss};
            rc = em__node_multi(EM_P_SVD, 1, ts, nds, shapes, &x, 1, &p, out);
        }
    }
    em_release(x);
    return em__internal_end_many(rc, out, rc == 0 ? (compute_uv ? 3 : 1) : 0);
}

int em_svd(em_array *a, bool full_matrices, em_array **u, em_array **s, em_array **vt)
{
    *u = *s = *vt = NULL;
    if (!a)
        return -1;
    em_array *out[3] = {NULL, NULL, NULL};
    int rc = svd_impl(a, full_matrices, true, out);
    *u = out[0];
    *s = out[1];
    *vt = out[2];
    return rc;
}

int em_eigh(em_array *a, const char *uplo, em_array **w, em_array **v)
{
    *w = *v = NULL;
    if (!a)
        return -1;
    if (lapack_input("eigh", a, true) < 0)
        return -1;
    char u = uplo ? uplo[0] : 'L';
    if (u == 'l')
        u = 'L';
    if (u == 'u')
        u = 'U';
    if ((u != 'L' && u != 'U') || (uplo && uplo[0] && uplo[1]))
        return em__error("eigh: uplo must be \"L\" or \"U\", got \"%s\"", uplo);
    em_dtype t = lapack_type((em_dtype)a->dtype);
    int nd = a->ndim;
    em__internal_begin();
    em_array *x = em__cast(a, t), *out[2] = {NULL, NULL};
    int rc = -1;
    if (x) {
        em_params p = {.i = {u}};
        em_dtype ts[2] = {t, t};
        int nds[2] = {nd - 1, nd};
        const int64_t *shapes[2] = {a->shape, a->shape};
        rc = em__node_multi(EM_P_EIGH, 2, ts, nds, shapes, &x, 1, &p, out);
    }
    em_release(x);
    *w = out[0];
    *v = out[1];
    return em__internal_end_many(rc, out, rc == 0 ? 2 : 0);
}

/* ---- norms ---- */

/* a with `axes` (2 of them) moved to the end. */
static em_array *move_to_end(em_array *a, const int *ax, int n)
{
    int perm[EM_MAX_DIMS], np = 0;
    bool sel[EM_MAX_DIMS] = {0};
    for (int i = 0; i < n; i++)
        sel[ax[i]] = true;
    for (int i = 0; i < a->ndim; i++)
        if (!sel[i])
            perm[np++] = i;
    for (int i = 0; i < n; i++)
        perm[np++] = ax[i];
    return em_transpose(a, perm);
}

static em_array *keep_shape(em_array *r, em_array *a, const int *ax, int n, bool keepdims)
{
    if (!keepdims || !r)
        return r;
    int64_t shape[EM_MAX_DIMS];
    memcpy(shape, a->shape, a->ndim * sizeof *shape);
    for (int i = 0; i < n; i++)
        shape[ax[i]] = 1;
    return em_reshape(r, a->ndim, shape);
}

em_array *em_norm(em_array *a, const char *ord, const int *axes, int n_axes, bool keepdims)
{
    if (!a)
        return NULL;
    char d[128];
    int ax[EM_MAX_DIMS], n;
    if (!axes && ord && a->ndim >= 2) {
        /* a matrix norm over the last two axes */
        ax[0] = a->ndim - 2;
        ax[1] = a->ndim - 1;
        n = 2;
    } else {
        /* keep the caller's order of the two matrix axes */
        n = axes ? n_axes : a->ndim;
        for (int i = 0; i < n; i++) {
            ax[i] = axes ? em__norm_axis("norm", axes[i], a->ndim) : i;
            if (ax[i] < 0)
                return NULL;
            for (int j = 0; j < i; j++)
                if (ax[j] == ax[i]) {
                    em__error("norm: axis %d repeated", axes[i]);
                    return NULL;
                }
        }
    }
    em_dtype ft = em__float_type((em_dtype)a->dtype);
    if (!ord || !strcmp(ord, "fro") || (!strcmp(ord, "2") && n == 1)) {
        if (ord && !strcmp(ord, "fro") && n != 2) {
            em__error("norm: \"fro\" needs 2 axes, got %d for %s", n, em__describe(a, d, sizeof d));
            return NULL;
        }
        em_scope *s = em_scope_begin();
        em_array *x = em_astype(a, ft);
        em_array *r = em_sqrt(em__lin_sum(em_multiply(x, x), ax, n, keepdims));
        return em__composite_end(s, r);
    }
    bool nuc = !strcmp(ord, "nuc"), two = !strcmp(ord, "2"), mtwo = !strcmp(ord, "-2");
    if ((nuc || two || mtwo) && n == 2) {
        if (ax[0] == ax[1]) {
            em__error("norm: the two axes are the same");
            return NULL;
        }
        em_scope *s = em_scope_begin();
        em_array *x = move_to_end(a, ax, 2), *sv[1] = {NULL};
        em_array *r = NULL;
        if (x && svd_impl(x, false, false, sv) == 0) {
            int last = -1;
            if (nuc) {
                r = em__lin_sum(sv[0], &last, 1, false);
            } else {
                /* singular values are in descending order */
                int nd = sv[0]->ndim;
                int64_t k = sv[0]->shape[nd - 1];
                int64_t start[EM_MAX_DIMS] = {0}, stop[EM_MAX_DIMS];
                memcpy(stop, sv[0]->shape, nd * sizeof *stop);
                start[nd - 1] = two ? 0 : k - 1;
                stop[nd - 1] = start[nd - 1] + 1;
                int64_t rs[EM_MAX_DIMS];
                memcpy(rs, sv[0]->shape, (nd - 1) * sizeof *rs);
                r = em_reshape(em_slice(sv[0], start, stop, NULL), nd - 1, rs);
            }
            if (r && r->dtype != ft)
                r = em_astype(r, ft);
        }
        if (r && keepdims) {
            int sorted[2] = {ax[0] < ax[1] ? ax[0] : ax[1], ax[0] < ax[1] ? ax[1] : ax[0]};
            r = keep_shape(r, a, sorted, 2, true);
        }
        return em__composite_end(s, r);
    }
    em__error("norm: ord \"%s\" over %d axes is not supported for %s", ord, n,
              em__describe(a, d, sizeof d));
    return NULL;
}

em_array *em_norm_p(em_array *a, double p, const int *axes, int n_axes, bool keepdims)
{
    if (!a)
        return NULL;
    int ax[EM_MAX_DIMS];
    int n = em__norm_axes("norm", axes, n_axes, a->ndim, ax);
    if (n < 0)
        return NULL;
    if (isnan(p)) {
        em__error("norm: p is NaN");
        return NULL;
    }
    em_dtype ft = em__float_type((em_dtype)a->dtype);
    em_scope *s = em_scope_begin();
    em_array *x = em_astype(a, ft), *r;
    if (isinf(p)) {
        r = p > 0 ? em_max(em_abs(x), ax, n, keepdims) : em_min(em_abs(x), ax, n, keepdims);
    } else if (p == 0) {
        r = em__lin_sum(em_astype(em_not_equal(x, em_scalar_f(0)), ft), ax, n, keepdims);
    } else if (p == 1) {
        r = em__lin_sum(em_abs(x), ax, n, keepdims);
    } else if (p == 2) {
        r = em_sqrt(em__lin_sum(em_multiply(x, x), ax, n, keepdims));
    } else {
        em_array *t = em__lin_sum(em_power(em_abs(x), em_scalar_f(p)), ax, n, keepdims);
        r = em_power(t, em_scalar_f(1.0 / p));
    }
    return em__composite_end(s, r);
}
