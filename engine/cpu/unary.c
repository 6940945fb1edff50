/* CPU kernels of the unary primitives. Floating ops arrive with a float input
 * (the op casts integers first); integer-valid ops take every type. */
/* glibc declares its vector math (libmvec: expf, logf, tanhf ... over 4, 8 or
 * 16 lanes) only under __FAST_MATH__; with it gcc vectorises the libm calls of
 * the rows below. Nothing else here depends on fast-math semantics. */
#ifndef __FAST_MATH__
#define __FAST_MATH__ 1
#endif
#include <math.h>

#include "elementwise.h"
#include "isa.h"

/* --- math helpers not in libm --- */
static inline double erfinv_d(double y)
{
    if (y <= -1)
        return y == -1 ? -INFINITY : NAN;
    if (y >= 1)
        return y == 1 ? INFINITY : NAN;
    /* Giles' single-precision approximation as a start, then two Newton steps
     * on erf(x) - y, which make it exact to double precision. */
    double w = -log((1.0 - y) * (1.0 + y)), x;
    if (w < 5.0) {
        w -= 2.5;
        x = 2.81022636e-08;
        x = 3.43273939e-07 + x * w;
        x = -3.5233877e-06 + x * w;
        x = -4.39150654e-06 + x * w;
        x = 0.00021858087 + x * w;
        x = -0.00125372503 + x * w;
        x = -0.00417768164 + x * w;
        x = 0.246640727 + x * w;
        x = 1.50140941 + x * w;
    } else {
        w = sqrt(w) - 3.0;
        x = -0.000200214257;
        x = 0.000100950558 + x * w;
        x = 0.00134934322 + x * w;
        x = -0.00367342844 + x * w;
        x = 0.00573950773 + x * w;
        x = -0.0076224613 + x * w;
        x = 0.00943887047 + x * w;
        x = 1.00167406 + x * w;
        x = 2.83297682 + x * w;
    }
    x *= y;
    for (int i = 0; i < 2; i++) {
        double err = erf(x) - y;
        x -= err / (1.1283791670955126 * exp(-x * x));
    }
    return x;
}

/* erf in float32 without libm calls or branches, so that its row vectorises
 * (selections are bit operations on the float's pattern: gcc does not
 * if-convert float compares under -ftrapping-math): x + x T(x^2) below 0.875;
 * 1 - erfc(|x|) from one of two degree-10 polynomials (centred on [0.875, 2]
 * and [2, 4], the coefficients chosen per lane) up to 4; 1 beyond (erfc(4) is
 * under half an ulp of 1). Within about 1 ulp of erf (tests/engine/test_erf.c
 * checks it against double erf over a dense range). Coefficients: Chebyshev
 * fits to erf in double. */
static inline uint32_t erf_bits(float f)
{
    union { float f; uint32_t u; } v = {.f = f};
    return v.u;
}
static inline float erf_float(uint32_t u)
{
    union { float f; uint32_t u; } v = {.u = u};
    return v.f;
}
/* m all ones: p, else q */
static inline float erf_pick(uint32_t m, float p, float q)
{
    return erf_float((erf_bits(p) & m) | (erf_bits(q) & ~m));
}
static inline float erf_f(float x)
{
    uint32_t xb = erf_bits(x), ab = xb & 0x7fffffffu;
    float a = erf_float(ab), u = x * x;
    float s = 8.737627666e-05f;
    s = s * u - 8.225873496e-04f;
    s = s * u + 5.208075569e-03f;
    s = s * u - 2.686214451e-02f;
    s = s * u + 1.128374400e-01f;
    s = s * u - 3.761263691e-01f;
    s = s * u + 1.283791670e-01f;
    float small = x + x * s;
    uint32_t m = 0u - (uint32_t)(ab >= 0x40000000u);          /* |x| >= 2 */
    float clamped = erf_pick(0u - (uint32_t)(ab >= 0x40800000u), 4.0f, a); /* min(|x|, 4) */
    float t = clamped - erf_pick(m, 3.0f, 1.4375f);
    float c = erf_pick(m, -2.211728966e-05f, -1.482801509e-04f);
    c = c * t + erf_pick(m, 1.413752968e-05f, -1.457560653e-03f);
    c = c * t + erf_pick(m, 1.411226016e-04f, 3.346098931e-03f);
    c = c * t + erf_pick(m, -4.179115591e-04f, 3.241761278e-03f);
    c = c * t + erf_pick(m, 7.350006869e-04f, -2.111017114e-02f);
    c = c * t + erf_pick(m, -1.004759738e-03f, 2.247778486e-02f);
    c = c * t + erf_pick(m, 1.045075533e-03f, 3.878314016e-02f);
    c = c * t + erf_pick(m, -7.911856055e-04f, -1.492248417e-01f);
    c = c * t + erf_pick(m, 4.177030629e-04f, 2.054159064e-01f);
    c = c * t + erf_pick(m, -1.391494983e-04f, -1.428980159e-01f);
    c = c * t + erf_pick(m, 2.209125638e-05f, 4.205939397e-02f);
    uint32_t big = erf_bits(1.0f - c) | (xb & 0x80000000u);
    uint32_t ms = 0u - (uint32_t)(ab < 0x3f600000u);           /* |x| < 0.875 */
    uint32_t r = (erf_bits(small) & ms) | (big & ~ms);
    uint32_t mn = 0u - (uint32_t)(ab > 0x7f800000u);           /* NaN */
    return erf_float((xb & mn) | (r & ~mn));
}

static inline float sigmoid_f(float x) { return 1.0f / (1.0f + expf(-x)); }
static inline double sigmoid_d(double x) { return 1.0 / (1.0 + exp(-x)); }
static inline float sign_f(float x) { return (float)((x > 0) - (x < 0)) + (x != x ? x : 0); }
static inline double sign_d(double x) { return (double)((x > 0) - (x < 0)) + (x != x ? x : 0); }

/* Rows for float ops: one function per (op, float dtype). */
#define FLOAT_ROW(NAME, FEXPR, DEXPR)                                              \
    FLOAT_ROW_T(NAME, EM_FLOAT16, uint16_t, float, EM_LD_F16, EM_ST_F16, FEXPR)     \
    FLOAT_ROW_T(NAME, EM_BFLOAT16, uint16_t, float, EM_LD_BF16, EM_ST_BF16, FEXPR)  \
    FLOAT_ROW_T(NAME, EM_FLOAT32, float, float, EM_LD_PLAIN, EM_ST_PLAIN, FEXPR)    \
    FLOAT_ROW_T(NAME, EM_FLOAT64, double, double, EM_LD_PLAIN, EM_ST_PLAIN, DEXPR)

#define FLOAT_ROW_T(NAME, E, ST, CT, LD, STORE, EXPR)                              \
    static void NAME##_##E(const void *in_, int64_t is, void *out_, int64_t n,    \
                           const em_params *p)                                     \
    {                                                                              \
        const ST *in = in_;                                                        \
        ST *out = out_;                                                            \
        (void)p;                                                                   \
        if (is == 1) {                                                             \
            for (int64_t i = 0; i < n; i++) {                                      \
                CT x = LD(in + i);                                                 \
                STORE(out + i, (CT)(EXPR));                                        \
            }                                                                      \
        } else {                                                                   \
            for (int64_t i = 0; i < n; i++) {                                      \
                CT x = LD(in + i * is);                                            \
                STORE(out + i, (CT)(EXPR));                                        \
            }                                                                      \
        }                                                                          \
    }

FLOAT_ROW(sqrt, sqrtf(x), sqrt(x))
FLOAT_ROW(rsqrt, 1.0f / sqrtf(x), 1.0 / sqrt(x))
FLOAT_ROW(reciprocal, 1.0f / x, 1.0 / x)
FLOAT_ROW(exp, expf(x), exp(x))
FLOAT_ROW(expm1, expm1f(x), expm1(x))
FLOAT_ROW(log, logf(x), log(x))
FLOAT_ROW(log1p, log1pf(x), log1p(x))
FLOAT_ROW(log2, log2f(x), log2(x))
FLOAT_ROW(log10, log10f(x), log10(x))
FLOAT_ROW(sin, sinf(x), sin(x))
FLOAT_ROW(cos, cosf(x), cos(x))
FLOAT_ROW(tan, tanf(x), tan(x))
FLOAT_ROW(arcsin, asinf(x), asin(x))
FLOAT_ROW(arccos, acosf(x), acos(x))
FLOAT_ROW(arctan, atanf(x), atan(x))
FLOAT_ROW(sinh, sinhf(x), sinh(x))
FLOAT_ROW(cosh, coshf(x), cosh(x))
FLOAT_ROW(tanh, tanhf(x), tanh(x))
FLOAT_ROW(arcsinh, asinhf(x), asinh(x))
FLOAT_ROW(arccosh, acoshf(x), acosh(x))
FLOAT_ROW(arctanh, atanhf(x), atanh(x))
FLOAT_ROW(sigmoid, sigmoid_f(x), sigmoid_d(x))
FLOAT_ROW(erf, erf_f(x), erf(x))
FLOAT_ROW(erfinv, (float)erfinv_d(x), erfinv_d(x))
FLOAT_ROW(ceil_f, ceilf(x), ceil(x))
FLOAT_ROW(floor_f, floorf(x), floor(x))
FLOAT_ROW(round_f, p->f[0] == 1 ? rintf(x) : (float)(rint((double)x * p->f[0]) / p->f[0]),
          p->f[0] == 1 ? rint(x) : rint(x * p->f[0]) / p->f[0])
FLOAT_ROW(abs_f, fabsf(x), fabs(x))
FLOAT_ROW(neg_f, -x, -x)
FLOAT_ROW(sign_f, sign_f(x), sign_d(x))
FLOAT_ROW(square_f, x * x, x * x)

/* Ops on every type (integer forms; floats use the rows above). */
#define ANY_ROW_T(NAME, E, ST, CT, LD, STORE, EXPR)                                \
    static void NAME##_##E(const void *in_, int64_t is, void *out_, int64_t n,    \
                           const em_params *p)                                     \
    {                                                                              \
        const ST *in = in_;                                                        \
        ST *out = out_;                                                            \
        (void)p;                                                                   \
        for (int64_t i = 0; i < n; i++) {                                          \
            CT x = LD(in + i * is);                                                \
            STORE(out + i, (CT)(EXPR));                                            \
        }                                                                          \
    }
#define INT_ROWS(NAME, EXPR)                                                       \
    ANY_ROW_T(NAME, EM_UINT8, uint8_t, uint8_t, EM_LD_PLAIN, EM_ST_PLAIN, EXPR)   \
    ANY_ROW_T(NAME, EM_UINT16, uint16_t, uint16_t, EM_LD_PLAIN, EM_ST_PLAIN, EXPR) \
    ANY_ROW_T(NAME, EM_UINT32, uint32_t, uint32_t, EM_LD_PLAIN, EM_ST_PLAIN, EXPR) \
    ANY_ROW_T(NAME, EM_UINT64, uint64_t, uint64_t, EM_LD_PLAIN, EM_ST_PLAIN, EXPR) \
    ANY_ROW_T(NAME, EM_INT8, int8_t, int8_t, EM_LD_PLAIN, EM_ST_PLAIN, EXPR)      \
    ANY_ROW_T(NAME, EM_INT16, int16_t, int16_t, EM_LD_PLAIN, EM_ST_PLAIN, EXPR)   \
    ANY_ROW_T(NAME, EM_INT32, int32_t, int32_t, EM_LD_PLAIN, EM_ST_PLAIN, EXPR)   \
    ANY_ROW_T(NAME, EM_INT64, int64_t, int64_t, EM_LD_PLAIN, EM_ST_PLAIN, EXPR)

/* Unsigned abs/sign are the identity/0-1; the expressions stay valid for both. */
INT_ROWS(abs_i, x < 0 ? -x : x)
INT_ROWS(neg_i, -x)
INT_ROWS(sign_i, (x > 0) - (x < 0))
INT_ROWS(square_i, x * x)
INT_ROWS(invert_i, ~x)
INT_ROWS(copy_i, x)
ANY_ROW_T(invert_i, EM_BOOL, uint8_t, uint8_t, EM_LD_PLAIN, EM_ST_PLAIN, !x)
ANY_ROW_T(copy_i, EM_BOOL, uint8_t, uint8_t, EM_LD_PLAIN, EM_ST_PLAIN, x)
ANY_ROW_T(abs_i, EM_BOOL, uint8_t, uint8_t, EM_LD_PLAIN, EM_ST_PLAIN, x)
ANY_ROW_T(sign_i, EM_BOOL, uint8_t, uint8_t, EM_LD_PLAIN, EM_ST_PLAIN, x)
ANY_ROW_T(square_i, EM_BOOL, uint8_t, uint8_t, EM_LD_PLAIN, EM_ST_PLAIN, x)

/* Predicates: any type in, bool out. */
#define PRED_ROW_T(NAME, E, ST, CT, LD, STORE, EXPR)                               \
    static void NAME##_##E(const void *in_, int64_t is, void *out_, int64_t n,    \
                           const em_params *p)                                     \
    {                                                                              \
        const ST *in = in_;                                                        \
        uint8_t *out = out_;                                                       \
        (void)p;                                                                   \
        for (int64_t i = 0; i < n; i++) {                                          \
            CT x = LD(in + i * is);                                                \
            out[i] = (EXPR) ? 1 : 0;                                               \
        }                                                                          \
    }
#define PRED_ROWS(NAME, EXPR)                                                      \
    EM_FOR_ALL_DTYPES_PRED(NAME, EXPR)
#define EM_FOR_ALL_DTYPES_PRED(NAME, EXPR)                                         \
    PRED_ROW_T(NAME, EM_BOOL, uint8_t, double, EM_LD_PLAIN, , EXPR)               \
    PRED_ROW_T(NAME, EM_UINT8, uint8_t, double, EM_LD_PLAIN, , EXPR)              \
    PRED_ROW_T(NAME, EM_UINT16, uint16_t, double, EM_LD_PLAIN, , EXPR)            \
    PRED_ROW_T(NAME, EM_UINT32, uint32_t, double, EM_LD_PLAIN, , EXPR)            \
    PRED_ROW_T(NAME, EM_UINT64, uint64_t, double, EM_LD_PLAIN, , EXPR)            \
    PRED_ROW_T(NAME, EM_INT8, int8_t, double, EM_LD_PLAIN, , EXPR)                \
    PRED_ROW_T(NAME, EM_INT16, int16_t, double, EM_LD_PLAIN, , EXPR)              \
    PRED_ROW_T(NAME, EM_INT32, int32_t, double, EM_LD_PLAIN, , EXPR)              \
    PRED_ROW_T(NAME, EM_INT64, int64_t, double, EM_LD_PLAIN, , EXPR)              \
    PRED_ROW_T(NAME, EM_FLOAT16, uint16_t, float, EM_LD_F16, , EXPR)              \
    PRED_ROW_T(NAME, EM_BFLOAT16, uint16_t, float, EM_LD_BF16, , EXPR)            \
    PRED_ROW_T(NAME, EM_FLOAT32, float, float, EM_LD_PLAIN, , EXPR)               \
    PRED_ROW_T(NAME, EM_FLOAT64, double, double, EM_LD_PLAIN, , EXPR)

PRED_ROWS(isnan, x != x)
PRED_ROWS(isinf, isinf(x))
PRED_ROWS(isfinite, isfinite(x))
PRED_ROWS(isposinf, isinf(x) && x > 0)
PRED_ROWS(isneginf, isinf(x) && x < 0)
PRED_ROWS(logical_not, x == 0)

/* --- astype: every pair of types --- */
#define CAST_ROW(SE, SST, SCT, SLD, SSTORE, DE, DST, DCT, DLD, DSTORE)             \
    static void cast_##SE##_##DE(const void *in_, int64_t is, void *out_, int64_t n, \
                                 const em_params *p)                               \
    {                                                                              \
        const SST *in = in_;                                                       \
        DST *out = out_;                                                           \
        (void)p;                                                                   \
        for (int64_t i = 0; i < n; i++) {                                          \
            SCT x = SLD(in + i * is);                                              \
            DSTORE(out + i, cast_value_##DE(x));                                    \
        }                                                                          \
    }

/* Float to integer saturates (C leaves it undefined); to bool is "!= 0". */
#define SAT(T, LO, HI)                                                             \
    (x != x ? (T)0 : (double)x <= (double)(LO) ? (T)(LO) : (double)x >= (double)(HI) ? (T)(HI) : (T)x)
#define cast_value_EM_BOOL(v) ((uint8_t)((v) != 0))
#define cast_value_EM_UINT8(v) ((uint8_t)(v))
#define cast_value_EM_UINT16(v) ((uint16_t)(v))
#define cast_value_EM_UINT32(v) ((uint32_t)(v))
#define cast_value_EM_UINT64(v) ((uint64_t)(v))
#define cast_value_EM_INT8(v) ((int8_t)(v))
#define cast_value_EM_INT16(v) ((int16_t)(v))
#define cast_value_EM_INT32(v) ((int32_t)(v))
#define cast_value_EM_INT64(v) ((int64_t)(v))
#define cast_value_EM_FLOAT16(v) ((float)(v))
#define cast_value_EM_BFLOAT16(v) ((float)(v))
#define cast_value_EM_FLOAT32(v) ((float)(v))
#define cast_value_EM_FLOAT64(v) ((double)(v))

/* Float sources convert to integers through a saturating step. */
#define FCAST_ROW(SE, SST, SCT, SLD, DE, DST, LO, HI)                              \
    static void cast_##SE##_##DE(const void *in_, int64_t is, void *out_, int64_t n, \
                                 const em_params *p)                               \
    {                                                                              \
        const SST *in = in_;                                                       \
        DST *out = out_;                                                           \
        (void)p;                                                                   \
        for (int64_t i = 0; i < n; i++) {                                          \
            SCT x = SLD(in + i * is);                                              \
            out[i] = SAT(DST, LO, HI);                                             \
        }                                                                          \
    }

#define CAST_FROM(SE, SST, SCT, SLD, SSTORE)                                       \
    CAST_ROW(SE, SST, SCT, SLD, SSTORE, EM_BOOL, uint8_t, uint8_t, EM_LD_PLAIN, EM_ST_PLAIN) \
    CAST_ROW(SE, SST, SCT, SLD, SSTORE, EM_FLOAT16, uint16_t, float, EM_LD_F16, EM_ST_F16) \
    CAST_ROW(SE, SST, SCT, SLD, SSTORE, EM_BFLOAT16, uint16_t, float, EM_LD_BF16, EM_ST_BF16) \
    CAST_ROW(SE, SST, SCT, SLD, SSTORE, EM_FLOAT32, float, float, EM_LD_PLAIN, EM_ST_PLAIN) \
    CAST_ROW(SE, SST, SCT, SLD, SSTORE, EM_FLOAT64, double, double, EM_LD_PLAIN, EM_ST_PLAIN)

#define CAST_INT_TO_INT(SE, SST, SCT, SLD, SSTORE)                                 \
    CAST_ROW(SE, SST, SCT, SLD, SSTORE, EM_UINT8, uint8_t, uint8_t, EM_LD_PLAIN, EM_ST_PLAIN) \
    CAST_ROW(SE, SST, SCT, SLD, SSTORE, EM_UINT16, uint16_t, uint16_t, EM_LD_PLAIN, EM_ST_PLAIN) \
    CAST_ROW(SE, SST, SCT, SLD, SSTORE, EM_UINT32, uint32_t, uint32_t, EM_LD_PLAIN, EM_ST_PLAIN) \
    CAST_ROW(SE, SST, SCT, SLD, SSTORE, EM_UINT64, uint64_t, uint64_t, EM_LD_PLAIN, EM_ST_PLAIN) \
    CAST_ROW(SE, SST, SCT, SLD, SSTORE, EM_INT8, int8_t, int8_t, EM_LD_PLAIN, EM_ST_PLAIN) \
    CAST_ROW(SE, SST, SCT, SLD, SSTORE, EM_INT16, int16_t, int16_t, EM_LD_PLAIN, EM_ST_PLAIN) \
    CAST_ROW(SE, SST, SCT, SLD, SSTORE, EM_INT32, int32_t, int32_t, EM_LD_PLAIN, EM_ST_PLAIN) \
    CAST_ROW(SE, SST, SCT, SLD, SSTORE, EM_INT64, int64_t, int64_t, EM_LD_PLAIN, EM_ST_PLAIN)

#define CAST_FLOAT_TO_INT(SE, SST, SCT, SLD, SSTORE)                               \
    FCAST_ROW(SE, SST, SCT, SLD, EM_UINT8, uint8_t, 0, UINT8_MAX)                  \
    FCAST_ROW(SE, SST, SCT, SLD, EM_UINT16, uint16_t, 0, UINT16_MAX)               \
    FCAST_ROW(SE, SST, SCT, SLD, EM_UINT32, uint32_t, 0, UINT32_MAX)               \
    FCAST_ROW(SE, SST, SCT, SLD, EM_UINT64, uint64_t, 0, 18446744073709549568.0)   \
    FCAST_ROW(SE, SST, SCT, SLD, EM_INT8, int8_t, INT8_MIN, INT8_MAX)              \
    FCAST_ROW(SE, SST, SCT, SLD, EM_INT16, int16_t, INT16_MIN, INT16_MAX)          \
    FCAST_ROW(SE, SST, SCT, SLD, EM_INT32, int32_t, INT32_MIN, INT32_MAX)          \
    FCAST_ROW(SE, SST, SCT, SLD, EM_INT64, int64_t, INT64_MIN, 9223372036854774784.0)

#define CAST_ALL_FROM_INT(E, ST, CT, LD, STORE) CAST_FROM(E, ST, CT, LD, STORE) CAST_INT_TO_INT(E, ST, CT, LD, STORE)
#define CAST_ALL_FROM_FLOAT(E, ST, CT, LD, STORE) CAST_FROM(E, ST, CT, LD, STORE) CAST_FLOAT_TO_INT(E, ST, CT, LD, STORE)
EM_FOR_BOOL_DTYPE(CAST_ALL_FROM_INT)
EM_FOR_INT_DTYPES(CAST_ALL_FROM_INT)
EM_FOR_FLOAT_DTYPES(CAST_ALL_FROM_FLOAT)

/* --- tables and kernels --- */
typedef em_unary_row row_table[EM_DTYPE_COUNT];

#define F_ENTRIES(NAME)                                                            \
    [EM_FLOAT16] = NAME##_EM_FLOAT16, [EM_BFLOAT16] = NAME##_EM_BFLOAT16,          \
    [EM_FLOAT32] = NAME##_EM_FLOAT32, [EM_FLOAT64] = NAME##_EM_FLOAT64
#define I_ENTRIES(NAME)                                                            \
    [EM_UINT8] = NAME##_EM_UINT8, [EM_UINT16] = NAME##_EM_UINT16,                  \
    [EM_UINT32] = NAME##_EM_UINT32, [EM_UINT64] = NAME##_EM_UINT64,                \
    [EM_INT8] = NAME##_EM_INT8, [EM_INT16] = NAME##_EM_INT16,                      \
    [EM_INT32] = NAME##_EM_INT32, [EM_INT64] = NAME##_EM_INT64
#define ALL_ENTRIES(NAME) [EM_BOOL] = NAME##_EM_BOOL, I_ENTRIES(NAME), F_ENTRIES(NAME)

static const row_table rows[EM_P_COUNT] = {
    [EM_P_ABS] = {[EM_BOOL] = abs_i_EM_BOOL, I_ENTRIES(abs_i), F_ENTRIES(abs_f)},
    [EM_P_NEGATIVE] = {I_ENTRIES(neg_i), F_ENTRIES(neg_f)},
    [EM_P_SIGN] = {[EM_BOOL] = sign_i_EM_BOOL, I_ENTRIES(sign_i), F_ENTRIES(sign_f)},
    [EM_P_SQUARE] = {[EM_BOOL] = square_i_EM_BOOL, I_ENTRIES(square_i), F_ENTRIES(square_f)},
    [EM_P_SQRT] = {F_ENTRIES(sqrt)},
    [EM_P_RSQRT] = {F_ENTRIES(rsqrt)},
    [EM_P_RECIPROCAL] = {F_ENTRIES(reciprocal)},
    [EM_P_EXP] = {F_ENTRIES(exp)},
    [EM_P_EXPM1] = {F_ENTRIES(expm1)},
    [EM_P_LOG] = {F_ENTRIES(log)},
    [EM_P_LOG1P] = {F_ENTRIES(log1p)},
    [EM_P_LOG2] = {F_ENTRIES(log2)},
    [EM_P_LOG10] = {F_ENTRIES(log10)},
    [EM_P_SIN] = {F_ENTRIES(sin)},
    [EM_P_COS] = {F_ENTRIES(cos)},
    [EM_P_TAN] = {F_ENTRIES(tan)},
    [EM_P_ARCSIN] = {F_ENTRIES(arcsin)},
    [EM_P_ARCCOS] = {F_ENTRIES(arccos)},
    [EM_P_ARCTAN] = {F_ENTRIES(arctan)},
    [EM_P_SINH] = {F_ENTRIES(sinh)},
    [EM_P_COSH] = {F_ENTRIES(cosh)},
    [EM_P_TANH] = {F_ENTRIES(tanh)},
    [EM_P_ARCSINH] = {F_ENTRIES(arcsinh)},
    [EM_P_ARCCOSH] = {F_ENTRIES(arccosh)},
    [EM_P_ARCTANH] = {F_ENTRIES(arctanh)},
    [EM_P_SIGMOID] = {F_ENTRIES(sigmoid)},
    [EM_P_ERF] = {F_ENTRIES(erf)},
    [EM_P_ERFINV] = {F_ENTRIES(erfinv)},
    [EM_P_FLOOR] = {[EM_BOOL] = copy_i_EM_BOOL, I_ENTRIES(copy_i), F_ENTRIES(floor_f)},
    [EM_P_CEIL] = {[EM_BOOL] = copy_i_EM_BOOL, I_ENTRIES(copy_i), F_ENTRIES(ceil_f)},
    [EM_P_ROUND] = {[EM_BOOL] = copy_i_EM_BOOL, I_ENTRIES(copy_i), F_ENTRIES(round_f)},
    [EM_P_ISNAN] = {ALL_ENTRIES(isnan)},
    [EM_P_ISINF] = {ALL_ENTRIES(isinf)},
    [EM_P_ISFINITE] = {ALL_ENTRIES(isfinite)},
    [EM_P_ISPOSINF] = {ALL_ENTRIES(isposinf)},
    [EM_P_ISNEGINF] = {ALL_ENTRIES(isneginf)},
    [EM_P_LOGICAL_NOT] = {ALL_ENTRIES(logical_not)},
    [EM_P_BITWISE_INVERT] = {[EM_BOOL] = invert_i_EM_BOOL, I_ENTRIES(invert_i)},
};

#define CAST_ENTRIES(SE)                                                           \
    {[EM_BOOL] = cast_##SE##_EM_BOOL, [EM_UINT8] = cast_##SE##_EM_UINT8,           \
     [EM_UINT16] = cast_##SE##_EM_UINT16, [EM_UINT32] = cast_##SE##_EM_UINT32,     \
     [EM_UINT64] = cast_##SE##_EM_UINT64, [EM_INT8] = cast_##SE##_EM_INT8,         \
     [EM_INT16] = cast_##SE##_EM_INT16, [EM_INT32] = cast_##SE##_EM_INT32,         \
     [EM_INT64] = cast_##SE##_EM_INT64, [EM_FLOAT16] = cast_##SE##_EM_FLOAT16,     \
     [EM_BFLOAT16] = cast_##SE##_EM_BFLOAT16, [EM_FLOAT32] = cast_##SE##_EM_FLOAT32, \
     [EM_FLOAT64] = cast_##SE##_EM_FLOAT64}

static const row_table casts[EM_DTYPE_COUNT] = {
    [EM_BOOL] = CAST_ENTRIES(EM_BOOL),
    [EM_UINT8] = CAST_ENTRIES(EM_UINT8),
    [EM_UINT16] = CAST_ENTRIES(EM_UINT16),
    [EM_UINT32] = CAST_ENTRIES(EM_UINT32),
    [EM_UINT64] = CAST_ENTRIES(EM_UINT64),
    [EM_INT8] = CAST_ENTRIES(EM_INT8),
    [EM_INT16] = CAST_ENTRIES(EM_INT16),
    [EM_INT32] = CAST_ENTRIES(EM_INT32),
    [EM_INT64] = CAST_ENTRIES(EM_INT64),
    [EM_FLOAT16] = CAST_ENTRIES(EM_FLOAT16),
    [EM_BFLOAT16] = CAST_ENTRIES(EM_BFLOAT16),
    [EM_FLOAT32] = CAST_ENTRIES(EM_FLOAT32),
    [EM_FLOAT64] = CAST_ENTRIES(EM_FLOAT64),
};

em_unary_row EM_ISA_FN(em__cpu_unary_row)(em_prim_id prim, em_dtype in, em_dtype out)
{
    if (prim == EM_P_ASTYPE || prim == EM_P_STOP_GRADIENT)
        return casts[in][out];
    return rows[prim][in];
}

#if EM_ISA_IS_BASE
static int unary_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                        const em_params *p)
{
    em_array *out = outs[0], *in = ins[0];
    em_unary_row row = em__cpu_unary_row((em_prim_id)out->orig_prim, (em_dtype)in->dtype,
                                         (em_dtype)out->dtype);
    if (!row)
        return em__error("%s: no CPU kernel for %s", em_prims[out->orig_prim].name,
                         em_dtype_name((em_dtype)in->dtype));
    em_params one = {.f = {1}};
    return em__run_unary(out, in, row, p ? p : &one);
}

__attribute__((constructor)) static void register_unary(void)
{
    for (int id = EM_P_ABS; id <= EM_P_STOP_GRADIENT; id++)
        em__cpu_register((em_prim_id)id, unary_kernel);
}
#endif
