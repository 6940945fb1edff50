/* Indexing ops: gather/scatter (MLX semantics), take, take_along_axis,
 * put_along_axis, slice_update. Kernels in cpu/index.c.
 *
 * Out-of-range indices: negative indices count from the end; an index still
 * outside its axis after that is an error, reported when the array is
 * evaluated (em_eval fails with "gather: index 7 is out of range ..."). Nothing
 * is ever read or written out of bounds. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops_internal.h"

static int check_index_dtype(const char *op, const em_array *idx)
{
    if (em_dtype_is_int((em_dtype)idx->dtype))
        return 0;
    char d[128];
    return em__error("%s: index array %s is not integer", op, em__describe(idx, d, sizeof d));
}

/* Broadcast shape of the index arrays into nb/shape. */
static int index_shape(const char *op, em_array *const *indices, int n, int *nb, int64_t *shape)
{
    *nb = 0;
    for (int i = 0; i < n; i++) {
        if (check_index_dtype(op, indices[i]) < 0)
            return -1;
        int64_t prev[EM_MAX_DIMS];
        memcpy(prev, shape, sizeof prev);
        if (em__broadcast_shapes(op, *nb, prev, indices[i]->ndim, indices[i]->shape, nb, shape) < 0)
            return -1;
    }
    return 0;
}

/* Normalised, distinct axes (order kept) into out. */
static int index_axes(const char *op, const int *axes, int n, const em_array *a, int64_t *out)
{
    if (n < 0 || n > a->ndim) {
        char d[128];
        return em__error("%s: %d index arrays for %s", op, n, em__describe(a, d, sizeof d));
    }
    bool seen[EM_MAX_DIMS] = {0};
    for (int i = 0; i < n; i++) {
        int ax = em__norm_axis(op, axes[i], a->ndim);
        if (ax < 0)
            return -1;
        if (seen[ax])
            return em__error("%s: axis %d repeated", op, axes[i]);
        seen[ax] = true;
        out[i] = ax;
    }
    return 0;
}

em_array *em_gather(em_array *a, em_array *const *indices, int n_indices, const int *axes,
                    const int64_t *slice_sizes)
{
    if (!a || (n_indices > 0 && em__any_null(indices, n_indices)))
        return NULL;
    em_params p = {0};
    if (index_axes("gather", axes, n_indices, a, &p.i[1]) < 0)
        return NULL;
    p.i[0] = n_indices;
    int nb;
    int64_t shape[2 * EM_MAX_DIMS];
    if (index_shape("gather", indices, n_indices, &nb, shape) < 0)
        return NULL;
    char d[128];
    if (nb + a->ndim > EM_MAX_DIMS) {
        em__error("gather: indices of %d dimensions and %s make more than %d dimensions", nb,
                  em__describe(a, d, sizeof d), EM_MAX_DIMS);
        return NULL;
    }
    for (int i = 0; i < a->ndim; i++) {
        if (slice_sizes[i] < 0 || slice_sizes[i] > a->shape[i]) {
            em__error("gather: slice size %" PRId64 " for axis %d of %s", slice_sizes[i], i,
                      em__describe(a, d, sizeof d));
            return NULL;
        }
        shape[nb + i] = slice_sizes[i];
    }
    em__internal_begin();
    em_array *in[1 + EM_MAX_DIMS] = {a}, *r = NULL;
    int ok = 1;
    for (int i = 0; i < n_indices; i++)
        ok &= (in[1 + i] = em__broadcast(indices[i], nb, shape)) != NULL;
    if (ok)
        r = em__node(EM_P_GATHER, (em_dtype)a->dtype, nb + a->ndim, shape, in, 1 + n_indices, &p);
    for (int i = 0; i < n_indices; i++)
        em_release(in[1 + i]);
    return em__internal_end(r);
}

em_array *em_scatter(em_array *a, em_array *const *indices, int n_indices, em_array *updates,
                     const int *axes, em_scatter_mode mode)
{
    if (!a || !updates || (n_indices > 0 && em__any_null(indices, n_indices)))
        return NULL;
    if ((int)mode < EM_SCATTER_SET || mode > EM_SCATTER_PROD) {
        em__error("scatter: unknown mode %d", (int)mode);
        return NULL;
    }
    em_params p = {0};
    if (index_axes("scatter", axes, n_indices, a, &p.i[2]) < 0)
        return NULL;
    p.i[0] = n_indices;
    p.i[1] = mode;
    int nb;
    int64_t shape[2 * EM_MAX_DIMS];
    if (index_shape("scatter", indices, n_indices, &nb, shape) < 0)
        return NULL;
    char d1[128], d2[128];
    bool ok = updates->ndim == nb + a->ndim;
    for (int i = 0; ok && i < nb; i++)
        ok = updates->shape[i] == shape[i] || updates->shape[i] == 1;
    for (int i = 0; ok && i < a->ndim; i++)
        ok = updates->shape[nb + i] <= a->shape[i];
    if (!ok) {
        em__error("scatter: updates %s do not fit indices of %d dimensions into %s",
                  em__describe(updates, d1, sizeof d1), nb, em__describe(a, d2, sizeof d2));
        return NULL;
    }
    for (int i = 0; i < a->ndim; i++)
        shape[nb + i] = updates->shape[nb + i];
    em__internal_begin();
    em_array *in[2 + EM_MAX_DIMS] = {a}, *r = NULL;
    em_array *uc = em__cast(updates, (em_dtype)a->dtype);
    in[1] = em__broadcast(uc, nb + a->ndim, shape);
    em_release(uc);
    int good = in[1] != NULL;
    for (int i = 0; i < n_indices; i++)
        good &= (in[2 + i] = em__broadcast(indices[i], nb, shape)) != NULL;
    if (good)
        r = em__node(EM_P_SCATTER, (em_dtype)a->dtype, a->ndim, a->shape, in, 2 + n_indices, &p);
    for (int i = 1; i < 2 + n_indices; i++)
        em_release(in[i]);
    return em__internal_end(r);
}

em_array *em_take(em_array *a, em_array *indices, int axis)
{
    if (!a || !indices)
        return NULL;
    if (check_index_dtype("take", indices) < 0)
        return NULL;
    em_scope *s = em_scope_begin();
    em_array *x = a, *r = NULL;
    if (axis == EM_AXIS_ALL) {
        x = em_flatten(a, 0, -1);
        axis = 0;
    }
    int ax = x ? em__norm_axis("take", axis, x->ndim) : -1;
    int nb = indices->ndim, nd = x ? x->ndim : 0;
    if (ax >= 0 && nb + nd > EM_MAX_DIMS) {
        char d1[128], d2[128];
        em__error("take: indices %s into %s make too many dimensions",
                  em__describe(indices, d1, sizeof d1), em__describe(x, d2, sizeof d2));
        ax = -1;
    }
    if (ax >= 0) {
        int64_t sizes[EM_MAX_DIMS], shape[EM_MAX_DIMS];
        memcpy(sizes, x->shape, nd * sizeof *sizes);
        sizes[ax] = 1;
        /* gather: idx.shape + sizes; drop the size-1 axis, then move the index
         * dims to where the axis was */
        int k = 0;
        for (int i = 0; i < nb; i++)
            shape[k++] = indices->shape[i];
        for (int i = 0; i < nd; i++)
            if (i != ax)
                shape[k++] = x->shape[i];
        r = em_reshape(em_gather(x, &indices, 1, &ax, sizes), k, shape);
        if (ax > 0 && nb > 0) {
            int perm[EM_MAX_DIMS], q = 0;
            for (int i = 0; i < ax; i++)
                perm[q++] = nb + i;
            for (int i = 0; i < nb; i++)
                perm[q++] = i;
            for (int i = nb + ax; i < k; i++)
                perm[q++] = i;
            r = em_transpose(r, perm);
        }
    }
    return em__composite_end(s, r);
}

em_array *em_take_along_axis(em_array *a, em_array *indices, int axis)
{
    if (!a || !indices)
        return NULL;
    if (check_index_dtype("take_along_axis", indices) < 0)
        return NULL;
    char d1[128], d2[128];
    em_scope *s = em_scope_begin();
    em_array *x = a, *r = NULL;
    if (axis == EM_AXIS_ALL) {
        if (indices->ndim != 1) {
            em__error("take_along_axis: indices %s must be 1-d to index the flattened array",
                      em__describe(indices, d1, sizeof d1));
            return em__composite_end(s, NULL);
        }
        x = em_flatten(a, 0, -1);
        axis = 0;
    }
    int ax = x ? em__norm_axis("take_along_axis", axis, x->ndim) : -1;
    if (ax >= 0 && indices->ndim != x->ndim) {
        em__error("take_along_axis: indices %s and array %s differ in dimensions",
                  em__describe(indices, d1, sizeof d1), em__describe(x, d2, sizeof d2));
        ax = -1;
    }
    int64_t oshape[EM_MAX_DIMS], ashape[EM_MAX_DIMS];
    for (int i = 0; ax >= 0 && i < x->ndim; i++) {
        int64_t p = x->shape[i], q = indices->shape[i];
        if (i == ax) {
            oshape[i] = q;
            ashape[i] = p;
        } else if (p == q || p == 1 || q == 1) {
            oshape[i] = ashape[i] = p == 1 ? q : p;
        } else {
            em__error("take_along_axis: indices %s do not broadcast with %s",
                      em__describe(indices, d1, sizeof d1), em__describe(x, d2, sizeof d2));
            ax = -1;
        }
    }
    if (ax >= 0) {
        em_array *in[2] = {em_broadcast_to(x, x->ndim, ashape),
                           em_broadcast_to(indices, x->ndim, oshape)};
        em_params p = {0};
        p.i[0] = ax;
        if (in[0] && in[1])
            r = em__node(EM_P_TAKE_ALONG_AXIS, (em_dtype)x->dtype, x->ndim, oshape, in, 2, &p);
    }
    return em__composite_end(s, r);
}

em_array *em_put_along_axis(em_array *a, em_array *indices, em_array *values, int axis)
{
    if (!a || !indices || !values)
        return NULL;
    if (check_index_dtype("put_along_axis", indices) < 0)
        return NULL;
    char d1[128], d2[128];
    em_scope *s = em_scope_begin();
    em_array *x = a, *r = NULL;
    if (axis == EM_AXIS_ALL) {
        if (indices->ndim != 1) {
            em__error("put_along_axis: indices %s must be 1-d to index the flattened array",
                      em__describe(indices, d1, sizeof d1));
            return em__composite_end(s, NULL);
        }
        x = em_flatten(a, 0, -1);
        axis = 0;
    }
    int ax = x ? em__norm_axis("put_along_axis", axis, x->ndim) : -1;
    if (ax >= 0 && indices->ndim != x->ndim) {
        em__error("put_along_axis: indices %s and array %s differ in dimensions",
                  em__describe(indices, d1, sizeof d1), em__describe(x, d2, sizeof d2));
        ax = -1;
    }
    int64_t ishape[EM_MAX_DIMS];
    for (int i = 0; ax >= 0 && i < x->ndim; i++) {
        ishape[i] = i == ax ? indices->shape[i] : x->shape[i];
        if (i != ax && indices->shape[i] != x->shape[i] && indices->shape[i] != 1) {
            em__error("put_along_axis: indices %s do not broadcast with %s",
                      em__describe(indices, d1, sizeof d1), em__describe(x, d2, sizeof d2));
            ax = -1;
        }
    }
    if (ax >= 0) {
        int nd;
        int64_t tmp[EM_MAX_DIMS];
        if (values->ndim > x->ndim ||
            em__broadcast_shapes("put_along_axis", values->ndim, values->shape, x->ndim, ishape, &nd,
                                 tmp) < 0 ||
            memcmp(tmp, ishape, x->ndim * sizeof *tmp)) {
            em__error("put_along_axis: values %s do not broadcast to the indices' shape (%s)",
                      em__describe(values, d1, sizeof d1), em__describe(indices, d2, sizeof d2));
            ax = -1;
        }
    }
    if (ax >= 0) {
        em_array *in[3] = {x, em_broadcast_to(indices, x->ndim, ishape),
                           em__broadcast(em__cast(values, (em_dtype)x->dtype), x->ndim, ishape)};
        em_params p = {0};
        p.i[0] = ax;
        if (in[1] && in[2])
            r = em__node(EM_P_PUT_ALONG_AXIS, (em_dtype)x->dtype, x->ndim, x->shape, in, 3, &p);
        if (x != a)
            r = em_reshape(r, a->ndim, a->shape);
    }
    return em__composite_end(s, r);
}

em_array *em_slice_update(em_array *a, em_array *update, const int64_t *start, const int64_t *stop,
                          const int64_t *step)
{
    if (!a || !update)
        return NULL;
    em_params p = {0};
    int64_t shape[EM_MAX_DIMS];
    if (em__slice_params("slice_update", a, start, stop, step, &p, shape) < 0)
        return NULL;
    int nd;
    int64_t tmp[EM_MAX_DIMS];
    if (update->ndim > a->ndim ||
        em__broadcast_shapes("slice_update", update->ndim, update->shape, a->ndim, shape, &nd, tmp) < 0 ||
        memcmp(tmp, shape, a->ndim * sizeof *tmp)) {
        char d1[128], d2[128];
        em__error("slice_update: update %s does not broadcast to the slice of %s (%d dims)",
                  em__describe(update, d1, sizeof d1), em__describe(a, d2, sizeof d2), a->ndim);
        return NULL;
    }
    em__internal_begin();
    em_array *uc = em__cast(update, (em_dtype)a->dtype);
    em_array *in[2] = {a, em__broadcast(uc, a->ndim, shape)}, *r = NULL;
    em_release(uc);
    if (in[1])
        r = em__node(EM_P_SLICE_UPDATE, (em_dtype)a->dtype, a->ndim, a->shape, in, 2, &p);
    em_release(in[1]);
    return em__internal_end(r);
}
