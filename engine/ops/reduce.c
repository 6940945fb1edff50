/* Reduction and scan op constructors: sum, prod, max, min, all, any, argmax,
 * argmin (primitives); mean, var, std, logsumexp, allclose, array_equal
 * (compositions); cumsum, cumprod, cummax, cummin (primitives).
 *
 * A REDUCE_* node keeps the input's layout knowledge in its params:
 * p.i[d] = 1 where axis d is reduced (d < EM_MAX_DIMS), p.i[EM_MAX_DIMS] =
 * keepdims. The output's row-major order over the kept axes is the same with
 * or without keepdims, so the kernel ignores it. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ops_internal.h"

/* MLX's accumulation types: small integers and bool sum to 32 bits. */
static em_dtype sum_dtype(em_dtype t)
{
    switch (t) {
    case EM_BOOL: case EM_INT8: case EM_INT16: case EM_INT32: return EM_INT32;
    case EM_UINT8: case EM_UINT16: case EM_UINT32: return EM_UINT32;
    default: return t;
    }
}

static void axes_str(const int *axes, int n, char *buf, size_t len)
{
    if (!axes) {
        snprintf(buf, len, "all");
        return;
    }
    int k = snprintf(buf, len, "(");
    for (int i = 0; i < n && k < (int)len; i++)
        k += snprintf(buf + k, len - k, i ? ", %d" : "%d", axes[i]);
    if (k < (int)len)
        snprintf(buf + k, len - k, ")");
}

/* Reduced shape and params; -1 with an error naming op. */
static int reduce_shape(const char *op, const em_array *a, const int *axes, int n_axes, bool keepdims,
                        em_params *p, int *nd_out, int64_t *shape, int64_t *n_reduced)
{
    int ax[EM_MAX_DIMS];
    if (axes && n_axes < 0)
        return em__error("%s: negative number of axes (%d)", op, n_axes);
    if (axes && n_axes > EM_MAX_DIMS)
        return em__error("%s: %d axes given, an array has at most %d", op, n_axes, EM_MAX_DIMS);
    int n = em__norm_axes(op, axes, n_axes, a->ndim, ax);
    if (n < 0)
        return -1;
    memset(p, 0, sizeof *p);
    for (int i = 0; i < n; i++)
        p->i[ax[i]] = 1;
    p->i[EM_MAX_DIMS] = keepdims;
    int nd = 0;
    int64_t nr = 1;
    for (int d = 0; d < a->ndim; d++) {
        if (p->i[d]) {
            nr *= a->shape[d];
            if (keepdims)
                shape[nd++] = 1;
        } else {
            shape[nd++] = a->shape[d];
        }
    }
    *nd_out = nd;
    *n_reduced = nr;
    return 0;
}

static em_array *reduce(em_prim_id prim, em_array *a, const int *axes, int n_axes, bool keepdims)
{
    if (!a)
        return NULL;
    const char *op = em_prims[prim].name;
    em_params p;
    int nd;
    int64_t shape[EM_MAX_DIMS], nr = 0;
    if (reduce_shape(op, a, axes, n_axes, keepdims, &p, &nd, shape, &nr) < 0)
        return NULL;
    em_dtype t = (em_dtype)a->dtype, out;
    switch (prim) {
    case EM_P_REDUCE_SUM: case EM_P_REDUCE_PROD: out = sum_dtype(t); break;
    case EM_P_REDUCE_ALL: case EM_P_REDUCE_ANY: out = EM_BOOL; break;
    default: out = t; break;
    }
    if ((prim == EM_P_REDUCE_MAX || prim == EM_P_REDUCE_MIN) && nr == 0) {
        char d[128], s[128];
        axes_str(axes, n_axes, s, sizeof s);
        em__error("%s: zero-size reduction of %s over axes %s has no identity", op,
                  em__describe(a, d, sizeof d), s);
        return NULL;
    }
    return em__node(prim, out, nd, shape, &a, 1, &p);
}

em_array *em_sum(em_array *a, const int *axes, int n_axes, bool keepdims)
{
    return reduce(EM_P_REDUCE_SUM, a, axes, n_axes, keepdims);
}
em_array *em_prod(em_array *a, const int *axes, int n_axes, bool keepdims)
{
    return reduce(EM_P_REDUCE_PROD, a, axes, n_axes, keepdims);
}
em_array *em_max(em_array *a, const int *axes, int n_axes, bool keepdims)
{
    return reduce(EM_P_REDUCE_MAX, a, axes, n_axes, keepdims);
}
em_array *em_min(em_array *a, const int *axes, int n_axes, bool keepdims)
{
    return reduce(EM_P_REDUCE_MIN, a, axes, n_axes, keepdims);
}
em_array *em_all(em_array *a, const int *axes, int n_axes, bool keepdims)
{
    return reduce(EM_P_REDUCE_ALL, a, axes, n_axes, keepdims);
}
em_array *em_any(em_array *a, const int *axes, int n_axes, bool keepdims)
{
    return reduce(EM_P_REDUCE_ANY, a, axes, n_axes, keepdims);
}

/* Number of elements reduced (checks the axes). -1 on error. */
static int64_t count_reduced(const char *op, em_array *a, const int *axes, int n_axes)
{
    em_params p;
    int nd;
    int64_t shape[EM_MAX_DIMS], nr = 0;
    if (reduce_shape(op, a, axes, n_axes, true, &p, &nd, shape, &nr) < 0)
        return -1;
    return nr;
}

/* The float type a statistic is computed in: half types go through float32
 * (their sums overflow and round early), integers become float32. */
static em_dtype stat_type(em_dtype t)
{
    return t == EM_FLOAT64 ? EM_FLOAT64 : EM_FLOAT32;
}

em_array *em_mean(em_array *a, const int *axes, int n_axes, bool keepdims)
{
    if (!a)
        return NULL;
    int64_t n = count_reduced("mean", a, axes, n_axes);
    if (n < 0)
        return NULL;
    em_dtype t = em__float_type((em_dtype)a->dtype);
    em_scope *s = em_scope_begin();
    em_array *x = em__cast(a, stat_type(t));
    em_array *r = em_divide(em_sum(x, axes, n_axes, keepdims), em_scalar((double)n, stat_type(t)));
    r = em__cast(r, t);
    return em__composite_end(s, r);
}

em_array *em_var(em_array *a, const int *axes, int n_axes, bool keepdims, int ddof)
{
    if (!a)
        return NULL;
    int64_t n = count_reduced("var", a, axes, n_axes);
    if (n < 0)
        return NULL;
    em_dtype t = em__float_type((em_dtype)a->dtype), st = stat_type(t);
    em_scope *s = em_scope_begin();
    em_array *x = em__cast(a, st);
    em_array *m = em_divide(em_sum(x, axes, n_axes, true), em_scalar((double)n, st));
    em_array *d = em_subtract(x, m);
    int64_t dof = n - ddof > 0 ? n - ddof : 0;
    em_array *r = em_divide(em_sum(em_multiply(d, d), axes, n_axes, keepdims), em_scalar((double)dof, st));
    r = em__cast(r, t);
    return em__composite_end(s, r);
}

em_array *em_std(em_array *a, const int *axes, int n_axes, bool keepdims, int ddof)
{
    if (!a)
        return NULL;
    if (count_reduced("std", a, axes, n_axes) < 0)
        return NULL;
    em_dtype t = em__float_type((em_dtype)a->dtype);
    em_scope *s = em_scope_begin();
    em_array *x = em__cast(a, stat_type(t));
    em_array *r = em__cast(em_sqrt(em_var(x, axes, n_axes, keepdims, ddof)), t);
    return em__composite_end(s, r);
}

/* max + log(sum(exp(x - max))), with the max taken as 0 where it is infinite
 * (all -inf gives -inf, an inf gives inf). */
em_array *em_logsumexp(em_array *a, const int *axes, int n_axes, bool keepdims)
{
    if (!a)
        return NULL;
    em_params p;
    int nd;
    int64_t shape[EM_MAX_DIMS], nr = 0;
    if (reduce_shape("logsumexp", a, axes, n_axes, keepdims, &p, &nd, shape, &nr) < 0)
        return NULL;
    em_dtype t = em__float_type((em_dtype)a->dtype);
    em_scope *s = em_scope_begin();
    em_array *x = em__cast(a, t), *r;
    if (nr == 0) {
        r = em_log(em_sum(x, axes, n_axes, keepdims)); /* log(0) = -inf, as numpy */
    } else {
        em_array *m = em_max(x, axes, n_axes, true);
        m = em_stop_gradient(em_where(em_isinf(m), em_scalar(0.0, t), m));
        r = em_add(em_log(em_sum(em_exp(em_subtract(x, m)), axes, n_axes, true)), m);
        if (!keepdims)
            r = em_reshape(r, nd, shape);
    }
    return em__composite_end(s, r);
}

static em_array *arg_reduce(em_prim_id prim, em_array *a, int axis, bool keepdims)
{
    if (!a)
        return NULL;
    const char *op = em_prims[prim].name;
    em__internal_begin();
    em_array *x;
    int ax;
    if (axis == EM_AXIS_ALL) {
        int64_t n = a->size;
        x = em_reshape(a, 1, &n);
        ax = 0;
    } else {
        ax = em__norm_axis(op, axis, a->ndim);
        x = ax < 0 ? NULL : em_retain(a);
    }
    em_array *r = NULL;
    if (x) {
        if (x->shape[ax] == 0) {
            char d[128];
            em__error("%s: empty axis %d of %s", op, axis == EM_AXIS_ALL ? -1 : axis,
                      em__describe(a, d, sizeof d));
        } else {
            em_params p = {.i = {ax, keepdims}};
            int64_t shape[EM_MAX_DIMS];
            int nd = 0;
            if (axis == EM_AXIS_ALL) {
                for (int d = 0; d < a->ndim && keepdims; d++)
                    shape[nd++] = 1;
                em_array *q = em__node(prim, EM_UINT32, 1, (int64_t[]){1}, &x, 1, &p);
                r = q ? em_reshape(q, nd, shape) : NULL;
                em_release(q);
            } else {
                for (int d = 0; d < a->ndim; d++)
                    if (d != ax || keepdims)
                        shape[nd++] = d == ax ? 1 : a->shape[d];
                r = em__node(prim, EM_UINT32, nd, shape, &x, 1, &p);
            }
        }
    }
    em_release(x);
    return em__internal_end(r);
}

em_array *em_argmax(em_array *a, int axis, bool keepdims) { return arg_reduce(EM_P_ARGMAX, a, axis, keepdims); }
em_array *em_argmin(em_array *a, int axis, bool keepdims) { return arg_reduce(EM_P_ARGMIN, a, axis, keepdims); }

/* ---- scans ---- */
static em_array *scan(em_prim_id prim, em_array *a, int axis, bool reverse, bool inclusive)
{
    if (!a)
        return NULL;
    const char *op = em_prims[prim].name;
    em_dtype t = (em_dtype)a->dtype;
    em_dtype out = prim == EM_P_SCAN_SUM || prim == EM_P_SCAN_PROD ? sum_dtype(t) : t;
    em__internal_begin();
    em_array *x;
    int ax;
    if (axis == EM_AXIS_ALL) {
        int64_t n = a->size;
        x = em_reshape(a, 1, &n);
        ax = 0;
    } else {
        ax = em__norm_axis(op, axis, a->ndim);
        x = ax < 0 ? NULL : em_retain(a);
    }
    em_array *r = NULL;
    if (x) {
        em_params p = {.i = {ax, reverse, inclusive}};
        r = em__node(prim, out, x->ndim, x->shape, &x, 1, &p);
    }
    em_release(x);
    return em__internal_end(r);
}

em_array *em_cumsum(em_array *a, int axis, bool reverse, bool inclusive)
{
    return scan(EM_P_SCAN_SUM, a, axis, reverse, inclusive);
}
em_array *em_cumprod(em_array *a, int axis, bool reverse, bool inclusive)
{
    return scan(EM_P_SCAN_PROD, a, axis, reverse, inclusive);
}
em_array *em_cummax(em_array *a, int axis, bool reverse, bool inclusive)
{
    return scan(EM_P_SCAN_MAX, a, axis, reverse, inclusive);
}
em_array *em_cummin(em_array *a, int axis, bool reverse, bool inclusive)
{
    return scan(EM_P_SCAN_MIN, a, axis, reverse, inclusive);
}

/* ---- whole-array comparisons ---- */
em_array *em_allclose(em_array *a, em_array *b, double rtol, double atol, bool equal_nan)
{
    if (!a || !b)
        return NULL;
    em_scope *s = em_scope_begin();
    em_array *r = em_all(em_isclose(a, b, rtol, atol, equal_nan), NULL, 0, false);
    return em__composite_end(s, r);
}

em_array *em_array_equal(em_array *a, em_array *b, bool equal_nan)
{
    if (!a || !b)
        return NULL;
    em_scope *s = em_scope_begin();
    em_array *r;
    if (a->ndim != b->ndim || memcmp(a->shape, b->shape, a->ndim * sizeof *a->shape)) {
        r = em_scalar(0.0, EM_BOOL);
    } else {
        em_array *eq = em_equal(a, b);
        if (equal_nan && (em_dtype_is_float((em_dtype)a->dtype) || em_dtype_is_float((em_dtype)b->dtype)))
            eq = em_logical_or(eq, em_logical_and(em_isnan(a), em_isnan(b)));
        r = em_all(eq, NULL, 0, false);
    }
    return em__composite_end(s, r);
}
