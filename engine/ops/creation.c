/* Creation ops. */
#include <math.h>

#include "convert.h"
#include "ops_internal.h"

int em__norm_axes(const char *op, const int *axes, int n_axes, int ndim, int *out)
{
    if (!axes) {
        for (int i = 0; i < ndim; i++)
            out[i] = i;
        return ndim;
    }
    bool seen[EM_MAX_DIMS] = {0};
    for (int i = 0; i < n_axes; i++) {
        int a = em__norm_axis(op, axes[i], ndim);
        if (a < 0)
            return -1;
        if (seen[a])
            return em__error("%s: axis %d repeated", op, axes[i]);
        seen[a] = true;
    }
    int n = 0;
    for (int i = 0; i < ndim; i++)
        if (seen[i])
            out[n++] = i;
    return n;
}

em_array *em_full(int ndim, const int64_t *shape, double value, em_dtype dtype)
{
    em_params p = {.f = {value}};
    em__store_f64(&p.i[0], dtype, value); /* exact bits for 64-bit integers */
    if (dtype == EM_INT64 || dtype == EM_UINT64)
        p.i[0] = (int64_t)value;
    p.i[1] = 1; /* value given in params */
    return em__node(EM_P_FULL, dtype, ndim, shape, NULL, 0, &p);
}

em_array *em_full_like_array(int ndim, const int64_t *shape, em_array *value, em_dtype dtype)
{
    if (!value)
        return NULL;
    em__internal_begin();
    em_array *v = em__cast(value, dtype);
    em_array *r = em__broadcast(v, ndim, shape);
    em_array *c = em_contiguous(r);
    em_release(v);
    em_release(r);
    return em__internal_end(c);
}

em_array *em_zeros(int ndim, const int64_t *shape, em_dtype dtype) { return em_full(ndim, shape, 0, dtype); }
em_array *em_ones(int ndim, const int64_t *shape, em_dtype dtype) { return em_full(ndim, shape, 1, dtype); }
em_array *em_zeros_like(em_array *a) { return a ? em_zeros(a->ndim, a->shape, (em_dtype)a->dtype) : NULL; }
em_array *em_ones_like(em_array *a) { return a ? em_ones(a->ndim, a->shape, (em_dtype)a->dtype) : NULL; }
em_array *em_full_like(em_array *a, double v) { return a ? em_full(a->ndim, a->shape, v, (em_dtype)a->dtype) : NULL; }

em_array *em_arange(double start, double stop, double step, em_dtype dtype)
{
    if (step == 0 || !isfinite(start) || !isfinite(stop) || !isfinite(step)) {
        em__error("arange: needs finite start/stop and a non-zero step (got %g, %g, %g)", start, stop, step);
        return NULL;
    }
    double n = ceil((stop - start) / step);
    int64_t len = n > 0 ? (int64_t)n : 0;
    em_params p = {.f = {start, step}};
    return em__node(EM_P_ARANGE, dtype, 1, &len, NULL, 0, &p);
}

em_array *em_linspace(double start, double stop, int64_t num, em_dtype dtype)
{
    if (num < 0) {
        em__error("linspace: num must be non-negative, got %lld", (long long)num);
        return NULL;
    }
    em_params p = {.f = {start, stop}};
    return em__node(EM_P_LINSPACE, dtype, 1, &num, NULL, 0, &p);
}

em_array *em_tri(int64_t n, int64_t m, int k, em_dtype dtype)
{
    int64_t shape[2] = {n, m};
    em_params p = {.i = {k, 0}};
    return em__node(EM_P_TRI, dtype, 2, shape, NULL, 0, &p);
}

em_array *em_eye(int64_t n, int64_t m, int k, em_dtype dtype)
{
    int64_t shape[2] = {n, m};
    em_params p = {.i = {k, 1}}; /* mode 1: the diagonal only */
    return em__node(EM_P_TRI, dtype, 2, shape, NULL, 0, &p);
}

em_array *em_identity(int64_t n, em_dtype dtype) { return em_eye(n, n, 0, dtype); }

static em_array *tri_mask(em_array *a, int k, bool lower)
{
    if (!a)
        return NULL;
    if (a->ndim < 2) {
        char d[128];
        em__error("%s: needs at least 2 dimensions, got %s", lower ? "tril" : "triu", em__describe(a, d, sizeof d));
        return NULL;
    }
    em_scope *s = em_scope_begin();
    int64_t n = a->shape[a->ndim - 2], m = a->shape[a->ndim - 1];
    /* tril keeps j <= i + k; triu keeps j >= i + k, the complement of tril(k - 1) */
    em_array *mask = em_tri(n, m, lower ? k : k - 1, EM_BOOL);
    if (!lower)
        mask = em_logical_not(mask);
    em_array *r = em_where(mask, a, em_zeros(0, NULL, (em_dtype)a->dtype));
    return em__composite_end(s, r);
}

em_array *em_tril(em_array *a, int k) { return tri_mask(a, k, true); }
em_array *em_triu(em_array *a, int k) { return tri_mask(a, k, false); }

int em_meshgrid(em_array *const *arrays, int n, bool sparse, const char *indexing, em_array **out)
{
    for (int i = 0; i < n; i++)
        out[i] = NULL;
    if (em__any_null(arrays, n))
        return -1;
    if (n > EM_MAX_DIMS)
        return em__error("meshgrid: at most %d arrays", EM_MAX_DIMS);
    bool xy = !indexing || indexing[0] == 'x';
    int64_t full[EM_MAX_DIMS];
    for (int i = 0; i < n; i++)
        full[i] = em_array_size(arrays[i]);
    if (xy && n >= 2) {
        int64_t t = full[0];
        full[0] = full[1];
        full[1] = t;
    }
    em__internal_begin();
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        int64_t shape[EM_MAX_DIMS];
        for (int d = 0; d < n; d++)
            shape[d] = 1;
        int pos = i;
        if (xy && n >= 2 && i < 2)
            pos = 1 - i;
        shape[pos] = full[pos];
        em_array *flat = em_reshape(arrays[i], n, shape);
        out[i] = sparse ? flat : em_broadcast_to(flat, n, full);
        if (!sparse)
            em_release(flat);
        if (!out[i])
            rc = -1;
    }
    if (rc < 0)
        for (int i = 0; i < n; i++) {
            em_release(out[i]);
            out[i] = NULL;
        }
    return em__internal_end_many(rc, out, n);
}
