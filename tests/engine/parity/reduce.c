/* Runners of the reduction and scan parity cases (cases_reduce.py).
 * Common args: axes= (list or none: all), keepdims=, transpose= (reverse the
 * input's axes first: a non-contiguous view), slice= (take every other element
 * of the last axis first). */
#include <string.h>

#include "parity.h"

static em_array *input(em_array *x, const parity_args *a)
{
    if (parity_bool(a, "transpose", false))
        x = em_transpose(x, NULL);
    if (parity_bool(a, "slice", false) && em_array_ndim(x) > 0) {
        int nd = em_array_ndim(x);
        int64_t step[EM_MAX_DIMS];
        for (int i = 0; i < nd; i++)
            step[i] = i == nd - 1 ? 2 : 1;
        x = em_slice(x, NULL, NULL, step);
    }
    return x;
}

#define AXES_OP(NAME)                                                                     \
    static int run_##NAME(em_array **in, int n, const parity_args *a, em_array **out)     \
    {                                                                                     \
        int axes[EM_MAX_DIMS];                                                            \
        int k = parity_ints(a, "axes", axes, EM_MAX_DIMS);                                \
        out[0] = em_##NAME(input(in[0], a), k < 0 ? NULL : axes, k < 0 ? 0 : k,           \
                           parity_bool(a, "keepdims", false));                            \
        return out[0] ? 0 : -1;                                                           \
    }
AXES_OP(sum)
AXES_OP(prod)
AXES_OP(mean)
AXES_OP(max)
AXES_OP(min)
AXES_OP(all)
AXES_OP(any)
AXES_OP(logsumexp)

#define DDOF_OP(NAME)                                                                     \
    static int run_##NAME(em_array **in, int n, const parity_args *a, em_array **out)     \
    {                                                                                     \
        int axes[EM_MAX_DIMS];                                                            \
        int k = parity_ints(a, "axes", axes, EM_MAX_DIMS);                                \
        out[0] = em_##NAME(input(in[0], a), k < 0 ? NULL : axes, k < 0 ? 0 : k,           \
                           parity_bool(a, "keepdims", false), (int)parity_int(a, "ddof", 0)); \
        return out[0] ? 0 : -1;                                                           \
    }
DDOF_OP(var)
DDOF_OP(std)

#define ARG_OP(NAME)                                                                      \
    static int run_##NAME(em_array **in, int n, const parity_args *a, em_array **out)     \
    {                                                                                     \
        out[0] = em_##NAME(input(in[0], a), (int)parity_int(a, "axis", EM_AXIS_ALL),      \
                           parity_bool(a, "keepdims", false));                            \
        return out[0] ? 0 : -1;                                                           \
    }
ARG_OP(argmax)
ARG_OP(argmin)

#define SCAN_OP(NAME)                                                                     \
    static int run_##NAME(em_array **in, int n, const parity_args *a, em_array **out)     \
    {                                                                                     \
        out[0] = em_##NAME(input(in[0], a), (int)parity_int(a, "axis", EM_AXIS_ALL),      \
                           parity_bool(a, "reverse", false), parity_bool(a, "inclusive", true)); \
        return out[0] ? 0 : -1;                                                           \
    }
SCAN_OP(cumsum)
SCAN_OP(cumprod)
SCAN_OP(cummax)
SCAN_OP(cummin)

static int run_allclose(em_array **in, int n, const parity_args *a, em_array **out)
{
    out[0] = em_allclose(in[0], in[1], parity_f64(a, "rtol_arg", 1e-5), parity_f64(a, "atol_arg", 1e-8),
                         parity_bool(a, "equal_nan", false));
    return out[0] ? 0 : -1;
}

static int run_array_equal(em_array **in, int n, const parity_args *a, em_array **out)
{
    out[0] = em_array_equal(in[0], in[1], parity_bool(a, "equal_nan", false));
    return out[0] ? 0 : -1;
}

/* Chains one op's result through another (sum of a sum): checks that
 * reductions compose and free their temporaries. */
static int run_sum_of_max(em_array **in, int n, const parity_args *a, em_array **out)
{
    int ax0[1] = {0};
    out[0] = em_sum(em_max(in[0], ax0, 1, false), NULL, 0, false);
    return out[0] ? 0 : -1;
}

#define ENTRY(NAME) {#NAME, run_##NAME},
const parity_op parity_ops_reduce[] = {
    ENTRY(sum) ENTRY(prod) ENTRY(mean) ENTRY(max) ENTRY(min) ENTRY(all) ENTRY(any)
    ENTRY(logsumexp) ENTRY(var) ENTRY(std) ENTRY(argmax) ENTRY(argmin) ENTRY(cumsum)
    ENTRY(cumprod) ENTRY(cummax) ENTRY(cummin) ENTRY(allclose) ENTRY(array_equal)
    ENTRY(sum_of_max)
    {NULL, NULL},
};
