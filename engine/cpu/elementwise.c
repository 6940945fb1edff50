#include "elementwise.h"

/* Elements per task: enough that a task costs far more than handing it out. */
#define GRAIN (1 << 15)

typedef struct {
    em_nd_iter it;
    const char *src[3];
    size_t isz[3];
    char *dst;
    size_t osz;
    int n_in;
    void *row;
    const em_params *p;
} ew_job;

static void ew_range(void *ctx, int64_t begin, int64_t end)
{
    ew_job *j = ctx;
    int64_t len = em__nd_iter_row_len(&j->it);
    if (j->it.ndim == 1) { /* one long row: split it */
        int64_t s[3];
        for (int o = 0; o < j->n_in; o++)
            s[o] = em__nd_iter_row_stride(&j->it, o + 1);
        char *out = j->dst + begin * j->osz;
        int64_t n = end - begin;
        const char *a = j->src[0] + begin * s[0] * (int64_t)j->isz[0];
        if (j->n_in == 1) {
            ((em_unary_row)j->row)(a, s[0], out, n, j->p);
        } else {
            const char *b = j->src[1] + begin * s[1] * (int64_t)j->isz[1];
            if (j->n_in == 2) {
                ((em_binary_row)j->row)(a, s[0], b, s[1], out, n, j->p);
            } else {
                const char *c = j->src[2] + begin * s[2] * (int64_t)j->isz[2];
                ((em_ternary_row)j->row)(a, s[0], b, s[1], c, s[2], out, n, j->p);
            }
        }
        return;
    }
    for (int64_t r = begin; r < end; r++) {
        int64_t off[4];
        em__nd_iter_row(&j->it, r, off);
        char *out = j->dst + off[0] * (int64_t)j->osz;
        const char *a = j->src[0] + off[1] * (int64_t)j->isz[0];
        int64_t sa = em__nd_iter_row_stride(&j->it, 1);
        if (j->n_in == 1) {
            ((em_unary_row)j->row)(a, sa, out, len, j->p);
        } else {
            const char *b = j->src[1] + off[2] * (int64_t)j->isz[1];
            int64_t sb = em__nd_iter_row_stride(&j->it, 2);
            if (j->n_in == 2) {
                ((em_binary_row)j->row)(a, sa, b, sb, out, len, j->p);
            } else {
                const char *c = j->src[2] + off[3] * (int64_t)j->isz[2];
                ((em_ternary_row)j->row)(a, sa, b, sb, c, em__nd_iter_row_stride(&j->it, 3), out,
                                         len, j->p);
            }
        }
    }
}

static int run(em_array *out, em_array **ins, int n_in, void *row, const em_params *p)
{
    /* Donate a same-sized input whose buffer nobody else can see. */
    int rc = -1;
    for (int i = 0; i < n_in && rc < 0; i++)
        if (ins[i]->size == out->size && em_dtype_size((em_dtype)ins[i]->dtype) ==
                                             em_dtype_size((em_dtype)out->dtype) &&
            em__is_row_contiguous(ins[i]) && atomic_load(&ins[i]->refs) == 1)
            rc = em__donate_or_alloc(out, ins[i]);
    if (rc < 0 && em__alloc_output(out) < 0)
        return -1;
    if (out->size == 0)
        return 0;
    ew_job j = {.n_in = n_in, .row = row, .p = p, .osz = em_dtype_size((em_dtype)out->dtype)};
    const int64_t *strides[4] = {out->strides};
    for (int i = 0; i < n_in; i++) {
        strides[i + 1] = ins[i]->strides;
        j.src[i] = em__data(ins[i]);
        j.isz[i] = em_dtype_size((em_dtype)ins[i]->dtype);
    }
    j.dst = em__data(out);
    em__nd_iter_init(&j.it, out->ndim, out->shape, n_in + 1, strides);
    if (j.it.ndim == 1)
        em__parallel_for(em__nd_iter_row_len(&j.it), GRAIN, ew_range, &j);
    else
        em__parallel_for(em__nd_iter_rows(&j.it),
                         1 + GRAIN / (em__nd_iter_row_len(&j.it) + 1), ew_range, &j);
    return 0;
}

int em__run_unary(em_array *out, em_array *in, em_unary_row row, const em_params *p)
{
    return run(out, &in, 1, (void *)row, p);
}

int em__run_binary(em_array *out, em_array *a, em_array *b, em_binary_row row, const em_params *p)
{
    em_array *ins[2] = {a, b};
    return run(out, ins, 2, (void *)row, p);
}

int em__run_ternary(em_array *out, em_array *c, em_array *a, em_array *b, em_ternary_row row,
                    const em_params *p)
{
    em_array *ins[3] = {c, a, b};
    return run(out, ins, 3, (void *)row, p);
}
