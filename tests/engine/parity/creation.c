/* Runners of the creation parity cases (cases_creation.py). */
#include <string.h>

#include "parity.h"

static int shape_arg(const parity_args *a, int64_t *shape)
{
    int n = parity_i64s(a, "shape", shape, EM_MAX_DIMS);
    return n < 0 ? 0 : n;
}

static int run_zeros(em_array **in, int n, const parity_args *a, em_array **out)
{
    int64_t s[EM_MAX_DIMS];
    int nd = shape_arg(a, s);
    out[0] = em_zeros(nd, s, parity_dtype(a, "dtype", EM_FLOAT32));
    return out[0] ? 0 : -1;
}

static int run_ones(em_array **in, int n, const parity_args *a, em_array **out)
{
    int64_t s[EM_MAX_DIMS];
    int nd = shape_arg(a, s);
    out[0] = em_ones(nd, s, parity_dtype(a, "dtype", EM_FLOAT32));
    return out[0] ? 0 : -1;
}

static int run_full(em_array **in, int n, const parity_args *a, em_array **out)
{
    int64_t s[EM_MAX_DIMS];
    int nd = shape_arg(a, s);
    out[0] = em_full(nd, s, parity_f64(a, "value", 0), parity_dtype(a, "dtype", EM_FLOAT32));
    return out[0] ? 0 : -1;
}

static int run_arange(em_array **in, int n, const parity_args *a, em_array **out)
{
    out[0] = em_arange(parity_f64(a, "start", 0), parity_f64(a, "stop", 0), parity_f64(a, "step", 1),
                       parity_dtype(a, "dtype", EM_FLOAT32));
    return out[0] ? 0 : -1;
}

static int run_linspace(em_array **in, int n, const parity_args *a, em_array **out)
{
    out[0] = em_linspace(parity_f64(a, "start", 0), parity_f64(a, "stop", 0), parity_int(a, "num", 0),
                         parity_dtype(a, "dtype", EM_FLOAT32));
    return out[0] ? 0 : -1;
}

static int run_eye(em_array **in, int n, const parity_args *a, em_array **out)
{
    out[0] = em_eye(parity_int(a, "n", 0), parity_int(a, "m", 0), (int)parity_int(a, "k", 0),
                    parity_dtype(a, "dtype", EM_FLOAT32));
    return out[0] ? 0 : -1;
}

static int run_tri(em_array **in, int n, const parity_args *a, em_array **out)
{
    out[0] = em_tri(parity_int(a, "n", 0), parity_int(a, "m", 0), (int)parity_int(a, "k", 0),
                    parity_dtype(a, "dtype", EM_FLOAT32));
    return out[0] ? 0 : -1;
}

static int run_identity(em_array **in, int n, const parity_args *a, em_array **out)
{
    out[0] = em_identity(parity_int(a, "n", 0), parity_dtype(a, "dtype", EM_FLOAT32));
    return out[0] ? 0 : -1;
}

static int run_tril(em_array **in, int n, const parity_args *a, em_array **out)
{
    out[0] = em_tril(in[0], (int)parity_int(a, "k", 0));
    return out[0] ? 0 : -1;
}

static int run_triu(em_array **in, int n, const parity_args *a, em_array **out)
{
    out[0] = em_triu(in[0], (int)parity_int(a, "k", 0));
    return out[0] ? 0 : -1;
}

static int run_zeros_like(em_array **in, int n, const parity_args *a, em_array **out)
{
    out[0] = em_zeros_like(in[0]);
    return out[0] ? 0 : -1;
}

static int run_ones_like(em_array **in, int n, const parity_args *a, em_array **out)
{
    out[0] = em_ones_like(in[0]);
    return out[0] ? 0 : -1;
}

static int run_full_like(em_array **in, int n, const parity_args *a, em_array **out)
{
    out[0] = em_full_like(in[0], parity_f64(a, "value", 0));
    return out[0] ? 0 : -1;
}

static int run_meshgrid(em_array **in, int n, const parity_args *a, em_array **out)
{
    const char *idx = parity_arg(a, "indexing");
    return em_meshgrid(in, n, parity_bool(a, "sparse", false), idx ? idx : "xy", out);
}

#define ENTRY(NAME) {#NAME, run_##NAME},
const parity_op parity_ops_creation[] = {
    ENTRY(zeros) ENTRY(ones) ENTRY(full) ENTRY(arange) ENTRY(linspace) ENTRY(eye) ENTRY(tri)
    ENTRY(identity) ENTRY(tril) ENTRY(triu) ENTRY(zeros_like) ENTRY(ones_like) ENTRY(full_like)
    ENTRY(meshgrid)
    {NULL, NULL},
};
