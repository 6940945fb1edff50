/* compile's fused elementwise programs: a straight line of elementwise ops run
 * block by block by one kernel, with no temporaries between them. */
#ifndef EMBER_FUSED_H
#define EMBER_FUSED_H

#include "array_internal.h"

/* A fused kernel walks its output and every input together (em_nd_iter). */
#define EM_FUSED_MAX_EXT 9

typedef struct em_fused_op {
    uint16_t prim;
    uint8_t dtype;     /* the op's output type */
    uint8_t n_in;
    int16_t in[3];     /* >= 0: an earlier op's result; < 0: external input -(k + 1) */
    int64_t i0;        /* the op's small params (round: decimals) */
    double f0;         /* (round: 10^decimals) */
} em_fused_op;

typedef struct em_fused_program {
    atomic_int refs;
    int n_ops;
    int n_ext;
    em_fused_op ops[];
} em_fused_program;

em_fused_program *em__fused_new(int n_ops, int n_ext);
void em__fused_retain(void *p);
void em__fused_release(void *p);

/* Builds the same computation from ordinary elementwise nodes (for gradients,
 * batching and inspection). ext: the program's inputs, all of the output's
 * shape. */
em_array *em__fused_unfused(const em_fused_program *prog, em_array *const *ext, int ndim,
                            const int64_t *shape);

#endif
