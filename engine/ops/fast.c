/* Fused primitives (softmax, log_softmax, rms_norm, layer_norm, rope, scaled
 * dot-product attention) and their fallbacks made of basic ops. */
#include <math.h>
#include <string.h>

#include "ember/fast.h"
#include "fast_internal.h"
#include "ops_internal.h"

/* Ops of other families, referenced weakly so that this file links before they
 * exist; a fallback without them fails with a message. */
#pragma weak em_max
#pragma weak em_sum
#pragma weak em_mean
#pragma weak em_matmul
#pragma weak em_concatenate
#pragma weak em_stack
#pragma weak em_swapaxes

static int need(const char *op, const void *fn, const char *name)
{
    if (!fn)
        return em__error("%s: needs %s, which is not built into this libember", op, name);
    return 0;
}

static int check_float_input(const char *op, em_array *a)
{
    if (!em_dtype_is_float((em_dtype)a->dtype) && !em_dtype_is_int((em_dtype)a->dtype)) {
        char d[128];
        return em__error("%s: not defined for %s", op, em__describe(a, d, sizeof d));
    }
    return 0;
}

/* ---- softmax ---- */
static em_array *softmax_impl(em_prim_id prim, em_array *a, int axis)
{
    if (!a)
        return NULL;
    const char *op = em_prims[prim].name;
    if (a->ndim == 0) {
        em__error("%s: needs at least one dimension", op);
        return NULL;
    }
    int ax = em__norm_axis(op, axis, a->ndim);
    if (ax < 0 || check_float_input(op, a) < 0)
        return NULL;
    em_dtype t = em__float_type((em_dtype)a->dtype);
    em__internal_begin();
    em_array *x = em__cast(a, t), *r = NULL;
    int last = a->ndim - 1;
    if (ax == last) {
        r = em__node(prim, t, x->ndim, x->shape, &x, 1, NULL);
    } else {
        int perm[EM_MAX_DIMS], inv[EM_MAX_DIMS], k = 0;
        for (int i = 0; i < a->ndim; i++)
            if (i != ax)
                perm[k++] = i;
        perm[last] = ax;
        for (int i = 0; i < a->ndim; i++)
            inv[perm[i]] = i;
        em_array *xt = em_transpose(x, perm);
        em_array *rt = xt ? em__node(prim, t, xt->ndim, xt->shape, &xt, 1, NULL) : NULL;
        r = em_transpose(rt, inv);
        em_release(xt);
        em_release(rt);
    }
    em_release(x);
    return em__internal_end(r);
}

em_array *em_softmax(em_array *a, int axis) { return softmax_impl(EM_P_SOFTMAX, a, axis); }
em_array *em_log_softmax(em_array *a, int axis) { return softmax_impl(EM_P_LOG_SOFTMAX, a, axis); }

static em_array *softmax_fallback(em_array *a, int axis, bool log_out)
{
    if (!a)
        return NULL;
    const char *op = log_out ? "log_softmax" : "softmax";
    if (need(op, em_max, "max") < 0 || need(op, em_sum, "sum") < 0)
        return NULL;
    em_dtype t = em__float_type((em_dtype)a->dtype);
    em_dtype ct = t == EM_FLOAT64 ? EM_FLOAT64 : EM_FLOAT32;
    em_scope *s = em_scope_begin();
    if (a->size == 0)
        return em__composite_end(s, em_astype(a, t));
    em_array *x = em_astype(a, ct);
    em_array *m = em_stop_gradient(em_max(x, &axis, 1, true));
    em_array *xm = em_subtract(x, m);
    em_array *e = em_exp(xm);
    em_array *sum = em_sum(e, &axis, 1, true);
    em_array *r = log_out ? em_subtract(xm, em_log(sum)) : em_divide(e, sum);
    return em__composite_end(s, em_astype(r, t));
}

em_array *em__softmax_fallback(em_array *a, int axis) { return softmax_fallback(a, axis, false); }
em_array *em__log_softmax_fallback(em_array *a, int axis) { return softmax_fallback(a, axis, true); }

/* ---- norms ---- */
static int check_param(const char *op, em_array *x, em_array *p, const char *what)
{
    if (!p)
        return 0;
    if (p->ndim != 1 || p->shape[0] != x->shape[x->ndim - 1]) {
        char d1[128], d2[128];
        return em__error("%s: %s %s must be 1-d of the last dimension of x %s", op, what,
                         em__describe(p, d1, sizeof d1), em__describe(x, d2, sizeof d2));
    }
    return check_float_input(op, p);
}

static em_array *norm_impl(em_prim_id prim, em_array *x, em_array *w, em_array *b, double eps)
{
    const char *op = em_prims[prim].name;
    if (x->ndim == 0) {
        em__error("%s: needs at least one dimension", op);
        return NULL;
    }
    if (check_float_input(op, x) < 0 || check_param(op, x, w, "weight") < 0 ||
        check_param(op, x, b, "bias") < 0)
        return NULL;
    em_dtype t = (em_dtype)x->dtype;
    if (w)
        t = em_promote_types(t, (em_dtype)w->dtype);
    if (b)
        t = em_promote_types(t, (em_dtype)b->dtype);
    t = em__float_type(t);
    em__internal_begin();
    em_array *in[3] = {em__cast(x, t), NULL, NULL};
    int n = 1;
    if (w)
        in[n++] = em__cast(w, t);
    if (b)
        in[n++] = em__cast(b, t);
    em_params p = {.i = {w != NULL, b != NULL}, .f = {eps}};
    em_array *r = em__any_null(in, n) ? NULL : em__node(prim, t, x->ndim, x->shape, in, n, &p);
    for (int i = 0; i < n; i++)
        em_release(in[i]);
    return em__internal_end(r);
}

em_array *em_rms_norm(em_array *x, em_array *weight, double eps)
{
    if (!x)
        return NULL;
    return norm_impl(EM_P_RMS_NORM, x, weight, NULL, eps);
}

em_array *em_layer_norm(em_array *x, em_array *weight, em_array *bias, double eps)
{
    if (!x)
        return NULL;
    return norm_impl(EM_P_LAYER_NORM, x, weight, bias, eps);
}

static em_dtype norm_type(em_array *x, em_array *w, em_array *b)
{
    em_dtype t = (em_dtype)x->dtype;
    if (w)
        t = em_promote_types(t, (em_dtype)w->dtype);
    if (b)
        t = em_promote_types(t, (em_dtype)b->dtype);
    return em__float_type(t);
}

em_array *em__rms_norm_fallback(em_array *x, em_array *weight, double eps)
{
    if (!x || need("rms_norm", em_mean, "mean") < 0)
        return NULL;
    em_dtype t = norm_type(x, weight, NULL), ct = t == EM_FLOAT64 ? t : EM_FLOAT32;
    int last = -1;
    em_scope *s = em_scope_begin();
    em_array *xf = em_astype(x, ct);
    em_array *ms = em_mean(em_square(xf), &last, 1, true);
    em_array *r = em_multiply(xf, em_rsqrt(em_add(ms, em_scalar(eps, ct))));
    if (weight)
        r = em_multiply(r, em_astype(weight, ct));
    return em__composite_end(s, em_astype(r, t));
}

em_array *em__layer_norm_fallback(em_array *x, em_array *weight, em_array *bias, double eps)
{
    if (!x || need("layer_norm", em_mean, "mean") < 0)
        return NULL;
    em_dtype t = norm_type(x, weight, bias), ct = t == EM_FLOAT64 ? t : EM_FLOAT32;
    int last = -1;
    em_scope *s = em_scope_begin();
    em_array *xf = em_astype(x, ct);
    em_array *xc = em_subtract(xf, em_mean(xf, &last, 1, true));
    em_array *var = em_mean(em_square(xc), &last, 1, true);
    em_array *r = em_multiply(xc, em_rsqrt(em_add(var, em_scalar(eps, ct))));
    if (weight)
        r = em_multiply(r, em_astype(weight, ct));
    if (bias)
        r = em_add(r, em_astype(bias, ct));
    return em__composite_end(s, em_astype(r, t));
}

/* ---- rope ---- */
static int rope_check(em_array *x, int dims, double base, em_array *freqs)
{
    char d[128];
    if (x->ndim < 2)
        return em__error("rope: x %s needs at least 2 dimensions (..., L, D)",
                         em__describe(x, d, sizeof d));
    if (check_float_input("rope", x) < 0)
        return -1;
    if (dims <= 0 || dims % 2 || dims > x->shape[x->ndim - 1])
        return em__error("rope: dims %d must be even and at most the last dimension of %s", dims,
                         em__describe(x, d, sizeof d));
    if (freqs && (freqs->ndim != 1 || freqs->shape[0] != dims / 2))
        return em__error("rope: freqs %s must have shape (%d)", em__describe(freqs, d, sizeof d),
                         dims / 2);
    if (!freqs && !(base > 0))
        return em__error("rope: base must be positive, got %g", base);
    return 0;
}

em_array *em_rope(em_array *x, int dims, bool traditional, double base, double scale,
                  int64_t offset, em_array *freqs)
{
    if (!x || rope_check(x, dims, base, freqs) < 0)
        return NULL;
    em_dtype t = em__float_type((em_dtype)x->dtype);
    em__internal_begin();
    em_array *in[2] = {em__cast(x, t), freqs};
    em_params p = {.i = {dims, traditional, offset, freqs != NULL}, .f = {base, scale}};
    em_array *r = in[0] ? em__node(EM_P_ROPE, t, x->ndim, x->shape, in, freqs ? 2 : 1, &p) : NULL;
    em_release(in[0]);
    return em__internal_end(r);
}

/* a[..., lo:hi] */
static em_array *slice_last(em_array *a, int64_t lo, int64_t hi)
{
    int64_t start[EM_MAX_DIMS] = {0}, stop[EM_MAX_DIMS];
    for (int i = 0; i < a->ndim; i++)
        stop[i] = a->shape[i];
    start[a->ndim - 1] = lo;
    stop[a->ndim - 1] = hi;
    return em_slice(a, start, stop, NULL);
}

em_array *em__rope_fallback(em_array *x, int dims, bool traditional, double base, double scale,
                            int64_t offset, em_array *freqs)
{
    if (!x || rope_check(x, dims, base, freqs) < 0 || need("rope", em_concatenate, "concatenate") < 0 ||
        need("rope", em_stack, "stack") < 0)
        return NULL;
    em_dtype t = em__float_type((em_dtype)x->dtype), ct = t == EM_FLOAT64 ? t : EM_FLOAT32;
    int nd = x->ndim;
    int64_t L = x->shape[nd - 2], D = x->shape[nd - 1], half = dims / 2;
    em_scope *s = em_scope_begin();
    em_array *xf = em_astype(x, ct);
    em_array *pos = em_reshape(em_multiply(em_arange((double)offset, (double)(offset + L), 1, ct),
                                           em_scalar(scale, ct)),
                               2, (int64_t[]){L, 1});
    em_array *inv = freqs ? em_reciprocal(em_astype(freqs, ct))
                          : em_exp(em_multiply(em_arange(0, (double)half, 1, ct),
                                               em_scalar(-log(base) / (double)half, ct)));
    em_array *th = em_multiply(pos, inv); /* (L, half) */
    em_array *c = em_cos(th), *sn = em_sin(th);
    em_array *x1, *x2, *rot;
    if (!traditional) {
        x1 = slice_last(xf, 0, half);
        x2 = slice_last(xf, half, dims);
        em_array *parts[2] = {em_subtract(em_multiply(x1, c), em_multiply(x2, sn)),
                              em_add(em_multiply(x1, sn), em_multiply(x2, c))};
        rot = em_concatenate(parts, 2, -1);
    } else {
        int64_t shp[EM_MAX_DIMS + 1];
        memcpy(shp, x->shape, (nd - 1) * sizeof *shp);
        shp[nd - 1] = half;
        shp[nd] = 2;
        em_array *xp = em_reshape(slice_last(xf, 0, dims), nd + 1, shp);
        x1 = em_reshape(slice_last(xp, 0, 1), nd, shp);
        x2 = em_reshape(slice_last(xp, 1, 2), nd, shp);
        em_array *parts[2] = {em_subtract(em_multiply(x1, c), em_multiply(x2, sn)),
                              em_add(em_multiply(x1, sn), em_multiply(x2, c))};
        shp[nd - 1] = dims;
        rot = em_reshape(em_stack(parts, 2, -1), nd, shp);
    }
    em_array *r = rot;
    if (dims < D) {
        em_array *parts[2] = {rot, slice_last(xf, dims, D)};
        r = em_concatenate(parts, 2, -1);
    }
    return em__composite_end(s, em_astype(r, t));
}

/* ---- scaled dot-product attention ---- */
static int sdpa_check(em_array *q, em_array *k, em_array *v, em_array *mask)
{
    char d1[128], d2[128], d3[128];
    const char *op = "scaled_dot_product_attention";
    if (q->ndim != 4 || k->ndim != 4 || v->ndim != 4 || q->shape[0] != k->shape[0] ||
        k->shape[0] != v->shape[0] || k->shape[1] != v->shape[1] || k->shape[2] != v->shape[2] ||
        q->shape[3] != k->shape[3] || k->shape[1] == 0 || q->shape[1] % k->shape[1])
        return em__error("%s: needs q (B, Hq, Lq, D), k (B, Hkv, Lk, D), v (B, Hkv, Lk, Dv) with Hq a "
                         "multiple of Hkv; got q %s, k %s, v %s", op, em__describe(q, d1, sizeof d1),
                         em__describe(k, d2, sizeof d2), em__describe(v, d3, sizeof d3));
    if (!em_dtype_is_float((em_dtype)q->dtype) || !em_dtype_is_float((em_dtype)k->dtype) ||
        !em_dtype_is_float((em_dtype)v->dtype))
        return em__error("%s: q, k, v must be floating, got %s, %s, %s", op,
                         em__describe(q, d1, sizeof d1), em__describe(k, d2, sizeof d2),
                         em__describe(v, d3, sizeof d3));
    if (mask) {
        int64_t want[4] = {q->shape[0], q->shape[1], q->shape[2], k->shape[2]}, out[EM_MAX_DIMS];
        int nd;
        if (em__broadcast_shapes(op, mask->ndim, mask->shape, 4, want, &nd, out) < 0 || nd != 4 ||
            memcmp(out, want, sizeof want))
            return em__error("%s: mask %s does not broadcast to (%lld, %lld, %lld, %lld)", op,
                             em__describe(mask, d1, sizeof d1), (long long)want[0],
                             (long long)want[1], (long long)want[2], (long long)want[3]);
    }
    return 0;
}

em_array *em_scaled_dot_product_attention(em_array *q, em_array *k, em_array *v, double scale,
                                          em_array *mask, bool causal)
{
    if (!q || !k || !v || sdpa_check(q, k, v, mask) < 0)
        return NULL;
    em_dtype t = em_promote_types(em_promote_types((em_dtype)q->dtype, (em_dtype)k->dtype),
                                  (em_dtype)v->dtype);
    int64_t shape[4] = {q->shape[0], q->shape[1], q->shape[2], v->shape[3]};
    int64_t mshape[4] = {q->shape[0], q->shape[1], q->shape[2], k->shape[2]};
    em__internal_begin();
    em_array *in[4] = {em__cast(q, t), em__cast(k, t), em__cast(v, t), NULL};
    int n = 3;
    if (mask) {
        em_array *m = em__cast(mask, mask->dtype == EM_BOOL ? EM_BOOL : EM_FLOAT32);
        in[n++] = em__broadcast(m, 4, mshape);
        em_release(m);
    }
    em_params p = {.i = {causal, mask != NULL}, .f = {scale}};
    em_array *r = em__any_null(in, n) ? NULL : em__node(EM_P_SDPA, t, 4, shape, in, n, &p);
    for (int i = 0; i < n; i++)
        em_release(in[i]);
    return em__internal_end(r);
}

em_array *em__scaled_dot_product_attention_fallback(em_array *q, em_array *k, em_array *v,
                                                    double scale, em_array *mask, bool causal)
{
    const char *op = "scaled_dot_product_attention";
    if (!q || !k || !v || sdpa_check(q, k, v, mask) < 0 || need(op, em_matmul, "matmul") < 0 ||
        need(op, em_swapaxes, "swapaxes") < 0)
        return NULL;
    em_dtype t = em_promote_types(em_promote_types((em_dtype)q->dtype, (em_dtype)k->dtype),
                                  (em_dtype)v->dtype);
    em_dtype ct = t == EM_FLOAT64 ? t : EM_FLOAT32;
    int64_t B = q->shape[0], Hq = q->shape[1], Lq = q->shape[2], D = q->shape[3];
    int64_t Hkv = k->shape[1], Lk = k->shape[2], Dv = v->shape[3], G = Hq / Hkv;
    em_scope *s = em_scope_begin();
    em_array *qf = em_reshape(em_astype(q, ct), 5, (int64_t[]){B, Hkv, G, Lq, D});
    em_array *kf = em_reshape(em_astype(k, ct), 5, (int64_t[]){B, Hkv, 1, Lk, D});
    em_array *vf = em_reshape(em_astype(v, ct), 5, (int64_t[]){B, Hkv, 1, Lk, Dv});
    em_array *sc = em_matmul(em_multiply(qf, em_scalar(scale, ct)), em_swapaxes(kf, -1, -2));
    em_array *ninf = em_scalar(-INFINITY, ct);
    if (mask) {
        em_array *m = em_reshape(em_broadcast_to(mask, 4, (int64_t[]){B, Hq, Lq, Lk}), 5,
                                 (int64_t[]){B, Hkv, G, Lq, Lk});
        sc = mask->dtype == EM_BOOL ? em_where(m, sc, ninf) : em_add(sc, em_astype(m, ct));
    }
    if (causal)
        sc = em_where(em_tri(Lq, Lk, (int)(Lk - Lq), EM_BOOL), sc, ninf);
    em_array *pr = em__softmax_fallback(sc, -1);
    em_array *o = em_reshape(em_matmul(pr, vf), 4, (int64_t[]){B, Hq, Lq, Dv});
    return em__composite_end(s, em_astype(o, t));
}
