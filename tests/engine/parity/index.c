/* Runners of the indexing parity cases (cases_index.py). t_rev=1 transposes
 * in[0] first (a non-contiguous source). */
#include <string.h>

#include "parity.h"

static em_array *prep(em_array *x, const parity_args *a)
{
    return parity_bool(a, "t_rev", false) ? em_transpose(x, NULL) : x;
}

/* Evaluates here: out-of-range indices are reported at evaluation, and the
 * runner evaluates nothing for error cases. */
static int done(em_array **out) { return out[0] && em_eval(out[0]) == 0 ? 0 : -1; }

static int axis_or_all(const parity_args *a)
{
    const char *v = parity_arg(a, "axis");
    return !v || !strcmp(v, "none") ? EM_AXIS_ALL : (int)parity_int(a, "axis", 0);
}

static int run_take(em_array **in, int n, const parity_args *a, em_array **out)
{
    out[0] = em_take(prep(in[0], a), in[1], axis_or_all(a));
    return done(out);
}

static int run_take_along_axis(em_array **in, int n, const parity_args *a, em_array **out)
{
    out[0] = em_take_along_axis(prep(in[0], a), in[1], axis_or_all(a));
    return done(out);
}

static int run_put_along_axis(em_array **in, int n, const parity_args *a, em_array **out)
{
    out[0] = em_put_along_axis(prep(in[0], a), in[1], in[2], axis_or_all(a));
    return done(out);
}

/* in[0] = a, in[1..n-1] = indices; slice_sizes */
static int run_gather(em_array **in, int n, const parity_args *a, em_array **out)
{
    int axes[EM_MAX_DIMS];
    int64_t sizes[EM_MAX_DIMS];
    int k = parity_ints(a, "axes", axes, EM_MAX_DIMS);
    parity_i64s(a, "slice_sizes", sizes, EM_MAX_DIMS);
    out[0] = em_gather(prep(in[0], a), in + 1, k < 0 ? 0 : k, axes, sizes);
    return done(out);
}

/* in[0] = a, in[1..n-2] = indices, in[n-1] = updates */
static int run_scatter(em_array **in, int n, const parity_args *a, em_array **out)
{
    int axes[EM_MAX_DIMS];
    int k = parity_ints(a, "axes", axes, EM_MAX_DIMS);
    const char *m = parity_arg(a, "mode");
    em_scatter_mode mode = !m ? EM_SCATTER_SET : !strcmp(m, "add") ? EM_SCATTER_ADD
                           : !strcmp(m, "max") ? EM_SCATTER_MAX : !strcmp(m, "min") ? EM_SCATTER_MIN
                           : !strcmp(m, "prod") ? EM_SCATTER_PROD : !strcmp(m, "set") ? EM_SCATTER_SET
                           : (em_scatter_mode)9;
    out[0] = em_scatter(prep(in[0], a), in + 1, k < 0 ? 0 : k, in[n - 1], axes, mode);
    return done(out);
}

static int run_slice_update(em_array **in, int n, const parity_args *a, em_array **out)
{
    int64_t st[EM_MAX_DIMS], sp[EM_MAX_DIMS], sz[EM_MAX_DIMS];
    int n1 = parity_i64s(a, "start", st, EM_MAX_DIMS), n2 = parity_i64s(a, "stop", sp, EM_MAX_DIMS),
        n3 = parity_i64s(a, "step", sz, EM_MAX_DIMS);
    out[0] = em_slice_update(prep(in[0], a), in[1], n1 >= 0 ? st : NULL, n2 >= 0 ? sp : NULL,
                             n3 >= 0 ? sz : NULL);
    return done(out);
}

#define ENTRY(NAME) {#NAME, run_##NAME},
const parity_op parity_ops_index[] = {
    ENTRY(take) ENTRY(take_along_axis) ENTRY(put_along_axis) ENTRY(gather) ENTRY(scatter)
    ENTRY(slice_update)
    {NULL, NULL},
};
