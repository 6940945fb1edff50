/* Rules of the indexing primitives (gather, scatter, take_along_axis,
 * put_along_axis, slice_update), of concatenate and pad, and the batching rule
 * of random_bits.
 *
 * GATHER: inputs a, indices...; params i[0] n_indices, i[1 + k] axes.
 * SCATTER: inputs a, updates, indices...; i[0] n_indices, i[1] mode, i[2 + k] axes.
 * TAKE_ALONG_AXIS: x, indices; PUT_ALONG_AXIS: x, indices, values; i[0] axis.
 * SLICE_UPDATE: a, update; i[d] start, i[EM_MAX_DIMS + d] step.
 *
 * Where indices repeat, a set (scatter SET, put_along_axis) keeps one of the
 * written values but the rules send the cotangent to each of them, as MLX
 * does: their gradients are exact for distinct indices. Scatter PROD divides
 * by the updates (assumed non-zero); scatter MAX/MIN share the cotangent
 * between the tied extremes. */
#include <stdlib.h>

#include "transforms_internal.h"

static em_array *front(em_array *x, int axis) { return axis == 0 ? x : em_moveaxis(x, axis, 0); }

/* x batched at axis 0: moved there; else a new size-1 axis 0. */
static em_array *front_or_one(em_array *x, int axis)
{
    return axis >= 0 ? front(x, axis) : em_expand_dims(x, (int[]){0}, 1);
}

/* x batched at axis 0: moved there; else repeated B times along a new axis 0. */
static em_array *front_or_repeat(em_array *x, int axis, int64_t B)
{
    if (axis >= 0)
        return front(x, axis);
    int64_t shape[EM_MAX_DIMS];
    shape[0] = B;
    for (int d = 0; d < x->ndim; d++)
        shape[d + 1] = x->shape[d];
    return em_broadcast_to(em_expand_dims(x, (int[]){0}, 1), x->ndim + 1, shape);
}

static int64_t batch_size(em_array *const *ins, const int *axes, int n)
{
    for (int i = 0; i < n; i++)
        if (axes[i] >= 0)
            return ins[i]->shape[axes[i]];
    return 1;
}

/* arange(B) shaped (B, 1, ..., 1) with nd dimensions. */
static em_array *batch_index(int64_t B, int nd)
{
    int64_t shape[EM_MAX_DIMS];
    shape[0] = B;
    for (int d = 1; d < nd; d++)
        shape[d] = 1;
    return em_reshape(em_arange(0, (double)B, 1, EM_INT64), nd, shape);
}

static int too_many_dims(const em_array *node, int nd)
{
    if (nd <= EM_MAX_DIMS)
        return 0;
    return em__error("vmap: batching %s needs %d dimensions (at most %d)",
                     em_prims[node->orig_prim].name, nd, EM_MAX_DIMS);
}

em_array *em__add_along_axis(em_array *like, em_array *idx, em_array *vals, int ax)
{
    if (!like || !idx || !vals)
        return NULL;
    int64_t pre = 1, post = 1, n = like->shape[ax], m = idx->shape[ax];
    for (int d = 0; d < ax; d++)
        pre *= like->shape[d];
    for (int d = ax + 1; d < like->ndim; d++)
        post *= like->shape[d];
    em_array *ix[3] = {
        em_reshape(em_arange(0, (double)pre, 1, EM_INT64), 3, (int64_t[]){pre, 1, 1}),
        em_reshape(idx, 3, (int64_t[]){pre, m, post}),
        em_reshape(em_arange(0, (double)post, 1, EM_INT64), 3, (int64_t[]){1, 1, post}),
    };
    em_array *u = em_reshape(vals, 6, (int64_t[]){pre, m, post, 1, 1, 1});
    em_array *z = em_zeros(3, (int64_t[]){pre, n, post}, (em_dtype)vals->dtype);
    em_array *r = em_scatter(z, ix, 3, u, (int[]){0, 1, 2}, EM_SCATTER_ADD);
    return em_reshape(r, like->ndim, like->shape);
}

/* ---- gather ---- */
static void gather_axes(const em_params *p, int *axes)
{
    for (int k = 0; k < p->i[0]; k++)
        axes[k] = (int)p->i[1 + k];
}

static int vjp_gather(em_array *const *outs, int n_out, em_array *const *cots, em_array *const *ins,
                      int n_in, const em_params *p, em_array **in_cots)
{
    int axes[EM_MAX_DIMS], n = (int)p->i[0];
    gather_axes(p, axes);
    in_cots[0] = em_scatter(em_zeros_like(ins[0]), ins + 1, n, cots[0], axes, EM_SCATTER_ADD);
    return in_cots[0] ? 0 : -1;
}

/* Linear in input 0 for fixed indices: the same op on the tangent. */
static int jvp_first_linear(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                            em_array *const *in_tans, const em_params *p, em_array **out_tans)
{
    if (!in_tans[0])
        return 0;
    em_array **x = malloc(n_in * sizeof *x);
    if (!x)
        return em__error("out of memory");
    x[0] = in_tans[0];
    for (int i = 1; i < n_in; i++)
        x[i] = ins[i];
    out_tans[0] = em__replay(outs[0], x, n_in, outs[0]->ndim, outs[0]->shape);
    free(x);
    return out_tans[0] ? 0 : -1;
}

static int vmap_gather(const em_array *node, em_array *const *ins, const int *axes, int n_in,
                       em_array **outs, int *out_axes)
{
    const em_params *p = node->params;
    int n = (int)p->i[0], gax[EM_MAX_DIMS + 1];
    int a_nd = ins[0]->ndim - (axes[0] >= 0), nb = node->ndim - a_nd;
    int64_t B = batch_size(ins, axes, n_in), sizes[EM_MAX_DIMS];
    const int64_t *slice = node->shape + nb;
    bool idx_batched = false;
    for (int k = 0; k < n; k++)
        idx_batched |= axes[1 + k] >= 0;
    if (!idx_batched) {
        /* only the array: gather whole batch rows; the batch lands after the index dims */
        if (too_many_dims(node, node->ndim + 1) < 0)
            return -1;
        sizes[0] = B;
        for (int d = 0; d < a_nd; d++)
            sizes[d + 1] = slice[d];
        for (int k = 0; k < n; k++)
            gax[k] = (int)p->i[1 + k] + 1;
        outs[0] = em_gather(front(ins[0], axes[0]), ins + 1, n, gax, sizes);
        out_axes[0] = nb;
        return outs[0] ? 0 : -1;
    }
    em_array *idx[EM_MAX_DIMS + 1];
    if (axes[0] < 0) {
        for (int k = 0; k < n; k++)
            idx[k] = front_or_one(ins[1 + k], axes[1 + k]);
        gather_axes(p, gax);
        outs[0] = em_gather(ins[0], idx, n, gax, slice);
        out_axes[0] = 0;
        return outs[0] ? 0 : -1;
    }
    /* both: index the batch axis too, with a slice of one */
    if (too_many_dims(node, node->ndim + 2) < 0)
        return -1;
    idx[0] = batch_index(B, nb + 1);
    gax[0] = 0;
    for (int k = 0; k < n; k++) {
        idx[1 + k] = front_or_one(ins[1 + k], axes[1 + k]);
        gax[1 + k] = (int)p->i[1 + k] + 1;
    }
    sizes[0] = 1;
    for (int d = 0; d < a_nd; d++)
        sizes[d + 1] = slice[d];
    em_array *r = em_gather(front(ins[0], axes[0]), idx, n + 1, gax, sizes);
    int64_t shape[EM_MAX_DIMS];
    shape[0] = B;
    for (int d = 0; d < node->ndim; d++)
        shape[d + 1] = node->shape[d];
    outs[0] = em_reshape(r, node->ndim + 1, shape);
    out_axes[0] = 0;
    return outs[0] ? 0 : -1;
}

/* ---- scatter ---- */
typedef struct {
    int n, mode, axes[EM_MAX_DIMS];
    int64_t sizes[EM_MAX_DIMS]; /* the update slices' shape */
    em_array *const *idx;
} scatter_info;

static void scatter_info_of(em_array *const *ins, const em_params *p, scatter_info *s)
{
    s->n = (int)p->i[0];
    s->mode = (int)p->i[1];
    for (int k = 0; k < s->n; k++)
        s->axes[k] = (int)p->i[2 + k];
    int nd = ins[0]->ndim, nb = ins[1]->ndim - nd;
    for (int d = 0; d < nd; d++)
        s->sizes[d] = ins[1]->shape[nb + d];
    s->idx = ins + 2;
}

/* Values of x (shaped like the output) at the updates' places. */
static em_array *at_updates(const scatter_info *s, em_array *x)
{
    return em_gather(x, s->idx, s->n, s->axes, s->sizes);
}

static em_array *scatter_add(const scatter_info *s, em_array *a, em_array *u)
{
    return em_scatter(a, s->idx, s->n, u, s->axes, EM_SCATTER_ADD);
}

/* max/min: which places hold the extreme (ma for a, mu for the updates) and
 * how many share it per output element. */
static void extreme_masks(const scatter_info *s, em_array *a, em_array *u, em_array *out,
                          em_array **ma, em_array **mu, em_array **cnt)
{
    em_dtype t = (em_dtype)out->dtype;
    *ma = em_astype(em_equal(a, out), t);
    *mu = em_astype(em_equal(u, at_updates(s, out)), t);
    *cnt = scatter_add(s, *ma, *mu);
}

static int vjp_scatter(em_array *const *outs, int n_out, em_array *const *cots, em_array *const *ins,
                       int n_in, const em_params *p, em_array **in_cots)
{
    scatter_info s;
    scatter_info_of(ins, p, &s);
    em_array *a = ins[0], *u = ins[1], *g = cots[0], *out = outs[0];
    switch (s.mode) {
    case EM_SCATTER_SET:
        in_cots[0] = em_scatter(g, s.idx, s.n, em_zeros_like(u), s.axes, EM_SCATTER_SET);
        in_cots[1] = at_updates(&s, g);
        break;
    case EM_SCATTER_ADD:
        in_cots[0] = g;
        in_cots[1] = at_updates(&s, g);
        break;
    case EM_SCATTER_PROD: {
        em_array *prod = em_scatter(em_ones_like(a), s.idx, s.n, u, s.axes, EM_SCATTER_PROD);
        in_cots[0] = em_multiply(g, prod);
        in_cots[1] = em_divide(at_updates(&s, em_multiply(g, out)), u);
        break;
    }
    default: {
        em_array *ma, *mu, *cnt;
        extreme_masks(&s, a, u, out, &ma, &mu, &cnt);
        em_array *gn = em_divide(g, cnt);
        in_cots[0] = em_multiply(gn, ma);
        in_cots[1] = em_multiply(at_updates(&s, gn), mu);
        break;
    }
    }
    return in_cots[0] && in_cots[1] ? 0 : -1;
}

static int jvp_scatter(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                       em_array *const *in_tans, const em_params *p, em_array **out_tans)
{
    scatter_info s;
    scatter_info_of(ins, p, &s);
    em_array *a = ins[0], *u = ins[1], *out = outs[0];
    em_array *ta = in_tans[0] ? in_tans[0] : em_zeros_like(a);
    em_array *tu = in_tans[1] ? in_tans[1] : em_zeros_like(u);
    switch (s.mode) {
    case EM_SCATTER_SET:
    case EM_SCATTER_ADD: {
        em_array **x = malloc(n_in * sizeof *x);
        if (!x)
            return em__error("out of memory");
        x[0] = ta;
        x[1] = tu;
        for (int i = 2; i < n_in; i++)
            x[i] = ins[i];
        out_tans[0] = em__replay(out, x, n_in, out->ndim, out->shape);
        free(x);
        break;
    }
    case EM_SCATTER_PROD: {
        em_array *prod = em_scatter(em_ones_like(a), s.idx, s.n, u, s.axes, EM_SCATTER_PROD);
        em_array *rel = scatter_add(&s, em_zeros_like(a), em_divide(tu, u));
        out_tans[0] = em_add(em_multiply(ta, prod), em_multiply(out, rel));
        break;
    }
    default: {
        em_array *ma, *mu, *cnt;
        extreme_masks(&s, a, u, out, &ma, &mu, &cnt);
        em_array *sum = scatter_add(&s, em_multiply(ta, ma), em_multiply(tu, mu));
        out_tans[0] = em_divide(sum, cnt);
        break;
    }
    }
    return out_tans[0] ? 0 : -1;
}

static int vmap_scatter(const em_array *node, em_array *const *ins, const int *axes, int n_in,
                        em_array **outs, int *out_axes)
{
    const em_params *p = node->params;
    int n = (int)p->i[0], sax[EM_MAX_DIMS + 1];
    int a_nd = ins[0]->ndim - (axes[0] >= 0), u_nd = ins[1]->ndim - (axes[1] >= 0);
    int nb = u_nd - a_nd;
    int64_t B = batch_size(ins, axes, n_in);
    if (too_many_dims(node, u_nd + 2) < 0)
        return -1;
    /* every operand gets the batch at axis 0; the batch axis is indexed too */
    em_array *a = front_or_repeat(ins[0], axes[0], B);
    em_array *u = front_or_one(ins[1], axes[1]);
    int64_t ushape[EM_MAX_DIMS];
    for (int d = 0, k = 0; d < u->ndim; d++) {
        if (d == 1 + nb)
            ushape[k++] = 1;
        ushape[k++] = u->shape[d];
    }
    if (nb + 1 == u->ndim)
        ushape[u->ndim] = 1;
    u = em_reshape(u, u->ndim + 1, ushape);
    em_array *idx[EM_MAX_DIMS + 1];
    idx[0] = batch_index(B, nb + 1);
    sax[0] = 0;
    for (int k = 0; k < n; k++) {
        idx[1 + k] = front_or_one(ins[2 + k], axes[2 + k]);
        sax[1 + k] = (int)p->i[2 + k] + 1;
    }
    outs[0] = em_scatter(a, idx, n + 1, u, sax, (em_scatter_mode)p->i[1]);
    out_axes[0] = 0;
    return outs[0] ? 0 : -1;
}

/* ---- take_along_axis, put_along_axis ---- */
static int vjp_take_along(em_array *const *outs, int n_out, em_array *const *cots,
                          em_array *const *ins, int n_in, const em_params *p, em_array **in_cots)
{
    in_cots[0] = em__add_along_axis(ins[0], ins[1], cots[0], (int)p->i[0]);
    return in_cots[0] ? 0 : -1;
}

static int vmap_take_along(const em_array *node, em_array *const *ins, const int *axes, int n_in,
                           em_array **outs, int *out_axes)
{
    /* take_along_axis broadcasts a size-1 batch axis against the other's */
    outs[0] = em_take_along_axis(front_or_one(ins[0], axes[0]), front_or_one(ins[1], axes[1]),
                                 (int)node->params->i[0] + 1);
    out_axes[0] = 0;
    return outs[0] ? 0 : -1;
}

static int vjp_put_along(em_array *const *outs, int n_out, em_array *const *cots,
                         em_array *const *ins, int n_in, const em_params *p, em_array **in_cots)
{
    int ax = (int)p->i[0];
    em_array *g = cots[0];
    in_cots[0] = em_put_along_axis(g, ins[1], em_scalar(0, (em_dtype)g->dtype), ax);
    in_cots[2] = em_take_along_axis(g, ins[1], ax);
    return in_cots[0] && in_cots[2] ? 0 : -1;
}

static int jvp_put_along(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                         em_array *const *in_tans, const em_params *p, em_array **out_tans)
{
    em_array *x[3] = {in_tans[0] ? in_tans[0] : em_zeros_like(ins[0]), ins[1],
                      in_tans[2] ? in_tans[2] : em_zeros_like(ins[2])};
    out_tans[0] = em__replay(outs[0], x, 3, outs[0]->ndim, outs[0]->shape);
    return out_tans[0] ? 0 : -1;
}

static int vmap_put_along(const em_array *node, em_array *const *ins, const int *axes, int n_in,
                          em_array **outs, int *out_axes)
{
    int64_t B = batch_size(ins, axes, n_in);
    outs[0] = em_put_along_axis(front_or_repeat(ins[0], axes[0], B), front_or_one(ins[1], axes[1]),
                                front_or_one(ins[2], axes[2]), (int)node->params->i[0] + 1);
    out_axes[0] = 0;
    return outs[0] ? 0 : -1;
}

/* ---- slice_update ---- */
/* start/stop/step of the updated slice (its shape is the update's). */
static void slice_bounds(const em_params *p, int ndim, const int64_t *shape, int64_t *start,
                         int64_t *stop, int64_t *step)
{
    for (int d = 0; d < ndim; d++) {
        start[d] = p->i[d];
        step[d] = p->i[EM_MAX_DIMS + d];
        stop[d] = start[d] + shape[d] * step[d];
        if (stop[d] < 0)
            stop[d] = INT64_MIN; /* a negative step running past index 0 */
    }
}

static int vjp_slice_update(em_array *const *outs, int n_out, em_array *const *cots,
                            em_array *const *ins, int n_in, const em_params *p, em_array **in_cots)
{
    int64_t start[EM_MAX_DIMS], stop[EM_MAX_DIMS], step[EM_MAX_DIMS];
    slice_bounds(p, ins[1]->ndim, ins[1]->shape, start, stop, step);
    em_array *g = cots[0];
    in_cots[0] = em_slice_update(g, em_scalar(0, (em_dtype)g->dtype), start, stop, step);
    in_cots[1] = em_slice(g, start, stop, step);
    return in_cots[0] && in_cots[1] ? 0 : -1;
}

static int jvp_slice_update(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                            em_array *const *in_tans, const em_params *p, em_array **out_tans)
{
    em_array *x[2] = {in_tans[0] ? in_tans[0] : em_zeros_like(ins[0]),
                      in_tans[1] ? in_tans[1] : em_zeros_like(ins[1])};
    out_tans[0] = em__replay(outs[0], x, 2, outs[0]->ndim, outs[0]->shape);
    return out_tans[0] ? 0 : -1;
}

static int vmap_slice_update(const em_array *node, em_array *const *ins, const int *axes, int n_in,
                             em_array **outs, int *out_axes)
{
    int64_t B = batch_size(ins, axes, n_in);
    em_array *u = front_or_one(ins[1], axes[1]);
    int64_t start[EM_MAX_DIMS], stop[EM_MAX_DIMS], step[EM_MAX_DIMS];
    int64_t ustart[EM_MAX_DIMS], ustop[EM_MAX_DIMS], ustep[EM_MAX_DIMS];
    if (!u)
        return -1;
    slice_bounds(node->params, node->ndim, u->shape + 1, ustart, ustop, ustep);
    start[0] = 0;
    stop[0] = B;
    step[0] = 1;
    for (int d = 0; d < node->ndim; d++) {
        start[d + 1] = ustart[d];
        stop[d + 1] = ustop[d];
        step[d + 1] = ustep[d];
    }
    outs[0] = em_slice_update(front_or_repeat(ins[0], axes[0], B), u, start, stop, step);
    out_axes[0] = 0;
    return outs[0] ? 0 : -1;
}

/* ---- concatenate ---- */
static int vjp_concatenate(em_array *const *outs, int n_out, em_array *const *cots,
                           em_array *const *ins, int n_in, const em_params *p, em_array **in_cots)
{
    int ax = (int)p->i[0];
    em_array *g = cots[0];
    int64_t start[EM_MAX_DIMS] = {0}, stop[EM_MAX_DIMS], off = 0;
    for (int d = 0; d < g->ndim; d++)
        stop[d] = g->shape[d];
    for (int i = 0; i < n_in; i++) {
        start[ax] = off;
        off += ins[i]->shape[ax];
        stop[ax] = off;
        in_cots[i] = em_slice(g, start, stop, NULL);
        if (!in_cots[i])
            return -1;
    }
    return 0;
}

static int jvp_concatenate(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                           em_array *const *in_tans, const em_params *p, em_array **out_tans)
{
    em_array **t = malloc(n_in * sizeof *t);
    if (!t)
        return em__error("out of memory");
    for (int i = 0; i < n_in; i++)
        t[i] = in_tans[i] ? in_tans[i] : em_zeros_like(ins[i]);
    out_tans[0] = em_concatenate(t, n_in, (int)p->i[0]);
    free(t);
    return out_tans[0] ? 0 : -1;
}

static int vmap_concatenate(const em_array *node, em_array *const *ins, const int *axes, int n_in,
                            em_array **outs, int *out_axes)
{
    int64_t B = batch_size(ins, axes, n_in);
    em_array **x = malloc(n_in * sizeof *x);
    if (!x)
        return em__error("out of memory");
    for (int i = 0; i < n_in; i++)
        x[i] = front_or_repeat(ins[i], axes[i], B);
    outs[0] = em_concatenate(x, n_in, (int)node->params->i[0] + 1);
    free(x);
    out_axes[0] = 0;
    return outs[0] ? 0 : -1;
}

/* ---- pad: params i[2d], i[2d + 1] widths, i[2 * EM_MAX_DIMS] mode, f[0] value ---- */
static int vjp_pad(em_array *const *outs, int n_out, em_array *const *cots, em_array *const *ins,
                   int n_in, const em_params *p, em_array **in_cots)
{
    em_array *x = ins[0], *g = cots[0];
    bool edge = p->i[2 * EM_MAX_DIMS] == EM_PAD_EDGE;
    for (int d = 0; d < x->ndim && g; d++) {
        int64_t b = p->i[2 * d], e = p->i[2 * d + 1], n = x->shape[d];
        if (!b && !e)
            continue;
        int64_t start[EM_MAX_DIMS] = {0}, stop[EM_MAX_DIMS];
        for (int k = 0; k < g->ndim; k++)
            stop[k] = g->shape[k];
        if (!edge || n == 0) {
            start[d] = b;
            stop[d] = b + n;
            g = em_slice(g, start, stop, NULL);
            continue;
        }
        /* edge: each padded cell copies the first or last element */
        if (n == 1) {
            g = em_sum(g, &d, 1, true);
            continue;
        }
        em_array *parts[3];
        start[d] = 0;
        stop[d] = b + 1;
        parts[0] = em_sum(em_slice(g, start, stop, NULL), &d, 1, true);
        start[d] = b + 1;
        stop[d] = b + n - 1;
        parts[1] = em_slice(g, start, stop, NULL);
        start[d] = b + n - 1;
        stop[d] = b + n + e;
        parts[2] = em_sum(em_slice(g, start, stop, NULL), &d, 1, true);
        g = em_concatenate(parts, 3, d);
    }
    in_cots[0] = g;
    return in_cots[0] ? 0 : -1;
}

static int jvp_pad(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                   em_array *const *in_tans, const em_params *p, em_array **out_tans)
{
    if (!in_tans[0])
        return 0;
    /* the padding value is a constant: its tangent is zero */
    out_tans[0] = em_pad(in_tans[0], p->i, (em_pad_mode)p->i[2 * EM_MAX_DIMS], 0);
    return out_tans[0] ? 0 : -1;
}

static int vmap_pad(const em_array *node, em_array *const *ins, const int *axes, int n_in,
                    em_array **outs, int *out_axes)
{
    const em_params *p = node->params;
    int64_t w[2 * EM_MAX_DIMS] = {0};
    for (int d = 0; d < node->ndim; d++) {
        w[2 * (d + 1)] = p->i[2 * d];
        w[2 * (d + 1) + 1] = p->i[2 * d + 1];
    }
    outs[0] = em_pad(front(ins[0], axes[0]), w, (em_pad_mode)p->i[2 * EM_MAX_DIMS], p->f[0]);
    out_axes[0] = 0;
    return outs[0] ? 0 : -1;
}

/* ---- random_bits: one draw per key of the batch ---- */
static int vmap_random_bits(const em_array *node, em_array *const *ins, const int *axes, int n_in,
                            em_array **outs, int *out_axes)
{
    em_array *keys = front(ins[0], axes[0]);
    int64_t B = keys ? keys->shape[0] : 0;
    int width = (int)node->params->i[0];
    if (!keys)
        return -1;
    if (B == 0) {
        int64_t shape[EM_MAX_DIMS];
        shape[0] = 0;
        for (int d = 0; d < node->ndim; d++)
            shape[d + 1] = node->shape[d];
        outs[0] = em_zeros(node->ndim + 1, shape, (em_dtype)node->dtype);
    } else {
        em_array **draws = malloc((size_t)B * sizeof *draws);
        if (!draws)
            return em__error("out of memory");
        for (int64_t b = 0; b < B; b++)
            draws[b] = em_random_bits(node->ndim, node->shape, width,
                                      em_take(keys, em_scalar_i(b), 0));
        outs[0] = em_stack(draws, (int)B, 0);
        free(draws);
    }
    out_axes[0] = 0;
    return outs[0] ? 0 : -1;
}

static int vjp_none(em_array *const *outs, int n_out, em_array *const *cots, em_array *const *ins,
                    int n_in, const em_params *p, em_array **in_cots)
{
    return 0;
}

static int jvp_none(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                    em_array *const *in_tans, const em_params *p, em_array **out_tans)
{
    return 0;
}

__attribute__((constructor)) static void register_index_rules(void)
{
    em__register_vjp(EM_P_GATHER, vjp_gather);
    em__register_jvp(EM_P_GATHER, jvp_first_linear);
    em__register_vmap(EM_P_GATHER, vmap_gather);
    em__register_vjp(EM_P_SCATTER, vjp_scatter);
    em__register_jvp(EM_P_SCATTER, jvp_scatter);
    em__register_vmap(EM_P_SCATTER, vmap_scatter);
    em__register_vjp(EM_P_TAKE_ALONG_AXIS, vjp_take_along);
    em__register_jvp(EM_P_TAKE_ALONG_AXIS, jvp_first_linear);
    em__register_vmap(EM_P_TAKE_ALONG_AXIS, vmap_take_along);
    em__register_vjp(EM_P_PUT_ALONG_AXIS, vjp_put_along);
    em__register_jvp(EM_P_PUT_ALONG_AXIS, jvp_put_along);
    em__register_vmap(EM_P_PUT_ALONG_AXIS, vmap_put_along);
    em__register_vjp(EM_P_SLICE_UPDATE, vjp_slice_update);
    em__register_jvp(EM_P_SLICE_UPDATE, jvp_slice_update);
    em__register_vmap(EM_P_SLICE_UPDATE, vmap_slice_update);
    em__register_vjp(EM_P_CONCATENATE, vjp_concatenate);
    em__register_jvp(EM_P_CONCATENATE, jvp_concatenate);
    em__register_vmap(EM_P_CONCATENATE, vmap_concatenate);
    em__register_vjp(EM_P_PAD, vjp_pad);
    em__register_jvp(EM_P_PAD, jvp_pad);
    em__register_vmap(EM_P_PAD, vmap_pad);
    em__register_vjp(EM_P_RANDOM_BITS, vjp_none);
    em__register_jvp(EM_P_RANDOM_BITS, jvp_none);
    em__register_vmap(EM_P_RANDOM_BITS, vmap_random_bits);
}
