/* AVX2 dot kernels of quantized matmul (see qmatmul_simd.h): vpmaddwd of the
 * zero-extended weights with the two int16 levels of x. */
#include <immintrin.h>
#include <string.h>

#include "qmatmul_simd.h"

static inline float hsum256(__m256 v)
{
    __m128 a = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    a = _mm_add_ps(a, _mm_movehl_ps(a, a));
    a = _mm_add_ss(a, _mm_movehdup_ps(a));
    return _mm_cvtss_f32(a);
}

/* c (<= 8) values of p[g ..] (scales or biases of type st) as float, zeros after. */
static inline __m256 qld8(const void *p, int st, int64_t g, int64_t c)
{
    if (c == 8) {
        if (st == EM_QST_F32)
            return _mm256_loadu_ps((const float *)p + g);
        __m128i h = _mm_loadu_si128((const __m128i *)((const uint16_t *)p + g));
        if (st == EM_QST_F16)
            return _mm256_cvtph_ps(h);
        return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
    }
    float t[8] = {0};
    for (int64_t i = 0; i < c; i++) {
        if (st == EM_QST_F32) {
            t[i] = ((const float *)p)[g + i];
        } else {
            uint16_t h = ((const uint16_t *)p)[g + i];
            if (st == EM_QST_F16) {
                t[i] = _cvtsh_ss(h);
            } else {
                uint32_t u = (uint32_t)h << 16;
                memcpy(&t[i], &u, 4);
            }
        }
    }
    return _mm256_loadu_ps(t);
}

/* Every 8 groups: the 4 rows' scales times dx into sdl, biases times xs into bacc. */
#define QDOT_SCALES()                                                                     \
    if ((g & 7) == 0) {                                                                   \
        int64_t c = ng - g < 8 ? ng - g : 8;                                              \
        __m256 dxv = qld8(dx, EM_QST_F32, g, c), xsv = qld8(xs, EM_QST_F32, g, c);        \
        for (int r = 0; r < 4; r++) {                                                     \
            _mm256_storeu_ps(sdl[r], _mm256_mul_ps(qld8(s[r], st, g, c), dxv));           \
            bacc[r] = _mm256_fmadd_ps(qld8(b[r], st, g, c), xsv, bacc[r]);                \
        }                                                                                 \
    }

#define DP(acc, a, b) _mm256_add_epi32((acc), _mm256_madd_epi16((a), (b)))

/* 4 bits: a block of 32 values is 16 bytes; zero-extended to 16 words, low
 * nibbles are the even values, high ones the odd values. */
void em__qdot_b4_avx2(EM_QDOT_ARGS)
{
    const __m256i m4 = _mm256_set1_epi16(0xF);
    const __m256 lo_w = _mm256_set1_ps(1.0f / 32768);
    __m256 f[4], bacc[4];
    float sdl[4][8];
    for (int r = 0; r < 4; r++)
        f[r] = bacc[r] = _mm256_setzero_ps();
    int64_t ng = K / gs;
    int bpg = gs / 32;
    for (int64_t g = 0; g < ng; g++) {
        QDOT_SCALES()
        __m256i ah[4], al[4];
        for (int r = 0; r < 4; r++)
            ah[r] = al[r] = _mm256_setzero_si256();
        for (int bb = 0; bb < bpg; bb++) {
            int64_t k = g * gs + bb * 32;
            _mm_prefetch((const char *)pf + 2 * k, _MM_HINT_T1);
            __m256i xhe = _mm256_loadu_si256((const __m256i *)(xh + k));
            __m256i xho = _mm256_loadu_si256((const __m256i *)(xh + k + 16));
            __m256i xle = _mm256_loadu_si256((const __m256i *)(xl + k));
            __m256i xlo = _mm256_loadu_si256((const __m256i *)(xl + k + 16));
            for (int r = 0; r < 4; r++) {
                __m256i q = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(w[r] + k / 2)));
                __m256i lo = _mm256_and_si256(q, m4), hi = _mm256_srli_epi16(q, 4);
                ah[r] = DP(DP(ah[r], lo, xhe), hi, xho);
                al[r] = DP(DP(al[r], lo, xle), hi, xlo);
            }
        }
        for (int r = 0; r < 4; r++) {
            __m256 v = _mm256_fmadd_ps(_mm256_cvtepi32_ps(al[r]), lo_w, _mm256_cvtepi32_ps(ah[r]));
            f[r] = _mm256_fmadd_ps(v, _mm256_set1_ps(sdl[r][g & 7]), f[r]);
        }
    }
    for (int r = 0; r < 4; r++)
        res[r] = hsum256(_mm256_add_ps(f[r], bacc[r]));
}

/* 8 bits: a block of 16 values, zero-extended in order. */
void em__qdot_b8_avx2(EM_QDOT_ARGS)
{
    const __m256 lo_w = _mm256_set1_ps(1.0f / 32768);
    __m256 f[4], bacc[4];
    float sdl[4][8];
    for (int r = 0; r < 4; r++)
        f[r] = bacc[r] = _mm256_setzero_ps();
    int64_t ng = K / gs;
    int bpg = gs / 16;
    for (int64_t g = 0; g < ng; g++) {
        QDOT_SCALES()
        __m256i ah[4], al[4];
        for (int r = 0; r < 4; r++)
            ah[r] = al[r] = _mm256_setzero_si256();
        for (int bb = 0; bb < bpg; bb++) {
            int64_t k = g * gs + bb * 16;
            _mm_prefetch((const char *)pf + 4 * k, _MM_HINT_T1);
            __m256i xhv = _mm256_loadu_si256((const __m256i *)(xh + k));
            __m256i xlv = _mm256_loadu_si256((const __m256i *)(xl + k));
            for (int r = 0; r < 4; r++) {
                __m256i q = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(w[r] + k)));
                ah[r] = DP(ah[r], q, xhv);
                al[r] = DP(al[r], q, xlv);
            }
        }
        for (int r = 0; r < 4; r++) {
            __m256 v = _mm256_fmadd_ps(_mm256_cvtepi32_ps(al[r]), lo_w, _mm256_cvtepi32_ps(ah[r]));
            f[r] = _mm256_fmadd_ps(v, _mm256_set1_ps(sdl[r][g & 7]), f[r]);
        }
    }
    for (int r = 0; r < 4; r++)
        res[r] = hsum256(_mm256_add_ps(f[r], bacc[r]));
}
