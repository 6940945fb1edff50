/* Runners of the elementwise parity cases (cases_elementwise.py). */
#include <string.h>

#include "parity.h"

#define UNARY(NAME)                                                                \
    static int run_##NAME(em_array **in, int n, const parity_args *a, em_array **out) \
    {                                                                              \
        em_array *x = parity_bool(a, "transpose", false) ? em_transpose(in[0], NULL) : in[0]; \
        out[0] = em_##NAME(x);                                                      \
        return out[0] ? 0 : -1;                                                    \
    }
#define BINARY(NAME)                                                               \
    static int run_##NAME(em_array **in, int n, const parity_args *a, em_array **out) \
    {                                                                              \
        em_array *y = parity_bool(a, "transpose_b", false) ? em_transpose(in[1], NULL) : in[1]; \
        out[0] = em_##NAME(in[0], y);                                               \
        return out[0] ? 0 : -1;                                                    \
    }
#define EACH_UNARY(X) X(sqrt) X(rsqrt) X(reciprocal) X(exp) X(expm1) X(log) X(log1p) X(log2) \
    X(log10) X(sin) X(cos) X(tan) X(arcsin) X(arccos) X(arctan) X(sinh) X(cosh) X(tanh)  \
    X(arcsinh) X(arccosh) X(arctanh) X(sigmoid) X(erf) X(erfinv) X(abs) X(negative) X(sign) \
    X(square) X(floor) X(ceil) X(isnan) X(isinf) X(isfinite) X(isposinf) X(isneginf)    \
    X(logical_not) X(bitwise_invert) X(stop_gradient)
#define EACH_BINARY(X) X(add) X(subtract) X(multiply) X(divide) X(floor_divide) X(remainder) \
    X(power) X(maximum) X(minimum) X(logaddexp) X(arctan2) X(equal) X(not_equal) X(less)  \
    X(less_equal) X(greater) X(greater_equal) X(logical_and) X(logical_or) X(bitwise_and) \
    X(bitwise_or) X(bitwise_xor) X(left_shift) X(right_shift)
EACH_UNARY(UNARY)
EACH_BINARY(BINARY)

static int run_round(em_array **in, int n, const parity_args *a, em_array **out)
{
    out[0] = em_round(in[0], (int)parity_int(a, "decimals", 0));
    return out[0] ? 0 : -1;
}

static int run_astype(em_array **in, int n, const parity_args *a, em_array **out)
{
    out[0] = em_astype(in[0], parity_dtype(a, "dtype", EM_FLOAT32));
    return out[0] ? 0 : -1;
}

static em_array *scalar_arg(const parity_args *a)
{
    return parity_bool(a, "integer", false) ? em_scalar_i(parity_int(a, "value", 0))
                                            : em_scalar_f(parity_f64(a, "value", 0));
}

static int run_add_scalar(em_array **in, int n, const parity_args *a, em_array **out)
{
    out[0] = em_add(in[0], scalar_arg(a));
    return out[0] ? 0 : -1;
}

static int run_multiply_scalar(em_array **in, int n, const parity_args *a, em_array **out)
{
    out[0] = em_multiply(in[0], scalar_arg(a));
    return out[0] ? 0 : -1;
}

static int run_where(em_array **in, int n, const parity_args *a, em_array **out)
{
    out[0] = em_where(in[0], in[1], in[2]);
    return out[0] ? 0 : -1;
}

static int run_clip(em_array **in, int n, const parity_args *a, em_array **out)
{
    out[0] = em_clip(in[0], in[1], in[2]);
    return out[0] ? 0 : -1;
}

static int run_isclose(em_array **in, int n, const parity_args *a, em_array **out)
{
    out[0] = em_isclose(in[0], in[1], parity_f64(a, "rtol_arg", 1e-5), parity_f64(a, "atol_arg", 1e-8),
                        parity_bool(a, "equal_nan", false));
    return out[0] ? 0 : -1;
}

#define ENTRY(NAME) {#NAME, run_##NAME},
const parity_op parity_ops_elementwise[] = {
    EACH_UNARY(ENTRY) EACH_BINARY(ENTRY)
    ENTRY(round) ENTRY(astype) ENTRY(add_scalar) ENTRY(multiply_scalar) ENTRY(where)
    ENTRY(clip) ENTRY(isclose)
    {NULL, NULL},
};
