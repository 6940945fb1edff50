/* Decoding's direct path to the quantized matrix-vector kernels (used by
 * models/llm.c, as half_matvec is for half-precision weights): the products
 * y_i = x @ w_i.T of several quantized weights that share one row x, computed
 * now, with x prepared once and all rows in one parallel region. The numbers
 * are those of em_quantized_matmul (the same kernels on the same x).
 *
 * next (n_next items, may be NULL): the weights of the call that will follow
 * (only their w is read, and only as prefetches): each thread's prefetching
 * runs on from the end of its part into its part of those, so that the next
 * call does not start on cold memory. */
#ifndef EMBER_CPU_QUANTIZE_H
#define EMBER_CPU_QUANTIZE_H

#include "array_internal.h"

#define EM_QMV_MAX_ITEMS 8

typedef struct {
    const em_array *w, *scales, *biases; /* (N, K * bits / 32) uint32, (N, K / gs) */
    int group_size, bits;
    float *y; /* N floats */
} em_qmv_item;

/* 0 when done; 1 when this path does not apply (weights not evaluated or not
 * row-major, no SIMD kernel for them, mixed group sizes...): the caller
 * builds em_quantized_matmul instead; -1 on error (em__error set). */
int em__qmv_direct(const float *x, int64_t K, const em_qmv_item *items, int n, const em_qmv_item *next,
                   int n_next);

#endif
