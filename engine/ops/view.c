/* The ops that are views of their input when its layout allows: reshape,
 * transpose, slice, broadcast_to; and contiguous, which makes a dense copy. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ops_internal.h"

static void shape_str(int nd, const int64_t *s, char *buf, size_t n)
{
    int k = snprintf(buf, n, "(");
    for (int i = 0; i < nd && k < (int)n; i++)
        k += snprintf(buf + k, n - k, i ? ", %" PRId64 : "%" PRId64, s[i]);
    if (k < (int)n)
        snprintf(buf + k, n - k, ")");
}

em_array *em_reshape(em_array *a, int ndim, const int64_t *shape)
{
    if (!a)
        return NULL;
    if (ndim < 0 || ndim > EM_MAX_DIMS) {
        em__error("reshape: %d dimensions asked, at most %d", ndim, EM_MAX_DIMS);
        return NULL;
    }
    int64_t s[EM_MAX_DIMS];
    int infer = -1;
    int64_t known = 1;
    for (int i = 0; i < ndim; i++) {
        s[i] = shape[i];
        if (shape[i] == -1) {
            if (infer >= 0) {
                em__error("reshape: only one dimension can be -1");
                return NULL;
            }
            infer = i;
        } else if (shape[i] < 0) {
            em__error("reshape: negative dimension %" PRId64, shape[i]);
            return NULL;
        } else {
            known *= shape[i];
        }
    }
    if (infer >= 0) {
        if (known == 0 || a->size % known) {
            char d[128];
            em__error("reshape: cannot infer -1 for %s", em__describe(a, d, sizeof d));
            return NULL;
        }
        s[infer] = a->size / known;
        known *= s[infer];
    }
    if (known != a->size) {
        char d[128], b[128];
        shape_str(ndim, s, b, sizeof b);
        em__error("reshape: cannot reshape %s to %s", em__describe(a, d, sizeof d), b);
        return NULL;
    }
    return em__node(EM_P_RESHAPE, (em_dtype)a->dtype, ndim, s, &a, 1, NULL);
}

em_array *em_transpose(em_array *a, const int *perm)
{
    if (!a)
        return NULL;
    em_params p = {0};
    int64_t shape[EM_MAX_DIMS];
    bool seen[EM_MAX_DIMS] = {0};
    for (int i = 0; i < a->ndim; i++) {
        int ax = perm ? em__norm_axis("transpose", perm[i], a->ndim) : a->ndim - 1 - i;
        if (ax < 0)
            return NULL;
        if (seen[ax]) {
            em__error("transpose: axis %d repeated in the permutation", perm[i]);
            return NULL;
        }
        seen[ax] = true;
        p.i[i] = ax;
        shape[i] = a->shape[ax];
    }
    return em__node(EM_P_TRANSPOSE, (em_dtype)a->dtype, a->ndim, shape, &a, 1, &p);
}

em_array *em_broadcast_to(em_array *a, int ndim, const int64_t *shape)
{
    if (!a)
        return NULL;
    int nd;
    int64_t out[EM_MAX_DIMS];
    if (ndim < a->ndim || em__broadcast_shapes("broadcast_to", a->ndim, a->shape, ndim, shape, &nd, out) < 0 ||
        memcmp(out, shape, ndim * sizeof *shape) != 0) {
        char d[128], b[128];
        shape_str(ndim, shape, b, sizeof b);
        em__error("broadcast_to: cannot broadcast %s to %s", em__describe(a, d, sizeof d), b);
        return NULL;
    }
    return em__node(EM_P_BROADCAST, (em_dtype)a->dtype, ndim, shape, &a, 1, NULL);
}

em_array *em__broadcast(em_array *a, int ndim, const int64_t *shape)
{
    if (!a)
        return NULL;
    if (a->ndim == ndim && !memcmp(a->shape, shape, ndim * sizeof *shape))
        return em__track(em_retain(a));
    return em_broadcast_to(a, ndim, shape);
}

/* Python's slice.indices(). */
static int64_t clamp_index(int64_t i, int64_t n, int64_t step, bool is_start)
{
    if (i < 0) {
        i += n;
        if (i < 0)
            i = step < 0 ? -1 : 0;
    } else if (i >= n) {
        i = step < 0 ? n - 1 : n;
    }
    (void)is_start;
    return i;
}

int em__slice_params(const char *op, const em_array *a, const int64_t *start, const int64_t *stop,
                     const int64_t *step, em_params *p, int64_t *shape)
{
    for (int d = 0; d < a->ndim; d++) {
        int64_t n = a->shape[d];
        int64_t st = step ? step[d] : 1;
        if (st == 0)
            return em__error("%s: step of axis %d is zero", op, d);
        int64_t b = start ? start[d] : (st > 0 ? 0 : n - 1);
        int64_t e;
        if (start)
            b = clamp_index(b, n, st, true);
        if (stop && !(st < 0 && stop[d] == INT64_MIN))
            e = clamp_index(stop[d], n, st, false);
        else
            e = st > 0 ? n : -1;
        int64_t len = st > 0 ? (e > b ? (e - b + st - 1) / st : 0) : (b > e ? (b - e - st - 1) / -st : 0);
        p->i[d] = b;
        p->i[EM_MAX_DIMS + d] = st;
        shape[d] = len;
    }
    return 0;
}

em_array *em_slice(em_array *a, const int64_t *start, const int64_t *stop, const int64_t *step)
{
    if (!a)
        return NULL;
    em_params p = {0};
    int64_t shape[EM_MAX_DIMS];
    if (em__slice_params("slice", a, start, stop, step, &p, shape) < 0)
        return NULL;
    return em__node(EM_P_SLICE, (em_dtype)a->dtype, a->ndim, shape, &a, 1, &p);
}

em_array *em_contiguous(em_array *a)
{
    if (!a)
        return NULL;
    return em__node(EM_P_COPY, (em_dtype)a->dtype, a->ndim, a->shape, &a, 1, NULL);
}
