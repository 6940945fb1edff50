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
#undef QDOT_ATTR
#undef QDOT_NAME
#undef QDOT_DP

/* x prepared for the kernels (qmv_prep in quantize.c says what and how), the
 * same numbers computed 8 lanes at a time: gs a multiple of 16, block 0 or
 * EM_QMV_BLOCK_AVX512. Group sums xs (double, in order) one group per lane. */
void em__qmv_prep_avx512(const float *x, int64_t M, int64_t K, int gs, int block, int16_t *xh,
                         int16_t *xl, float *dx, float *xs)
{
    int64_t ng = K / gs, G = M * ng;
    const __m512d hi = _mm512_set1_pd(32767), lo = _mm512_set1_pd(-32767), s15 = _mm512_set1_pd(32768.0);
    const __m512 sign = _mm512_castsi512_ps(_mm512_set1_epi32(0x7fffffff));
    for (int64_t i = 0; i < G; i++) {
        const float *xg = x + i * gs;
        __m512 mv = _mm512_setzero_ps();
        for (int k = 0; k < gs; k += 16) /* max|x| (max_ps(v, m) keeps m where v is NaN, as fmaxf) */
            mv = _mm512_max_ps(_mm512_and_ps(_mm512_loadu_ps(xg + k), sign), mv);
        float mx = _mm512_reduce_max_ps(mv);
        double d = (float)(mx / 32767.0), inv = mx > 0 ? 1.0 / d : 0;
        dx[i] = (float)d;
        __m512d dv = _mm512_set1_pd(d), iv = _mm512_set1_pd(inv);
        for (int k = 0; k < gs; k += 8) {
            __m512d v = _mm512_cvtps_pd(_mm256_loadu_ps(xg + k));
            __m512d h = _mm512_roundscale_pd(_mm512_mul_pd(v, iv), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
            h = _mm512_max_pd(_mm512_min_pd(h, hi), lo);
            __m512d r = _mm512_sub_pd(v, _mm512_mul_pd(h, dv));
            __m512d l = _mm512_roundscale_pd(_mm512_mul_pd(_mm512_mul_pd(r, iv), s15),
                                             _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
            l = _mm512_max_pd(_mm512_min_pd(l, hi), lo);
            _mm_storeu_si128((__m128i *)(xh + i * gs + k), _mm256_cvtepi32_epi16(_mm512_cvtpd_epi32(h)));
            _mm_storeu_si128((__m128i *)(xl + i * gs + k), _mm256_cvtepi32_epi16(_mm512_cvtpd_epi32(l)));
        }
    }
    if (block == EM_QMV_BLOCK_AVX512) { /* evens first, then odds, within each block of 64 */
        __m512i ev = _mm512_set_epi16(62, 60, 58, 56, 54, 52, 50, 48, 46, 44, 42, 40, 38, 36, 34, 32, 30, 28,
                                      26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
        __m512i od = _mm512_add_epi16(ev, _mm512_set1_epi16(1));
        int16_t *arr[2] = {xh, xl};
        for (int a = 0; a < 2; a++)
            for (int64_t p = 0; p + 64 <= M * K; p += 64) {
                __m512i v0 = _mm512_loadu_si512(arr[a] + p), v1 = _mm512_loadu_si512(arr[a] + p + 32);
                _mm512_storeu_si512(arr[a] + p, _mm512_permutex2var_epi16(v0, ev, v1));
                _mm512_storeu_si512(arr[a] + p + 32, _mm512_permutex2var_epi16(v0, od, v1));
            }
    }
    /* group sums: lane j adds group g + j's values in order, as a scalar loop would */
    const __m256i step = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(gs));
    for (int64_t g = 0; g < G; g += 8) {
        int c = G - g < 8 ? (int)(G - g) : 8;
        __mmask8 m = (__mmask8)((1u << c) - 1);
        __m512d t = _mm512_setzero_pd();
        const float *base = x + g * gs;
        for (int k = 0; k < gs; k++) {
            __m256 v = _mm256_mmask_i32gather_ps(_mm256_setzero_ps(), m, step, base + k, 4);
            t = _mm512_add_pd(t, _mm512_cvtps_pd(v));
        }
        _mm256_mask_storeu_ps(xs + g, m, _mm512_cvtpd_ps(t));
    }
}
