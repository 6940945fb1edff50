/* Runners of the quantization parity cases (cases_quant.py). */
#include "parity.h"
#include "../../../engine/ops/fast_internal.h"

#define GS (int)parity_int(a, "gs", 64)
#define BITS (int)parity_int(a, "bits", 4)

static int run_quantize(em_array **in, int n, const parity_args *a, em_array **out)
{
    return em_quantize(in[0], GS, BITS, &out[0], &out[1], &out[2]);
}

static int run_dequantize(em_array **in, int n, const parity_args *a, em_array **out)
{
    out[0] = em_dequantize(in[0], in[1], in[2], GS, BITS);
    return out[0] ? 0 : -1;
}

static int run_dequantize_fallback(em_array **in, int n, const parity_args *a, em_array **out)
{
    out[0] = em__dequantize_fallback(in[0], in[1], in[2], GS, BITS);
    return out[0] ? 0 : -1;
}

static em_array *x_of(em_array **in, const parity_args *a)
{
    return parity_bool(a, "transpose_x", false) ? em_transpose(in[0], NULL) : in[0];
}

static int run_quantized_matmul(em_array **in, int n, const parity_args *a, em_array **out)
{
    out[0] = em_quantized_matmul(x_of(in, a), in[1], in[2], in[3], parity_bool(a, "transpose", true), GS, BITS);
    return out[0] ? 0 : -1;
}

static int run_quantized_matmul_fallback(em_array **in, int n, const parity_args *a, em_array **out)
{
    out[0] = em__quantized_matmul_fallback(x_of(in, a), in[1], in[2], in[3],
                                           parity_bool(a, "transpose", true), GS, BITS);
    return out[0] ? 0 : -1;
}

const parity_op parity_ops_quant[] = {
    {"quantize", run_quantize},
    {"dequantize", run_dequantize},
    {"dequantize_fallback", run_dequantize_fallback},
    {"quantized_matmul", run_quantized_matmul},
    {"quantized_matmul_fallback", run_quantized_matmul_fallback},
    {NULL, NULL},
};
