/* Typed element access for the CPU kernels: each dtype has a storage type and a
 * compute type (half types compute in float). X-macro over all dtypes:
 *   X(ENUM, storage type, compute type, load(p), store(p, v)) */
#ifndef EMBER_CPU_LOOPS_H
#define EMBER_CPU_LOOPS_H

#include "half.h"
#include <stdint.h>

#include "array_internal.h"

static inline float em__ld_f16(const uint16_t *p) { return em__half_to_float(*p); }
static inline float em__ld_bf16(const uint16_t *p) { return em__bf16_to_float(*p); }

#define EM_LD_PLAIN(p) (*(p))
#define EM_ST_PLAIN(p, v) (*(p) = (v))
#define EM_LD_F16(p) em__half_to_float(*(p))
#define EM_ST_F16(p, v) (*(p) = em__float_to_half(v))
#define EM_LD_BF16(p) em__bf16_to_float(*(p))
#define EM_ST_BF16(p, v) (*(p) = em__float_to_bf16(v))

#define EM_FOR_INT_DTYPES(X)                                                       \
    X(EM_UINT8, uint8_t, uint8_t, EM_LD_PLAIN, EM_ST_PLAIN)                        \
    X(EM_UINT16, uint16_t, uint16_t, EM_LD_PLAIN, EM_ST_PLAIN)                     \
    X(EM_UINT32, uint32_t, uint32_t, EM_LD_PLAIN, EM_ST_PLAIN)                     \
    X(EM_UINT64, uint64_t, uint64_t, EM_LD_PLAIN, EM_ST_PLAIN)                     \
    X(EM_INT8, int8_t, int8_t, EM_LD_PLAIN, EM_ST_PLAIN)                           \
    X(EM_INT16, int16_t, int16_t, EM_LD_PLAIN, EM_ST_PLAIN)                        \
    X(EM_INT32, int32_t, int32_t, EM_LD_PLAIN, EM_ST_PLAIN)                        \
    X(EM_INT64, int64_t, int64_t, EM_LD_PLAIN, EM_ST_PLAIN)

#define EM_FOR_FLOAT_DTYPES(X)                                                     \
    X(EM_FLOAT16, uint16_t, float, EM_LD_F16, EM_ST_F16)                           \
    X(EM_BFLOAT16, uint16_t, float, EM_LD_BF16, EM_ST_BF16)                        \
    X(EM_FLOAT32, float, float, EM_LD_PLAIN, EM_ST_PLAIN)                          \
    X(EM_FLOAT64, double, double, EM_LD_PLAIN, EM_ST_PLAIN)

#define EM_FOR_BOOL_DTYPE(X) X(EM_BOOL, uint8_t, uint8_t, EM_LD_PLAIN, EM_ST_PLAIN)

#define EM_FOR_ALL_DTYPES(X) EM_FOR_BOOL_DTYPE(X) EM_FOR_INT_DTYPES(X) EM_FOR_FLOAT_DTYPES(X)

/* Walks the row-major index space of `shape` in rows of the last dimension,
 * giving each row's element offsets in up to EM_ND_ITER_MAX_OPS strided operands. Dimensions
 * that are contiguous in every operand are merged first, so most walks are
 * one long row. */
#define EM_ND_ITER_MAX_OPS 10
typedef struct em_nd_iter {
    int ndim;                 /* after merging; the last is the row */
    int64_t shape[EM_MAX_DIMS];
    int64_t strides[EM_ND_ITER_MAX_OPS][EM_MAX_DIMS];
    int n_ops;
} em_nd_iter;

void em__nd_iter_init(em_nd_iter *it, int ndim, const int64_t *shape, int n_ops,
                      const int64_t *const *strides);
/* Offsets of row `row` (0 <= row < rows) for each operand. */
void em__nd_iter_row(const em_nd_iter *it, int64_t row, int64_t *offsets);
static inline int64_t em__nd_iter_rows(const em_nd_iter *it)
{
    int64_t r = 1;
    for (int i = 0; i + 1 < it->ndim; i++)
        r *= it->shape[i];
    return r;
}
static inline int64_t em__nd_iter_row_len(const em_nd_iter *it)
{
    return it->ndim ? it->shape[it->ndim - 1] : 1;
}
static inline int64_t em__nd_iter_row_stride(const em_nd_iter *it, int op)
{
    return it->ndim ? it->strides[op][it->ndim - 1] : 0;
}

/* Copies src's elements (any strides) into dst's buffer at dst_offset laid out
 * with dst_strides, over src's shape; both of one dtype. Parallel. */
void em__copy_strided(em_array *dst, int64_t dst_offset, const int64_t *dst_strides, em_array *src);

#endif
