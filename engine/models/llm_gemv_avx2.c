/* Half-precision matrix-vector rows for decoding (built with -mavx2 -mfma
 * -mf16c; chosen at run time): y[n] = dot(x, w[n, :]) for w rows in bf16 or
 * f16, x float32. */
#include <immintrin.h>
#include <stdint.h>

static inline float hsum(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

void em__llm_gemv_rows_avx2(const uint16_t *w, const float *x, float *y, int64_t n0, int64_t n1,
                            int64_t K, int bf16)
{
    for (int64_t n = n0; n < n1; n++) {
        const uint16_t *r = w + n * K;
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
        int64_t k = 0;
        if (bf16) {
            for (; k + 16 <= K; k += 16) {
                __m256i h0 = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(r + k)));
                __m256i h1 = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(r + k + 8)));
                a0 = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_slli_epi32(h0, 16)), _mm256_loadu_ps(x + k), a0);
                a1 = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_slli_epi32(h1, 16)), _mm256_loadu_ps(x + k + 8), a1);
            }
        } else {
            for (; k + 16 <= K; k += 16) {
                __m256 f0 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(r + k)));
                __m256 f1 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(r + k + 8)));
                a0 = _mm256_fmadd_ps(f0, _mm256_loadu_ps(x + k), a0);
                a1 = _mm256_fmadd_ps(f1, _mm256_loadu_ps(x + k + 8), a1);
            }
        }
        float s = hsum(_mm256_add_ps(a0, a1));
        for (; k < K; k++) {
            float f;
            if (bf16) {
                uint32_t b = (uint32_t)r[k] << 16;
                __builtin_memcpy(&f, &b, 4);
            } else {
                f = _cvtsh_ss(r[k]);
            }
            s += f * x[k];
        }
        y[n] = s;
    }
}
