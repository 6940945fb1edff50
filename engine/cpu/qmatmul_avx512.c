/* AVX-512 dot kernels of quantized matmul (see qmatmul_simd.h), built twice:
 * with VNNI's vpdpwssd and with vpmaddwd + vpaddd. */
#include <immintrin.h>
#include <string.h>

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

/* The four rows from r0 (the last real one repeated past N): their weights,
 * scales and biases (e bytes each, ng a row), with the next four rows'
 * scales and biases prefetched. Returns how many of the four are real. */
static inline int qrows4(const uint8_t *w, int64_t rb, const void *s, const void *b, int64_t e, int64_t ng,
                         int64_t r0, int64_t N, const uint8_t *wr[4], const void *sr[4], const void *br[4])
{
    int nr = N - r0 < 4 ? (int)(N - r0) : 4;
    for (int r = 0; r < 4; r++) {
        int64_t n = r0 + (r < nr ? r : 0);
        wr[r] = w + n * rb;
        sr[r] = (const char *)s + n * ng * e;
        br[r] = (const char *)b + n * ng * e;
    }
    if (r0 + 4 < N) {
        const char *ps = (const char *)s + (r0 + 4) * ng * e, *pb = (const char *)b + (r0 + 4) * ng * e;
        for (int64_t o = 0; o < 4 * ng * e; o += 64) {
            _mm_prefetch(ps + o, _MM_HINT_T0);
            _mm_prefetch(pb + o, _MM_HINT_T0);
        }
    }
    return nr;
}

/* Where the prefetches for rows r0 .. r0 + 3 point: pf_rows further on in
 * the range [.., n1), and past its end into the thread's next work, tail
 * (tail_bytes of weights, read in order), when there is one; else the rows
 * after n1 up to N (or these again at the end). */
static inline const uint8_t *qpf(const uint8_t *w, int64_t rb, int64_t r0, int64_t pf_rows, int64_t n1, int64_t N,
                                 const uint8_t *tail, int64_t tail_bytes)
{
    int64_t a = r0 + pf_rows;
    if (a >= n1 && tail) {
        int64_t o = (a - n1) * rb;
        return o + 4 * rb <= tail_bytes ? tail + o : tail;
    }
    return w + (a < N ? a : r0) * rb;
}

/* The weights are read once a token: prefetched with the non-temporal hint,
 * the 4-bit (VNNI) and 8-bit decodes ran 5-15% faster than prefetching into
 * L2 on the 2-core EPYC machine (the 4-bit int16 kernel, compute-bound
 * there, the same). */
#define EM_QMV_PF_HINT _MM_HINT_NTA

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

/* ---- 4 bits with AVX-512 VNNI's vpdpbusd: x in three int8 levels ----
 * (qmatmul_simd.h, EM_QDOT8_ARGS). A block of 128 values is 64 bytes of
 * weights: the low nibbles (values 2j) and the high ones (2j + 1) are each 64
 * unsigned bytes, multiplied by x's even and odd values of the block; int32
 * lane i covers values 8i .. 8i + 7, so with gs 64 lanes 0-7 are one group and
 * 8-15 the next (gs 32: four groups of 4 lanes; gs 128: one). Each lane's
 * three level sums (at most 8 * 15 * 127 in magnitude: exact as floats) are
 * combined as a1 + a2 / 254 + a3 / 254^2. */
static inline __attribute__((always_inline, target("avx512vnni"))) void qdot8_b4(EM_QDOT8_ARGS)
{
    const __m512i m4 = _mm512_set1_epi8(0xF);
    const __m512 c1 = _mm512_set1_ps(1.0f / 254), c2 = _mm512_set1_ps(1.0f / (254 * 254));
    __m512 f[4], bacc[4], sdl[4];
    for (int r = 0; r < 4; r++)
        f[r] = bacc[r] = sdl[r] = _mm512_setzero_ps();
    int64_t ng = K / gs, nb = K / 128;
    /* lane i covers value 8i of the block: group 8i / gs of the block's first */
    const __m512i lane_g = _mm512_srli_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                             gs == 32 ? 2 : gs == 64 ? 3 : 4);
    int gpb = 128 / gs; /* groups per block */
    for (int64_t bk = 0; bk < nb; bk++) {
        int64_t g0 = bk * gpb; /* first group of the block */
        if ((g0 & 15) == 0) {
            int64_t c = ng - g0 < 16 ? ng - g0 : 16;
            __mmask16 m = (__mmask16)((1u << c) - 1);
            __m512 dxv = _mm512_maskz_loadu_ps(m, dx + g0), xsv = _mm512_maskz_loadu_ps(m, xs + g0);
            for (int r = 0; r < 4; r++) {
                sdl[r] = _mm512_mul_ps(qld16(s[r], st, g0, m), dxv);
                bacc[r] = _mm512_fmadd_ps(qld16(b[r], st, g0, m), xsv, bacc[r]);
            }
        }
        __m512i idx = _mm512_add_epi32(lane_g, _mm512_set1_epi32((int)(g0 & 15)));
        int64_t k = bk * 128;
        for (int o = 0; o < 256; o += 64) /* the next 4 rows (4 K / 2 bytes) at this pace */
            _mm_prefetch((const char *)pf + 2 * k + o, EM_QMV_PF_HINT);
        const int8_t *xb = xq + 3 * k;
        __m512i x1e = _mm512_loadu_si512(xb), x1o = _mm512_loadu_si512(xb + 64);
        __m512i x2e = _mm512_loadu_si512(xb + 128), x2o = _mm512_loadu_si512(xb + 192);
        __m512i x3e = _mm512_loadu_si512(xb + 256), x3o = _mm512_loadu_si512(xb + 320);
        for (int r = 0; r < 4; r++) {
            __m512i q = _mm512_loadu_si512(w[r] + k / 2);
            __m512i lo = _mm512_and_si512(q, m4), hi = _mm512_and_si512(_mm512_srli_epi16(q, 4), m4);
            __m512i z = _mm512_setzero_si512();
            __m512i a1 = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(z, lo, x1e), hi, x1o);
            __m512i a2 = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(z, lo, x2e), hi, x2o);
            __m512i a3 = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(z, lo, x3e), hi, x3o);
            __m512 v = _mm512_fmadd_ps(_mm512_cvtepi32_ps(a2), c1, _mm512_cvtepi32_ps(a1));
            v = _mm512_fmadd_ps(_mm512_cvtepi32_ps(a3), c2, v);
            f[r] = _mm512_fmadd_ps(v, _mm512_permutexvar_ps(idx, sdl[r]), f[r]);
        }
    }
    /* the four sums at once: pairs of rows interleaved, then 128-bit lanes */
    __m512 t0 = _mm512_add_ps(f[0], bacc[0]), t1 = _mm512_add_ps(f[1], bacc[1]);
    __m512 t2 = _mm512_add_ps(f[2], bacc[2]), t3 = _mm512_add_ps(f[3], bacc[3]);
    __m512 u = _mm512_add_ps(_mm512_unpacklo_ps(t0, t1), _mm512_unpackhi_ps(t0, t1));
    __m512 v = _mm512_add_ps(_mm512_unpacklo_ps(t2, t3), _mm512_unpackhi_ps(t2, t3));
    __m512 q = _mm512_add_ps(_mm512_shuffle_ps(u, v, _MM_SHUFFLE(1, 0, 1, 0)),
                             _mm512_shuffle_ps(u, v, _MM_SHUFFLE(3, 2, 3, 2)));
    __m256 h = _mm256_add_ps(_mm512_castps512_ps256(q), _mm512_extractf32x8_ps(q, 1));
    _mm_storeu_ps(res, _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1)));
}

__attribute__((target("avx512vnni"))) void em__qdot8_b4_avx512vnni(EM_QDOT8_ARGS)
{
    qdot8_b4(w, pf, s, b, st, xq, dx, xs, K, gs, res);
}

/* Rows [n0, n1) of a matrix (N rows of rb bytes; ng scales and biases a row):
 * the kernel above four rows at a time, the next four rows' scales and
 * biases and the rows pf_rows ahead (qpf) prefetched; out[n] for each row. */
__attribute__((target("avx512vnni"))) void em__qmv8_rows_b4_avx512vnni(
    const uint8_t *w, int64_t rb, const void *s, const void *b, int st, int64_t ng, const int8_t *xq,
    const float *dx, const float *xs, int64_t K, int gs, int64_t n0, int64_t n1, int64_t N, int64_t pf_rows,
    const uint8_t *tail, int64_t tail_bytes, float *out)
{
    int64_t e = st == EM_QST_F32 ? 4 : 2;
    for (int64_t r0 = n0; r0 < n1 && r0 < N; r0 += 4) {
        const uint8_t *wr[4];
        const void *sr[4], *br[4];
        int nr = qrows4(w, rb, s, b, e, ng, r0, N, wr, sr, br);
        const uint8_t *pf = qpf(w, rb, r0, pf_rows, n1, N, tail, tail_bytes);
        float res[4];
        qdot8_b4(wr, pf, sr, br, st, xq, dx, xs, K, gs, res);
        if (nr == 4) /* a fixed-size copy: inlined, not a call */
            memcpy(out + r0, res, sizeof res);
        else
            for (int r = 0; r < nr; r++)
                out[r0 + r] = res[r];
    }
}


/* x for em__qdot8_b4_avx512vnni: per group, dx = d = max|x| / 127 and
 * x = d (x1 + x2 / 254 + x3 / 254^2) with int8 levels in [-127, 127] (an
 * error of at most max|x| / (2 127 254^2) = max|x| 2^-25, below the rounding
 * of x / d in float, which the levels are computed in: max|x| 2^-24); within
 * each block of 128 values, each level's 64 even values, then its 64 odd
 * ones. xs: the group sums (in double, by lanes). gs 32, 64 or 128; K % 128
 * == 0. Float (16 lanes) rather than double: a down projection's x (4864
 * values) is prepared in 1.5 µs instead of 3.7, by the caller alone. */
void em__qmv_prep8_avx512(const float *x, int64_t M, int64_t K, int gs, int8_t *xq, float *dx, float *xs)
{
    int64_t ng = K / gs, G = M * ng;
    const __m512 sign = _mm512_castsi512_ps(_mm512_set1_epi32(0x7fffffff));
    const __m512 c127 = _mm512_set1_ps(127), m127 = _mm512_set1_ps(-127), c254 = _mm512_set1_ps(254);
#define RN (_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
    const __m512i ev = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i od = _mm512_add_epi32(ev, _mm512_set1_epi32(1));
    /* the groups' scales first, 8 at a time: computed group by group in the
     * level loop, each one's chain of reduction and divisions held it up */
    float inv[128];
    for (int64_t g0 = 0; g0 < G; g0 += 128) {
        int64_t n = G - g0 < 128 ? G - g0 : 128;
        for (int64_t g = 0; g < n; g++) {
            const float *xg = x + (g0 + g) * gs;
            __m512 mv = _mm512_setzero_ps();
            for (int k = 0; k < gs; k += 16)
                mv = _mm512_max_ps(_mm512_and_ps(_mm512_loadu_ps(xg + k), sign), mv);
            inv[g] = _mm512_reduce_max_ps(mv);
        }
        for (int64_t g = 0; g < n; g += 8) {
            __mmask8 m = (__mmask8)(n - g < 8 ? (1u << (n - g)) - 1 : 0xff);
            __m512d mx = _mm512_cvtps_pd(_mm256_maskz_loadu_ps(m, inv + g));
            __m256 d = _mm512_cvtpd_ps(_mm512_div_pd(mx, _mm512_set1_pd(127.0)));
            __m256 iv = _mm512_cvtpd_ps(_mm512_div_pd(_mm512_set1_pd(1.0), _mm512_cvtps_pd(d)));
            iv = _mm256_maskz_mov_ps(_mm512_cmp_pd_mask(mx, _mm512_setzero_pd(), _CMP_GT_OQ), iv);
            _mm256_mask_storeu_ps(dx + g0 + g, m, d);
            _mm256_mask_storeu_ps(inv + g, m, iv);
        }
        for (int64_t g = 0; g < n; g++) {
            int64_t i = g0 + g, bk = i * gs / 128, part = i * gs % 128;
            int8_t *o = xq + bk * 384;
            const float *xg = x + i * gs;
            __m512 iv = _mm512_set1_ps(inv[g]);
            /* 32 values at a time: their 16 even ones to the level's first
             * half, the odd ones to its second (straight from registers: a
             * natural-order copy re-read whole would wait on its stores) */
            for (int k = 0; k < gs; k += 32) {
                __m512 a = _mm512_loadu_ps(xg + k), b = _mm512_loadu_ps(xg + k + 16);
                __m512 h[2] = {_mm512_permutex2var_ps(a, ev, b), _mm512_permutex2var_ps(a, od, b)};
                for (int e = 0; e < 2; e++) {
                    /* rr - l1 is exact, and so (to float's rounding of a
                     * value below 127) is each residual's scaling by 254 */
                    __m512 rr = _mm512_mul_ps(h[e], iv);
                    __m512 l1 = _mm512_max_ps(_mm512_min_ps(_mm512_roundscale_ps(rr, RN), c127), m127);
                    __m512 r1 = _mm512_mul_ps(_mm512_sub_ps(rr, l1), c254);
                    __m512 l2 = _mm512_max_ps(_mm512_min_ps(_mm512_roundscale_ps(r1, RN), c127), m127);
                    __m512 l3 = _mm512_roundscale_ps(_mm512_mul_ps(_mm512_sub_ps(r1, l2), c254), RN);
                    l3 = _mm512_max_ps(_mm512_min_ps(l3, c127), m127);
                    int8_t *t = o + 64 * e + (part + k) / 2;
                    _mm_storeu_si128((__m128i *)t, _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(l1)));
                    _mm_storeu_si128((__m128i *)(t + 128), _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(l2)));
                    _mm_storeu_si128((__m128i *)(t + 256), _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(l3)));
                }
            }
        }
    }
#undef RN
    /* group sums in double, 8 lanes at a time (the order differs from a
     * running sum only below float's precision) */
    for (int64_t g = 0; g < G; g++) {
        const float *xg = x + g * gs;
        __m512d t0 = _mm512_setzero_pd(), t1 = _mm512_setzero_pd();
        for (int k = 0; k < gs; k += 16) {
            t0 = _mm512_add_pd(t0, _mm512_cvtps_pd(_mm256_loadu_ps(xg + k)));
            t1 = _mm512_add_pd(t1, _mm512_cvtps_pd(_mm256_loadu_ps(xg + k + 8)));
        }
        xs[g] = (float)_mm512_reduce_add_pd(_mm512_add_pd(t0, t1));
    }
}
