/* Runners of the shape parity cases (cases_shape.py). Every runner first
 * applies an optional view to in[0]: transpose (perm list, or "rev" via
 * t_rev=1) then a slice (pre_start/pre_stop/pre_step), so that non-contiguous
 * inputs are tested too. */
#include <string.h>

#include "parity.h"

static em_array *prep(em_array *x, const parity_args *a)
{
    int perm[EM_MAX_DIMS];
    if (parity_bool(a, "t_rev", false))
        x = em_transpose(x, NULL);
    else if (parity_ints(a, "t_perm", perm, EM_MAX_DIMS) > 0)
        x = em_transpose(x, perm);
    int64_t st[EM_MAX_DIMS], sp[EM_MAX_DIMS], sz[EM_MAX_DIMS];
    int n1 = parity_i64s(a, "pre_start", st, EM_MAX_DIMS), n2 = parity_i64s(a, "pre_stop", sp, EM_MAX_DIMS),
        n3 = parity_i64s(a, "pre_step", sz, EM_MAX_DIMS);
    if (n1 > 0 || n2 > 0 || n3 > 0)
        x = em_slice(x, n1 > 0 ? st : NULL, n2 > 0 ? sp : NULL, n3 > 0 ? sz : NULL);
    return x;
}

static int done(em_array **out) { return out[0] ? 0 : -1; }

static int run_reshape(em_array **in, int n, const parity_args *a, em_array **out)
{
    int64_t s[EM_MAX_DIMS];
    int k = parity_i64s(a, "shape", s, EM_MAX_DIMS);
    out[0] = em_reshape(prep(in[0], a), k < 0 ? 0 : k, s);
    return done(out);
}

static int run_transpose(em_array **in, int n, const parity_args *a, em_array **out)
{
    int p[EM_MAX_DIMS];
    int k = parity_ints(a, "perm", p, EM_MAX_DIMS);
    out[0] = em_transpose(prep(in[0], a), k < 0 ? NULL : p);
    return done(out);
}

static int run_slice(em_array **in, int n, const parity_args *a, em_array **out)
{
    int64_t st[EM_MAX_DIMS], sp[EM_MAX_DIMS], sz[EM_MAX_DIMS];
    int n1 = parity_i64s(a, "start", st, EM_MAX_DIMS), n2 = parity_i64s(a, "stop", sp, EM_MAX_DIMS),
        n3 = parity_i64s(a, "step", sz, EM_MAX_DIMS);
    out[0] = em_slice(prep(in[0], a), n1 >= 0 ? st : NULL, n2 >= 0 ? sp : NULL, n3 >= 0 ? sz : NULL);
    return done(out);
}

static int run_broadcast_to(em_array **in, int n, const parity_args *a, em_array **out)
{
    int64_t s[EM_MAX_DIMS];
    int k = parity_i64s(a, "shape", s, EM_MAX_DIMS);
    out[0] = em_broadcast_to(prep(in[0], a), k < 0 ? 0 : k, s);
    return done(out);
}

static int run_contiguous(em_array **in, int n, const parity_args *a, em_array **out)
{
    out[0] = em_contiguous(prep(in[0], a));
    if (out[0] && em_eval(out[0]) == 0 && !em_array_is_contiguous(out[0]))
        return -1;
    return done(out);
}

static int run_flatten(em_array **in, int n, const parity_args *a, em_array **out)
{
    out[0] = em_flatten(prep(in[0], a), (int)parity_int(a, "start", 0), (int)parity_int(a, "end", -1));
    return done(out);
}

static int run_squeeze(em_array **in, int n, const parity_args *a, em_array **out)
{
    int ax[EM_MAX_DIMS + 2];
    int k = parity_ints(a, "axes", ax, EM_MAX_DIMS + 2);
    out[0] = em_squeeze(prep(in[0], a), parity_bool(a, "all", false) ? NULL : ax, k < 0 ? 0 : k);
    return done(out);
}

static int run_expand_dims(em_array **in, int n, const parity_args *a, em_array **out)
{
    int ax[EM_MAX_DIMS + 2];
    int k = parity_ints(a, "axes", ax, EM_MAX_DIMS + 2);
    out[0] = em_expand_dims(prep(in[0], a), ax, k < 0 ? 0 : k);
    return done(out);
}

static int run_swapaxes(em_array **in, int n, const parity_args *a, em_array **out)
{
    out[0] = em_swapaxes(prep(in[0], a), (int)parity_int(a, "a1", 0), (int)parity_int(a, "a2", 0));
    return done(out);
}

static int run_moveaxis(em_array **in, int n, const parity_args *a, em_array **out)
{
    out[0] = em_moveaxis(prep(in[0], a), (int)parity_int(a, "src", 0), (int)parity_int(a, "dst", 0));
    return done(out);
}

static int run_broadcast_arrays(em_array **in, int n, const parity_args *a, em_array **out)
{
    in[0] = prep(in[0], a);
    return em_broadcast_arrays(in, n, out);
}

static int run_concatenate(em_array **in, int n, const parity_args *a, em_array **out)
{
    in[0] = prep(in[0], a);
    out[0] = em_concatenate(in, n, (int)parity_int(a, "axis", 0));
    return done(out);
}

static int run_stack(em_array **in, int n, const parity_args *a, em_array **out)
{
    in[0] = prep(in[0], a);
    out[0] = em_stack(in, n, (int)parity_int(a, "axis", 0));
    return done(out);
}

static int run_split(em_array **in, int n, const parity_args *a, em_array **out)
{
    int k = (int)parity_int(a, "sections", 1);
    if (k > 8) /* the runner keeps 8 outputs */
        return -1;
    return em_split(prep(in[0], a), k, (int)parity_int(a, "axis", 0), out);
}

static int run_split_at(em_array **in, int n, const parity_args *a, em_array **out)
{
    int64_t idx[7];
    int k = parity_i64s(a, "indices", idx, 7);
    return em_split_at(prep(in[0], a), idx, k < 0 ? 0 : k, (int)parity_int(a, "axis", 0), out);
}

static int run_tile(em_array **in, int n, const parity_args *a, em_array **out)
{
    int64_t r[EM_MAX_DIMS + 2];
    int k = parity_i64s(a, "reps", r, EM_MAX_DIMS + 2);
    out[0] = em_tile(prep(in[0], a), r, k < 0 ? 0 : k);
    return done(out);
}

static int axis_or_all(const parity_args *a)
{
    const char *v = parity_arg(a, "axis");
    return !v || !strcmp(v, "none") ? EM_AXIS_ALL : (int)parity_int(a, "axis", 0);
}

static int run_repeat(em_array **in, int n, const parity_args *a, em_array **out)
{
    out[0] = em_repeat(prep(in[0], a), parity_int(a, "repeats", 1), axis_or_all(a));
    return done(out);
}

static int run_pad(em_array **in, int n, const parity_args *a, em_array **out)
{
    int64_t w[2 * EM_MAX_DIMS];
    parity_i64s(a, "widths", w, 2 * EM_MAX_DIMS);
    const char *m = parity_arg(a, "mode");
    em_pad_mode mode = m && !strcmp(m, "edge") ? EM_PAD_EDGE : m && !strcmp(m, "bad") ? (em_pad_mode)7 : EM_PAD_CONSTANT;
    out[0] = em_pad(prep(in[0], a), w, mode, parity_f64(a, "value", 0));
    return done(out);
}

static int run_flip(em_array **in, int n, const parity_args *a, em_array **out)
{
    int ax[EM_MAX_DIMS + 2];
    int k = parity_ints(a, "axes", ax, EM_MAX_DIMS + 2);
    out[0] = em_flip(prep(in[0], a), parity_bool(a, "all", false) ? NULL : ax, k < 0 ? 0 : k);
    return done(out);
}

static int run_roll(em_array **in, int n, const parity_args *a, em_array **out)
{
    out[0] = em_roll(prep(in[0], a), parity_int(a, "shift", 0), axis_or_all(a));
    return done(out);
}

#define ENTRY(NAME) {#NAME, run_##NAME},
const parity_op parity_ops_shape[] = {
    ENTRY(reshape) ENTRY(transpose) ENTRY(slice) ENTRY(broadcast_to) ENTRY(contiguous)
    ENTRY(flatten) ENTRY(squeeze) ENTRY(expand_dims) ENTRY(swapaxes) ENTRY(moveaxis)
    ENTRY(broadcast_arrays) ENTRY(concatenate) ENTRY(stack) ENTRY(split) ENTRY(split_at)
    ENTRY(tile) ENTRY(repeat) ENTRY(pad) ENTRY(flip) ENTRY(roll)
    {NULL, NULL},
};
