/* Shared drivers of the elementwise kernels: they walk the operands (strided,
 * broadcast) in rows and spread the rows over the thread pool; a row function
 * does the typed work on one row. */
#ifndef EMBER_CPU_ELEMENTWISE_H
#define EMBER_CPU_ELEMENTWISE_H

#include "loops.h"

/* in: row start, stride in elements; out: contiguous. */
typedef void (*em_unary_row)(const void *in, int64_t is, void *out, int64_t n, const em_params *p);
/* a, b: row starts with strides; out contiguous. */
typedef void (*em_binary_row)(const void *a, int64_t as, const void *b, int64_t bs, void *out,
                              int64_t n, const em_params *p);
typedef void (*em_ternary_row)(const void *c, int64_t cs, const void *a, int64_t as, const void *b,
                               int64_t bs, void *out, int64_t n, const em_params *p);

int em__run_unary(em_array *out, em_array *in, em_unary_row row, const em_params *p);
int em__run_binary(em_array *out, em_array *a, em_array *b, em_binary_row row, const em_params *p);
int em__run_ternary(em_array *out, em_array *c, em_array *a, em_array *b, em_ternary_row row,
                    const em_params *p);

/* The typed row functions themselves (NULL where the type has none), for
 * compile's fused kernel. */
em_unary_row em__cpu_unary_row(em_prim_id prim, em_dtype in, em_dtype out);
em_binary_row em__cpu_binary_row(em_prim_id prim, em_dtype in);
em_ternary_row em__cpu_select_row(size_t elem_size);

#endif
