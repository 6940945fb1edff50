/* AVX-512 dot kernels of quantized matmul (see qmatmul_simd.h), built twice:
 * with VNNI's vpdpwssd and with vpmaddwd + vpaddd. */
#include <immintrin.h>

#include "qmatmul_simd.h"

/* Lanes m of p[g ..] (scales or biases of type st) as float. */
static inline __m512 qld16(const void *p, int st, int64_t g, __mmask16 m)
{
    if (st == EM_QST_F32)
        return _mm512_maskz_loadu_ps(m, (const float *)p + g);
    __m256i h = _mm256_maskz_loadu_epi16(m, (const uint16_t *)p + g);
    if (st == EM_QST_F16)
        return _mm512_cvtph_ps(h);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

/* Integer sums stay far from overflow: with gs 128 a lane adds at most 8
 * products of 255 * 32767 (8 bits) or 16 of 15 * 32767 (4 bits). */

#define QDOT_ATTR
#define QDOT_NAME(n) n##_avx512
#define QDOT_DP(acc, a, b) _mm512_add_epi32((acc), _mm512_madd_epi16((a), (b)))
#include "qmatmul_avx512_body.h"
#undef QDOT_ATTR
#undef QDOT_NAME
#undef QDOT_DP

#define QDOT_ATTR __attribute__((target("avx512vnni")))
#define QDOT_NAME(n) n##_avx512vnni
#define QDOT_DP(acc, a, b) _mm512_dpwssd_epi32((acc), (a), (b))
#include "qmatmul_avx512_body.h"
