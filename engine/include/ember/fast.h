/* Fused primitives with fallbacks made of basic ops (used for their gradients),
 * and MLX's affine quantization. */
#ifndef EMBER_FAST_H
#define EMBER_FAST_H

#include "ember/array.h"

#ifdef __cplusplus
extern "C" {
#endif

em_array *em_softmax(em_array *a, int axis);
em_array *em_log_softmax(em_array *a, int axis);
/* Over the last axis; weight (and bias) of its size, or NULL. */
em_array *em_rms_norm(em_array *x, em_array *weight, double eps);
em_array *em_layer_norm(em_array *x, em_array *weight, em_array *bias, double eps);
/* x: (..., L, D); rotates the first `dims` features of each position
 * offset + l by theta_i = (offset + l) * scale * base^(-2i/dims). traditional:
 * pairs (2i, 2i+1), else halves (i, i + dims/2). freqs (dims/2), when not NULL,
 * replaces base^(2i/dims): theta_i = (offset + l) * scale / freqs[i] (as MLX). */
em_array *em_rope(em_array *x, int dims, bool traditional, double base, double scale,
                  int64_t offset, em_array *freqs);
/* q: (B, Hq, Lq, D), k and v: (B, Hkv, Lk, D) with Hq a multiple of Hkv
 * (grouped-query). mask: NULL, or an additive (or bool) array broadcast to
 * (B, Hq, Lq, Lk). causal: position i sees keys up to i + Lk - Lq. */
em_array *em_scaled_dot_product_attention(em_array *q, em_array *k, em_array *v, double scale,
                                          em_array *mask, bool causal);

/* w (..., N, K) float -> packed uint32 (..., N, K*bits/32), scales and biases
 * (..., N, K/group_size) in w's type. w ≈ scale * q + bias. */
int em_quantize(em_array *w, int group_size, int bits, em_array **wq, em_array **scales,
                em_array **biases);
em_array *em_dequantize(em_array *wq, em_array *scales, em_array *biases, int group_size,
                        int bits);
/* x @ dequantize(w).T when transpose (the usual case: w is (N, K), x (..., K)),
 * else x @ dequantize(w). */
em_array *em_quantized_matmul(em_array *x, em_array *wq, em_array *scales, em_array *biases,
                              bool transpose, int group_size, int bits);

#ifdef __cplusplus
}
#endif
#endif
