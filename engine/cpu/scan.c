/* CPU kernels of the scans: cumsum, cumprod, cummax, cummin along one axis,
 * forward or reverse, inclusive or exclusive. The input is viewed as
 * (pre, n, post): with post == 1 each line is scanned on its own; otherwise
 * blocks of post columns are scanned together (contiguous inner loop).
 * Sums and products accumulate in double (floats) or 64-bit wrapping integers;
 * max and min in the compute type, NaN propagating. */
#include <math.h>
#include <stdlib.h>

#include "loops.h"

static inline float ld_bf16(const uint16_t *p)
{
    union { uint32_t u; float f; } v = {.u = (uint32_t)*p << 16};
    return v.f;
}
#define LD_BF16(p) ld_bf16(p)

/* (x, out) at the start of a block of `cols` columns of one line group:
 * element i of column c is x[i * stride + c] (stride in elements). */
typedef void (*scan_fn)(const void *x, void *out, int64_t n, int64_t stride, int64_t cols,
                        int reverse, int inclusive);

#define KB 512

#define SCAN_T(NAME, E, ST, LD, ACC, CV, IDENT, OPX, OST, OCT, OSTORE)                     \
    static void NAME##_##E(const void *x_, void *out_, int64_t n, int64_t stride,           \
                           int64_t cols, int reverse, int inclusive)                        \
    {                                                                                      \
        const ST *x = x_;                                                                  \
        OST *out = out_;                                                                   \
        int64_t step = reverse ? -stride : stride;                                         \
        int64_t start = reverse ? (n - 1) * stride : 0;                                    \
        if (cols == 1) {                                                                   \
            ACC acc = (IDENT);                                                             \
            int64_t o = start;                                                             \
            for (int64_t i = 0; i < n; i++, o += step) {                                   \
                ACC v = CV(LD(x + o));                                                     \
                if (inclusive) {                                                           \
                    acc = OPX(acc, v);                                                     \
                    OSTORE(out + o, (OCT)acc);                                             \
                } else {                                                                   \
                    OSTORE(out + o, (OCT)acc);                                             \
                    acc = OPX(acc, v);                                                     \
                }                                                                          \
            }                                                                              \
            return;                                                                        \
        }                                                                                  \
        ACC acc[KB];                                                                       \
        for (int64_t c = 0; c < cols; c++)                                                 \
            acc[c] = (IDENT);                                                              \
        int64_t o = start;                                                                 \
        for (int64_t i = 0; i < n; i++, o += step) {                                       \
            const ST *xr = x + o;                                                          \
            OST *orow = out + o;                                                           \
            if (inclusive) {                                                               \
                for (int64_t c = 0; c < cols; c++) {                                       \
                    ACC v = CV(LD(xr + c));                                                \
                    acc[c] = OPX(acc[c], v);                                               \
                    OSTORE(orow + c, (OCT)acc[c]);                                         \
                }                                                                          \
            } else {                                                                       \
                for (int64_t c = 0; c < cols; c++) {                                       \
                    ACC v = CV(LD(xr + c));                                                \
                    OSTORE(orow + c, (OCT)acc[c]);                                         \
                    acc[c] = OPX(acc[c], v);                                               \
                }                                                                          \
            }                                                                              \
        }                                                                                  \
    }

#define ADD(a, b) ((a) + (b))
#define MUL(a, b) ((a) * (b))
#define FMAX(a, b) ((b) > (a) || (b) != (b) ? (b) : (a))
#define FMIN(a, b) ((b) < (a) || (b) != (b) ? (b) : (a))
#define IMAX(a, b) ((b) > (a) ? (b) : (a))
#define IMIN(a, b) ((b) < (a) ? (b) : (a))
#define TO_U64(v) ((uint64_t)(v))
#define TO_D(v) ((double)(v))
#define SAME(v) (v)

#define SUMPROD_FLOAT(E, ST, LD, CT, OSTORE)                                               \
    SCAN_T(cumsum, E, ST, LD, double, TO_D, 0.0, ADD, ST, CT, OSTORE)                       \
    SCAN_T(cumprod, E, ST, LD, double, TO_D, 1.0, MUL, ST, CT, OSTORE)
#define SUMPROD_INT(E, ST, OST)                                                            \
    SCAN_T(cumsum, E, ST, EM_LD_PLAIN, uint64_t, TO_U64, 0, ADD, OST, OST, EM_ST_PLAIN)     \
    SCAN_T(cumprod, E, ST, EM_LD_PLAIN, uint64_t, TO_U64, 1, MUL, OST, OST, EM_ST_PLAIN)
SUMPROD_FLOAT(EM_FLOAT16, uint16_t, EM_LD_F16, float, EM_ST_F16)
SUMPROD_FLOAT(EM_BFLOAT16, uint16_t, LD_BF16, float, EM_ST_BF16)
SUMPROD_FLOAT(EM_FLOAT32, float, EM_LD_PLAIN, float, EM_ST_PLAIN)
SUMPROD_FLOAT(EM_FLOAT64, double, EM_LD_PLAIN, double, EM_ST_PLAIN)
SUMPROD_INT(EM_BOOL, uint8_t, int32_t)
SUMPROD_INT(EM_UINT8, uint8_t, uint32_t)
SUMPROD_INT(EM_UINT16, uint16_t, uint32_t)
SUMPROD_INT(EM_UINT32, uint32_t, uint32_t)
SUMPROD_INT(EM_UINT64, uint64_t, uint64_t)
SUMPROD_INT(EM_INT8, int8_t, int32_t)
SUMPROD_INT(EM_INT16, int16_t, int32_t)
SUMPROD_INT(EM_INT32, int32_t, int32_t)
SUMPROD_INT(EM_INT64, int64_t, int64_t)

#define MAXMIN_FLOAT(E, ST, LD, CT, OSTORE)                                                \
    SCAN_T(cummax, E, ST, LD, CT, SAME, -INFINITY, FMAX, ST, CT, OSTORE)                    \
    SCAN_T(cummin, E, ST, LD, CT, SAME, INFINITY, FMIN, ST, CT, OSTORE)
#define MAXMIN_INT(E, ST, LO, HI)                                                          \
    SCAN_T(cummax, E, ST, EM_LD_PLAIN, ST, SAME, LO, IMAX, ST, ST, EM_ST_PLAIN)             \
    SCAN_T(cummin, E, ST, EM_LD_PLAIN, ST, SAME, HI, IMIN, ST, ST, EM_ST_PLAIN)
MAXMIN_FLOAT(EM_FLOAT16, uint16_t, EM_LD_F16, float, EM_ST_F16)
MAXMIN_FLOAT(EM_BFLOAT16, uint16_t, LD_BF16, float, EM_ST_BF16)
MAXMIN_FLOAT(EM_FLOAT32, float, EM_LD_PLAIN, float, EM_ST_PLAIN)
MAXMIN_FLOAT(EM_FLOAT64, double, EM_LD_PLAIN, double, EM_ST_PLAIN)
MAXMIN_INT(EM_BOOL, uint8_t, 0, 1)
MAXMIN_INT(EM_UINT8, uint8_t, 0, UINT8_MAX)
MAXMIN_INT(EM_UINT16, uint16_t, 0, UINT16_MAX)
MAXMIN_INT(EM_UINT32, uint32_t, 0, UINT32_MAX)
MAXMIN_INT(EM_UINT64, uint64_t, 0, UINT64_MAX)
MAXMIN_INT(EM_INT8, int8_t, INT8_MIN, INT8_MAX)
MAXMIN_INT(EM_INT16, int16_t, INT16_MIN, INT16_MAX)
MAXMIN_INT(EM_INT32, int32_t, INT32_MIN, INT32_MAX)
MAXMIN_INT(EM_INT64, int64_t, INT64_MIN, INT64_MAX)

#define ROW(NAME)                                                                          \
    {[EM_BOOL] = NAME##_EM_BOOL, [EM_UINT8] = NAME##_EM_UINT8, [EM_UINT16] = NAME##_EM_UINT16, \
     [EM_UINT32] = NAME##_EM_UINT32, [EM_UINT64] = NAME##_EM_UINT64, [EM_INT8] = NAME##_EM_INT8, \
     [EM_INT16] = NAME##_EM_INT16, [EM_INT32] = NAME##_EM_INT32, [EM_INT64] = NAME##_EM_INT64, \
     [EM_FLOAT16] = NAME##_EM_FLOAT16, [EM_BFLOAT16] = NAME##_EM_BFLOAT16,                   \
     [EM_FLOAT32] = NAME##_EM_FLOAT32, [EM_FLOAT64] = NAME##_EM_FLOAT64}
static const scan_fn table[4][EM_DTYPE_COUNT] = {ROW(cumsum), ROW(cumprod), ROW(cummax), ROW(cummin)};

typedef struct {
    scan_fn f;
    const char *x;
    char *out;
    size_t esz, osz;
    int64_t n, post, kblocks;
    int reverse, inclusive;
} scan_job;

static void scan_task(void *ctx, int64_t begin, int64_t end)
{
    const scan_job *j = ctx;
    for (int64_t t = begin; t < end; t++) {
        int64_t pre = t / j->kblocks, c0 = (t % j->kblocks) * KB;
        int64_t cols = j->post - c0 < KB ? j->post - c0 : KB;
        int64_t off = pre * j->n * j->post + c0;
        j->f(j->x + off * (int64_t)j->esz, j->out + off * (int64_t)j->osz, j->n, j->post, cols,
             j->reverse, j->inclusive);
    }
}

static int scan_kernel(int op, em_array *out, em_array *in, const em_params *p)
{
    if (em__alloc_output(out) < 0)
        return -1;
    if (out->size == 0)
        return 0;
    em_array *src = in;
    if (!em__is_row_contiguous(in)) {
        src = em__alloc_array((em_dtype)in->dtype, in->ndim, in->shape);
        if (!src || em__alloc_output(src) < 0) {
            em_release(src);
            return -1;
        }
        em__copy_strided(src, 0, src->strides, in);
    }
    int ax = (int)p->i[0];
    scan_job j = {.f = table[op][in->dtype], .x = em__data(src), .out = em__data(out),
                  .esz = em_dtype_size((em_dtype)in->dtype), .osz = em_dtype_size((em_dtype)out->dtype),
                  .n = in->ndim ? in->shape[ax] : 1, .post = 1, .reverse = (int)p->i[1],
                  .inclusive = (int)p->i[2]};
    for (int d = ax + 1; d < in->ndim; d++)
        j.post *= in->shape[d];
    int64_t pre = out->size / (j.n * j.post);
    j.kblocks = (j.post + KB - 1) / KB;
    int64_t per = j.n * (j.post < KB ? j.post : KB);
    em__parallel_for(pre * j.kblocks, 1 + (1 << 15) / (per + 1), scan_task, &j);
    if (src != in)
        em_release(src);
    return 0;
}

#define KERNEL(NAME, OP)                                                                  \
    static int NAME##_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in, \
                             const em_params *p)                                          \
    {                                                                                     \
        return scan_kernel(OP, outs[0], ins[0], p);                                       \
    }
KERNEL(cumsum, 0)
KERNEL(cumprod, 1)
KERNEL(cummax, 2)
KERNEL(cummin, 3)

__attribute__((constructor)) static void register_scan(void)
{
    em__cpu_register(EM_P_SCAN_SUM, cumsum_kernel);
    em__cpu_register(EM_P_SCAN_PROD, cumprod_kernel);
    em__cpu_register(EM_P_SCAN_MAX, cummax_kernel);
    em__cpu_register(EM_P_SCAN_MIN, cummin_kernel);
}
