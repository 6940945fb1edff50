/* Pooling, upsampling, group and batch norm: compositions of views,
 * reductions, elementwise ops and small matmuls (so their gradients come from
 * those ops' rules). Channels last. */
#include <math.h>
#include <stdlib.h>

#include "nn_internal.h"

static int check_pool(const char *op, em_array *x, int nsp, const int *kernel, const int *stride,
                      const int *padding, int64_t *out)
{
    char d[96];
    if (em_array_ndim(x) != nsp + 2)
        return em__error("%s: input %s is not (N, %s C)", op, em__describe(x, d, sizeof d),
                         nsp == 2 ? "H, W," : "L,");
    for (int i = 0; i < nsp; i++) {
        int64_t len = em_array_shape(x)[1 + i] + 2 * (int64_t)padding[i];
        if (kernel[i] <= 0 || stride[i] <= 0 || padding[i] < 0 || 2 * padding[i] > kernel[i])
            return em__error("%s: kernel %d, stride %d, padding %d: sizes must be positive and "
                             "padding at most half the kernel",
                             op, kernel[i], stride[i], padding[i]);
        if (len < kernel[i])
            return em__error("%s: input %s is smaller than the kernel %d", op,
                             em__describe(x, d, sizeof d), kernel[i]);
        out[i] = (len - kernel[i]) / stride[i] + 1;
    }
    return 0;
}

/* Pools over nsp spatial axes (1..nsp) of x. */
static em_array *pool_nd(const char *op, em_array *x, int nsp, const int *kernel,
                         const int *stride, const int *padding, bool max)
{
    if (!x)
        return NULL;
    int64_t out[2] = {0, 0};
    if (check_pool(op, x, nsp, kernel, stride, padding, out) < 0)
        return NULL;
    int nd = nsp + 2;
    const int64_t *sh = em_array_shape(x);
    em_scope *s = em_scope_begin();
    bool simple = true;
    for (int i = 0; i < nsp; i++)
        simple &= stride[i] == kernel[i] && padding[i] == 0;
    em_array *y = NULL;
    if (simple) {
        /* windows tile the input: crop, split each axis into (out, k), reduce */
        int64_t start[4] = {0}, stop[4], shape[6];
        int axes[2], k = 0;
        stop[0] = sh[0];
        shape[k++] = sh[0];
        for (int i = 0; i < nsp; i++) {
            stop[1 + i] = out[i] * kernel[i];
            shape[k++] = out[i];
            axes[i] = k;
            shape[k++] = kernel[i];
        }
        stop[nd - 1] = sh[nd - 1];
        shape[k++] = sh[nd - 1];
        em_array *r = em_reshape(em_slice(x, start, stop, NULL), k, shape);
        y = max ? em_max(r, axes, nsp, false) : em_mean(r, axes, nsp, false);
    } else {
        em_array *xp = x;
        bool pad = false;
        for (int i = 0; i < nsp; i++)
            pad |= padding[i] > 0;
        if (pad) {
            int64_t w[8] = {0};
            for (int i = 0; i < nsp; i++)
                w[2 * (1 + i)] = w[2 * (1 + i) + 1] = padding[i];
            xp = em_pad(x, w, EM_PAD_CONSTANT, max ? -INFINITY : 0.0);
        }
        int n_win = 1;
        for (int i = 0; i < nsp; i++)
            n_win *= kernel[i];
        for (int wi = 0; wi < n_win; wi++) {
            int64_t start[4] = {0}, stop[4], step[4] = {1, 1, 1, 1};
            int rem = wi;
            stop[0] = sh[0];
            for (int i = nsp - 1; i >= 0; i--) {
                int o = rem % kernel[i];
                rem /= kernel[i];
                start[1 + i] = o;
                stop[1 + i] = o + (out[i] - 1) * stride[i] + 1;
                step[1 + i] = stride[i];
            }
            stop[nd - 1] = sh[nd - 1];
            em_array *v = em_slice(xp, start, stop, step);
            y = !y ? v : max ? em_maximum(y, v) : em_add(y, v);
        }
        if (!max)
            y = em_multiply(y, em_scalar_f(1.0 / n_win));
    }
    return em__composite_end(s, y);
}

em_array *em_max_pool2d(em_array *x, const int kernel[2], const int stride[2],
                        const int padding[2])
{
    static const int zero[2] = {0, 0};
    if (!kernel) {
        em__error("max_pool2d: NULL kernel");
        return NULL;
    }
    return pool_nd("max_pool2d", x, 2, kernel, stride ? stride : kernel, padding ? padding : zero,
                   true);
}

em_array *em_avg_pool2d(em_array *x, const int kernel[2], const int stride[2],
                        const int padding[2])
{
    static const int zero[2] = {0, 0};
    if (!kernel) {
        em__error("avg_pool2d: NULL kernel");
        return NULL;
    }
    return pool_nd("avg_pool2d", x, 2, kernel, stride ? stride : kernel, padding ? padding : zero,
                   false);
}

em_array *em_max_pool1d(em_array *x, int kernel, int stride, int padding)
{
    return pool_nd("max_pool1d", x, 1, &kernel, stride > 0 ? &stride : &kernel, &padding, true);
}

em_array *em_avg_pool1d(em_array *x, int kernel, int stride, int padding)
{
    return pool_nd("avg_pool1d", x, 1, &kernel, stride > 0 ? &stride : &kernel, &padding, false);
}

/* (out, in) matrix of linear interpolation weights, PyTorch's convention. */
static em_array *interp_matrix(int64_t in, int64_t out, bool align_corners, em_dtype dtype)
{
    float *m = calloc((size_t)(in * out), sizeof *m);
    if (!m) {
        em__error("upsample: out of memory");
        return NULL;
    }
    for (int64_t o = 0; o < out; o++) {
        double src;
        if (align_corners)
            src = out > 1 ? (double)o * (double)(in - 1) / (double)(out - 1) : 0;
        else {
            src = ((double)o + 0.5) * (double)in / (double)out - 0.5;
            if (src < 0)
                src = 0;
        }
        int64_t i0 = (int64_t)floor(src);
        if (i0 > in - 1)
            i0 = in - 1;
        int64_t i1 = i0 + 1 < in ? i0 + 1 : in - 1;
        double l1 = src - (double)i0;
        m[o * in + i0] += (float)(1 - l1);
        m[o * in + i1] += (float)l1;
    }
    em_array *a = em_array_from_data(m, 2, (int64_t[]){out, in}, EM_FLOAT32);
    free(m);
    /* called inside a private scope: both arrays belong to it */
    return dtype != EM_FLOAT32 ? em_astype(a, dtype) : a;
}

em_array *em_upsample2d(em_array *x, const int scale[2], em_upsample_mode mode,
                        bool align_corners)
{
    if (!x)
        return NULL;
    char d[96];
    if (em_array_ndim(x) != 4 || !scale || scale[0] <= 0 || scale[1] <= 0) {
        em__error("upsample2d: input %s must be (N, H, W, C) and scales positive",
                  em__describe(x, d, sizeof d));
        return NULL;
    }
    const int64_t *sh = em_array_shape(x);
    int64_t N = sh[0], H = sh[1], W = sh[2], C = sh[3], Ho = H * scale[0], Wo = W * scale[1];
    em_scope *s = em_scope_begin();
    em_array *y;
    if (mode == EM_UPSAMPLE_NEAREST) {
        em_array *r = em_reshape(x, 6, (int64_t[]){N, H, 1, W, 1, C});
        r = em_broadcast_to(r, 6, (int64_t[]){N, H, scale[0], W, scale[1], C});
        y = em_reshape(r, 4, (int64_t[]){N, Ho, Wo, C});
    } else if (mode == EM_UPSAMPLE_BILINEAR) {
        em_dtype t = em__float_type(em_array_dtype(x));
        em_array *mh = interp_matrix(H, Ho, align_corners, t);
        em_array *mw = interp_matrix(W, Wo, align_corners, t);
        em_array *a = em_matmul(mh, em_reshape(x, 3, (int64_t[]){N, H, W * C}));
        a = em_matmul(mw, em_reshape(a, 3, (int64_t[]){N * Ho, W, C}));
        y = em_reshape(a, 4, (int64_t[]){N, Ho, Wo, C});
    } else {
        em__error("upsample2d: unknown mode %d", (int)mode);
        y = NULL;
    }
    return em__composite_end(s, y);
}

em_array *em_group_norm(em_array *x, int groups, em_array *weight, em_array *bias, double eps)
{
    if (!x)
        return NULL;
    char d[96];
    int nd = em_array_ndim(x);
    if (nd < 2 || groups <= 0 || em_array_dim(x, -1) % groups) {
        em__error("group_norm: input %s must be (N, ..., C) with C a multiple of %d groups",
                  em__describe(x, d, sizeof d), groups);
        return NULL;
    }
    const int64_t *sh = em_array_shape(x);
    int64_t C = sh[nd - 1];
    em_scope *s = em_scope_begin();
    em_array *r = em_reshape(x, 4, (int64_t[]){sh[0], -1, groups, C / groups});
    int axes[2] = {1, 3};
    em_array *mean = em_mean(r, axes, 2, true);
    em_array *var = em_var(r, axes, 2, true, 0);
    em_array *y = em_multiply(em_subtract(r, mean), em_rsqrt(em_add(var, em_scalar_f(eps))));
    y = em_reshape(y, nd, sh);
    if (weight)
        y = em_multiply(y, weight);
    if (bias)
        y = em_add(y, bias);
    return em__composite_end(s, y);
}

em_array *em_batch_norm(em_array *x, em_array *running_mean, em_array *running_var,
                        em_array *weight, em_array *bias, double eps)
{
    if (!x)
        return NULL;
    char d[96];
    int nd = em_array_ndim(x);
    if (nd < 2 || (!running_mean) != (!running_var)) {
        em__error("batch_norm: input %s must be (N, ..., C); give both running statistics or "
                  "neither",
                  em__describe(x, d, sizeof d));
        return NULL;
    }
    em_scope *s = em_scope_begin();
    em_array *mean = running_mean, *var = running_var;
    if (!mean) {
        int axes[EM_MAX_DIMS];
        for (int i = 0; i < nd - 1; i++)
            axes[i] = i;
        mean = em_mean(x, axes, nd - 1, false);
        var = em_var(x, axes, nd - 1, false, 0);
    }
    em_array *y = em_multiply(em_subtract(x, mean), em_rsqrt(em_add(var, em_scalar_f(eps))));
    if (weight)
        y = em_multiply(y, weight);
    if (bias)
        y = em_add(y, bias);
    return em__composite_end(s, y);
}
