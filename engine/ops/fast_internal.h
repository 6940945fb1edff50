/* The fallbacks of the fused primitives: the same results built from basic ops
 * (what their gradients are built from). Same arguments as the public ops. */
#ifndef EMBER_OPS_FAST_INTERNAL_H
#define EMBER_OPS_FAST_INTERNAL_H

#include "ember/fast.h"

em_array *em__softmax_fallback(em_array *a, int axis);
em_array *em__log_softmax_fallback(em_array *a, int axis);
em_array *em__rms_norm_fallback(em_array *x, em_array *weight, double eps);
em_array *em__layer_norm_fallback(em_array *x, em_array *weight, em_array *bias, double eps);
em_array *em__rope_fallback(em_array *x, int dims, bool traditional, double base, double scale,
                            int64_t offset, em_array *freqs);
em_array *em__scaled_dot_product_attention_fallback(em_array *q, em_array *k, em_array *v,
                                                    double scale, em_array *mask, bool causal);
em_array *em__dequantize_fallback(em_array *wq, em_array *scales, em_array *biases, int group_size,
                                  int bits);
em_array *em__quantized_matmul_fallback(em_array *x, em_array *wq, em_array *scales,
                                        em_array *biases, bool transpose, int group_size, int bits);

#endif
