/* Body of the AVX-512 dot kernels of quantized matmul (qmatmul_simd.h),
 * included twice by qmatmul_avx512.c: QDOT_NAME names the build and
 * QDOT_DP(acc, a, b) adds the pairwise int16 products of a and b to acc's
 * int32 lanes (vpdpwssd with VNNI, vpmaddwd + vpaddd without). */

/* Every 16 groups: the 4 rows' scales times dx into sdl, and their biases
 * times xs into bacc. */
#define QDOT_SCALES()                                                                     \
    if ((g & 15) == 0) {                                                                  \
        int64_t c = ng - g < 16 ? ng - g : 16;                                            \
        __mmask16 m = (__mmask16)((1u << c) - 1);                                         \
        __m512 dxv = _mm512_maskz_loadu_ps(m, dx + g), xsv = _mm512_maskz_loadu_ps(m, xs + g); \
        for (int r = 0; r < 4; r++) {                                                     \
            _mm512_storeu_ps(sdl[r], _mm512_mul_ps(qld16(s[r], st, g, m), dxv));          \
            bacc[r] = _mm512_fmadd_ps(qld16(b[r], st, g, m), xsv, bacc[r]);               \
        }                                                                                 \
    }

/* res[r] = the sum of f[r] + bacc[r]'s lanes, the four at once (pairs of
 * rows interleaved, then 128-bit lanes) */
static inline __attribute__((always_inline)) QDOT_ATTR void QDOT_NAME(sum4)(const __m512 f[4],
                                                                          const __m512 bacc[4], float res[4])
{
    __m512 t0 = _mm512_add_ps(f[0], bacc[0]), t1 = _mm512_add_ps(f[1], bacc[1]);
    __m512 t2 = _mm512_add_ps(f[2], bacc[2]), t3 = _mm512_add_ps(f[3], bacc[3]);
    __m512 u = _mm512_add_ps(_mm512_unpacklo_ps(t0, t1), _mm512_unpackhi_ps(t0, t1));
    __m512 v = _mm512_add_ps(_mm512_unpacklo_ps(t2, t3), _mm512_unpackhi_ps(t2, t3));
    __m512 q = _mm512_add_ps(_mm512_shuffle_ps(u, v, _MM_SHUFFLE(1, 0, 1, 0)),
                             _mm512_shuffle_ps(u, v, _MM_SHUFFLE(3, 2, 3, 2)));
    __m256 h = _mm256_add_ps(_mm512_castps512_ps256(q), _mm512_extractf32x8_ps(q, 1));
    _mm_storeu_ps(res, _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1)));
}

/* groups of gs = 64 bpg values (bpg a constant where inlined) */
static inline __attribute__((always_inline)) QDOT_ATTR void QDOT_NAME(b4_groups)(
    const uint8_t *const w[4], const uint8_t *pf, const void *const s[4], const void *const b[4],
    int st, const int16_t *xh, const int16_t *xl, const float *dx, const float *xs, int64_t ng,
    int gs, const int bpg, __m512 f[4], __m512 bacc[4])
{
    const __m512i m4 = _mm512_set1_epi16(0xF);
    const __m512 lo_w = _mm512_set1_ps(1.0f / 32768);
    float sdl[4][16];
    for (int64_t g = 0; g < ng; g++) {
        QDOT_SCALES()
        __m512i ah[4], al[4];
        for (int r = 0; r < 4; r++)
            ah[r] = al[r] = _mm512_setzero_si512();
        for (int bb = 0; bb < bpg; bb++) {
            int64_t k = g * gs + bb * 64;
            _mm_prefetch((const char *)pf + 2 * k, EM_QMV_PF_HINT);
            _mm_prefetch((const char *)pf + 2 * k + 64, EM_QMV_PF_HINT);
            __m512i xhe = _mm512_loadu_si512(xh + k), xho = _mm512_loadu_si512(xh + k + 32);
            __m512i xle = _mm512_loadu_si512(xl + k), xlo = _mm512_loadu_si512(xl + k + 32);
            for (int r = 0; r < 4; r++) {
                __m512i q = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(w[r] + k / 2)));
                __m512i lo = _mm512_and_si512(q, m4), hi = _mm512_srli_epi16(q, 4);
                ah[r] = QDOT_DP(QDOT_DP(ah[r], lo, xhe), hi, xho);
                al[r] = QDOT_DP(QDOT_DP(al[r], lo, xle), hi, xlo);
            }
        }
        for (int r = 0; r < 4; r++) {
            __m512 v = _mm512_fmadd_ps(_mm512_cvtepi32_ps(al[r]), lo_w, _mm512_cvtepi32_ps(ah[r]));
            f[r] = _mm512_fmadd_ps(v, _mm512_set1_ps(sdl[r][g & 15]), f[r]);
        }
    }
}

/* 4 bits: a block of 64 values is 32 bytes; zero-extended to 32 words, the
 * low nibbles are the even values and the high ones the odd values; int32
 * lane i of the products covers values 4i..4i+3 of the block. */
QDOT_ATTR void QDOT_NAME(em__qdot_b4)(EM_QDOT_ARGS)
{
    const __m512i m4 = _mm512_set1_epi16(0xF);
    const __m512 lo_w = _mm512_set1_ps(1.0f / 32768);
    __m512 f[4], bacc[4];
    float sdl[4][16];
    for (int r = 0; r < 4; r++)
        f[r] = bacc[r] = _mm512_setzero_ps();
    int64_t ng = K / gs;
    if (gs == 32) { /* two groups a block: lanes 0-7 and 8-15 */
        for (int64_t g = 0; g < ng; g += 2) {
            QDOT_SCALES()
            int64_t k = g * 32;
            _mm_prefetch((const char *)pf + 2 * k, EM_QMV_PF_HINT);
            _mm_prefetch((const char *)pf + 2 * k + 64, EM_QMV_PF_HINT);
            __m512i xhe = _mm512_loadu_si512(xh + k), xho = _mm512_loadu_si512(xh + k + 32);
            __m512i xle = _mm512_loadu_si512(xl + k), xlo = _mm512_loadu_si512(xl + k + 32);
            for (int r = 0; r < 4; r++) {
                __m512i q = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(w[r] + k / 2)));
                __m512i lo = _mm512_and_si512(q, m4), hi = _mm512_srli_epi16(q, 4);
                __m512i ah = QDOT_DP(QDOT_DP(_mm512_setzero_si512(), lo, xhe), hi, xho);
                __m512i al = QDOT_DP(QDOT_DP(_mm512_setzero_si512(), lo, xle), hi, xlo);
                __m512 v = _mm512_fmadd_ps(_mm512_cvtepi32_ps(al), lo_w, _mm512_cvtepi32_ps(ah));
                __m512 sc = _mm512_insertf32x8(_mm512_set1_ps(sdl[r][g & 15]),
                                               _mm256_set1_ps(sdl[r][(g & 15) + 1]), 1);
                f[r] = _mm512_fmadd_ps(v, sc, f[r]);
            }
        }
    } else if (gs == 64) {
        QDOT_NAME(b4_groups)(w, pf, s, b, st, xh, xl, dx, xs, ng, gs, 1, f, bacc);
    } else {
        QDOT_NAME(b4_groups)(w, pf, s, b, st, xh, xl, dx, xs, ng, gs, 2, f, bacc);
    }
    for (int r = 0; r < 4; r++)
        res[r] = _mm512_reduce_add_ps(_mm512_add_ps(f[r], bacc[r]));
}

/* 8 bits: a block of 32 values is 32 bytes, zero-extended to 32 words in
 * order; lane i covers values 2i, 2i + 1. */
static inline __attribute__((always_inline)) QDOT_ATTR void QDOT_NAME(qdot_b8)(EM_QDOT_ARGS)
{
    const __m512 lo_w = _mm512_set1_ps(1.0f / 32768);
    __m512 f[4], bacc[4];
    float sdl[4][16];
    for (int r = 0; r < 4; r++)
        f[r] = bacc[r] = _mm512_setzero_ps();
    int64_t ng = K / gs;
    int bpg = gs / 32;
    for (int64_t g = 0; g < ng; g++) {
        QDOT_SCALES()
        __m512i ah[4], al[4];
        for (int r = 0; r < 4; r++)
            ah[r] = al[r] = _mm512_setzero_si512();
        for (int bb = 0; bb < bpg; bb++) {
            int64_t k = g * gs + bb * 32;
            _mm_prefetch((const char *)pf + 4 * k, EM_QMV_PF_HINT);
            _mm_prefetch((const char *)pf + 4 * k + 64, EM_QMV_PF_HINT);
            __m512i xhv = _mm512_loadu_si512(xh + k), xlv = _mm512_loadu_si512(xl + k);
            for (int r = 0; r < 4; r++) {
                __m512i q = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(w[r] + k)));
                ah[r] = QDOT_DP(ah[r], q, xhv);
                al[r] = QDOT_DP(al[r], q, xlv);
            }
        }
        for (int r = 0; r < 4; r++) {
            __m512 v = _mm512_fmadd_ps(_mm512_cvtepi32_ps(al[r]), lo_w, _mm512_cvtepi32_ps(ah[r]));
            f[r] = _mm512_fmadd_ps(v, _mm512_set1_ps(sdl[r][g & 15]), f[r]);
        }
    }
    QDOT_NAME(sum4)(f, bacc, res);
}

QDOT_ATTR void QDOT_NAME(em__qdot_b8)(EM_QDOT_ARGS)
{
    QDOT_NAME(qdot_b8)(w, pf, s, b, st, xh, xl, dx, xs, K, gs, res);
}

/* Rows [n0, n1) of an 8-bit matrix (N rows of rb bytes, ng scales a row),
 * four at a time, prefetching pf_rows ahead (qpf) and the next rows' scales:
 * out[n]. */
QDOT_ATTR void QDOT_NAME(em__qmv_rows_b8)(const uint8_t *w, int64_t rb, const void *s, const void *b, int st,
                                          int64_t ng, const int16_t *xh, const int16_t *xl, const float *dx,
                                          const float *xs, int64_t K, int gs, int64_t n0, int64_t n1,
                                          int64_t N, int64_t pf_rows, const uint8_t *tail,
                                          int64_t tail_bytes, float *out)
{
    int64_t e = st == EM_QST_F32 ? 4 : 2;
    for (int64_t r0 = n0; r0 < n1 && r0 < N; r0 += 4) {
        const uint8_t *wr[4];
        const void *sr[4], *br[4];
        int nr = qrows4(w, rb, s, b, e, ng, r0, N, wr, sr, br);
        const uint8_t *pf = qpf(w, rb, r0, pf_rows, n1, N, tail, tail_bytes);
        float res[4];
        QDOT_NAME(qdot_b8)(wr, pf, sr, br, st, xh, xl, dx, xs, K, gs, res);
        if (nr == 4) /* a fixed-size copy: inlined, not a call */
            memcpy(out + r0, res, sizeof res);
        else
            for (int r = 0; r < nr; r++)
                out[r0 + r] = res[r];
    }
}
#undef QDOT_SCALES
