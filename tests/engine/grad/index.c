/* Gradient cases of the indexing primitives (gather, scatter, take_along_axis,
 * put_along_axis, slice_update), concatenate and pad, the shape composites
 * built on them (take, stack, split, flip, roll, tile, repeat, expand_dims,
 * squeeze) and random draws batched over keys. Index arrays are constants made
 * inside the cases, or computed from an input (argmax, argsort) so that vmap
 * batches them too. */
#include "grad.h"

static em_array *ivec(int n, const int32_t *v)
{
    return em_array_from_data(v, 1, (int64_t[]){n}, EM_INT32);
}
static em_array *imat(int r, int c, const int32_t *v)
{
    return em_array_from_data(v, 2, (int64_t[]){r, c}, EM_INT32);
}
/* a constant float64 (r, c) array: arange / 7 */
static em_array *cmat(int64_t r, int64_t c)
{
    return em_reshape(em_arange(0, (double)(r * c), 1, EM_FLOAT64), 2, (int64_t[]){r, c});
}

/* ---- take (gather) ---- */
static em_array *f_take(em_array *const *x) { return em_take(x[0], ivec(4, (int32_t[]){2, 0, 2, -1}), 1); }
static em_array *f_take_2d(em_array *const *x)
{
    return em_take(x[0], imat(2, 2, (int32_t[]){0, 2, 1, 1}), 0);
}
static em_array *f_take_flat(em_array *const *x)
{
    return em_take(x[0], ivec(4, (int32_t[]){5, 0, 11, 5}), EM_AXIS_ALL);
}
/* batched indices into a batched array, and into a constant */
static em_array *f_take_by_argmax(em_array *const *x)
{
    return em_take(x[1], em_argmax(x[0], 0, false), 1);
}
static em_array *f_take_const_by_argmax(em_array *const *x)
{
    return em_add(em_take(cmat(4, 3), em_argmax(x[0], 1, false), 0), em_sum(x[0], NULL, 0, false));
}

/* ---- take_along_axis, put_along_axis ---- */
static em_array *f_take_along(em_array *const *x)
{
    return em_take_along_axis(x[0], imat(3, 2, (int32_t[]){0, 3, 1, 1, 2, 0}), 1);
}
static em_array *f_take_along_bcast(em_array *const *x)
{
    /* x (3, 1) broadcast against indices (2, 4) */
    return em_take_along_axis(x[0], imat(2, 4, (int32_t[]){0, 2, 1, 1, 2, 0, 0, 1}), 0);
}
static em_array *f_put_along(em_array *const *x)
{
    return em_put_along_axis(x[0], imat(3, 2, (int32_t[]){0, 3, 2, 1, 3, 0}), x[1], 1);
}
static em_array *f_put_along_bcast(em_array *const *x)
{
    return em_put_along_axis(x[0], imat(1, 4, (int32_t[]){2, 0, 1, 2}), x[1], 0);
}
static em_array *f_put_along_by_argsort(em_array *const *x)
{
    em_array *order = em_argsort(x[0], 1);
    em_array *first2 = em_slice(order, NULL, (int64_t[]){3, 2}, NULL);
    return em_put_along_axis(x[1], first2, x[2], 1);
}

/* ---- gather, scatter ---- */
static em_array *f_gather(em_array *const *x)
{
    em_array *idx[2] = {ivec(2, (int32_t[]){0, 2}), ivec(2, (int32_t[]){1, 3})};
    return em_gather(x[0], idx, 2, (int[]){0, 2}, (int64_t[]){1, 2, 2});
}
static em_array *f_gather_dup(em_array *const *x)
{
    em_array *idx = imat(2, 2, (int32_t[]){3, 1, 1, 3});
    return em_gather(x[0], &idx, 1, (int[]){0}, (int64_t[]){1, 3});
}
static em_array *scatter_rows(em_array *const *x, const int32_t *rows, int n, em_scatter_mode m)
{
    em_array *idx = ivec(n, rows);
    return em_scatter(x[0], &idx, 1, x[1], (int[]){0}, m);
}
static em_array *f_scatter_set(em_array *const *x) { return scatter_rows(x, (int32_t[]){3, 0}, 2, EM_SCATTER_SET); }
static em_array *f_scatter_add(em_array *const *x) { return scatter_rows(x, (int32_t[]){1, 1, 2}, 3, EM_SCATTER_ADD); }
static em_array *f_scatter_max(em_array *const *x) { return scatter_rows(x, (int32_t[]){1, 1, 2}, 3, EM_SCATTER_MAX); }
static em_array *f_scatter_min(em_array *const *x) { return scatter_rows(x, (int32_t[]){1, 1, 2}, 3, EM_SCATTER_MIN); }
static em_array *f_scatter_prod(em_array *const *x) { return scatter_rows(x, (int32_t[]){1, 1, 2}, 3, EM_SCATTER_PROD); }
/* slices of (1, 3) at (1, 0) and (3, 2) of a (4, 5) */
static em_array *f_scatter_set_2axes(em_array *const *x)
{
    em_array *idx[2] = {ivec(2, (int32_t[]){1, 3}), ivec(2, (int32_t[]){0, 2})};
    return em_scatter(x[0], idx, 2, x[1], (int[]){0, 1}, EM_SCATTER_SET);
}
static em_array *f_scatter_add_2axes(em_array *const *x)
{
    em_array *idx[2] = {ivec(3, (int32_t[]){1, 3, 1}), ivec(3, (int32_t[]){0, 2, 1})};
    return em_scatter(x[0], idx, 2, x[1], (int[]){0, 1}, EM_SCATTER_ADD);
}
/* batched indices: rows picked by argmax of another input */
static em_array *f_scatter_add_by_argmax(em_array *const *x)
{
    em_array *idx = em_argmax(x[0], 1, false);
    return em_scatter(x[1], &idx, 1, em_reshape(x[2], 3, (int64_t[]){2, 1, 4}), (int[]){0}, EM_SCATTER_ADD);
}
static em_array *f_scatter_max_by_argmax(em_array *const *x)
{
    em_array *idx = em_argmax(x[0], 1, false);
    return em_scatter(x[1], &idx, 1, em_reshape(x[2], 3, (int64_t[]){2, 1, 4}), (int[]){0}, EM_SCATTER_MAX);
}

/* ---- slice_update ---- */
static em_array *f_slice_update(em_array *const *x)
{
    return em_slice_update(x[0], x[1], (int64_t[]){0, 4}, (int64_t[]){4, 0}, (int64_t[]){2, -2});
}
static em_array *f_slice_update_bcast(em_array *const *x)
{
    return em_slice_update(x[0], x[1], (int64_t[]){1, 1}, (int64_t[]){3, 4}, NULL);
}
static em_array *f_slice_update_const(em_array *const *x)
{
    return em_slice_update(cmat(4, 5), x[0], (int64_t[]){1, 0}, (int64_t[]){4, 5}, (int64_t[]){2, 2});
}

/* ---- concatenate and its composites ---- */
static em_array *f_concatenate(em_array *const *x) { return em_concatenate(x, 3, 0); }
static em_array *f_concatenate_axis1(em_array *const *x) { return em_concatenate(x, 2, -1); }
static em_array *f_concatenate_const(em_array *const *x)
{
    return em_concatenate((em_array *[]){cmat(3, 2), x[0]}, 2, 1);
}
static em_array *f_stack(em_array *const *x) { return em_stack(x, 2, 1); }
static em_array *f_split(em_array *const *x)
{
    em_array *p[2];
    if (em_split(x[0], 2, 0, p) < 0)
        return NULL;
    return em_multiply(p[0], p[1]);
}
static em_array *f_split_at(em_array *const *x)
{
    em_array *p[3];
    if (em_split_at(x[0], (int64_t[]){1, 3}, 2, 1, p) < 0)
        return NULL;
    return em_concatenate((em_array *[]){em_square(p[2]), p[0], p[1]}, 3, 1);
}
static em_array *f_roll(em_array *const *x) { return em_roll(x[0], 1, 1); }
static em_array *f_roll_flat(em_array *const *x) { return em_roll(x[0], -5, EM_AXIS_ALL); }

/* ---- pad ---- */
static em_array *f_pad_constant(em_array *const *x)
{
    return em_pad(x[0], (int64_t[]){1, 2, 0, 1}, EM_PAD_CONSTANT, 0.5);
}
static em_array *f_pad_edge(em_array *const *x)
{
    return em_pad(x[0], (int64_t[]){2, 1, 1, 3}, EM_PAD_EDGE, 0);
}
static em_array *f_pad_edge_single(em_array *const *x)
{
    return em_pad(x[0], (int64_t[]){2, 2, 0, 1}, EM_PAD_EDGE, 0);
}

/* ---- other shape composites ---- */
static em_array *f_flip(em_array *const *x) { return em_flip(x[0], (int[]){1}, 1); }
static em_array *f_flip_all(em_array *const *x) { return em_flip(x[0], NULL, 0); }
static em_array *f_tile(em_array *const *x) { return em_tile(x[0], (int64_t[]){2, 1, 2}, 3); }
static em_array *f_repeat(em_array *const *x) { return em_repeat(x[0], 2, 0); }
static em_array *f_repeat_flat(em_array *const *x) { return em_repeat(x[0], 3, EM_AXIS_ALL); }
static em_array *f_expand_dims(em_array *const *x) { return em_expand_dims(x[0], (int[]){0, 3}, 2); }
static em_array *f_squeeze(em_array *const *x) { return em_squeeze(x[0], (int[]){1}, 1); }

/* ---- random draws: keys from an input (floored), batched over keys ---- */
static em_array *key_of(em_array *x) { return em_astype(x, EM_UINT32); }
static em_array *f_random_uniform(em_array *const *x)
{
    return em_random_uniform(2, (int64_t[]){2, 3}, 0, 1, EM_FLOAT64, key_of(x[0]));
}
static em_array *f_random_noise(em_array *const *x)
{
    return em_multiply(x[1], em_random_normal(2, (int64_t[]){2, 3}, 0, 1, EM_FLOAT64, key_of(x[0])));
}
static em_array *f_random_split(em_array *const *x)
{
    return em_astype(em_random_split(key_of(x[0]), 3), EM_FLOAT64);
}

#define S1(n) {1, {n}}
#define S2(a, b) {2, {a, b}}
#define S3(a, b, c) {3, {a, b, c}}
#define C1(NAME, SH) {#NAME, 1, {SH}, -2, 2, f_##NAME}
#define C2(NAME, SH1, SH2) {#NAME, 2, {SH1, SH2}, -2, 2, f_##NAME}
#define C3(NAME, SH1, SH2, SH3) {#NAME, 3, {SH1, SH2, SH3}, -2, 2, f_##NAME}

const grad_case grad_cases_index[] = {
    C1(take, S2(3, 4)),
    C1(take_2d, S2(3, 4)),
    C1(take_flat, S2(3, 4)),
    C2(take_by_argmax, S2(4, 3), S2(3, 4)),
    C1(take_const_by_argmax, S2(3, 4)),
    C1(take_along, S2(3, 4)),
    C1(take_along_bcast, S2(3, 1)),
    C2(put_along, S2(3, 4), S2(3, 2)),
    C2(put_along_bcast, S2(3, 4), S1(1)),
    C3(put_along_by_argsort, S2(3, 4), S2(3, 4), S2(3, 2)),
    C1(gather, S3(3, 4, 5)),
    C1(gather_dup, S2(4, 3)),
    C2(scatter_set, S2(4, 3), S3(2, 1, 3)),
    C2(scatter_add, S2(4, 3), S3(3, 1, 3)),
    C2(scatter_max, S2(4, 3), S3(3, 1, 3)),
    C2(scatter_min, S2(4, 3), S3(3, 1, 3)),
    {"scatter_prod", 2, {S2(4, 3), S3(3, 1, 3)}, 0.5, 2, f_scatter_prod},
    C2(scatter_set_2axes, S2(4, 5), S3(2, 1, 3)),
    C2(scatter_add_2axes, S2(4, 5), S3(3, 1, 3)),
    C3(scatter_add_by_argmax, S2(2, 4), S2(4, 4), S2(2, 4)),
    C3(scatter_max_by_argmax, S2(2, 4), S2(4, 4), S2(2, 4)),
    C2(slice_update, S2(4, 5), S2(2, 2)),
    C2(slice_update_bcast, S2(4, 5), S1(1)),
    C1(slice_update_const, S2(2, 3)),
    {"concatenate", 3, {S2(2, 3), S2(1, 3), S2(3, 3)}, -2, 2, f_concatenate},
    C2(concatenate_axis1, S2(3, 2), S2(3, 4)),
    C1(concatenate_const, S2(3, 4)),
    C2(stack, S2(3, 4), S2(3, 4)),
    C1(split, S2(4, 3)),
    C1(split_at, S2(3, 5)),
    C1(roll, S2(3, 4)),
    C1(roll_flat, S2(3, 4)),
    C1(pad_constant, S2(3, 4)),
    C1(pad_edge, S2(3, 4)),
    C1(pad_edge_single, S2(1, 3)),
    C1(flip, S2(3, 4)),
    C1(flip_all, S3(2, 3, 4)),
    C1(tile, S2(3, 4)),
    C1(repeat, S2(3, 4)),
    C1(repeat_flat, S2(3, 4)),
    C1(expand_dims, S2(3, 4)),
    C1(squeeze, S3(3, 1, 4)),
    /* keys in [10, 100): finite differences of a floored key see no change */
    {"random_uniform_keys", 1, {S1(2)}, 10, 100, f_random_uniform},
    {"random_noise_keys", 2, {S1(2), S2(2, 3)}, 10, 100, f_random_noise},
    {"random_split_keys", 1, {S1(2)}, 10, 100, f_random_split},
    {0},
};
