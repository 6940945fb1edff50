/* The kernel of compile's fused elementwise programs: it walks the output in
 * blocks that fit in L1 and runs every op of the program on one block before
 * moving to the next, through the same typed row functions as the unfused
 * kernels. */
#include <stdlib.h>

#include "../transforms/fused.h"
#include "elementwise.h"

#define BLOCK 1024

typedef struct {
    const em_fused_program *prog;
    em_nd_iter it;
    const char *ext[EM_ND_ITER_MAX_OPS];
    size_t ext_size[EM_ND_ITER_MAX_OPS];
    uint8_t ext_dtype[EM_ND_ITER_MAX_OPS];
    char *out;
    size_t out_size;
    void *row[256];
    uint8_t in_dtype[256];
} fused_job;

/* Runs the program over n elements starting at element `pos` of a row whose
 * operand starts are given. */
static void run_block(const fused_job *j, char **scratch, const char *const *ext_row,
                      const int64_t *ext_stride, char *out, int64_t n)
{
    const em_fused_program *p = j->prog;
    for (int k = 0; k < p->n_ops; k++) {
        const em_fused_op *op = &p->ops[k];
        const void *src[3];
        int64_t st[3];
        for (int q = 0; q < op->n_in; q++) {
            int r = op->in[q];
            if (r >= 0) {
                src[q] = scratch[r];
                st[q] = 1;
            } else {
                src[q] = ext_row[-r - 1];
                st[q] = ext_stride[-r - 1];
            }
        }
        char *dst = k == p->n_ops - 1 ? out : scratch[k];
        em_params prm = {.i = {op->i0}, .f = {op->f0}};
        if (op->n_in == 1)
            ((em_unary_row)j->row[k])(src[0], st[0], dst, n, &prm);
        else if (op->n_in == 2)
            ((em_binary_row)j->row[k])(src[0], st[0], src[1], st[1], dst, n, &prm);
        else
            ((em_ternary_row)j->row[k])(src[0], st[0], src[1], st[1], src[2], st[2], dst, n, &prm);
    }
}

static void fused_range(void *ctx, int64_t begin, int64_t end)
{
    const fused_job *j = ctx;
    const em_fused_program *p = j->prog;
    char *mem = malloc((size_t)p->n_ops * BLOCK * 8);
    if (!mem)
        return; /* cannot happen in practice: a few KiB */
    char *scratch[256];
    for (int k = 0; k < p->n_ops; k++)
        scratch[k] = mem + (size_t)k * BLOCK * 8;
    int64_t len = em__nd_iter_row_len(&j->it);
    bool one_row = j->it.ndim == 1;
    int64_t rows_begin = one_row ? 0 : begin, rows_end = one_row ? 1 : end;
    for (int64_t r = rows_begin; r < rows_end; r++) {
        int64_t off[EM_ND_ITER_MAX_OPS];
        em__nd_iter_row(&j->it, r, off);
        int64_t lo = one_row ? begin : 0, hi = one_row ? end : len;
        for (int64_t b = lo; b < hi; b += BLOCK) {
            int64_t n = hi - b < BLOCK ? hi - b : BLOCK;
            const char *ext_row[EM_ND_ITER_MAX_OPS];
            int64_t ext_stride[EM_ND_ITER_MAX_OPS];
            for (int e = 0; e < p->n_ext; e++) {
                ext_stride[e] = em__nd_iter_row_stride(&j->it, e + 1);
                ext_row[e] = j->ext[e] + (off[e + 1] + b * ext_stride[e]) * (int64_t)j->ext_size[e];
            }
            char *out = j->out + (off[0] + b) * (int64_t)j->out_size;
            run_block(j, scratch, ext_row, ext_stride, out, n);
        }
    }
    free(mem);
}

static int fused_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                        const em_params *p)
{
    em_array *out = outs[0];
    const em_fused_program *prog = p->obj;
    if (prog->n_ext + 1 > EM_ND_ITER_MAX_OPS || prog->n_ops > 256)
        return em__error("fused: too many inputs or ops");
    fused_job *j = calloc(1, sizeof *j);
    if (!j)
        return em__error("out of memory");
    j->prog = prog;
    /* each op's row function, from its input types */
    for (int k = 0; k < prog->n_ops; k++) {
        const em_fused_op *op = &prog->ops[k];
        int r = op->in[op->n_in == 3 ? 1 : 0];
        em_dtype in_t = r >= 0 ? (em_dtype)prog->ops[r].dtype : (em_dtype)ins[-r - 1]->dtype;
        if (op->prim == EM_P_SELECT)
            j->row[k] = (void *)em__cpu_select_row(em_dtype_size((em_dtype)op->dtype));
        else if (em_prims[op->prim].kind == EM_KIND_UNARY)
            j->row[k] = (void *)em__cpu_unary_row((em_prim_id)op->prim, in_t, (em_dtype)op->dtype);
        else
            j->row[k] = (void *)em__cpu_binary_row((em_prim_id)op->prim, in_t);
        if (!j->row[k]) {
            free(j);
            return em__error("fused: no CPU kernel for %s on %s", em_prims[op->prim].name,
                             em_dtype_name(in_t));
        }
    }
    int rc = -1;
    for (int e = 0; e < n_in && rc < 0; e++)
        if (ins[e]->size == out->size && ins[e]->dtype == out->dtype && atomic_load(&ins[e]->refs) == 1)
            rc = em__donate_or_alloc(out, ins[e]);
    if (rc < 0 && em__alloc_output(out) < 0) {
        free(j);
        return -1;
    }
    const int64_t *strides[EM_ND_ITER_MAX_OPS] = {out->strides};
    for (int e = 0; e < n_in; e++) {
        strides[e + 1] = ins[e]->strides;
        j->ext[e] = em__data(ins[e]);
        j->ext_size[e] = em_dtype_size((em_dtype)ins[e]->dtype);
    }
    j->out = em__data(out);
    j->out_size = em_dtype_size((em_dtype)out->dtype);
    em__nd_iter_init(&j->it, out->ndim, out->shape, n_in + 1, strides);
    if (out->size) {
        if (j->it.ndim == 1)
            em__parallel_for(em__nd_iter_row_len(&j->it), 1 << 15, fused_range, j);
        else
            em__parallel_for(em__nd_iter_rows(&j->it), 1 + (1 << 15) / (em__nd_iter_row_len(&j->it) + 1),
                             fused_range, j);
    }
    free(j);
    return 0;
}

__attribute__((constructor)) static void register_fused(void)
{
    em__cpu_register(EM_P_FUSED, fused_kernel);
}
