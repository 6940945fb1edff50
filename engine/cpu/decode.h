/* Decoding's one-token kernels (cpu/fast.c), called directly by
 * models/llm.c on plain float32 rows: a token's rows are a few thousand
 * floats, where building and evaluating graph nodes costs more than the
 * arithmetic. Each computes what the op of the same name computes (the same
 * functions and order of operations), so the two paths agree. */
#ifndef EMBER_CPU_DECODE_H
#define EMBER_CPU_DECODE_H

#include "array_internal.h"

/* em_rope of rows rows of n values (the first dims rotated) at position pos;
 * freqs as em_rope takes them, or NULL. -1 when out of memory. */
int em__rope_rows_f32(float *x, int64_t rows, int64_t n, int64_t dims, bool traditional, double base,
                      double scale, int64_t pos, const em_array *freqs);
/* em_rms_norm of rows rows of n values in place, w (n floats) or NULL */
void em__rms_rows_f32(float *x, int64_t rows, int64_t n, const float *w, double eps);
/* em_scaled_dot_product_attention of one query: q (Hq, D), keys and values
 * at k and v (head h at h * head_stride, position t at t D; L of them),
 * grouped over Hkv heads: out (Hq, D). */
void em__attend_one_f32(const float *q, int64_t Hq, const float *k, const float *v, int64_t Hkv,
                        int64_t head_stride, int64_t L, int64_t D, float scale, float *out);
/* y = silu(g) u, n values */
void em__silu_mul_f32(const float *g, const float *u, float *y, int64_t n);

#endif
