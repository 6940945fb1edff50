/* Element conversions through double or int64, for the slow generic paths
 * (reading back, printing, scalars). Kernels have their own typed loops. */
#ifndef EMBER_CONVERT_H
#define EMBER_CONVERT_H

#include "half.h"
#include <stdint.h>
#include <string.h>

#include "ember/dtype.h"

static inline double em__load_f64(const void *p, em_dtype t)
{
    switch (t) {
    case EM_BOOL: return *(const uint8_t *)p != 0;
    case EM_UINT8: return *(const uint8_t *)p;
    case EM_UINT16: return *(const uint16_t *)p;
    case EM_UINT32: return *(const uint32_t *)p;
    case EM_UINT64: return (double)*(const uint64_t *)p;
    case EM_INT8: return *(const int8_t *)p;
    case EM_INT16: return *(const int16_t *)p;
    case EM_INT32: return *(const int32_t *)p;
    case EM_INT64: return (double)*(const int64_t *)p;
    case EM_FLOAT16: return em__half_to_float(*(const uint16_t *)p);
    case EM_BFLOAT16: return em__bf16_to_float(*(const uint16_t *)p);
    case EM_FLOAT32: return *(const float *)p;
    case EM_FLOAT64: return *(const double *)p;
    default: return 0;
    }
}

static inline int64_t em__load_i64(const void *p, em_dtype t)
{
    switch (t) {
    case EM_UINT64: return (int64_t)*(const uint64_t *)p;
    case EM_INT64: return *(const int64_t *)p;
    default: return (int64_t)em__load_f64(p, t);
    }
}

/* Float to integer as C casts do, but saturating instead of undefined. */
static inline int64_t em__f64_to_i64(double v)
{
    if (v != v)
        return 0;
    if (v >= 9.2233720368547758e18)
        return INT64_MAX;
    if (v <= -9.2233720368547758e18)
        return INT64_MIN;
    return (int64_t)v;
}

static inline uint64_t em__f64_to_u64(double v)
{
    if (v != v || v <= 0)
        return v < 0 ? (uint64_t)em__f64_to_i64(v) : 0;
    if (v >= 1.8446744073709552e19)
        return UINT64_MAX;
    return (uint64_t)v;
}

static inline void em__store_f64(void *p, em_dtype t, double v)
{
    switch (t) {
    case EM_BOOL: *(uint8_t *)p = v != 0; break;
    case EM_UINT8: *(uint8_t *)p = (uint8_t)em__f64_to_i64(v); break;
    case EM_UINT16: *(uint16_t *)p = (uint16_t)em__f64_to_i64(v); break;
    case EM_UINT32: *(uint32_t *)p = (uint32_t)em__f64_to_i64(v); break;
    case EM_UINT64: *(uint64_t *)p = em__f64_to_u64(v); break;
    case EM_INT8: *(int8_t *)p = (int8_t)em__f64_to_i64(v); break;
    case EM_INT16: *(int16_t *)p = (int16_t)em__f64_to_i64(v); break;
    case EM_INT32: *(int32_t *)p = (int32_t)em__f64_to_i64(v); break;
    case EM_INT64: *(int64_t *)p = em__f64_to_i64(v); break;
    case EM_FLOAT16: *(uint16_t *)p = em__float_to_half((float)v); break;
    case EM_BFLOAT16: *(uint16_t *)p = em__float_to_bf16((float)v); break;
    case EM_FLOAT32: *(float *)p = (float)v; break;
    case EM_FLOAT64: *(double *)p = v; break;
    default: break;
    }
}

/* One element from type s to type d; 64-bit integers keep all their bits. */
static inline void em__convert(const void *src, em_dtype s, void *dst, em_dtype d)
{
    if (s == d) {
        memcpy(dst, src, em_dtype_size(s));
        return;
    }
    if ((s == EM_INT64 || s == EM_UINT64) && em_dtype_is_int(d)) {
        uint64_t v = *(const uint64_t *)src;
        memcpy(dst, &v, em_dtype_size(d)); /* little-endian truncation */
        return;
    }
    em__store_f64(dst, d, em__load_f64(src, s));
}

#endif
