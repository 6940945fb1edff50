/* AVX-512 row kernels of quantized matmul (see qmatmul_simd.h). */
#include <immintrin.h>

#include "qmatmul_simd.h"

static inline float bias_part(const float *b, const float *xs, int64_t ng)
{
    float t = 0;
    for (int64_t g = 0; g < ng; g++)
        t += b[g] * xs[g];
    return t;
}

float em__qrow4_avx512(const uint32_t *w, const float *s, const float *b, const float *x,
                       const float *xs, int64_t K, int gs)
{
    /* lanes 0-7 take word i, lanes 8-15 word i + 1 */
    const __m512i shifts = _mm512_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28, 0, 4, 8, 12, 16, 20, 24, 28);
    const __m512i pick = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
    const __m512i pick2 = _mm512_setr_epi32(2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    const __m512i mask = _mm512_set1_epi32(0xF);
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    int64_t ng = K / gs;
    int wpg = gs / 8; /* words per group, a multiple of 4 */
    for (int64_t g = 0; g < ng; g++) {
        __m512 v0 = _mm512_setzero_ps(), v1 = _mm512_setzero_ps();
        for (int i = 0; i < wpg; i += 4) {
            __m512i four = _mm512_castsi128_si512(_mm_loadu_si128((const __m128i *)(w + i)));
            __m512i q0 = _mm512_and_si512(_mm512_srlv_epi32(_mm512_permutexvar_epi32(pick, four), shifts), mask);
            __m512i q1 = _mm512_and_si512(_mm512_srlv_epi32(_mm512_permutexvar_epi32(pick2, four), shifts), mask);
            v0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(q0), _mm512_loadu_ps(x + 8 * i), v0);
            v1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(q1), _mm512_loadu_ps(x + 8 * i + 16), v1);
        }
        __m512 sc = _mm512_set1_ps(s[g]);
        if (g & 1)
            acc1 = _mm512_fmadd_ps(_mm512_add_ps(v0, v1), sc, acc1);
        else
            acc0 = _mm512_fmadd_ps(_mm512_add_ps(v0, v1), sc, acc0);
        w += wpg;
        x += gs;
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1)) + bias_part(b, xs, ng);
}

float em__qrow8_avx512(const uint32_t *w, const float *s, const float *b, const float *x,
                       const float *xs, int64_t K, int gs)
{
    const uint8_t *q = (const uint8_t *)w;
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    int64_t ng = K / gs;
    for (int64_t g = 0; g < ng; g++) {
        __m512 v0 = _mm512_setzero_ps(), v1 = _mm512_setzero_ps();
        for (int i = 0; i < gs; i += 32) {
            __m512i q0 = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(q + i)));
            __m512i q1 = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(q + i + 16)));
            v0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(q0), _mm512_loadu_ps(x + i), v0);
            v1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(q1), _mm512_loadu_ps(x + i + 16), v1);
        }
        __m512 sc = _mm512_set1_ps(s[g]);
        if (g & 1)
            acc1 = _mm512_fmadd_ps(_mm512_add_ps(v0, v1), sc, acc1);
        else
            acc0 = _mm512_fmadd_ps(_mm512_add_ps(v0, v1), sc, acc0);
        q += gs;
        x += gs;
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1)) + bias_part(b, xs, ng);
}
