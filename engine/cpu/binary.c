/* CPU kernels of the binary primitives and of where (select). Both operands
 * arrive with the same type (the op promotes them); comparisons and logical ops
 * write bool. */
/* See unary.c: glibc's vector math for the rows' libm calls. */
#ifndef __FAST_MATH__
#define __FAST_MATH__ 1
#endif
#include <math.h>

#include "elementwise.h"
#include "isa.h"

/* Integer division as numpy: floor semantics, x/0 = 0, and MIN/-1 wraps. */
#define IDIV(T, a, b) ((b) == 0 ? (T)0 : idiv_floor_##T((a), (b)))
#define DEF_IDIV(T)                                                                \
    static inline T idiv_floor_##T(T a, T b)                                       \
    {                                                                              \
        if ((T)-1 < (T)0 && b == (T)-1)                                            \
            return (T)(0 - (uint64_t)a);                                           \
        T q = a / b;                                                               \
        if ((T)-1 < (T)0 && (a % b != 0) && ((a < 0) != (b < 0)))                  \
            q--;                                                                   \
        return q;                                                                  \
    }                                                                              \
    static inline T imod_##T(T a, T b)                                             \
    {                                                                              \
        if (b == 0 || ((T)-1 < (T)0 && b == (T)-1))                                \
            return 0;                                                              \
        T r = a % b;                                                               \
        if ((T)-1 < (T)0 && r != 0 && ((r < 0) != (b < 0)))                        \
            r += b;                                                                \
        return r;                                                                  \
    }                                                                              \
    static inline T ipow_##T(T a, T b)                                             \
    {                                                                              \
        if ((T)-1 < (T)0 && b < 0)                                                 \
            return a == 1 ? 1 : a == (T)-1 ? ((b & 1) ? (T)-1 : 1) : 0;            \
        T r = 1;                                                                   \
        uint64_t e = (uint64_t)b;                                                  \
        while (e) {                                                                \
            if (e & 1)                                                             \
                r = (T)((uint64_t)r * (uint64_t)a);                                \
            a = (T)((uint64_t)a * (uint64_t)a);                                    \
            e >>= 1;                                                               \
        }                                                                          \
        return r;                                                                  \
    }
DEF_IDIV(uint8_t)
DEF_IDIV(uint16_t)
DEF_IDIV(uint32_t)
DEF_IDIV(uint64_t)
DEF_IDIV(int8_t)
DEF_IDIV(int16_t)
DEF_IDIV(int32_t)
DEF_IDIV(int64_t)

static inline float fmod_py_f(float a, float b)
{
    float r = fmodf(a, b);
    if (r != 0 && ((r < 0) != (b < 0)))
        r += b;
    return r;
}
static inline double fmod_py_d(double a, double b)
{
    double r = fmod(a, b);
    if (r != 0 && ((r < 0) != (b < 0)))
        r += b;
    return r;
}
static inline float logaddexp_f(float a, float b)
{
    float m = a > b ? a : b;
    if (isinf(m) && m < 0)
        return m;
    if (isinf(m))
        return m;
    return m + log1pf(expf(-fabsf(a - b)));
}
static inline double logaddexp_d(double a, double b)
{
    double m = a > b ? a : b;
    if (isinf(m))
        return m;
    return m + log1p(exp(-fabs(a - b)));
}
/* numpy's maximum/minimum propagate NaN. */
#define FMAX(a, b) ((a) != (a) || (a) > (b) ? (a) : (b))
#define FMIN(a, b) ((a) != (a) || (a) < (b) ? (a) : (b))
#define IMAX(a, b) ((a) > (b) ? (a) : (b))
#define IMIN(a, b) ((a) < (b) ? (a) : (b))

/* Row function: out[i] = EXPR(x, y). OT is the output storage type. */
#define ROW(NAME, E, ST, CT, LD, STORE, OT, OSTORE, EXPR)                          \
    static void NAME##_##E(const void *a_, int64_t as, const void *b_, int64_t bs, \
                           void *out_, int64_t n, const em_params *p)              \
    {                                                                              \
        const ST *a = a_;                                                          \
        const ST *b = b_;                                                          \
        OT *out = out_;                                                            \
        (void)p;                                                                   \
        if (as == 1 && bs == 1) {                                                  \
            for (int64_t i = 0; i < n; i++) {                                      \
                CT x = LD(a + i), y = LD(b + i);                                   \
                OSTORE(out + i, EXPR);                                             \
            }                                                                      \
        } else if (as == 1 && bs == 0) {                                           \
            CT y = LD(b);                                                          \
            for (int64_t i = 0; i < n; i++) {                                      \
                CT x = LD(a + i);                                                  \
                OSTORE(out + i, EXPR);                                             \
            }                                                                      \
        } else if (as == 0 && bs == 1) {                                           \
            CT x = LD(a);                                                          \
            for (int64_t i = 0; i < n; i++) {                                      \
                CT y = LD(b + i);                                                  \
                OSTORE(out + i, EXPR);                                             \
            }                                                                      \
        } else {                                                                   \
            for (int64_t i = 0; i < n; i++) {                                      \
                CT x = LD(a + i * as), y = LD(b + i * bs);                         \
                OSTORE(out + i, EXPR);                                             \
            }                                                                      \
        }                                                                          \
    }
#define BOOL_ST(p, v) (*(p) = (uint8_t)((v) ? 1 : 0))

/* Same-type output. */
#define SROW(NAME, E, ST, CT, LD, STORE, EXPR) ROW(NAME, E, ST, CT, LD, STORE, ST, STORE, (CT)(EXPR))
/* Bool output. */
#define BROW(NAME, E, ST, CT, LD, STORE, EXPR) ROW(NAME, E, ST, CT, LD, STORE, uint8_t, BOOL_ST, EXPR)

#define FOR_FLOATS(M, NAME, FEXPR, DEXPR)                                          \
    M(NAME, EM_FLOAT16, uint16_t, float, EM_LD_F16, EM_ST_F16, FEXPR)               \
    M(NAME, EM_BFLOAT16, uint16_t, float, EM_LD_BF16, EM_ST_BF16, FEXPR)            \
    M(NAME, EM_FLOAT32, float, float, EM_LD_PLAIN, EM_ST_PLAIN, FEXPR)              \
    M(NAME, EM_FLOAT64, double, double, EM_LD_PLAIN, EM_ST_PLAIN, DEXPR)
#define FOR_INTS(M, NAME, EXPR)                                                    \
    M(NAME, EM_UINT8, uint8_t, uint8_t, EM_LD_PLAIN, EM_ST_PLAIN, EXPR)            \
    M(NAME, EM_UINT16, uint16_t, uint16_t, EM_LD_PLAIN, EM_ST_PLAIN, EXPR)         \
    M(NAME, EM_UINT32, uint32_t, uint32_t, EM_LD_PLAIN, EM_ST_PLAIN, EXPR)         \
    M(NAME, EM_UINT64, uint64_t, uint64_t, EM_LD_PLAIN, EM_ST_PLAIN, EXPR)         \
    M(NAME, EM_INT8, int8_t, int8_t, EM_LD_PLAIN, EM_ST_PLAIN, EXPR)               \
    M(NAME, EM_INT16, int16_t, int16_t, EM_LD_PLAIN, EM_ST_PLAIN, EXPR)            \
    M(NAME, EM_INT32, int32_t, int32_t, EM_LD_PLAIN, EM_ST_PLAIN, EXPR)            \
    M(NAME, EM_INT64, int64_t, int64_t, EM_LD_PLAIN, EM_ST_PLAIN, EXPR)
#define FOR_BOOL(M, NAME, EXPR) M(NAME, EM_BOOL, uint8_t, uint8_t, EM_LD_PLAIN, EM_ST_PLAIN, EXPR)
/* Integer rows that need the C type's name (division helpers). */
#define FOR_INTS_T(M, NAME, TEXPR)                                                 \
    M(NAME, EM_UINT8, uint8_t, uint8_t, EM_LD_PLAIN, EM_ST_PLAIN, TEXPR(uint8_t))  \
    M(NAME, EM_UINT16, uint16_t, uint16_t, EM_LD_PLAIN, EM_ST_PLAIN, TEXPR(uint16_t)) \
    M(NAME, EM_UINT32, uint32_t, uint32_t, EM_LD_PLAIN, EM_ST_PLAIN, TEXPR(uint32_t)) \
    M(NAME, EM_UINT64, uint64_t, uint64_t, EM_LD_PLAIN, EM_ST_PLAIN, TEXPR(uint64_t)) \
    M(NAME, EM_INT8, int8_t, int8_t, EM_LD_PLAIN, EM_ST_PLAIN, TEXPR(int8_t))      \
    M(NAME, EM_INT16, int16_t, int16_t, EM_LD_PLAIN, EM_ST_PLAIN, TEXPR(int16_t))  \
    M(NAME, EM_INT32, int32_t, int32_t, EM_LD_PLAIN, EM_ST_PLAIN, TEXPR(int32_t))  \
    M(NAME, EM_INT64, int64_t, int64_t, EM_LD_PLAIN, EM_ST_PLAIN, TEXPR(int64_t))

/* Wrapping integer arithmetic, done unsigned so overflow is defined. */
#define WRAP(op) ((uint64_t)x op (uint64_t)y)
FOR_INTS(SROW, add, WRAP(+)) FOR_FLOATS(SROW, add, x + y, x + y) FOR_BOOL(SROW, add, x || y)
FOR_INTS(SROW, sub, WRAP(-)) FOR_FLOATS(SROW, sub, x - y, x - y)
FOR_INTS(SROW, mul, WRAP(*)) FOR_FLOATS(SROW, mul, x * y, x * y) FOR_BOOL(SROW, mul, x && y)
FOR_FLOATS(SROW, div, x / y, x / y)
#define FDIV_T(T) IDIV(T, x, y)
FOR_INTS_T(SROW, floordiv, FDIV_T) FOR_FLOATS(SROW, floordiv, floorf(x / y), floor(x / y))
#define MOD_T(T) imod_##T(x, y)
FOR_INTS_T(SROW, rem, MOD_T) FOR_FLOATS(SROW, rem, fmod_py_f(x, y), fmod_py_d(x, y))
#define POW_T(T) ipow_##T(x, y)
FOR_INTS_T(SROW, pow, POW_T) FOR_FLOATS(SROW, pow, powf(x, y), pow(x, y))
FOR_INTS(SROW, max, IMAX(x, y)) FOR_FLOATS(SROW, max, FMAX(x, y), FMAX(x, y)) FOR_BOOL(SROW, max, x || y)
FOR_INTS(SROW, min, IMIN(x, y)) FOR_FLOATS(SROW, min, FMIN(x, y), FMIN(x, y)) FOR_BOOL(SROW, min, x && y)
FOR_FLOATS(SROW, logaddexp, logaddexp_f(x, y), logaddexp_d(x, y))
FOR_FLOATS(SROW, atan2, atan2f(x, y), atan2(x, y))
#define CMP(NAME, OP)                                                              \
    FOR_INTS(BROW, NAME, x OP y) FOR_FLOATS(BROW, NAME, x OP y, x OP y) FOR_BOOL(BROW, NAME, x OP y)
CMP(eq, ==) CMP(ne, !=) CMP(lt, <) CMP(le, <=) CMP(gt, >) CMP(ge, >=)
CMP(land, &&) CMP(lor, ||)
FOR_INTS(SROW, band, x & y) FOR_BOOL(SROW, band, x & y)
FOR_INTS(SROW, bor, x | y) FOR_BOOL(SROW, bor, x | y)
FOR_INTS(SROW, bxor, x ^ y) FOR_BOOL(SROW, bxor, x ^ y)
/* Shifts past the width give 0 (or -1 for negative right shifts), as numpy. */
#define SHL_T(T) ((uint64_t)y >= sizeof(T) * 8 ? (T)0 : (T)((uint64_t)x << y))
#define SHR_T(T) ((uint64_t)y >= sizeof(T) * 8 ? (T)(x < 0 ? -1 : 0) : (T)(x >> y))
FOR_INTS_T(SROW, shl, SHL_T)
FOR_INTS_T(SROW, shr, SHR_T)

typedef em_binary_row row_table[EM_DTYPE_COUNT];
#define F_ENTRIES(N)                                                               \
    [EM_FLOAT16] = N##_EM_FLOAT16, [EM_BFLOAT16] = N##_EM_BFLOAT16,                \
    [EM_FLOAT32] = N##_EM_FLOAT32, [EM_FLOAT64] = N##_EM_FLOAT64
#define I_ENTRIES(N)                                                               \
    [EM_UINT8] = N##_EM_UINT8, [EM_UINT16] = N##_EM_UINT16,                        \
    [EM_UINT32] = N##_EM_UINT32, [EM_UINT64] = N##_EM_UINT64,                      \
    [EM_INT8] = N##_EM_INT8, [EM_INT16] = N##_EM_INT16,                            \
    [EM_INT32] = N##_EM_INT32, [EM_INT64] = N##_EM_INT64
#define B_ENTRY(N) [EM_BOOL] = N##_EM_BOOL
#define ALL(N) {B_ENTRY(N), I_ENTRIES(N), F_ENTRIES(N)}

static const row_table rows[EM_P_COUNT] = {
    [EM_P_ADD] = ALL(add),
    [EM_P_SUBTRACT] = {I_ENTRIES(sub), F_ENTRIES(sub)},
    [EM_P_MULTIPLY] = ALL(mul),
    [EM_P_DIVIDE] = {F_ENTRIES(div)},
    [EM_P_FLOOR_DIVIDE] = {I_ENTRIES(floordiv), F_ENTRIES(floordiv)},
    [EM_P_REMAINDER] = {I_ENTRIES(rem), F_ENTRIES(rem)},
    [EM_P_POWER] = {I_ENTRIES(pow), F_ENTRIES(pow)},
    [EM_P_MAXIMUM] = ALL(max),
    [EM_P_MINIMUM] = ALL(min),
    [EM_P_LOGADDEXP] = {F_ENTRIES(logaddexp)},
    [EM_P_ARCTAN2] = {F_ENTRIES(atan2)},
    [EM_P_EQUAL] = ALL(eq),
    [EM_P_NOT_EQUAL] = ALL(ne),
    [EM_P_LESS] = ALL(lt),
    [EM_P_LESS_EQUAL] = ALL(le),
    [EM_P_GREATER] = ALL(gt),
    [EM_P_GREATER_EQUAL] = ALL(ge),
    [EM_P_LOGICAL_AND] = ALL(land),
    [EM_P_LOGICAL_OR] = ALL(lor),
    [EM_P_BITWISE_AND] = {B_ENTRY(band), I_ENTRIES(band)},
    [EM_P_BITWISE_OR] = {B_ENTRY(bor), I_ENTRIES(bor)},
    [EM_P_BITWISE_XOR] = {B_ENTRY(bxor), I_ENTRIES(bxor)},
    [EM_P_LEFT_SHIFT] = {I_ENTRIES(shl)},
    [EM_P_RIGHT_SHIFT] = {I_ENTRIES(shr)},
};

#if EM_ISA_IS_BASE
static int binary_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                         const em_params *p)
{
    em_array *out = outs[0];
    em_binary_row row = em__cpu_binary_row((em_prim_id)out->orig_prim, (em_dtype)ins[0]->dtype);
    if (!row)
        return em__error("%s: no CPU kernel for %s", em_prims[out->orig_prim].name,
                         em_dtype_name((em_dtype)ins[0]->dtype));
    return em__run_binary(out, ins[0], ins[1], row, p);
}
#endif

/* where(c, x, y): c is bool; x and y share the output type. */
#define SELECT_ROW(E, ST)                                                          \
    static void select_##E(const void *c_, int64_t cs, const void *a_, int64_t as, \
                           const void *b_, int64_t bs, void *out_, int64_t n,      \
                           const em_params *p)                                     \
    {                                                                              \
        const uint8_t *c = c_;                                                     \
        const ST *a = a_, *b = b_;                                                 \
        ST *out = out_;                                                            \
        (void)p;                                                                   \
        for (int64_t i = 0; i < n; i++)                                            \
            out[i] = c[i * cs] ? a[i * as] : b[i * bs];                            \
    }
SELECT_ROW(1, uint8_t)
SELECT_ROW(2, uint16_t)
SELECT_ROW(4, uint32_t)
SELECT_ROW(8, uint64_t)

em_binary_row EM_ISA_FN(em__cpu_binary_row)(em_prim_id prim, em_dtype in) { return rows[prim][in]; }

em_ternary_row EM_ISA_FN(em__cpu_select_row)(size_t elem_size)
{
    switch (elem_size) {
    case 1: return select_1;
    case 2: return select_2;
    case 4: return select_4;
    default: return select_8;
    }
}

#if EM_ISA_IS_BASE
static int select_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                         const em_params *p)
{
    em_ternary_row row = em__cpu_select_row(em_dtype_size((em_dtype)outs[0]->dtype));
    return em__run_ternary(outs[0], ins[0], ins[1], ins[2], row, p);
}

__attribute__((constructor)) static void register_binary(void)
{
    for (int id = EM_P_ADD; id <= EM_P_RIGHT_SHIFT; id++)
        em__cpu_register((em_prim_id)id, binary_kernel);
    em__cpu_register(EM_P_SELECT, select_kernel);
}
#endif
