/* Ops: MLX's op families with an em_ prefix. Each returns a new lazy array (see
 * array.h for ownership), or NULL with a message naming the op, shapes and
 * dtypes. Axes may be negative. `axes == NULL` in a reduction means all axes. */
#ifndef EMBER_OPS_H
#define EMBER_OPS_H

#include "ember/array.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- creation ---- */
em_array *em_zeros(int ndim, const int64_t *shape, em_dtype dtype);
em_array *em_ones(int ndim, const int64_t *shape, em_dtype dtype);
em_array *em_full(int ndim, const int64_t *shape, double value, em_dtype dtype);
/* Like em_full, with the value taken from a (scalar) array, broadcast. */
em_array *em_full_like_array(int ndim, const int64_t *shape, em_array *value, em_dtype dtype);
em_array *em_zeros_like(em_array *a);
em_array *em_ones_like(em_array *a);
em_array *em_full_like(em_array *a, double value);
em_array *em_arange(double start, double stop, double step, em_dtype dtype);
em_array *em_linspace(double start, double stop, int64_t num, em_dtype dtype);
/* n x m with ones on diagonal k. */
em_array *em_eye(int64_t n, int64_t m, int k, em_dtype dtype);
em_array *em_identity(int64_t n, em_dtype dtype);
/* n x m, ones at and below diagonal k. */
em_array *em_tri(int64_t n, int64_t m, int k, em_dtype dtype);
em_array *em_tril(em_array *a, int k);
em_array *em_triu(em_array *a, int k);
/* indexing "xy" (default, as numpy) or "ij"; writes n arrays to out. */
int em_meshgrid(em_array *const *arrays, int n, bool sparse, const char *indexing, em_array **out);

/* ---- unary ---- */
em_array *em_abs(em_array *a);
em_array *em_negative(em_array *a);
em_array *em_sign(em_array *a);
em_array *em_square(em_array *a);
em_array *em_sqrt(em_array *a);
em_array *em_rsqrt(em_array *a);
em_array *em_reciprocal(em_array *a);
em_array *em_exp(em_array *a);
em_array *em_expm1(em_array *a);
em_array *em_log(em_array *a);
em_array *em_log1p(em_array *a);
em_array *em_log2(em_array *a);
em_array *em_log10(em_array *a);
em_array *em_sin(em_array *a);
em_array *em_cos(em_array *a);
em_array *em_tan(em_array *a);
em_array *em_arcsin(em_array *a);
em_array *em_arccos(em_array *a);
em_array *em_arctan(em_array *a);
em_array *em_sinh(em_array *a);
em_array *em_cosh(em_array *a);
em_array *em_tanh(em_array *a);
em_array *em_arcsinh(em_array *a);
em_array *em_arccosh(em_array *a);
em_array *em_arctanh(em_array *a);
em_array *em_sigmoid(em_array *a);
em_array *em_erf(em_array *a);
em_array *em_erfinv(em_array *a);
em_array *em_floor(em_array *a);
em_array *em_ceil(em_array *a);
/* Round half to even, to `decimals` places. */
em_array *em_round(em_array *a, int decimals);
em_array *em_isnan(em_array *a);
em_array *em_isinf(em_array *a);
em_array *em_isfinite(em_array *a);
em_array *em_isposinf(em_array *a);
em_array *em_isneginf(em_array *a);
em_array *em_logical_not(em_array *a);
em_array *em_bitwise_invert(em_array *a);
em_array *em_astype(em_array *a, em_dtype dtype);
/* Identity whose gradient is zero. */
em_array *em_stop_gradient(em_array *a);

/* ---- binary and ternary (broadcasting) ---- */
em_array *em_add(em_array *a, em_array *b);
em_array *em_subtract(em_array *a, em_array *b);
em_array *em_multiply(em_array *a, em_array *b);
/* True division: integers give float32. */
em_array *em_divide(em_array *a, em_array *b);
em_array *em_floor_divide(em_array *a, em_array *b);
/* Sign of the divisor, as numpy. */
em_array *em_remainder(em_array *a, em_array *b);
em_array *em_power(em_array *a, em_array *b);
em_array *em_maximum(em_array *a, em_array *b);
em_array *em_minimum(em_array *a, em_array *b);
em_array *em_logaddexp(em_array *a, em_array *b);
em_array *em_arctan2(em_array *a, em_array *b);
em_array *em_equal(em_array *a, em_array *b);
em_array *em_not_equal(em_array *a, em_array *b);
em_array *em_less(em_array *a, em_array *b);
em_array *em_less_equal(em_array *a, em_array *b);
em_array *em_greater(em_array *a, em_array *b);
em_array *em_greater_equal(em_array *a, em_array *b);
em_array *em_logical_and(em_array *a, em_array *b);
em_array *em_logical_or(em_array *a, em_array *b);
em_array *em_bitwise_and(em_array *a, em_array *b);
em_array *em_bitwise_or(em_array *a, em_array *b);
em_array *em_bitwise_xor(em_array *a, em_array *b);
em_array *em_left_shift(em_array *a, em_array *b);
em_array *em_right_shift(em_array *a, em_array *b);
em_array *em_where(em_array *cond, em_array *x, em_array *y);
/* lo or hi may be NULL (no bound on that side). */
em_array *em_clip(em_array *a, em_array *lo, em_array *hi);
em_array *em_isclose(em_array *a, em_array *b, double rtol, double atol, bool equal_nan);
/* Scalar bool arrays. */
em_array *em_allclose(em_array *a, em_array *b, double rtol, double atol, bool equal_nan);
em_array *em_array_equal(em_array *a, em_array *b, bool equal_nan);

/* ---- reductions and scans ---- */
em_array *em_sum(em_array *a, const int *axes, int n_axes, bool keepdims);
em_array *em_prod(em_array *a, const int *axes, int n_axes, bool keepdims);
em_array *em_mean(em_array *a, const int *axes, int n_axes, bool keepdims);
em_array *em_var(em_array *a, const int *axes, int n_axes, bool keepdims, int ddof);
em_array *em_std(em_array *a, const int *axes, int n_axes, bool keepdims, int ddof);
em_array *em_max(em_array *a, const int *axes, int n_axes, bool keepdims);
em_array *em_min(em_array *a, const int *axes, int n_axes, bool keepdims);
em_array *em_all(em_array *a, const int *axes, int n_axes, bool keepdims);
em_array *em_any(em_array *a, const int *axes, int n_axes, bool keepdims);
em_array *em_logsumexp(em_array *a, const int *axes, int n_axes, bool keepdims);
/* Over one axis; the flattened array when axis is EM_AXIS_ALL. uint32 result. */
#define EM_AXIS_ALL (-1000)
em_array *em_argmax(em_array *a, int axis, bool keepdims);
em_array *em_argmin(em_array *a, int axis, bool keepdims);
em_array *em_cumsum(em_array *a, int axis, bool reverse, bool inclusive);
em_array *em_cumprod(em_array *a, int axis, bool reverse, bool inclusive);
em_array *em_cummax(em_array *a, int axis, bool reverse, bool inclusive);
em_array *em_cummin(em_array *a, int axis, bool reverse, bool inclusive);

/* ---- sorting (axis may be EM_AXIS_ALL: flattened) ---- */
em_array *em_sort(em_array *a, int axis);
em_array *em_argsort(em_array *a, int axis);
/* The kth element in its sorted place, smaller before, larger after. */
em_array *em_partition(em_array *a, int kth, int axis);
em_array *em_argpartition(em_array *a, int kth, int axis);
/* The k largest along axis (unordered among themselves, as MLX). */
em_array *em_topk(em_array *a, int k, int axis);

/* ---- indexing ---- */
/* Elements at `indices` along axis (EM_AXIS_ALL: of the flattened array).
 * Negative indices count from the end; an index still outside the axis is an
 * error when the result is evaluated (as for every indexing op below). */
em_array *em_take(em_array *a, em_array *indices, int axis);
em_array *em_take_along_axis(em_array *a, em_array *indices, int axis);
em_array *em_put_along_axis(em_array *a, em_array *indices, em_array *values, int axis);
/* MLX's gather: indices[i] indexes axes[i] (indices broadcast together); the
 * result has shape broadcast(indices) + slice_sizes. */
em_array *em_gather(em_array *a, em_array *const *indices, int n_indices, const int *axes,
                    const int64_t *slice_sizes);
typedef enum em_scatter_mode {
    EM_SCATTER_SET, EM_SCATTER_ADD, EM_SCATTER_MAX, EM_SCATTER_MIN, EM_SCATTER_PROD
} em_scatter_mode;
/* MLX's scatter: updates has shape broadcast(indices) + a's shape with the
 * indexed axes' sizes given by the update's trailing dims. */
em_array *em_scatter(em_array *a, em_array *const *indices, int n_indices, em_array *updates,
                     const int *axes, em_scatter_mode mode);
/* start/stop/step per axis (n = ndim); stop is exclusive; negative values as in
 * Python; steps may be negative. NULL stop means "to the end", NULL step means 1. */
em_array *em_slice(em_array *a, const int64_t *start, const int64_t *stop, const int64_t *step);
/* Writes `update` into the slice of a (a new array; a is unchanged). */
em_array *em_slice_update(em_array *a, em_array *update, const int64_t *start,
                          const int64_t *stop, const int64_t *step);

/* ---- shape ---- */
/* One dimension may be -1. */
em_array *em_reshape(em_array *a, int ndim, const int64_t *shape);
em_array *em_flatten(em_array *a, int start_axis, int end_axis);
/* axes == NULL: all size-1 axes. */
em_array *em_squeeze(em_array *a, const int *axes, int n_axes);
em_array *em_expand_dims(em_array *a, const int *axes, int n_axes);
/* perm == NULL: reversed axes. */
em_array *em_transpose(em_array *a, const int *perm);
em_array *em_swapaxes(em_array *a, int axis1, int axis2);
em_array *em_moveaxis(em_array *a, int source, int destination);
em_array *em_broadcast_to(em_array *a, int ndim, const int64_t *shape);
/* Broadcasts n arrays against each other; writes n arrays to out. */
int em_broadcast_arrays(em_array *const *arrays, int n, em_array **out);
em_array *em_concatenate(em_array *const *arrays, int n, int axis);
em_array *em_stack(em_array *const *arrays, int n, int axis);
/* Splits into n_sections equal parts (must divide). Writes to out. */
int em_split(em_array *a, int n_sections, int axis, em_array **out);
/* Splits at indices (n_indices + 1 parts). */
int em_split_at(em_array *a, const int64_t *indices, int n_indices, int axis, em_array **out);
em_array *em_tile(em_array *a, const int64_t *reps, int n_reps);
em_array *em_repeat(em_array *a, int64_t repeats, int axis);
typedef enum em_pad_mode { EM_PAD_CONSTANT, EM_PAD_EDGE } em_pad_mode;
/* widths: (before, after) per axis, 2*ndim values. */
em_array *em_pad(em_array *a, const int64_t *widths, em_pad_mode mode, double value);
/* axes == NULL: all axes. */
em_array *em_flip(em_array *a, const int *axes, int n_axes);
/* axis EM_AXIS_ALL: the flattened array, shape kept. */
em_array *em_roll(em_array *a, int64_t shift, int axis);
/* A row-major copy (no copy if already so). */
em_array *em_contiguous(em_array *a);

/* ---- linear algebra ---- */
/* Batched and broadcast, numpy rules (1-d inputs promoted and squeezed). */
em_array *em_matmul(em_array *a, em_array *b);
/* alpha * (a @ b) + beta * c */
em_array *em_addmm(em_array *c, em_array *a, em_array *b, double alpha, double beta);
em_array *em_outer(em_array *a, em_array *b);
em_array *em_inner(em_array *a, em_array *b);
em_array *em_tensordot(em_array *a, em_array *b, const int *axes_a, const int *axes_b, int n);
/* "ij,jk->ik" style, explicit or implicit output; ellipsis supported. */
em_array *em_einsum(const char *subscripts, em_array *const *operands, int n);
/* LAPACK (CPU, float32/float64). */
em_array *em_inv(em_array *a);
em_array *em_solve(em_array *a, em_array *b);
em_array *em_cholesky(em_array *a, bool upper);
/* Writes q and r (reduced). */
int em_qr(em_array *a, em_array **q, em_array **r);
/* Writes u, s, vt (full_matrices false: reduced). */
int em_svd(em_array *a, bool full_matrices, em_array **u, em_array **s, em_array **vt);
/* Eigenvalues (ascending) and eigenvectors of a symmetric matrix; uplo "L" or "U". */
int em_eigh(em_array *a, const char *uplo, em_array **w, em_array **v);
/* ord: "fro", "nuc", or NULL for 2-norm of vectors / Frobenius of matrices;
 * p-norms of vectors through em_norm_p. axes NULL: all. */
em_array *em_norm(em_array *a, const char *ord, const int *axes, int n_axes, bool keepdims);
em_array *em_norm_p(em_array *a, double p, const int *axes, int n_axes, bool keepdims);

/* ---- convolution (channels last, as MLX: input N,L,C / N,H,W,C; weight
 * C_out,K,C_in/groups / C_out,KH,KW,C_in/groups) ---- */
em_array *em_conv1d(em_array *x, em_array *w, int stride, int padding, int dilation, int groups);
em_array *em_conv2d(em_array *x, em_array *w, const int stride[2], const int padding[2],
                    const int dilation[2], int groups);
/* weight C_out,KH,KW,C_in (as MLX's conv_transpose2d). */
em_array *em_conv_transpose2d(em_array *x, em_array *w, const int stride[2], const int padding[2],
                              const int dilation[2], const int output_padding[2], int groups);

#ifdef __cplusplus
}
#endif
#endif
