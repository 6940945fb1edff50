/* CPU kernels of the reductions: sum, prod, max, min, all, any (over any set
 * of axes) and argmax, argmin (over one axis).
 *
 * The input's dimensions are split into kept and reduced ones, each group
 * merged where the strides allow (reduced ones sorted by stride first: the
 * order of a reduction does not matter). Then:
 *  - row mode: each output reduces runs of its reduced elements (contiguous
 *    when the innermost reduced stride is 1, strided otherwise); parallel over
 *    outputs, and over pieces of each reduction when there are few outputs;
 *  - column mode (the innermost kept axis is contiguous and the reduced ones
 *    are not): blocks of outputs accumulate whole contiguous input rows.
 * Accumulators: float sums in blocks of float lanes (rows) or of float
 * columns (64 rows at a time) summed in double, products in double, integers
 * in 64 bits (wrapping).
 *
 * The per-dtype functions are compiled three times (baseline, AVX2, AVX-512;
 * isa.h) and the driver, built once, takes the table of the best build. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "isa.h"
#include "loops.h"

static inline float ld_bf16(const uint16_t *p)
{
    union { uint32_t u; float f; } v = {.u = (uint32_t)*p << 16};
    return v.f;
}
#define LD_BF16(p) ld_bf16(p)

/* One (op, input dtype): accumulators of the op's own type (asz bytes, at most 8). */
typedef struct red_fns {
    /* *res = op(*res, x[0], x[s], ..., x[(n-1)s]) */
    void (*row)(const void *x, int64_t n, int64_t s, void *res);
    /* acc[j] = op(acc[j], x[j]) for j < n */
    void (*col)(void *acc, const void *x, int64_t n);
    void (*init)(void *acc, int64_t n);
    /* acc[j] = op(acc[j], b[j]) */
    void (*combine)(void *acc, const void *b, int64_t n);
    void (*store)(void *out, const void *acc, int64_t n);
    size_t asz; /* bytes of one accumulator */
    /* acc[j] = op(acc[j], x[r rs + j]) for j < n (n <= KB), r < rows */
    void (*colblk)(void *acc, const void *x, int64_t n, int64_t rows, int64_t rs);
} red_fns;

#if defined(__AVX512F__) || defined(__AVX2__)
#define LANES 64 /* four or eight independent vector accumulators */
#else
#define LANES 16
#endif
#define BLOCK 4096
#define KB 1024 /* columns of one column-mode task */

/* Generic pieces: ACC is the slot type, OPX(a, v) folds v into a,
 * CV(v) converts a loaded value to ACC. */
#define RED_COMMON(NAME, E, ST, LD, ACC, CV, IDENT, OPX, OST, OCT, OSTORE)                 \
    typedef ACC NAME##_acct_##E;                                                           \
    static void NAME##_init_##E(void *acc_, int64_t n)                                      \
    {                                                                                      \
        ACC *acc = acc_;                                                                   \
        for (int64_t j = 0; j < n; j++)                                                    \
            acc[j] = (IDENT);                                                              \
    }                                                                                      \
    static void NAME##_col_##E(void *acc_, const void *x_, int64_t n)                       \
    {                                                                                      \
        ACC *restrict acc = acc_;                                                          \
        const ST *restrict x = x_;                                                         \
        for (int64_t j = 0; j < n; j++) {                                                  \
            ACC v = CV(LD(x + j));                                                         \
            acc[j] = OPX(acc[j], v);                                                       \
        }                                                                                  \
    }                                                                                      \
    static void NAME##_combine_##E(void *acc_, const void *b_, int64_t n)                   \
    {                                                                                      \
        ACC *acc = acc_;                                                                   \
        const ACC *b = b_;                                                                 \
        for (int64_t j = 0; j < n; j++)                                                    \
            acc[j] = OPX(acc[j], b[j]);                                                    \
    }                                                                                      \
    static void NAME##_store_##E(void *out_, const void *acc_, int64_t n)                   \
    {                                                                                      \
        OST *out = out_;                                                                   \
        const ACC *acc = acc_;                                                             \
        for (int64_t j = 0; j < n; j++)                                                    \
            OSTORE(out + j, (OCT)acc[j]);                                                  \
    }

/* Column block by rows: the plain fold (COLB_GEN), or for float sums (COLB_FSUM)
 * 64 rows at a time summed in float columns, then added into the double ones. */
#define COLB_GEN(NAME, E, ST)                                                              \
    static void NAME##_colblk_##E(void *acc, const void *x_, int64_t n, int64_t rows,     \
                                  int64_t rs)                                             \
    {                                                                                      \
        const ST *x = x_;                                                                  \
        for (int64_t r = 0; r < rows; r++)                                                 \
            NAME##_col_##E(acc, x + r * rs, n);                                            \
    }
#define COLB_FSUM(E, ST, LD)                                                               \
    static void sum_colblk_##E(void *acc_, const void *x_, int64_t n, int64_t rows,       \
                               int64_t rs)                                                \
    {                                                                                      \
        double *restrict acc = acc_;                                                       \
        const ST *x = x_;                                                                  \
        float t[KB];                                                                       \
        for (int64_t r0 = 0; r0 < rows; r0 += 64) {                                        \
            int64_t rn = rows - r0 < 64 ? rows - r0 : 64;                                  \
            const ST *x0 = x + r0 * rs;                                                    \
            for (int64_t j = 0; j < n; j++)                                                \
                t[j] = (float)LD(x0 + j);                                                  \
            int64_t r = 1;                                                                 \
            for (; r + 4 <= rn; r += 4) { /* four rows per pass over t */                  \
                const ST *restrict xa = x0 + r * rs, *restrict xb = xa + rs;               \
                const ST *restrict xc = xb + rs, *restrict xd = xc + rs;                   \
                for (int64_t j = 0; j < n; j++)                                            \
                    t[j] += ((float)LD(xa + j) + (float)LD(xb + j)) +                      \
                            ((float)LD(xc + j) + (float)LD(xd + j));                       \
            }                                                                              \
            for (; r < rn; r++) {                                                          \
                const ST *restrict xr = x0 + r * rs;                                       \
                for (int64_t j = 0; j < n; j++)                                            \
                    t[j] += (float)LD(xr + j);                                             \
            }                                                                              \
            for (int64_t j = 0; j < n; j++)                                                \
                acc[j] += t[j];                                                            \
        }                                                                                  \
    }

/* Row with LANES independent accumulators of type LT (vectorisable), folded
 * into ACC every BLOCK elements. */
#define RED_ROW_LANES(NAME, E, ST, LD, ACC, LT, LCV, LIDENT, LOPX, OPX)                    \
    static void NAME##_row_##E(const void *x_, int64_t n, int64_t s, void *res_)            \
    {                                                                                      \
        const ST *x = x_;                                                                  \
        ACC *res = res_;                                                                   \
        ACC total = *res;                                                                  \
        if (s == 1) {                                                                      \
            for (int64_t i = 0; i < n; i += BLOCK) {                                       \
                int64_t m = n - i < BLOCK ? n - i : BLOCK;                                 \
                const ST *xb = x + i;                                                      \
                LT acc[LANES];                                                             \
                for (int k = 0; k < LANES; k++)                                            \
                    acc[k] = (LIDENT);                                                     \
                int64_t j = 0;                                                             \
                for (; j + LANES <= m; j += LANES)                                         \
                    for (int k = 0; k < LANES; k++) {                                      \
                        LT v = LCV(LD(xb + j + k));                                        \
                        acc[k] = LOPX(acc[k], v);                                          \
                    }                                                                      \
                for (; j < m; j++) {                                                       \
                    LT v = LCV(LD(xb + j));                                                \
                    acc[0] = LOPX(acc[0], v);                                              \
                }                                                                          \
                for (int w = LANES / 2; w > 0; w /= 2)                                     \
                    for (int k = 0; k < w; k++)                                            \
                        acc[k] = LOPX(acc[k], acc[k + w]);                                 \
                total = OPX(total, (ACC)acc[0]);                                           \
            }                                                                              \
        } else {                                                                           \
            for (int64_t i = 0; i < n; i++) {                                              \
                ACC v = (ACC)LCV(LD(x + i * s));                                           \
                total = OPX(total, v);                                                     \
            }                                                                              \
        }                                                                                  \
        *res = total;                                                                      \
    }

#define ADD(a, b) ((a) + (b))
#define MUL(a, b) ((a) * (b))
#define FMAX(a, b) ((b) > (a) || (b) != (b) ? (b) : (a))
#define FMIN(a, b) ((b) < (a) || (b) != (b) ? (b) : (a))
#define IMAX(a, b) ((b) > (a) ? (b) : (a))
/* NaN-sticky, branch-free (bitwise |): vectorises as compare, compare, or, blend */
#define SMAX(a, b) ((((b) > (a)) | ((b) != (b))) ? (b) : (a))
#define SMIN(a, b) ((((b) < (a)) | ((b) != (b))) ? (b) : (a))
#define IMIN(a, b) ((b) < (a) ? (b) : (a))
#define AND(a, b) ((a) & (b))
#define OR(a, b) ((a) | (b))
#define TO_U64(v) ((uint64_t)(v))
#define TO_F(v) ((float)(v))
#define TO_D(v) ((double)(v))
#define NZ(v) ((uint8_t)((v) != 0))
#define SAME(v) (v)

/* ---- sum ---- (E, ST, LD, ACC, LT, CV, OST, OCT, OSTORE) */
#define SUM_FLOAT(E, ST, LD, LT, LCV, OST, OCT, OSTORE)                                   \
    RED_COMMON(sum, E, ST, LD, double, TO_D, 0.0, ADD, OST, OCT, OSTORE)                   \
    RED_ROW_LANES(sum, E, ST, LD, double, LT, LCV, 0, ADD, ADD)                            \
    COLB_FSUM(E, ST, LD)
#define SUM_INT(E, ST, OST)                                                                \
    RED_COMMON(sum, E, ST, EM_LD_PLAIN, uint64_t, TO_U64, 0, ADD, OST, OST, EM_ST_PLAIN)   \
    RED_ROW_LANES(sum, E, ST, EM_LD_PLAIN, uint64_t, uint64_t, TO_U64, 0, ADD, ADD)        \
    COLB_GEN(sum, E, ST)
SUM_FLOAT(EM_FLOAT16, uint16_t, EM_LD_F16, float, TO_F, uint16_t, float, EM_ST_F16)
SUM_FLOAT(EM_BFLOAT16, uint16_t, LD_BF16, float, TO_F, uint16_t, float, EM_ST_BF16)
SUM_FLOAT(EM_FLOAT32, float, EM_LD_PLAIN, float, TO_F, float, float, EM_ST_PLAIN)
RED_COMMON(sum, EM_FLOAT64, double, EM_LD_PLAIN, double, TO_D, 0.0, ADD, double, double, EM_ST_PLAIN)
RED_ROW_LANES(sum, EM_FLOAT64, double, EM_LD_PLAIN, double, double, TO_D, 0, ADD, ADD)
COLB_GEN(sum, EM_FLOAT64, double)
SUM_INT(EM_BOOL, uint8_t, int32_t)
SUM_INT(EM_UINT8, uint8_t, uint32_t)
SUM_INT(EM_UINT16, uint16_t, uint32_t)
SUM_INT(EM_UINT32, uint32_t, uint32_t)
SUM_INT(EM_UINT64, uint64_t, uint64_t)
SUM_INT(EM_INT8, int8_t, int32_t)
SUM_INT(EM_INT16, int16_t, int32_t)
SUM_INT(EM_INT32, int32_t, int32_t)
SUM_INT(EM_INT64, int64_t, int64_t)

/* ---- prod ---- */
#define PROD_FLOAT(E, ST, LD, OST, OCT, OSTORE)                                            \
    RED_COMMON(prod, E, ST, LD, double, TO_D, 1.0, MUL, OST, OCT, OSTORE)                  \
    RED_ROW_LANES(prod, E, ST, LD, double, double, TO_D, 1.0, MUL, MUL)                    \
    COLB_GEN(prod, E, ST)
#define PROD_INT(E, ST, OST)                                                               \
    RED_COMMON(prod, E, ST, EM_LD_PLAIN, uint64_t, TO_U64, 1, MUL, OST, OST, EM_ST_PLAIN)  \
    RED_ROW_LANES(prod, E, ST, EM_LD_PLAIN, uint64_t, uint64_t, TO_U64, 1, MUL, MUL)       \
    COLB_GEN(prod, E, ST)
PROD_FLOAT(EM_FLOAT16, uint16_t, EM_LD_F16, uint16_t, float, EM_ST_F16)
PROD_FLOAT(EM_BFLOAT16, uint16_t, LD_BF16, uint16_t, float, EM_ST_BF16)
PROD_FLOAT(EM_FLOAT32, float, EM_LD_PLAIN, float, float, EM_ST_PLAIN)
PROD_FLOAT(EM_FLOAT64, double, EM_LD_PLAIN, double, double, EM_ST_PLAIN)
PROD_INT(EM_BOOL, uint8_t, int32_t)
PROD_INT(EM_UINT8, uint8_t, uint32_t)
PROD_INT(EM_UINT16, uint16_t, uint32_t)
PROD_INT(EM_UINT32, uint32_t, uint32_t)
PROD_INT(EM_UINT64, uint64_t, uint64_t)
PROD_INT(EM_INT8, int8_t, int32_t)
PROD_INT(EM_INT16, int16_t, int32_t)
PROD_INT(EM_INT32, int32_t, int32_t)
PROD_INT(EM_INT64, int64_t, int64_t)

/* ---- max, min: the input's compute type; NaN wins for floats ---- */
/* Float max/min rows: lanes of NaN-sticky selects. */
#define RED_ROW_FLOAT_EXT(NAME, RN, E, ST, LD, CT, IDENT, LOPX, OPX)                       \
    static void NAME##_##RN##_##E(const void *x_, int64_t n, int64_t s, void *res_)         \
    {                                                                                      \
        const ST *x = x_;                                                                  \
        CT *res = res_;                                                                    \
        CT total = *res;                                                                   \
        if (s == 1) {                                                                      \
            /* lanes of a NaN-sticky select: (v CMP a) | (v != v) picks v */            \
            CT acc[LANES];                                                                 \
            for (int k = 0; k < LANES; k++)                                                \
                acc[k] = (IDENT);                                                          \
            int64_t j = 0;                                                                 \
            for (; j + LANES <= n; j += LANES)                                             \
                for (int k = 0; k < LANES; k++) {                                          \
                    CT v = LD(x + j + k);                                                  \
                    acc[k] = LOPX(acc[k], v);                                              \
                }                                                                          \
            for (; j < n; j++) {                                                           \
                CT v = LD(x + j);                                                          \
                total = OPX(total, v);                                                     \
            }                                                                              \
            for (int k = 0; k < LANES; k++)                                                \
                total = OPX(total, acc[k]);                                                \
        } else {                                                                           \
            for (int64_t i = 0; i < n; i++) {                                              \
                CT v = LD(x + i * s);                                                      \
                total = OPX(total, v);                                                     \
            }                                                                              \
        }                                                                                  \
        *res = total;                                                                      \
    }
#define MAXMIN_FLOAT(E, ST, LD, CT, OSTORE, RN)                                            \
    RED_COMMON(max, E, ST, LD, CT, SAME, -INFINITY, FMAX, ST, CT, OSTORE)                  \
    RED_ROW_FLOAT_EXT(max, RN, E, ST, LD, CT, -INFINITY, SMAX, FMAX)                       \
    RED_COMMON(min, E, ST, LD, CT, SAME, INFINITY, FMIN, ST, CT, OSTORE)                   \
    RED_ROW_FLOAT_EXT(min, RN, E, ST, LD, CT, INFINITY, SMIN, FMIN) \
    COLB_GEN(max, E, ST) COLB_GEN(min, E, ST)
#define MAXMIN_INT(E, ST, LO, HI)                                                          \
    RED_COMMON(max, E, ST, EM_LD_PLAIN, ST, SAME, LO, IMAX, ST, ST, EM_ST_PLAIN)           \
    RED_ROW_LANES(max, E, ST, EM_LD_PLAIN, ST, ST, SAME, LO, IMAX, IMAX)                   \
    RED_COMMON(min, E, ST, EM_LD_PLAIN, ST, SAME, HI, IMIN, ST, ST, EM_ST_PLAIN)           \
    RED_ROW_LANES(min, E, ST, EM_LD_PLAIN, ST, ST, SAME, HI, IMIN, IMIN) \
    COLB_GEN(max, E, ST) COLB_GEN(min, E, ST)
MAXMIN_FLOAT(EM_FLOAT16, uint16_t, EM_LD_F16, float, EM_ST_F16, row)
MAXMIN_FLOAT(EM_BFLOAT16, uint16_t, LD_BF16, float, EM_ST_BF16, row)
MAXMIN_FLOAT(EM_FLOAT32, float, EM_LD_PLAIN, float, EM_ST_PLAIN, rowg)
MAXMIN_FLOAT(EM_FLOAT64, double, EM_LD_PLAIN, double, EM_ST_PLAIN, rowg)

/* float32/float64 max/min rows over contiguous runs: gcc does not vectorise a
 * select-based reduction without fast-math, so these use its vector
 * extensions (vectors of the build's width), four NaN-sticky accumulators;
 * the generic row folds the rest. */
#if defined(__AVX2__) /* also the AVX-512 build: its mask registers make 64-byte selects slower */
#define VBYTES 32
#else
#define VBYTES 16
#endif
typedef float vf32 __attribute__((vector_size(VBYTES)));
typedef int32_t vi32 __attribute__((vector_size(VBYTES)));
typedef double vf64 __attribute__((vector_size(VBYTES)));
typedef int64_t vi64 __attribute__((vector_size(VBYTES)));
#define VSEL(v, a, m) ((__typeof__(a))((((__typeof__(m))(v)) & (m)) | (((__typeof__(m))(a)) & ~(m))))
#define RED_ROW_VEC(NAME, E, T, VT, VI, IDENT, CMP, OPX)                                    \
    static void NAME##_row_##E(const void *x_, int64_t n, int64_t s, void *res_)            \
    {                                                                                      \
        enum { W = VBYTES / sizeof(T) };                                                   \
        if (s != 1 || n < 4 * W) {                                                         \
            NAME##_rowg_##E(x_, n, s, res_);                                               \
            return;                                                                        \
        }                                                                                  \
        const T *x = x_;                                                                   \
        VT a[4];                                                                           \
        for (int k = 0; k < 4; k++)                                                        \
            a[k] = (VT){0} + (T)(IDENT);                                                   \
        int64_t j = 0;                                                                     \
        for (; j + 4 * W <= n; j += 4 * W)                                                 \
            for (int k = 0; k < 4; k++) {                                                  \
                VT v;                                                                      \
                memcpy(&v, x + j + k * W, VBYTES);                                         \
                VI m = (v CMP a[k]) | (v != v);                                            \
                a[k] = VSEL(v, a[k], m);                                                   \
            }                                                                              \
        T buf[4 * W], total = *(T *)res_;                                                  \
        memcpy(buf, a, sizeof buf);                                                        \
        for (int k = 0; k < 4 * W; k++)                                                    \
            total = OPX(total, buf[k]);                                                    \
        NAME##_rowg_##E(x + j, n - j, 1, &total);                                          \
        *(T *)res_ = total;                                                                \
    }
RED_ROW_VEC(max, EM_FLOAT32, float, vf32, vi32, -INFINITY, >, FMAX)
RED_ROW_VEC(min, EM_FLOAT32, float, vf32, vi32, INFINITY, <, FMIN)
RED_ROW_VEC(max, EM_FLOAT64, double, vf64, vi64, -INFINITY, >, FMAX)
RED_ROW_VEC(min, EM_FLOAT64, double, vf64, vi64, INFINITY, <, FMIN)
MAXMIN_INT(EM_BOOL, uint8_t, 0, 1)
MAXMIN_INT(EM_UINT8, uint8_t, 0, UINT8_MAX)
MAXMIN_INT(EM_UINT16, uint16_t, 0, UINT16_MAX)
MAXMIN_INT(EM_UINT32, uint32_t, 0, UINT32_MAX)
MAXMIN_INT(EM_UINT64, uint64_t, 0, UINT64_MAX)
MAXMIN_INT(EM_INT8, int8_t, INT8_MIN, INT8_MAX)
MAXMIN_INT(EM_INT16, int16_t, INT16_MIN, INT16_MAX)
MAXMIN_INT(EM_INT32, int32_t, INT32_MIN, INT32_MAX)
MAXMIN_INT(EM_INT64, int64_t, INT64_MIN, INT64_MAX)

/* ---- all, any: uint8 flags; NaN is true ---- */
#define ALLANY(E, ST, LD)                                                                  \
    RED_COMMON(all, E, ST, LD, uint8_t, NZ, 1, AND, uint8_t, uint8_t, EM_ST_PLAIN)          \
    RED_ROW_LANES(all, E, ST, LD, uint8_t, uint8_t, NZ, 1, AND, AND)                        \
    RED_COMMON(any, E, ST, LD, uint8_t, NZ, 0, OR, uint8_t, uint8_t, EM_ST_PLAIN)           \
    RED_ROW_LANES(any, E, ST, LD, uint8_t, uint8_t, NZ, 0, OR, OR) \
    COLB_GEN(all, E, ST) COLB_GEN(any, E, ST)
#define ALLANY_X(E, ST, CT, LD, STORE) ALLANY(E, ST, LD)
EM_FOR_BOOL_DTYPE(ALLANY_X)
EM_FOR_INT_DTYPES(ALLANY_X)
ALLANY(EM_FLOAT16, uint16_t, EM_LD_F16)
ALLANY(EM_BFLOAT16, uint16_t, LD_BF16)
ALLANY(EM_FLOAT32, float, EM_LD_PLAIN)
ALLANY(EM_FLOAT64, double, EM_LD_PLAIN)

enum { OP_SUM, OP_PROD, OP_MAX, OP_MIN, OP_ALL, OP_ANY, N_OPS };

#define FNS(NAME, E) [E] = {NAME##_row_##E, NAME##_col_##E, NAME##_init_##E, NAME##_combine_##E, NAME##_store_##E, sizeof(NAME##_acct_##E), NAME##_colblk_##E},
#define ALL_E(NAME)                                                                         \
    FNS(NAME, EM_BOOL) FNS(NAME, EM_UINT8) FNS(NAME, EM_UINT16) FNS(NAME, EM_UINT32)         \
    FNS(NAME, EM_UINT64) FNS(NAME, EM_INT8) FNS(NAME, EM_INT16) FNS(NAME, EM_INT32)          \
    FNS(NAME, EM_INT64) FNS(NAME, EM_FLOAT16) FNS(NAME, EM_BFLOAT16) FNS(NAME, EM_FLOAT32)   \
    FNS(NAME, EM_FLOAT64)
static const red_fns table[N_OPS][EM_DTYPE_COUNT] = {
    [OP_SUM] = {ALL_E(sum)}, [OP_PROD] = {ALL_E(prod)}, [OP_MAX] = {ALL_E(max)},
    [OP_MIN] = {ALL_E(min)}, [OP_ALL] = {ALL_E(all)},   [OP_ANY] = {ALL_E(any)},
};

const void *EM_ISA_FN(em__reduce_fns)(void) { return table; }

#if EM_ISA_IS_BASE

/* ---- the driver ---- */
typedef struct {
    int nk, nr;
    int64_t ks[EM_MAX_DIMS], kst[EM_MAX_DIMS]; /* kept dims (merged) */
    int64_t rs[EM_MAX_DIMS], rst[EM_MAX_DIMS]; /* reduced dims (merged), innermost last */
    int64_t n_red, rlen, rstride, rrows;
} red_layout;

static void layout(const em_array *in, const em_params *p, red_layout *L)
{
    int nk = 0, nr = 0;
    int64_t rs[EM_MAX_DIMS], rst[EM_MAX_DIMS];
    for (int d = 0; d < in->ndim; d++) {
        int64_t n = in->shape[d], s = in->strides[d];
        if (n == 1)
            continue;
        if (p->i[d]) {
            rs[nr] = n;
            rst[nr++] = s;
        } else if (nk > 0 && L->kst[nk - 1] == s * n) {
            L->ks[nk - 1] *= n;
            L->kst[nk - 1] = s;
        } else {
            L->ks[nk] = n;
            L->kst[nk++] = s;
        }
    }
    /* reduced: sort by |stride| descending (insertion), then merge */
    for (int i = 1; i < nr; i++)
        for (int j = i; j > 0 && llabs(rst[j]) > llabs(rst[j - 1]); j--) {
            int64_t t = rst[j]; rst[j] = rst[j - 1]; rst[j - 1] = t;
            t = rs[j]; rs[j] = rs[j - 1]; rs[j - 1] = t;
        }
    int m = 0;
    L->n_red = 1;
    for (int i = 0; i < nr; i++) {
        L->n_red *= rs[i];
        if (m > 0 && L->rst[m - 1] == rst[i] * rs[i]) {
            L->rs[m - 1] *= rs[i];
            L->rst[m - 1] = rst[i];
        } else {
            L->rs[m] = rs[i];
            L->rst[m++] = rst[i];
        }
    }
    L->nk = nk;
    L->nr = m;
    L->rlen = m ? L->rs[m - 1] : 1;
    L->rstride = m ? L->rst[m - 1] : 1;
    L->rrows = m ? L->n_red / (L->rlen ? L->rlen : 1) : 1;
}

/* Offset of the idx-th element of a merged group (row-major over shape). */
static int64_t group_offset(int n, const int64_t *shape, const int64_t *strides, int64_t idx)
{
    int64_t off = 0;
    for (int d = n - 1; d >= 0 && idx; d--) {
        off += (idx % shape[d]) * strides[d];
        idx /= shape[d];
    }
    return off;
}

typedef struct {
    const red_fns *f;
    red_layout L;
    const char *x;
    char *out;
    size_t esz, osz;
    int64_t nout, chunks, chunk_len; /* split of each reduction */
    char *partial;                   /* chunks * nout accumulators when split */
    int64_t K, kblocks;              /* column mode */
} red_job;

/* Folds reduced elements [lo, hi) (flat) of the output at offset base into slot. */
static void reduce_range(const red_job *j, int64_t base, int64_t lo, int64_t hi, void *slot)
{
    const red_layout *L = &j->L;
    int64_t r = lo / L->rlen, i0 = lo % L->rlen;
    /* outer reduced index of row r, kept as a counter */
    int no = L->nr - 1;
    int64_t idx[EM_MAX_DIMS] = {0}, off = 0, rr = r;
    for (int d = no - 1; d >= 0; d--) {
        idx[d] = rr % L->rs[d];
        rr /= L->rs[d];
        off += idx[d] * L->rst[d];
    }
    while (lo < hi) {
        int64_t len = L->rlen - i0 < hi - lo ? L->rlen - i0 : hi - lo;
        j->f->row(j->x + (base + off + i0 * L->rstride) * (int64_t)j->esz, len, L->rstride, slot);
        lo += len;
        i0 = 0;
        for (int d = no - 1; d >= 0; d--) {
            off += L->rst[d];
            if (++idx[d] < L->rs[d])
                break;
            off -= idx[d] * L->rst[d];
            idx[d] = 0;
        }
    }
}

#define BATCH 256

static void row_task(void *ctx, int64_t begin, int64_t end)
{
    const red_job *j = ctx;
    uint64_t slots[BATCH];
    if (j->chunks > 1) {
        for (int64_t t = begin; t < end; t++) {
            int64_t o = t / j->chunks, c = t % j->chunks;
            int64_t lo = c * j->chunk_len, hi = lo + j->chunk_len;
            if (hi > j->L.n_red)
                hi = j->L.n_red;
            char *slot = j->partial + (c * j->nout + o) * j->f->asz;
            j->f->init(slot, 1);
            if (lo < hi)
                reduce_range(j, group_offset(j->L.nk, j->L.ks, j->L.kst, o), lo, hi, slot);
        }
        return;
    }
    for (int64_t o0 = begin; o0 < end; o0 += BATCH) {
        int64_t nb = end - o0 < BATCH ? end - o0 : BATCH;
        j->f->init(slots, nb);
        for (int64_t b = 0; b < nb; b++)
            reduce_range(j, group_offset(j->L.nk, j->L.ks, j->L.kst, o0 + b), 0, j->L.n_red,
                         (char *)slots + b * j->f->asz);
        j->f->store(j->out + o0 * (int64_t)j->osz, slots, nb);
    }
}

static void col_task(void *ctx, int64_t begin, int64_t end)
{
    const red_job *j = ctx;
    const red_layout *L = &j->L;
    uint64_t acc[KB];
    for (int64_t t = begin; t < end; t++) {
        int64_t c = t % j->chunks, ob = t / j->chunks;
        int64_t outer = ob / j->kblocks, kb = ob % j->kblocks;
        int64_t j0 = kb * KB, n = j->K - j0 < KB ? j->K - j0 : KB;
        int64_t o = outer * j->K + j0; /* first output */
        int64_t base = group_offset(L->nk - 1, L->ks, L->kst, outer) + j0;
        int64_t lo = c * j->chunk_len, hi = lo + j->chunk_len;
        if (hi > L->n_red)
            hi = L->n_red;
        j->f->init(acc, n);
        int64_t idx[EM_MAX_DIMS] = {0}, off = 0, rr = lo;
        for (int d = L->nr - 1; d >= 0; d--) {
            idx[d] = rr % L->rs[d];
            rr /= L->rs[d];
            off += idx[d] * L->rst[d];
        }
        if (L->nr == 1) { /* one reduced run of rows: a whole block at once */
            j->f->colblk(acc, j->x + (base + off) * (int64_t)j->esz, n, hi - lo, L->rst[0]);
            lo = hi;
        }
        for (int64_t r = lo; r < hi; r++) {
            j->f->col(acc, j->x + (base + off) * (int64_t)j->esz, n);
            for (int d = L->nr - 1; d >= 0; d--) {
                off += L->rst[d];
                if (++idx[d] < L->rs[d])
                    break;
                off -= idx[d] * L->rst[d];
                idx[d] = 0;
            }
        }
        if (j->chunks > 1)
            memcpy(j->partial + (c * j->nout + o) * j->f->asz, acc, n * j->f->asz);
        else
            j->f->store(j->out + o * (int64_t)j->osz, acc, n);
    }
}

static int reduce_kernel(int op, em_array *out, em_array *in, const em_params *p)
{
    if (em__alloc_output(out) < 0)
        return -1;
    if (out->size == 0)
        return 0;
    const red_fns(*tab)[EM_DTYPE_COUNT] = em__cpu_reduce_fns();
    red_job j = {.f = &tab[op][in->dtype], .x = em__data(in), .out = em__data(out),
                 .esz = em_dtype_size((em_dtype)in->dtype),
                 .osz = em_dtype_size((em_dtype)out->dtype), .nout = out->size, .chunks = 1};
    layout(in, p, &j.L);
    red_layout *L = &j.L;
    if (L->n_red == 0) {
        uint64_t slots[BATCH];
        for (int64_t o = 0; o < j.nout; o += BATCH) {
            int64_t nb = j.nout - o < BATCH ? j.nout - o : BATCH;
            j.f->init(slots, nb);
            j.f->store(j.out + o * (int64_t)j.osz, slots, nb);
        }
        return 0;
    }
    int64_t threads = em__num_threads();
    bool col = L->nk > 0 && L->kst[L->nk - 1] == 1 && L->nr > 0 && L->rstride != 1;
    int64_t tasks;
    if (col) {
        j.K = L->ks[L->nk - 1];
        j.kblocks = (j.K + KB - 1) / KB;
        tasks = j.nout / j.K * j.kblocks;
    } else {
        tasks = j.nout;
    }
    /* Few outputs, long reductions: split each reduction into pieces. */
    int64_t total = j.nout * L->n_red;
    if (threads > 1 && tasks < 4 * threads && total >= (1 << 18)) {
        int64_t want = (4 * threads + tasks - 1) / tasks;
        int64_t most = L->n_red / 16384;
        if (col)
            most = L->n_red * (j.K < KB ? j.K : KB) / 16384;
        if (most > L->n_red)
            most = L->n_red;
        j.chunks = want < most ? want : most;
        if (j.chunks < 1)
            j.chunks = 1;
    }
    j.chunk_len = (L->n_red + j.chunks - 1) / j.chunks;
    if (j.chunks > 1) {
        j.partial = malloc(j.chunks * j.nout * j.f->asz);
        if (!j.partial)
            return em__error("%s: out of memory for partial results", em_prims[out->orig_prim].name);
    }
    if (col) {
        int64_t per = L->n_red * (j.K < KB ? j.K : KB) / j.chunks;
        em__parallel_for(tasks * j.chunks, 1 + (1 << 15) / (per + 1), col_task, &j);
    } else {
        int64_t per = L->n_red / j.chunks;
        em__parallel_for(tasks * j.chunks, 1 + (1 << 15) / (per + 1), row_task, &j);
    }
    if (j.chunks > 1) {
        for (int64_t c = 1; c < j.chunks; c++)
            j.f->combine(j.partial, j.partial + c * j.nout * j.f->asz, j.nout);
        j.f->store(j.out, j.partial, j.nout);
        free(j.partial);
    }
    return 0;
}

#define KERNEL(NAME, OP)                                                                  \
    static int NAME##_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in, \
                             const em_params *p)                                          \
    {                                                                                     \
        return reduce_kernel(OP, outs[0], ins[0], p);                                     \
    }
KERNEL(sum, OP_SUM)
KERNEL(prod, OP_PROD)
KERNEL(max, OP_MAX)
KERNEL(min, OP_MIN)
KERNEL(all, OP_ALL)
KERNEL(any, OP_ANY)

/* ---- argmax, argmin over one axis: the first extreme; the first NaN wins ---- */
typedef struct {
    uint32_t (*row)(const void *x, int64_t n, int64_t s);
    /* over rows i of n contiguous columns: best[j], idx[j] */
    void (*col)(void *best, uint32_t *idx, const void *x, int64_t n, uint32_t i);
} arg_fns;

#define ARG_T(NAME, CMP, E, ST, CT, LD)                                                   \
    static uint32_t NAME##_row_##E(const void *x_, int64_t n, int64_t s)                  \
    {                                                                                     \
        const ST *x = x_;                                                                 \
        CT best = LD(x);                                                                  \
        uint32_t bi = 0;                                                                  \
        if (best != best)                                                                 \
            return 0;                                                                     \
        for (int64_t i = 1; i < n; i++) {                                                 \
            CT v = LD(x + i * s);                                                         \
            if (v CMP best) {                                                             \
                best = v;                                                                 \
                bi = (uint32_t)i;                                                         \
            } else if (v != v) {                                                          \
                return (uint32_t)i;                                                       \
            }                                                                             \
        }                                                                                 \
        return bi;                                                                        \
    }                                                                                     \
    static void NAME##_col_##E(void *best_, uint32_t *idx, const void *x_, int64_t n, uint32_t i) \
    {                                                                                     \
        CT *best = best_;                                                                 \
        const ST *x = x_;                                                                 \
        for (int64_t j = 0; j < n; j++) {                                                 \
            CT v = LD(x + j), b = best[j];                                                \
            if (i == 0 || v CMP b || (v != v && b == b)) {                                \
                best[j] = v;                                                              \
                idx[j] = i;                                                               \
            }                                                                             \
        }                                                                                 \
    }
#define ARG_X(E, ST, CT, LD, STORE) ARG_T(argmax, >, E, ST, CT, LD) ARG_T(argmin, <, E, ST, CT, LD)
EM_FOR_ALL_DTYPES(ARG_X)
#define AFNS(NAME, E, ST, CT, LD, STORE) [E] = {NAME##_row_##E, NAME##_col_##E},
#define AMAX(E, ST, CT, LD, STORE) AFNS(argmax, E, ST, CT, LD, STORE)
#define AMIN(E, ST, CT, LD, STORE) AFNS(argmin, E, ST, CT, LD, STORE)
static const arg_fns arg_table[2][EM_DTYPE_COUNT] = {{EM_FOR_ALL_DTYPES(AMAX)},
                                                     {EM_FOR_ALL_DTYPES(AMIN)}};

typedef struct {
    const arg_fns *f;
    int nk;
    int64_t ks[EM_MAX_DIMS], kst[EM_MAX_DIMS];
    int64_t n, s, K, kblocks;
    const char *x;
    uint32_t *out;
    size_t esz;
} arg_job;

static void arg_rows(void *ctx, int64_t begin, int64_t end)
{
    const arg_job *j = ctx;
    for (int64_t o = begin; o < end; o++)
        j->out[o] = j->f->row(j->x + group_offset(j->nk, j->ks, j->kst, o) * (int64_t)j->esz, j->n, j->s);
}

static void arg_cols(void *ctx, int64_t begin, int64_t end)
{
    const arg_job *j = ctx;
    uint64_t best[KB];
    for (int64_t t = begin; t < end; t++) {
        int64_t outer = t / j->kblocks, j0 = (t % j->kblocks) * KB;
        int64_t n = j->K - j0 < KB ? j->K - j0 : KB;
        int64_t base = group_offset(j->nk - 1, j->ks, j->kst, outer) + j0;
        uint32_t *idx = j->out + outer * j->K + j0;
        for (int64_t i = 0; i < j->n; i++)
            j->f->col(best, idx, j->x + (base + i * j->s) * (int64_t)j->esz, n, (uint32_t)i);
    }
}

static int arg_kernel(int which, em_array *out, em_array *in, const em_params *p)
{
    if (em__alloc_output(out) < 0)
        return -1;
    if (out->size == 0)
        return 0;
    int ax = (int)p->i[0];
    if (in->shape[ax] > UINT32_MAX)
        return em__error("%s: axis of %lld elements does not fit uint32 indices",
                         em_prims[out->orig_prim].name, (long long)in->shape[ax]);
    arg_job j = {.f = &arg_table[which][in->dtype], .x = em__data(in), .out = em__data(out),
                 .esz = em_dtype_size((em_dtype)in->dtype), .n = in->shape[ax], .s = in->strides[ax]};
    for (int d = 0; d < in->ndim; d++) {
        int64_t n = in->shape[d], s = in->strides[d];
        if (d == ax || n == 1)
            continue;
        if (j.nk > 0 && j.kst[j.nk - 1] == s * n) {
            j.ks[j.nk - 1] *= n;
            j.kst[j.nk - 1] = s;
        } else {
            j.ks[j.nk] = n;
            j.kst[j.nk++] = s;
        }
    }
    if (j.n > 1 && j.nk > 0 && j.kst[j.nk - 1] == 1 && j.s != 1) {
        j.K = j.ks[j.nk - 1];
        j.kblocks = (j.K + KB - 1) / KB;
        int64_t tasks = out->size / j.K * j.kblocks;
        em__parallel_for(tasks, 1 + (1 << 15) / (j.n * (j.K < KB ? j.K : KB) + 1), arg_cols, &j);
    } else {
        em__parallel_for(out->size, 1 + (1 << 15) / (j.n + 1), arg_rows, &j);
    }
    return 0;
}

static int argmax_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                         const em_params *p)
{
    return arg_kernel(0, outs[0], ins[0], p);
}
static int argmin_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                         const em_params *p)
{
    return arg_kernel(1, outs[0], ins[0], p);
}

__attribute__((constructor)) static void register_reduce(void)
{
    em__cpu_register(EM_P_REDUCE_SUM, sum_kernel);
    em__cpu_register(EM_P_REDUCE_PROD, prod_kernel);
    em__cpu_register(EM_P_REDUCE_MAX, max_kernel);
    em__cpu_register(EM_P_REDUCE_MIN, min_kernel);
    em__cpu_register(EM_P_REDUCE_ALL, all_kernel);
    em__cpu_register(EM_P_REDUCE_ANY, any_kernel);
    em__cpu_register(EM_P_ARGMAX, argmax_kernel);
    em__cpu_register(EM_P_ARGMIN, argmin_kernel);
}
#endif
