/* AVX2 + FMA row kernels of quantized matmul (see qmatmul_simd.h). */
#include <immintrin.h>

#include "qmatmul_simd.h"

static inline float hsum256(__m256 v)
{
    __m128 a = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    a = _mm_add_ps(a, _mm_movehl_ps(a, a));
    a = _mm_add_ss(a, _mm_movehdup_ps(a));
    return _mm_cvtss_f32(a);
}

static inline float bias_part(const float *b, const float *xs, int64_t ng)
{
    float t = 0;
    for (int64_t g = 0; g < ng; g++)
        t += b[g] * xs[g];
    return t;
}

float em__qrow4_avx2(const uint32_t *w, const float *s, const float *b, const float *x,
                     const float *xs, int64_t K, int gs)
{
    const __m256i shifts = _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28);
    const __m256i mask = _mm256_set1_epi32(0xF);
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int64_t ng = K / gs;
    int wpg = gs / 8; /* words per group, even */
    for (int64_t g = 0; g < ng; g++) {
        __m256 v0 = _mm256_setzero_ps(), v1 = _mm256_setzero_ps();
        for (int i = 0; i < wpg; i += 2) {
            __m256i q0 = _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32((int)w[i]), shifts), mask);
            __m256i q1 = _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32((int)w[i + 1]), shifts), mask);
            v0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(q0), _mm256_loadu_ps(x + 8 * i), v0);
            v1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(q1), _mm256_loadu_ps(x + 8 * i + 8), v1);
        }
        __m256 sc = _mm256_set1_ps(s[g]);
        if (g & 1)
            acc1 = _mm256_fmadd_ps(_mm256_add_ps(v0, v1), sc, acc1);
        else
            acc0 = _mm256_fmadd_ps(_mm256_add_ps(v0, v1), sc, acc0);
        w += wpg;
        x += gs;
    }
    return hsum256(_mm256_add_ps(acc0, acc1)) + bias_part(b, xs, ng);
}

float em__qrow8_avx2(const uint32_t *w, const float *s, const float *b, const float *x,
                     const float *xs, int64_t K, int gs)
{
    const uint8_t *q = (const uint8_t *)w;
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int64_t ng = K / gs;
    for (int64_t g = 0; g < ng; g++) {
        __m256 v0 = _mm256_setzero_ps(), v1 = _mm256_setzero_ps();
        for (int i = 0; i < gs; i += 16) {
            __m256i q0 = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(q + i)));
            __m256i q1 = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(q + i + 8)));
            v0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(q0), _mm256_loadu_ps(x + i), v0);
            v1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(q1), _mm256_loadu_ps(x + i + 8), v1);
        }
        __m256 sc = _mm256_set1_ps(s[g]);
        if (g & 1)
            acc1 = _mm256_fmadd_ps(_mm256_add_ps(v0, v1), sc, acc1);
        else
            acc0 = _mm256_fmadd_ps(_mm256_add_ps(v0, v1), sc, acc0);
        q += gs;
        x += gs;
    }
    return hsum256(_mm256_add_ps(acc0, acc1)) + bias_part(b, xs, ng);
}
