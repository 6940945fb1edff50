/* Shape ops beyond the four views of view.c. Most are views composed of
 * reshape/transpose/slice/broadcast_to (flatten, squeeze, expand_dims,
 * swapaxes, moveaxis, broadcast_arrays, split, flip, tile, repeat); concatenate
 * and pad are primitives (cpu/shape.c); stack and roll are built on
 * concatenate. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops_internal.h"

/* Ends a private scope opened by an op that writes n outputs: on success the
 * outputs move to the caller's scope; on failure they are dropped (NULL). */
static int finish_many(em_scope *s, int rc, em_array **out, int n)
{
    if (rc == 0)
        for (int i = 0; i < n; i++)
            if (!out[i])
                rc = -1;
    if (rc == 0)
        for (int i = 0; i < n; i++)
            em_retain(out[i]);
    em_scope_end(s);
    for (int i = 0; i < n; i++) {
        if (rc == 0)
            em__track(out[i]);
        else
            out[i] = NULL;
    }
    return rc;
}

em_array *em_flatten(em_array *a, int start_axis, int end_axis)
{
    if (!a)
        return NULL;
    if (a->ndim == 0) {
        int64_t one = 1;
        return em_reshape(a, 1, &one);
    }
    int s = em__norm_axis("flatten", start_axis, a->ndim);
    if (s < 0)
        return NULL;
    int e = em__norm_axis("flatten", end_axis, a->ndim);
    if (e < 0)
        return NULL;
    if (s > e) {
        char d[128];
        em__error("flatten: start axis %d comes after end axis %d for %s", start_axis, end_axis,
                  em__describe(a, d, sizeof d));
        return NULL;
    }
    int64_t shape[EM_MAX_DIMS];
    int nd = 0;
    for (int i = 0; i < s; i++)
        shape[nd++] = a->shape[i];
    int64_t m = 1;
    for (int i = s; i <= e; i++)
        m *= a->shape[i];
    shape[nd++] = m;
    for (int i = e + 1; i < a->ndim; i++)
        shape[nd++] = a->shape[i];
    return em_reshape(a, nd, shape);
}

em_array *em_squeeze(em_array *a, const int *axes, int n_axes)
{
    if (!a)
        return NULL;
    bool drop[EM_MAX_DIMS] = {0};
    if (axes) {
        int ax[EM_MAX_DIMS];
        if (n_axes > a->ndim) {
            char d[128];
            em__error("squeeze: %d axes given for %s", n_axes, em__describe(a, d, sizeof d));
            return NULL;
        }
        int n = em__norm_axes("squeeze", axes, n_axes, a->ndim, ax);
        if (n < 0)
            return NULL;
        for (int i = 0; i < n; i++) {
            if (a->shape[ax[i]] != 1) {
                char d[128];
                em__error("squeeze: axis %d of %s has size %" PRId64 ", not 1", ax[i],
                          em__describe(a, d, sizeof d), a->shape[ax[i]]);
                return NULL;
            }
            drop[ax[i]] = true;
        }
    } else {
        for (int i = 0; i < a->ndim; i++)
            drop[i] = a->shape[i] == 1;
    }
    int64_t shape[EM_MAX_DIMS];
    int nd = 0;
    for (int i = 0; i < a->ndim; i++)
        if (!drop[i])
            shape[nd++] = a->shape[i];
    return em_reshape(a, nd, shape);
}

em_array *em_expand_dims(em_array *a, const int *axes, int n_axes)
{
    if (!a)
        return NULL;
    int nd = a->ndim + n_axes;
    if (n_axes < 0 || nd > EM_MAX_DIMS) {
        char d[128];
        em__error("expand_dims: %d new axes for %s make more than %d dimensions", n_axes,
                  em__describe(a, d, sizeof d), EM_MAX_DIMS);
        return NULL;
    }
    bool added[EM_MAX_DIMS] = {0};
    for (int i = 0; i < n_axes; i++) {
        int ax = em__norm_axis("expand_dims", axes[i], nd);
        if (ax < 0)
            return NULL;
        if (added[ax]) {
            em__error("expand_dims: axis %d repeated", axes[i]);
            return NULL;
        }
        added[ax] = true;
    }
    int64_t shape[EM_MAX_DIMS];
    for (int i = 0, k = 0; i < nd; i++)
        shape[i] = added[i] ? 1 : a->shape[k++];
    return em_reshape(a, nd, shape);
}

em_array *em_swapaxes(em_array *a, int axis1, int axis2)
{
    if (!a)
        return NULL;
    int x = em__norm_axis("swapaxes", axis1, a->ndim);
    if (x < 0)
        return NULL;
    int y = em__norm_axis("swapaxes", axis2, a->ndim);
    if (y < 0)
        return NULL;
    int perm[EM_MAX_DIMS];
    for (int i = 0; i < a->ndim; i++)
        perm[i] = i;
    perm[x] = y;
    perm[y] = x;
    return em_transpose(a, perm);
}

em_array *em_moveaxis(em_array *a, int source, int destination)
{
    if (!a)
        return NULL;
    int s = em__norm_axis("moveaxis", source, a->ndim);
    if (s < 0)
        return NULL;
    int d = em__norm_axis("moveaxis", destination, a->ndim);
    if (d < 0)
        return NULL;
    int rest[EM_MAX_DIMS], perm[EM_MAX_DIMS], n = 0;
    for (int i = 0; i < a->ndim; i++)
        if (i != s)
            rest[n++] = i;
    for (int i = 0, k = 0; i < a->ndim; i++)
        perm[i] = i == d ? s : rest[k++];
    return em_transpose(a, perm);
}

int em_broadcast_arrays(em_array *const *arrays, int n, em_array **out)
{
    for (int i = 0; i < n; i++)
        out[i] = NULL;
    if (n < 0)
        return em__error("broadcast_arrays: %d arrays", n);
    if (em__any_null(arrays, n))
        return -1;
    int nd = 0;
    int64_t shape[EM_MAX_DIMS];
    for (int i = 0; i < n; i++) {
        int64_t prev[EM_MAX_DIMS];
        memcpy(prev, shape, sizeof prev);
        if (em__broadcast_shapes("broadcast_arrays", nd, prev, arrays[i]->ndim, arrays[i]->shape, &nd,
                                 shape) < 0)
            return -1;
    }
    em__internal_begin();
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        out[i] = em__broadcast(arrays[i], nd, shape);
        if (!out[i])
            rc = -1;
    }
    if (rc < 0)
        for (int i = 0; i < n; i++) {
            em_release(out[i]);
            out[i] = NULL;
        }
    return em__internal_end_many(rc, out, rc == 0 ? n : 0);
}

em_array *em_concatenate(em_array *const *arrays, int n, int axis)
{
    if (n <= 0) {
        em__error("concatenate: no arrays given");
        return NULL;
    }
    if (em__any_null(arrays, n))
        return NULL;
    const em_array *a0 = arrays[0];
    if (a0->ndim == 0) {
        em__error("concatenate: cannot concatenate scalars (0-d arrays)");
        return NULL;
    }
    int ax = em__norm_axis("concatenate", axis, a0->ndim);
    if (ax < 0)
        return NULL;
    em_dtype t = (em_dtype)a0->dtype;
    int64_t shape[EM_MAX_DIMS];
    memcpy(shape, a0->shape, sizeof shape);
    shape[ax] = 0;
    for (int i = 0; i < n; i++) {
        const em_array *b = arrays[i];
        bool ok = b->ndim == a0->ndim;
        for (int d = 0; ok && d < a0->ndim; d++)
            ok = d == ax || b->shape[d] == a0->shape[d];
        if (!ok) {
            char d1[128], d2[128];
            em__error("concatenate: %s and %s differ outside axis %d", em__describe(a0, d1, sizeof d1),
                      em__describe(b, d2, sizeof d2), ax);
            return NULL;
        }
        shape[ax] += b->shape[ax];
        if (i)
            t = em_promote_types(t, (em_dtype)b->dtype);
    }
    em__internal_begin();
    em_array **cast = calloc((size_t)n, sizeof *cast);
    em_array *r = NULL;
    if (!cast) {
        em__error("concatenate: out of memory");
    } else {
        int ok = 1;
        for (int i = 0; i < n; i++)
            ok &= (cast[i] = em__cast(arrays[i], t)) != NULL;
        if (ok) {
            em_params p = {0};
            p.i[0] = ax;
            r = em__node(EM_P_CONCATENATE, t, a0->ndim, shape, cast, n, &p);
        }
        for (int i = 0; i < n; i++)
            em_release(cast[i]);
        free(cast);
    }
    return em__internal_end(r);
}

em_array *em_stack(em_array *const *arrays, int n, int axis)
{
    if (n <= 0) {
        em__error("stack: no arrays given");
        return NULL;
    }
    if (em__any_null(arrays, n))
        return NULL;
    for (int i = 1; i < n; i++) {
        if (arrays[i]->ndim != arrays[0]->ndim ||
            memcmp(arrays[i]->shape, arrays[0]->shape, arrays[0]->ndim * sizeof(int64_t))) {
            char d1[128], d2[128];
            em__error("stack: all arrays must have one shape; %s and %s differ",
                      em__describe(arrays[0], d1, sizeof d1), em__describe(arrays[i], d2, sizeof d2));
            return NULL;
        }
    }
    int ax = em__norm_axis("stack", axis, arrays[0]->ndim + 1);
    if (ax < 0)
        return NULL;
    em_array **x = calloc((size_t)n, sizeof *x);
    if (!x) {
        em__error("stack: out of memory");
        return NULL;
    }
    em_scope *s = em_scope_begin();
    for (int i = 0; i < n; i++)
        x[i] = em_expand_dims(arrays[i], &ax, 1);
    em_array *r = em_concatenate(x, n, ax);
    free(x);
    return em__composite_end(s, r);
}

/* Part [b, e) of axis ax (Python slice semantics for b and e). */
static em_array *axis_slice(em_array *a, int ax, int64_t b, int64_t e)
{
    int64_t start[EM_MAX_DIMS] = {0}, stop[EM_MAX_DIMS];
    for (int d = 0; d < a->ndim; d++)
        stop[d] = a->shape[d];
    start[ax] = b;
    stop[ax] = e;
    return em_slice(a, start, stop, NULL);
}

int em_split(em_array *a, int n_sections, int axis, em_array **out)
{
    for (int i = 0; i < n_sections; i++)
        out[i] = NULL;
    if (!a)
        return -1;
    int ax = em__norm_axis("split", axis, a->ndim);
    if (ax < 0)
        return -1;
    if (n_sections <= 0 || a->shape[ax] % n_sections) {
        char d[128];
        return em__error("split: %d sections do not divide axis %d of %s equally", n_sections, ax,
                         em__describe(a, d, sizeof d));
    }
    int64_t len = a->shape[ax] / n_sections;
    em_scope *s = em_scope_begin();
    for (int i = 0; i < n_sections; i++)
        out[i] = axis_slice(a, ax, i * len, (i + 1) * len);
    return finish_many(s, 0, out, n_sections);
}

int em_split_at(em_array *a, const int64_t *indices, int n_indices, int axis, em_array **out)
{
    for (int i = 0; i <= n_indices; i++)
        out[i] = NULL;
    if (!a)
        return -1;
    if (n_indices < 0)
        return em__error("split_at: %d indices", n_indices);
    int ax = em__norm_axis("split_at", axis, a->ndim);
    if (ax < 0)
        return -1;
    em_scope *s = em_scope_begin();
    for (int i = 0; i <= n_indices; i++)
        out[i] = axis_slice(a, ax, i ? indices[i - 1] : 0, i < n_indices ? indices[i] : INT64_MAX);
    return finish_many(s, 0, out, n_indices + 1);
}

/* Repeats whole copies of `a` reps[d] times along each axis d (a and reps of
 * one length nd) by inserting broadcast axes; the final reshape copies. */
static em_array *tile_nd(em_array *a, const int64_t *reps)
{
    int nd = a->ndim, n_new = 0;
    for (int d = 0; d < nd; d++)
        n_new += reps[d] != 1;
    if (n_new == 0)
        return em_contiguous(a);
    if (nd + n_new <= EM_MAX_DIMS) {
        int64_t s1[EM_MAX_DIMS], s2[EM_MAX_DIMS], s3[EM_MAX_DIMS];
        int k = 0;
        for (int d = 0; d < nd; d++) {
            if (reps[d] != 1) {
                s1[k] = 1;
                s2[k++] = reps[d];
            }
            s1[k] = a->shape[d];
            s2[k++] = a->shape[d];
            s3[d] = a->shape[d] * reps[d];
        }
        em_array *x = em_reshape(a, k, s1);
        x = em_broadcast_to(x, k, s2);
        return em_reshape(em_contiguous(x), nd, s3);
    }
    /* Too many dimensions for one broadcast: one axis at a time. */
    em_array *x = a;
    for (int d = 0; d < nd; d++) {
        if (reps[d] == 1)
            continue;
        if (x->ndim < EM_MAX_DIMS) {
            int64_t r[EM_MAX_DIMS];
            for (int e = 0; e < nd; e++)
                r[e] = e == d ? reps[d] : 1;
            x = tile_nd(x, r);
        } else if (reps[d] == 0) {
            x = axis_slice(x, d, 0, 0);
        } else {
            em_array **c = malloc((size_t)reps[d] * sizeof *c);
            if (!c) {
                em__error("tile: out of memory");
                return NULL;
            }
            for (int64_t i = 0; i < reps[d]; i++)
                c[i] = x;
            x = em_concatenate(c, (int)reps[d], d);
            free(c);
        }
    }
    return x;
}

em_array *em_tile(em_array *a, const int64_t *reps, int n_reps)
{
    if (!a)
        return NULL;
    int nd = a->ndim > n_reps ? a->ndim : n_reps;
    if (n_reps < 0 || nd > EM_MAX_DIMS) {
        char d[128];
        em__error("tile: %d repetitions for %s", n_reps, em__describe(a, d, sizeof d));
        return NULL;
    }
    int64_t r[EM_MAX_DIMS], shape[EM_MAX_DIMS];
    for (int d = 0; d < nd; d++) {
        int i = d - (nd - n_reps), j = d - (nd - a->ndim);
        r[d] = i >= 0 ? reps[i] : 1;
        shape[d] = j >= 0 ? a->shape[j] : 1;
        if (r[d] < 0 || r[d] > INT32_MAX) {
            em__error("tile: repetition %" PRId64 " is out of range", r[d]);
            return NULL;
        }
    }
    em_scope *s = em_scope_begin();
    em_array *r0 = tile_nd(em_reshape(a, nd, shape), r);
    return em__composite_end(s, r0);
}

em_array *em_repeat(em_array *a, int64_t repeats, int axis)
{
    if (!a)
        return NULL;
    if (repeats < 0) {
        em__error("repeat: negative repeats %" PRId64, repeats);
        return NULL;
    }
    em_scope *s = em_scope_begin();
    em_array *x = a, *r = NULL;
    if (axis == EM_AXIS_ALL) {
        x = em_flatten(a, 0, -1);
        axis = 0;
    }
    int ax = x ? em__norm_axis("repeat", axis, x->ndim) : -1;
    if (ax >= 0 && x->ndim + 1 > EM_MAX_DIMS) {
        char d[128];
        em__error("repeat: %s has too many dimensions", em__describe(x, d, sizeof d));
        ax = -1;
    }
    if (ax >= 0) {
        int64_t s1[EM_MAX_DIMS], s2[EM_MAX_DIMS], s3[EM_MAX_DIMS];
        int nd = x->ndim;
        for (int d = 0, k = 0; d < nd; d++) {
            s1[k] = s2[k] = x->shape[d];
            k++;
            if (d == ax) {
                s1[k] = 1;
                s2[k++] = repeats;
            }
            s3[d] = x->shape[d] * (d == ax ? repeats : 1);
        }
        em_array *y = em_broadcast_to(em_reshape(x, nd + 1, s1), nd + 1, s2);
        r = em_reshape(em_contiguous(y), nd, s3);
    }
    return em__composite_end(s, r);
}

em_array *em_pad(em_array *a, const int64_t *widths, em_pad_mode mode, double value)
{
    if (!a)
        return NULL;
    char d[128];
    if (mode != EM_PAD_CONSTANT && mode != EM_PAD_EDGE) {
        em__error("pad: unknown mode %d", (int)mode);
        return NULL;
    }
    int64_t shape[EM_MAX_DIMS];
    em_params p = {0};
    for (int i = 0; i < a->ndim; i++) {
        int64_t b = widths[2 * i], e = widths[2 * i + 1];
        if (b < 0 || e < 0) {
            em__error("pad: negative width (%" PRId64 ", %" PRId64 ") for axis %d of %s", b, e, i,
                      em__describe(a, d, sizeof d));
            return NULL;
        }
        if (mode == EM_PAD_EDGE && a->shape[i] == 0 && (b || e)) {
            em__error("pad: edge mode cannot extend the empty axis %d of %s", i,
                      em__describe(a, d, sizeof d));
            return NULL;
        }
        p.i[2 * i] = b;
        p.i[2 * i + 1] = e;
        shape[i] = a->shape[i] + b + e;
    }
    p.i[2 * EM_MAX_DIMS] = mode;
    p.f[0] = mode == EM_PAD_CONSTANT ? value : 0;
    return em__node(EM_P_PAD, (em_dtype)a->dtype, a->ndim, shape, &a, 1, &p);
}

em_array *em_flip(em_array *a, const int *axes, int n_axes)
{
    if (!a)
        return NULL;
    int ax[EM_MAX_DIMS];
    if (axes && n_axes > a->ndim) {
        char d[128];
        em__error("flip: %d axes given for %s", n_axes, em__describe(a, d, sizeof d));
        return NULL;
    }
    int n = em__norm_axes("flip", axes, n_axes, a->ndim, ax);
    if (n < 0)
        return NULL;
    int64_t step[EM_MAX_DIMS];
    for (int i = 0; i < a->ndim; i++)
        step[i] = 1;
    for (int i = 0; i < n; i++)
        step[ax[i]] = -1;
    return em_slice(a, NULL, NULL, step);
}

em_array *em_roll(em_array *a, int64_t shift, int axis)
{
    if (!a)
        return NULL;
    em_scope *s = em_scope_begin();
    em_array *x = a, *r = NULL;
    if (axis == EM_AXIS_ALL) {
        x = em_flatten(a, 0, -1);
        axis = 0;
    }
    int ax = x ? em__norm_axis("roll", axis, x->ndim) : -1;
    if (ax >= 0) {
        int64_t n = x->shape[ax];
        int64_t k = n ? ((shift % n) + n) % n : 0;
        if (k == 0) {
            r = em_contiguous(x);
        } else {
            em_array *parts[2] = {axis_slice(x, ax, n - k, n), axis_slice(x, ax, 0, n - k)};
            r = em_concatenate(parts, 2, ax);
        }
        if (x != a)
            r = em_reshape(r, a->ndim, a->shape);
    }
    return em__composite_end(s, r);
}
