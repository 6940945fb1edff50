/* Kernels of gather, scatter, take_along_axis, put_along_axis, slice_update.
 * Index arrays may be of any integer dtype and any strides (broadcast views).
 * An index outside its axis (after adding the axis size to a negative one) is
 * an error: nothing is read or written out of bounds. */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "ember/ops.h"
#include "loops.h"

static inline int64_t ld_index(const void *base, int64_t off, em_dtype t)
{
    switch (t) {
    case EM_UINT8: return ((const uint8_t *)base)[off];
    case EM_UINT16: return ((const uint16_t *)base)[off];
    case EM_UINT32: return ((const uint32_t *)base)[off];
    case EM_UINT64: return (int64_t)((const uint64_t *)base)[off];
    case EM_INT8: return ((const int8_t *)base)[off];
    case EM_INT16: return ((const int16_t *)base)[off];
    case EM_INT32: return ((const int32_t *)base)[off];
    default: return ((const int64_t *)base)[off];
    }
}

static inline void copy_row(char *d, int64_t ds, const char *s, int64_t ss, int64_t len, size_t e)
{
    if (ds == 1 && ss == 1) {
        memcpy(d, s, (size_t)len * e);
        return;
    }
    switch (e) {
    case 1: for (int64_t i = 0; i < len; i++) d[i * ds] = s[i * ss]; break;
    case 2: for (int64_t i = 0; i < len; i++) ((uint16_t *)d)[i * ds] = ((const uint16_t *)s)[i * ss]; break;
    case 4: for (int64_t i = 0; i < len; i++) ((uint32_t *)d)[i * ds] = ((const uint32_t *)s)[i * ss]; break;
    default: for (int64_t i = 0; i < len; i++) ((uint64_t *)d)[i * ds] = ((const uint64_t *)s)[i * ss]; break;
    }
}

/* Row-major coordinates of flat position pos in shape. */
static void unravel(int nd, const int64_t *shape, int64_t pos, int64_t *coord)
{
    for (int d = nd - 1; d >= 0; d--) {
        coord[d] = shape[d] ? pos % shape[d] : 0;
        pos = shape[d] ? pos / shape[d] : 0;
    }
}

static void next_coord(int nd, const int64_t *shape, int64_t *coord)
{
    for (int d = nd - 1; d >= 0; d--) {
        if (++coord[d] < shape[d])
            return;
        coord[d] = 0;
    }
}

static inline int64_t dot(int nd, const int64_t *coord, const int64_t *strides)
{
    int64_t s = 0;
    for (int d = 0; d < nd; d++)
        s += coord[d] * strides[d];
    return s;
}

typedef struct {
    atomic_int bad;
    int64_t value, size;
    int axis;
} bad_index;

static void report_bad(bad_index *b, int64_t v, int axis, int64_t size)
{
    if (atomic_exchange(&b->bad, 1) == 0) {
        b->value = v;
        b->axis = axis;
        b->size = size;
    }
}

static int bad_error(const char *op, bad_index *b)
{
    return em__error("%s: index %" PRId64 " is out of range for axis %d of size %" PRId64, op,
                     b->value, b->axis, b->size);
}

/* ---- gather ---- */
typedef struct {
    em_array *out, *a;
    em_array *const *idx;
    int n, nb;
    const int64_t *axes;
    em_nd_iter it; /* over the slice: op 0 out (dense), op 1 a */
    int64_t slice_size;
    size_t esz;
    bad_index bad;
} gather_job;

static void gather_range(void *ctx, int64_t begin, int64_t end)
{
    gather_job *j = ctx;
    em_array *a = j->a, *out = j->out;
    int64_t coord[EM_MAX_DIMS];
    unravel(j->nb, out->shape, begin, coord);
    int64_t rows = em__nd_iter_rows(&j->it), len = em__nd_iter_row_len(&j->it);
    int64_t ds = em__nd_iter_row_stride(&j->it, 0), ss = em__nd_iter_row_stride(&j->it, 1);
    const char *src0 = em__data(a);
    char *dst0 = em__data(out);
    for (int64_t b = begin; b < end; b++) {
        int64_t src = 0;
        bool ok = true;
        for (int i = 0; i < j->n && ok; i++) {
            em_array *ix = j->idx[i];
            int ax = (int)j->axes[i];
            int64_t v = ld_index(em__data(ix), dot(j->nb, coord, ix->strides), (em_dtype)ix->dtype);
            int64_t n = a->shape[ax];
            if (v < 0)
                v += n;
            if (v < 0 || v + out->shape[j->nb + ax] > n) {
                report_bad(&j->bad, ld_index(em__data(ix), dot(j->nb, coord, ix->strides),
                                             (em_dtype)ix->dtype), ax, n);
                ok = false;
            }
            src += v * a->strides[ax];
        }
        char *dst = dst0 + b * j->slice_size * (int64_t)j->esz;
        if (!ok) {
            memset(dst, 0, (size_t)j->slice_size * j->esz);
        } else {
            for (int64_t r = 0; r < rows; r++) {
                int64_t off[2];
                em__nd_iter_row(&j->it, r, off);
                copy_row(dst + off[0] * (int64_t)j->esz, ds, src0 + (src + off[1]) * (int64_t)j->esz, ss,
                         len, j->esz);
            }
        }
        next_coord(j->nb, out->shape, coord);
    }
}

static int gather_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                         const em_params *p)
{
    em_array *out = outs[0], *a = ins[0];
    if (em__alloc_output(out) < 0)
        return -1;
    gather_job j = {.out = out, .a = a, .idx = ins + 1, .n = (int)p->i[0], .axes = &p->i[1],
                    .esz = em_dtype_size((em_dtype)a->dtype)};
    j.nb = out->ndim - a->ndim;
    const int64_t *slice = out->shape + j.nb;
    j.slice_size = em__shape_size(a->ndim, slice);
    int64_t nbatch = em__shape_size(j.nb, out->shape);
    if (out->size == 0)
        return 0;
    const int64_t *st[2] = {out->strides + j.nb, a->strides};
    em__nd_iter_init(&j.it, a->ndim, slice, 2, st);
    em__parallel_for(nbatch, 1 + (1 << 14) / (j.slice_size + 1), gather_range, &j);
    return atomic_load(&j.bad.bad) ? bad_error("gather", &j.bad) : 0;
}

/* ---- scatter ---- */
#define INT_OPS(E, S, C, LD, ST)                                                               \
    case E: {                                                                                  \
        S *d = (S *)dst;                                                                       \
        const S *s = (const S *)src;                                                           \
        switch (mode) {                                                                        \
        case EM_SCATTER_SET: for (int64_t i = 0; i < len; i++) d[i * ds] = s[i * ss]; break;   \
        case EM_SCATTER_ADD:                                                                   \
            for (int64_t i = 0; i < len; i++)                                                  \
                d[i * ds] = (S)((uint64_t)d[i * ds] + (uint64_t)s[i * ss]);                    \
            break;                                                                             \
        case EM_SCATTER_PROD:                                                                  \
            for (int64_t i = 0; i < len; i++)                                                  \
                d[i * ds] = (S)((uint64_t)d[i * ds] * (uint64_t)s[i * ss]);                    \
            break;                                                                             \
        case EM_SCATTER_MAX:                                                                   \
            for (int64_t i = 0; i < len; i++)                                                  \
                if (s[i * ss] > d[i * ds]) d[i * ds] = s[i * ss];                              \
            break;                                                                             \
        default:                                                                               \
            for (int64_t i = 0; i < len; i++)                                                  \
                if (s[i * ss] < d[i * ds]) d[i * ds] = s[i * ss];                              \
            break;                                                                             \
        }                                                                                      \
        break;                                                                                 \
    }
#define FLOAT_OPS(E, S, C, LD, ST)                                                             \
    case E: {                                                                                  \
        S *d = (S *)dst;                                                                       \
        const S *s = (const S *)src;                                                           \
        switch (mode) {                                                                        \
        case EM_SCATTER_SET: for (int64_t i = 0; i < len; i++) d[i * ds] = s[i * ss]; break;   \
        case EM_SCATTER_ADD:                                                                   \
            for (int64_t i = 0; i < len; i++) {                                                \
                C x = LD(&d[i * ds]) + LD(&s[i * ss]);                                         \
                ST(&d[i * ds], x);                                                             \
            }                                                                                  \
            break;                                                                             \
        case EM_SCATTER_PROD:                                                                  \
            for (int64_t i = 0; i < len; i++) {                                                \
                C x = LD(&d[i * ds]) * LD(&s[i * ss]);                                         \
                ST(&d[i * ds], x);                                                             \
            }                                                                                  \
            break;                                                                             \
        case EM_SCATTER_MAX:                                                                   \
            for (int64_t i = 0; i < len; i++) {                                                \
                C x = LD(&d[i * ds]), y = LD(&s[i * ss]);                                      \
                if (!(x != x) && (y != y || y > x)) d[i * ds] = s[i * ss];                     \
            }                                                                                  \
            break;                                                                             \
        default:                                                                               \
            for (int64_t i = 0; i < len; i++) {                                                \
                C x = LD(&d[i * ds]), y = LD(&s[i * ss]);                                      \
                if (!(x != x) && (y != y || y < x)) d[i * ds] = s[i * ss];                     \
            }                                                                                  \
            break;                                                                             \
        }                                                                                      \
        break;                                                                                 \
    }

static void scatter_row(em_dtype t, int mode, char *dst, int64_t ds, const char *src, int64_t ss,
                        int64_t len)
{
    switch (t) {
    case EM_BOOL: {
        uint8_t *d = (uint8_t *)dst;
        const uint8_t *s = (const uint8_t *)src;
        for (int64_t i = 0; i < len; i++) {
            uint8_t x = d[i * ds] != 0, y = s[i * ss] != 0;
            d[i * ds] = mode == EM_SCATTER_SET ? y
                        : mode == EM_SCATTER_ADD || mode == EM_SCATTER_MAX ? (x | y)
                                                                           : (x & y);
        }
        break;
    }
        EM_FOR_INT_DTYPES(INT_OPS)
        EM_FOR_FLOAT_DTYPES(FLOAT_OPS)
    default: break;
    }
}

typedef struct {
    em_array *out, *upd;
    int mode;
    em_nd_iter it; /* over the update slice: op 0 out, op 1 updates */
    const int64_t *base, *ubase;
    int64_t nbatch;
} scatter_job;

static void scatter_range(void *ctx, int64_t begin, int64_t end)
{
    scatter_job *j = ctx;
    size_t e = em_dtype_size((em_dtype)j->out->dtype);
    char *dst0 = em__data(j->out);
    const char *src0 = em__data(j->upd);
    int64_t len = em__nd_iter_row_len(&j->it);
    int64_t ds = em__nd_iter_row_stride(&j->it, 0), ss = em__nd_iter_row_stride(&j->it, 1);
    for (int64_t b = 0; b < j->nbatch; b++) {
        for (int64_t r = begin; r < end; r++) {
            int64_t off[2];
            em__nd_iter_row(&j->it, r, off);
            scatter_row((em_dtype)j->out->dtype, j->mode, dst0 + (j->base[b] + off[0]) * (int64_t)e, ds,
                        src0 + (j->ubase[b] + off[1]) * (int64_t)e, ss, len);
        }
    }
}

/* out = a (donated, or copied) */
static int copy_input(em_array *out, em_array *a)
{
    if (em__donate_or_alloc(out, a) < 0)
        return -1;
    if (out->buf != a->buf && a->size)
        em__copy_strided(out, 0, out->strides, a);
    return 0;
}

static int scatter_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                          const em_params *p)
{
    em_array *out = outs[0], *a = ins[0], *upd = ins[1];
    em_array *const *idx = ins + 2;
    int n = (int)p->i[0];
    const int64_t *axes = &p->i[2];
    if (copy_input(out, a) < 0)
        return -1;
    int nb = upd->ndim - a->ndim;
    const int64_t *slice = upd->shape + nb;
    int64_t nbatch = em__shape_size(nb, upd->shape);
    if (nbatch == 0 || em__shape_size(a->ndim, slice) == 0)
        return 0;
    int64_t *base = malloc(2 * (size_t)nbatch * sizeof *base);
    if (!base)
        return em__error("scatter: out of memory");
    int64_t *ubase = base + nbatch, coord[EM_MAX_DIMS] = {0};
    bad_index bad = {0};
    for (int64_t b = 0; b < nbatch && !bad.bad; b++) {
        int64_t o = 0;
        for (int i = 0; i < n; i++) {
            int ax = (int)axes[i];
            int64_t v0 = ld_index(em__data(idx[i]), dot(nb, coord, idx[i]->strides), (em_dtype)idx[i]->dtype);
            int64_t v = v0 < 0 ? v0 + a->shape[ax] : v0;
            if (v < 0 || v + slice[ax] > a->shape[ax])
                report_bad(&bad, v0, ax, a->shape[ax]);
            o += v * out->strides[ax];
        }
        base[b] = o;
        ubase[b] = dot(nb, coord, upd->strides);
        next_coord(nb, upd->shape, coord);
    }
    if (bad.bad) {
        free(base);
        return bad_error("scatter", &bad);
    }
    scatter_job j = {.out = out, .upd = upd, .mode = (int)p->i[1], .base = base, .ubase = ubase,
                     .nbatch = nbatch};
    const int64_t *st[2] = {out->strides, upd->strides + nb};
    em__nd_iter_init(&j.it, a->ndim, slice, 2, st);
    /* Slices of different batch entries overlap only through the indexed axes:
     * when those have size 1, distinct rows never touch one element, so the
     * rows may run in parallel (each in batch order: the last SET wins). */
    bool disjoint = true;
    for (int i = 0; i < n; i++)
        disjoint &= slice[axes[i]] == 1;
    int64_t rows = em__nd_iter_rows(&j.it);
    if (disjoint)
        em__parallel_for(rows, 1 + (1 << 14) / (nbatch * em__nd_iter_row_len(&j.it) + 1), scatter_range, &j);
    else
        scatter_range(&j, 0, rows);
    free(base);
    return 0;
}

/* ---- take_along_axis ---- */
typedef struct {
    em_nd_iter it; /* op 0 out, op 1 indices, op 2 a (axis stride 0) */
    char *dst;
    const char *src;
    const void *ix;
    em_dtype it_type;
    int64_t n, ax_stride;
    int axis;
    size_t esz;
    bad_index bad;
} tal_job;

static void tal_range(void *ctx, int64_t begin, int64_t end)
{
    tal_job *j = ctx;
    int64_t len = em__nd_iter_row_len(&j->it);
    int64_t os = em__nd_iter_row_stride(&j->it, 0), is = em__nd_iter_row_stride(&j->it, 1),
            as = em__nd_iter_row_stride(&j->it, 2);
    size_t e = j->esz;
    for (int64_t r = begin; r < end; r++) {
        int64_t off[3];
        em__nd_iter_row(&j->it, r, off);
        for (int64_t i = 0; i < len; i++) {
            int64_t v = ld_index(j->ix, off[1] + i * is, j->it_type);
            if (v < 0)
                v += j->n;
            if (v < 0 || v >= j->n) {
                report_bad(&j->bad, ld_index(j->ix, off[1] + i * is, j->it_type), j->axis, j->n);
                v = 0;
                if (j->n == 0) {
                    memset(j->dst + (off[0] + i * os) * (int64_t)e, 0, e);
                    continue;
                }
            }
            memcpy(j->dst + (off[0] + i * os) * (int64_t)e,
                   j->src + (off[2] + i * as + v * j->ax_stride) * (int64_t)e, e);
        }
    }
}

static int take_along_axis_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                                  const em_params *p)
{
    em_array *out = outs[0], *a = ins[0], *ix = ins[1];
    if (em__alloc_output(out) < 0)
        return -1;
    if (out->size == 0)
        return 0;
    int ax = (int)p->i[0];
    tal_job j = {.dst = em__data(out), .src = em__data(a), .ix = em__data(ix),
                 .it_type = (em_dtype)ix->dtype, .n = a->shape[ax], .ax_stride = a->strides[ax],
                 .axis = ax, .esz = em_dtype_size((em_dtype)out->dtype)};
    int64_t as[EM_MAX_DIMS];
    memcpy(as, a->strides, sizeof as);
    as[ax] = 0;
    const int64_t *st[3] = {out->strides, ix->strides, as};
    em__nd_iter_init(&j.it, out->ndim, out->shape, 3, st);
    em__parallel_for(em__nd_iter_rows(&j.it), 1 + (1 << 14) / (em__nd_iter_row_len(&j.it) + 1), tal_range,
                     &j);
    return atomic_load(&j.bad.bad) ? bad_error("take_along_axis", &j.bad) : 0;
}

/* ---- put_along_axis ---- */
typedef struct {
    em_nd_iter it; /* over the indices' shape, axis last: op 0 out (axis stride 0), op 1 idx, op 2 values */
    char *dst;
    const char *src;
    const void *ix;
    em_dtype it_type;
    int64_t n, ax_stride;
    int axis;
    size_t esz;
    bad_index bad;
} pal_job;

static void pal_range(void *ctx, int64_t begin, int64_t end)
{
    pal_job *j = ctx;
    int64_t len = em__nd_iter_row_len(&j->it);
    int64_t os = em__nd_iter_row_stride(&j->it, 0), is = em__nd_iter_row_stride(&j->it, 1),
            vs = em__nd_iter_row_stride(&j->it, 2);
    size_t e = j->esz;
    for (int64_t r = begin; r < end; r++) {
        int64_t off[3];
        em__nd_iter_row(&j->it, r, off);
        for (int64_t i = 0; i < len; i++) {
            int64_t v0 = ld_index(j->ix, off[1] + i * is, j->it_type), v = v0 < 0 ? v0 + j->n : v0;
            if (v < 0 || v >= j->n) {
                report_bad(&j->bad, v0, j->axis, j->n);
                continue;
            }
            memcpy(j->dst + (off[0] + i * os + v * j->ax_stride) * (int64_t)e,
                   j->src + (off[2] + i * vs) * (int64_t)e, e);
        }
    }
}

static int put_along_axis_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                                 const em_params *p)
{
    em_array *out = outs[0], *a = ins[0], *ix = ins[1], *val = ins[2];
    if (copy_input(out, a) < 0)
        return -1;
    if (ix->size == 0)
        return 0;
    int ax = (int)p->i[0], nd = out->ndim;
    pal_job j = {.dst = em__data(out), .src = em__data(val), .ix = em__data(ix),
                 .it_type = (em_dtype)ix->dtype, .n = out->shape[ax], .ax_stride = out->strides[ax],
                 .axis = ax, .esz = em_dtype_size((em_dtype)out->dtype)};
    /* axis moved last, so that one row holds one line along the axis and rows
     * never write the same element */
    int64_t shape[EM_MAX_DIMS], s0[EM_MAX_DIMS], s1[EM_MAX_DIMS], s2[EM_MAX_DIMS];
    for (int d = 0, k = 0; d <= nd; d++) {
        int src = d < nd ? d : ax;
        if (d == ax)
            continue;
        shape[k] = ix->shape[src];
        s0[k] = src == ax ? 0 : out->strides[src];
        s1[k] = ix->strides[src];
        s2[k] = val->strides[src];
        k++;
    }
    const int64_t *st[3] = {s0, s1, s2};
    em__nd_iter_init(&j.it, nd, shape, 3, st);
    em__parallel_for(em__nd_iter_rows(&j.it), 1 + (1 << 14) / (em__nd_iter_row_len(&j.it) + 1), pal_range,
                     &j);
    return atomic_load(&j.bad.bad) ? bad_error("put_along_axis", &j.bad) : 0;
}

/* ---- slice_update ---- */
static int slice_update_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                               const em_params *p)
{
    em_array *out = outs[0], *a = ins[0], *upd = ins[1];
    if (copy_input(out, a) < 0)
        return -1;
    if (upd->size == 0)
        return 0;
    int64_t offset = 0, strides[EM_MAX_DIMS];
    for (int d = 0; d < out->ndim; d++) {
        offset += p->i[d] * out->strides[d];
        strides[d] = out->strides[d] * p->i[EM_MAX_DIMS + d];
    }
    em__copy_strided(out, offset, strides, upd);
    return 0;
}

__attribute__((constructor)) static void register_index(void)
{
    em__cpu_register(EM_P_GATHER, gather_kernel);
    em__cpu_register(EM_P_SCATTER, scatter_kernel);
    em__cpu_register(EM_P_TAKE_ALONG_AXIS, take_along_axis_kernel);
    em__cpu_register(EM_P_PUT_ALONG_AXIS, put_along_axis_kernel);
    em__cpu_register(EM_P_SLICE_UPDATE, slice_update_kernel);
}
