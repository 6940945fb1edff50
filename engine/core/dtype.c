#include <math.h>
#include <string.h>

#include "ember/dtype.h"
#include "half.h"

static const struct {
    const char *name;
    const char *st;
    size_t size;
} info[EM_DTYPE_COUNT] = {
    [EM_BOOL] = {"bool", "BOOL", 1},
    [EM_UINT8] = {"uint8", "U8", 1},
    [EM_UINT16] = {"uint16", "U16", 2},
    [EM_UINT32] = {"uint32", "U32", 4},
    [EM_UINT64] = {"uint64", "U64", 8},
    [EM_INT8] = {"int8", "I8", 1},
    [EM_INT16] = {"int16", "I16", 2},
    [EM_INT32] = {"int32", "I32", 4},
    [EM_INT64] = {"int64", "I64", 8},
    [EM_FLOAT16] = {"float16", "F16", 2},
    [EM_BFLOAT16] = {"bfloat16", "BF16", 2},
    [EM_FLOAT32] = {"float32", "F32", 4},
    [EM_FLOAT64] = {"float64", "F64", 8},
};

size_t em_dtype_size(em_dtype t) { return (unsigned)t < EM_DTYPE_COUNT ? info[t].size : 0; }

const char *em_dtype_name(em_dtype t) { return (unsigned)t < EM_DTYPE_COUNT ? info[t].name : "?"; }

const char *em_dtype_safetensors_name(em_dtype t)
{
    return (unsigned)t < EM_DTYPE_COUNT ? info[t].st : "?";
}

int em_dtype_from_name(const char *name)
{
    if (!name)
        return -1;
    for (int t = 0; t < EM_DTYPE_COUNT; t++)
        if (!strcmp(name, info[t].name) || !strcmp(name, info[t].st))
            return t;
    return -1;
}

bool em_dtype_is_float(em_dtype t) { return t >= EM_FLOAT16 && t <= EM_FLOAT64; }

bool em_dtype_is_int(em_dtype t) { return t >= EM_UINT8 && t <= EM_INT64; }

bool em_dtype_is_signed(em_dtype t) { return t >= EM_INT8; }

static bool is_unsigned(em_dtype t) { return t >= EM_UINT8 && t <= EM_UINT64; }

static em_dtype signed_of_size(size_t n)
{
    switch (n) {
    case 1: return EM_INT8;
    case 2: return EM_INT16;
    case 4: return EM_INT32;
    default: return EM_INT64;
    }
}

/* MLX's table: bool < integers < floats; mixed signedness widens; uint64 with a
 * signed integer has no integer home and becomes float32; float16 with bfloat16
 * meets in float32; an integer with a float keeps the float. */
em_dtype em_promote_types(em_dtype a, em_dtype b)
{
    if (a == b)
        return a;
    if (a == EM_BOOL)
        return b;
    if (b == EM_BOOL)
        return a;
    bool fa = em_dtype_is_float(a), fb = em_dtype_is_float(b);
    if (fa && fb) {
        if ((a == EM_FLOAT16 && b == EM_BFLOAT16) || (a == EM_BFLOAT16 && b == EM_FLOAT16))
            return EM_FLOAT32;
        return info[a].size >= info[b].size ? a : b;
    }
    if (fa)
        return a;
    if (fb)
        return b;
    bool ua = is_unsigned(a), ub = is_unsigned(b);
    if (ua == ub)
        return info[a].size >= info[b].size ? a : b;
    em_dtype u = ua ? a : b, s = ua ? b : a;
    if (info[s].size > info[u].size)
        return s;
    if (u == EM_UINT64)
        return EM_FLOAT32;
    return signed_of_size(info[u].size * 2);
}

float em_f16_to_f32(uint16_t h) { return em__half_to_float(h); }

uint16_t em_f32_to_f16(float f) { return em__float_to_half(f); }

float em_bf16_to_f32(uint16_t b) { return em__bf16_to_float(b); }

uint16_t em_f32_to_bf16(float f) { return em__float_to_bf16(f); }
