/* Dot kernels of the quantized matrix-vector product (decode), one build per
 * instruction set (chosen at run time in quantize.c). Each call takes four
 * rows of packed weights at once (they share the loads of x).
 *
 * x comes prepared once per call (quantize.c, qmv_prep): per group g of gs
 * values, dx[g] = max|x| / 32767 and two int16 levels
 *   xh = rint(x / dx),  xl = rint((x - dx xh) * 32768 / dx),
 * so that x = dx (xh + xl / 32768) to within max|x| 2^-31 (finer than float's
 * own rounding). The products q * xh and q * xl are exact integer dot products
 * (pmaddwd / vpdpwssd), so the result is as close to numpy's float reference
 * as a float accumulation would be, while the weights are unpacked with two
 * integer operations per 64 nibbles instead of a float conversion each.
 *
 * For 4 bits the two nibbles of each byte are the values 2j and 2j + 1: within
 * each block of `block` values (EM_QMV_BLOCK*), x is stored with the even
 * positions first and the odd ones after. For 8 bits, natural order.
 *
 * res[r] = sum_g s[r][g] dx[g] (dot(q_g, xh_g) + dot(q_g, xl_g) / 32768)
 *          + b[r][g] xs[g],
 * xs[g] being the float sum of x over group g; scales and biases of type st
 * (EM_QST_*), converted in registers. pf is where four rows further on start
 * (the next four, or more when rows are short; they are prefetched at the
 * pace of the current ones, with the non-temporal hint on AVX-512, into L2
 * with AVX2: the hardware prefetchers alone leave four interleaved streams
 * well short of the memory bandwidth). */
#ifndef EMBER_CPU_QMATMUL_SIMD_H
#define EMBER_CPU_QMATMUL_SIMD_H

#include <stdint.h>

enum { EM_QST_F32, EM_QST_F16, EM_QST_BF16 };

#define EM_QDOT_ARGS                                                                     \
    const uint8_t *const w[4], const uint8_t *pf, const void *const s[4],                \
        const void *const b[4], int st,                                                    \
        const int16_t *xh, const int16_t *xl, const float *dx, const float *xs, int64_t K, \
        int gs, float res[4]
typedef void (*em_qdot_fn)(EM_QDOT_ARGS);

#define EM_QMV_BLOCK_AVX2 32   /* 4-bit x layout block of the AVX2 kernels */
#define EM_QMV_BLOCK_AVX512 64 /* and of the AVX-512 ones (K % 64 == 0) */

void em__qdot_b4_avx2(EM_QDOT_ARGS);
void em__qdot_b8_avx2(EM_QDOT_ARGS);
void em__qdot_b4_avx512(EM_QDOT_ARGS);
void em__qdot_b8_avx512(EM_QDOT_ARGS);
/* the same with AVX-512 VNNI (vpdpwssd) */
void em__qdot_b4_avx512vnni(EM_QDOT_ARGS);
void em__qdot_b8_avx512vnni(EM_QDOT_ARGS);
/* em__qdot_b8 over rows [n0, n1) of a matrix of N rows (rb bytes, ng scales a
 * row), prefetching pf_rows ahead and, past n1, into tail (tail_bytes of the
 * weights this thread reads next; NULL: the rows after n1): out[n] */
#define EM_QMV_ROWS_B8_ARGS                                                                           \
    const uint8_t *w, int64_t rb, const void *s, const void *b, int st, int64_t ng, const int16_t *xh, \
        const int16_t *xl, const float *dx, const float *xs, int64_t K, int gs, int64_t n0, int64_t n1, \
        int64_t N, int64_t pf_rows, const uint8_t *tail, int64_t tail_bytes, float *out
void em__qmv_rows_b8_avx512(EM_QMV_ROWS_B8_ARGS);
void em__qmv_rows_b8_avx512vnni(EM_QMV_ROWS_B8_ARGS);
/* 4 bits with vpdpbusd (AVX-512 VNNI; K % 128 == 0, gs 32, 64 or 128): x as
 * three int8 levels (em__qmv_prep8_avx512 says how), 3 K bytes xq */
#define EM_QDOT8_ARGS                                                                     \
    const uint8_t *const w[4], const uint8_t *pf, const void *const s[4],                \
        const void *const b[4], int st, const int8_t *xq, const float *dx, const float *xs, \
        int64_t K, int gs, float res[4]
typedef void (*em_qdot8_fn)(EM_QDOT8_ARGS);
void em__qdot8_b4_avx512vnni(EM_QDOT8_ARGS);
/* the same over rows [n0, n1) of a matrix of N rows (rb bytes, ng scales a
 * row), prefetching as em__qmv_rows_b8 does: out[n] */
void em__qmv8_rows_b4_avx512vnni(const uint8_t *w, int64_t rb, const void *s, const void *b, int st,
                                 int64_t ng, const int8_t *xq, const float *dx, const float *xs, int64_t K,
                                 int gs, int64_t n0, int64_t n1, int64_t N, int64_t pf_rows,
                                 const uint8_t *tail, int64_t tail_bytes, float *out);
void em__qmv_prep8_avx512(const float *x, int64_t M, int64_t K, int gs, int8_t *xq, float *dx, float *xs);
/* x's preparation (quantize.c's qmv_prep and the group sums xs), the same
 * numbers, with AVX-512: gs % 16 == 0, block 0 or EM_QMV_BLOCK_AVX512 */
void em__qmv_prep_avx512(const float *x, int64_t M, int64_t K, int gs, int block, int16_t *xh,
                         int16_t *xl, float *dx, float *xs);

#endif
