/* Kernels of the view primitives (no copy when the layout allows) and of the
 * dense copy. */
#include <string.h>

#include "loops.h"

typedef struct {
    em_nd_iter it;
    const char *src;
    char *dst;
    size_t esz;
} copy_job;

static void copy_rows(void *ctx, int64_t begin, int64_t end)
{
    copy_job *j = ctx;
    int64_t len = em__nd_iter_row_len(&j->it);
    int64_t ss = em__nd_iter_row_stride(&j->it, 1), ds = em__nd_iter_row_stride(&j->it, 0);
    size_t e = j->esz;
    for (int64_t r = begin; r < end; r++) {
        int64_t off[2];
        em__nd_iter_row(&j->it, r, off);
        char *d = j->dst + off[0] * (int64_t)e;
        const char *s = j->src + off[1] * (int64_t)e;
        if (ss == 1 && ds == 1) {
            memcpy(d, s, len * e);
            continue;
        }
        switch (e) {
        case 1: for (int64_t i = 0; i < len; i++) d[i * ds] = s[i * ss]; break;
        case 2: for (int64_t i = 0; i < len; i++) ((uint16_t *)d)[i * ds] = ((const uint16_t *)s)[i * ss]; break;
        case 4: for (int64_t i = 0; i < len; i++) ((uint32_t *)d)[i * ds] = ((const uint32_t *)s)[i * ss]; break;
        default: for (int64_t i = 0; i < len; i++) ((uint64_t *)d)[i * ds] = ((const uint64_t *)s)[i * ss]; break;
        }
    }
}

/* Transposing copies (the innermost dimension contiguous in one operand, the
 * next one contiguous in the other) go by square blocks of one cache line a
 * side (64 / esz elements): the block's lines are read whole into a buffer,
 * then its columns are written as whole lines. Power-of-two strides make
 * every line of a taller tile fall into the same cache set, so nothing else
 * is kept between blocks. Parallel over the outer dimensions and rows of
 * blocks. */
typedef struct {
    const char *src;
    char *dst;
    size_t esz;
    int nb;                                           /* outer (batch) dimensions */
    int64_t bshape[EM_MAX_DIMS], bst[2][EM_MAX_DIMS]; /* their shape, dst/src strides */
    int64_t A, B, da, sa, db, sb, tiles_a;
    bool dst_b; /* dst contiguous along B (src along A); else the reverse */
} tcopy_job;

/* one block: na x nb elements at (a0, b0); T the element type, L = 64 / esz */
#define TCOPY_BLOCK(T, L)                                                               \
    {                                                                                  \
        T t[L][L];                                                                     \
        T *d = (T *)dst;                                                               \
        const T *s = (const T *)src;                                                   \
        if (j->dst_b) { /* src rows run along A: read rows b, write rows a */          \
            for (int64_t bb = 0; bb < nb; bb++)                                        \
                memcpy(t[bb], s + (b0 + bb) * j->sb + a0, na * sizeof(T));             \
            for (int64_t aa = 0; aa < na; aa++) {                                      \
                T *dr = d + (a0 + aa) * j->da + b0;                                    \
                for (int64_t bb = 0; bb < nb; bb++)                                    \
                    dr[bb] = t[bb][aa];                                                \
            }                                                                          \
        } else { /* src rows run along B: read rows a, write rows b */                 \
            for (int64_t aa = 0; aa < na; aa++)                                        \
                memcpy(t[aa], s + (a0 + aa) * j->sa + b0, nb * sizeof(T));             \
            for (int64_t bb = 0; bb < nb; bb++) {                                      \
                T *dr = d + (b0 + bb) * j->db + a0;                                    \
                for (int64_t aa = 0; aa < na; aa++)                                    \
                    dr[aa] = t[aa][bb];                                                \
            }                                                                          \
        }                                                                              \
    }

static void tcopy_tiles(void *ctx, int64_t begin, int64_t end)
{
    const tcopy_job *j = ctx;
    int64_t L = 64 / (int64_t)j->esz;
    for (int64_t t = begin; t < end; t++) {
        int64_t batch = t / j->tiles_a, ta = t % j->tiles_a, doff = 0, soff = 0;
        for (int d = j->nb - 1; d >= 0 && batch; d--) {
            int64_t i = batch % j->bshape[d];
            batch /= j->bshape[d];
            doff += i * j->bst[0][d];
            soff += i * j->bst[1][d];
        }
        char *dst = j->dst + doff * (int64_t)j->esz;
        const char *src = j->src + soff * (int64_t)j->esz;
        int64_t a0 = ta * L, na = j->A - a0 < L ? j->A - a0 : L;
        for (int64_t b0 = 0; b0 < j->B; b0 += L) {
            int64_t nb = j->B - b0 < L ? j->B - b0 : L;
            switch (j->esz) {
            case 1: TCOPY_BLOCK(uint8_t, 64) break;
            case 2: TCOPY_BLOCK(uint16_t, 32) break;
            case 4: TCOPY_BLOCK(uint32_t, 16) break;
            default: TCOPY_BLOCK(uint64_t, 8) break;
            }
        }
    }
}

/* Copies src's elements (any strides) into dst viewed with dst_strides, over
 * src's shape. Both of one dtype. */
void em__copy_strided(em_array *dst, int64_t dst_offset, const int64_t *dst_strides, em_array *src)
{
    copy_job j = {.esz = em_dtype_size((em_dtype)src->dtype)};
    const int64_t *strides[2] = {dst_strides, src->strides};
    em__nd_iter_init(&j.it, src->ndim, src->shape, 2, strides);
    j.src = em__data(src);
    j.dst = (char *)dst->buf->data + dst_offset * (int64_t)j.esz;
    if (src->size == 0)
        return;
    int nd = j.it.ndim;
    if (nd >= 2 && (j.esz == 1 || j.esz == 2 || j.esz == 4 || j.esz == 8) &&
        j.it.shape[nd - 1] >= 16 && j.it.shape[nd - 2] >= 16) {
        int64_t da = j.it.strides[0][nd - 2], sa = j.it.strides[1][nd - 2];
        int64_t db = j.it.strides[0][nd - 1], sb = j.it.strides[1][nd - 1];
        bool dst_b = db == 1 && sa == 1 && sb != 1;
        if (dst_b || (sb == 1 && da == 1 && db != 1)) {
            tcopy_job t = {.src = j.src, .dst = j.dst, .esz = j.esz, .nb = nd - 2,
                           .A = j.it.shape[nd - 2], .B = j.it.shape[nd - 1],
                           .da = da, .sa = sa, .db = db, .sb = sb, .dst_b = dst_b};
            int64_t batches = 1;
            for (int d = 0; d < nd - 2; d++) {
                t.bshape[d] = j.it.shape[d];
                t.bst[0][d] = j.it.strides[0][d];
                t.bst[1][d] = j.it.strides[1][d];
                batches *= j.it.shape[d];
            }
            int64_t L = 64 / (int64_t)j.esz;
            t.tiles_a = (t.A + L - 1) / L;
            em__parallel_for(batches * t.tiles_a, 1 + (1 << 16) / (L * t.B), tcopy_tiles, &t);
            return;
        }
    }
    if (j.it.ndim == 1) {
        /* one row: split it into pieces as rows of a 2-d walk */
        int64_t len = j.it.shape[0];
        int64_t pieces = len >= (1 << 20) ? 16 : 1;
        if (pieces > 1 && len % pieces == 0) {
            j.it.ndim = 2;
            j.it.shape[1] = len / pieces;
            j.it.shape[0] = pieces;
            for (int o = 0; o < 2; o++) {
                j.it.strides[o][1] = j.it.strides[o][0];
                j.it.strides[o][0] = j.it.strides[o][1] * (len / pieces);
            }
        }
    }
    em__parallel_for(em__nd_iter_rows(&j.it), 1 + (1 << 16) / (em__nd_iter_row_len(&j.it) + 1),
                     copy_rows, &j);
}

static int copy_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                       const em_params *p)
{
    em_array *out = outs[0];
    if (em__alloc_output(out) < 0)
        return -1;
    em__copy_strided(out, 0, out->strides, ins[0]);
    return 0;
}

/* Strides of a reshape without copying, if the input's layout allows. */
static bool reshape_strides(const em_array *in, const em_array *out, int64_t *strides)
{
    if (em__is_row_contiguous(in)) {
        em__row_strides(out->ndim, out->shape, strides);
        return true;
    }
    /* Group input dims into contiguous chunks and map output dims onto them. */
    int i = 0, o = 0;
    while (i < in->ndim || o < out->ndim) {
        if (i < in->ndim && in->shape[i] == 1) { i++; continue; }
        if (o < out->ndim && out->shape[o] == 1) { strides[o++] = 1; continue; }
        if (i >= in->ndim || o >= out->ndim)
            return false;
        int64_t isz = in->shape[i], osz = out->shape[o];
        int i0 = i, o0 = o;
        while (isz != osz) {
            if (isz < osz) {
                if (++i >= in->ndim) return false;
                if (in->strides[i - 1] != in->strides[i] * in->shape[i]) return false;
                isz *= in->shape[i];
            } else {
                if (++o >= out->ndim) return false;
                osz *= out->shape[o];
            }
        }
        int64_t s = in->strides[i];
        for (int k = o; k >= o0; k--) {
            strides[k] = s;
            s *= out->shape[k];
        }
        (void)i0;
        i++;
        o++;
    }
    return true;
}

static int reshape_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                          const em_params *p)
{
    em_array *out = outs[0], *in = ins[0];
    int64_t strides[EM_MAX_DIMS];
    if (reshape_strides(in, out, strides)) {
        em__set_view(out, in, in->offset, strides);
        return 0;
    }
    if (em__alloc_output(out) < 0)
        return -1;
    int64_t in_shape_strides[EM_MAX_DIMS];
    em__row_strides(in->ndim, in->shape, in_shape_strides);
    em__copy_strided(out, 0, in_shape_strides, in);
    return 0;
}

static int transpose_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                            const em_params *p)
{
    em_array *out = outs[0], *in = ins[0];
    int64_t strides[EM_MAX_DIMS];
    for (int i = 0; i < out->ndim; i++)
        strides[i] = in->strides[p->i[i]];
    em__set_view(out, in, in->offset, strides);
    return 0;
}

static int broadcast_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                            const em_params *p)
{
    em_array *out = outs[0], *in = ins[0];
    int64_t strides[EM_MAX_DIMS];
    int lead = out->ndim - in->ndim;
    for (int i = 0; i < out->ndim; i++) {
        int j = i - lead;
        strides[i] = j < 0 || in->shape[j] == 1 ? 0 : in->strides[j];
    }
    em__set_view(out, in, in->offset, strides);
    return 0;
}

static int slice_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                        const em_params *p)
{
    em_array *out = outs[0], *in = ins[0];
    int64_t strides[EM_MAX_DIMS], offset = in->offset;
    for (int i = 0; i < out->ndim; i++) {
        if (out->shape[i] > 0)
            offset += p->i[i] * in->strides[i];
        strides[i] = in->strides[i] * p->i[EM_MAX_DIMS + i];
    }
    if (out->size == 0)
        offset = in->offset;
    em__set_view(out, in, offset, strides);
    return 0;
}

/* custom_vjp and checkpoint nodes: output k is a view of input n_primals + k
 * (the function's own output). */
static int custom_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                         const em_params *p)
{
    int n_p = (int)p->i[0];
    for (int k = 0; k < n_out; k++)
        em__set_view(outs[k], ins[n_p + k], ins[n_p + k]->offset, ins[n_p + k]->strides);
    return 0;
}

static int depends_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                          const em_params *p)
{
    em__set_view(outs[0], ins[0], ins[0]->offset, ins[0]->strides);
    return 0;
}

__attribute__((constructor)) static void register_views(void)
{
    em__cpu_register(EM_P_DEPENDS, depends_kernel);
    em__cpu_register(EM_P_CUSTOM_VJP, custom_kernel);
    em__cpu_register(EM_P_CHECKPOINT, custom_kernel);
    em__cpu_register(EM_P_COPY, copy_kernel);
    em__cpu_register(EM_P_RESHAPE, reshape_kernel);
    em__cpu_register(EM_P_TRANSPOSE, transpose_kernel);
    em__cpu_register(EM_P_BROADCAST, broadcast_kernel);
    em__cpu_register(EM_P_SLICE, slice_kernel);
}
