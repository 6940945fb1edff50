/* Row kernels of quantized matmul, one per instruction set (chosen at run time
 * in quantize.c). A row: w packed (K * bits / 32 words), s and b its K / gs
 * scales and biases as float, x (K) and xs (K / gs group sums of x); returns
 * sum over groups of s[g] * dot(q_g, x_g) + b[g] * xs[g]. */
#ifndef EMBER_CPU_QMATMUL_SIMD_H
#define EMBER_CPU_QMATMUL_SIMD_H

#include <stdint.h>

typedef float (*em_qrow_fn)(const uint32_t *w, const float *s, const float *b, const float *x,
                            const float *xs, int64_t K, int gs);

float em__qrow4_avx2(const uint32_t *w, const float *s, const float *b, const float *x,
                     const float *xs, int64_t K, int gs);
float em__qrow8_avx2(const uint32_t *w, const float *s, const float *b, const float *x,
                     const float *xs, int64_t K, int gs);
float em__qrow4_avx512(const uint32_t *w, const float *s, const float *b, const float *x,
                       const float *xs, int64_t K, int gs);
float em__qrow8_avx512(const uint32_t *w, const float *s, const float *b, const float *x,
                       const float *xs, int64_t K, int gs);

#endif
