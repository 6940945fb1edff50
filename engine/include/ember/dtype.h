/* Element types and type promotion (MLX/NumPy rules). */
#ifndef EMBER_DTYPE_H
#define EMBER_DTYPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum em_dtype {
    EM_BOOL,
    EM_UINT8,
    EM_UINT16,
    EM_UINT32,
    EM_UINT64,
    EM_INT8,
    EM_INT16,
    EM_INT32,
    EM_INT64,
    EM_FLOAT16,
    EM_BFLOAT16,
    EM_FLOAT32,
    EM_FLOAT64,
    EM_DTYPE_COUNT
} em_dtype;

/* Bytes per element. */
size_t em_dtype_size(em_dtype t);
/* "bool", "uint8", ..., "float16", "bfloat16", "float32", "float64" (MLX's names). */
const char *em_dtype_name(em_dtype t);
/* The safetensors spelling: "BOOL", "U8", ..., "F16", "BF16", "F32", "F64". */
const char *em_dtype_safetensors_name(em_dtype t);
/* Parses either spelling; returns -1 for an unknown name. */
int em_dtype_from_name(const char *name);

bool em_dtype_is_float(em_dtype t);
bool em_dtype_is_int(em_dtype t);      /* signed or unsigned integer, not bool */
bool em_dtype_is_signed(em_dtype t);   /* signed integers and floats */
/* The type both a and b are converted to in a binary op. */
em_dtype em_promote_types(em_dtype a, em_dtype b);

/* Half-precision conversions (round to nearest even). */
float em_f16_to_f32(uint16_t h);
uint16_t em_f32_to_f16(float f);
float em_bf16_to_f32(uint16_t b);
uint16_t em_f32_to_bf16(float f);

#ifdef __cplusplus
}
#endif
#endif
