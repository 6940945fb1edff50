/* Convolution constructors (channels last, as MLX). conv1d is conv2d over a
 * height of 1. float32/float64 run as such; half types and integers compute
 * in float32 (half types are converted back). */
#include <string.h>

#include "linalg_ops.h"

static int conv_type(em_array *x, em_array *w, em_dtype *out, em_dtype *compute)
{
    em_dtype t = em__result_type(x, w);
    *out = em__float_type(t);
    *compute = *out == EM_FLOAT64 ? EM_FLOAT64 : EM_FLOAT32;
    return 0;
}

/* params: i[0..1] stride, i[2..3] padding, i[4..5] dilation, i[6] groups,
 * i[7..8] output padding (transpose). */
static em_array *conv_node(bool transpose, em_array *x, em_array *w, const int *st, const int *pd,
                           const int *dl, const int *op, int groups)
{
    const char *name = transpose ? "conv_transpose2d" : "conv2d";
    char d1[128], d2[128];
    if (x->ndim != 4 || w->ndim != 4) {
        em__error("%s: needs 4-d input (N,H,W,C) and weight, got %s and %s", name,
                  em__describe(x, d1, sizeof d1), em__describe(w, d2, sizeof d2));
        return NULL;
    }
    int s[2] = {st ? st[0] : 1, st ? st[1] : 1}, p[2] = {pd ? pd[0] : 0, pd ? pd[1] : 0};
    int d[2] = {dl ? dl[0] : 1, dl ? dl[1] : 1}, o[2] = {op ? op[0] : 0, op ? op[1] : 0};
    int64_t C = x->shape[3], Cout = w->shape[0];
    if (groups < 1 || s[0] < 1 || s[1] < 1 || d[0] < 1 || d[1] < 1 || p[0] < 0 || p[1] < 0 ||
        o[0] < 0 || o[1] < 0) {
        em__error("%s: stride and dilation must be >= 1, padding >= 0, groups >= 1 "
                  "(stride %d,%d padding %d,%d dilation %d,%d groups %d)",
                  name, s[0], s[1], p[0], p[1], d[0], d[1], groups);
        return NULL;
    }
    if (C % groups || Cout % groups || w->shape[3] * groups != C) {
        em__error("%s: channels do not match: input %s, weight %s, groups %d", name,
                  em__describe(x, d1, sizeof d1), em__describe(w, d2, sizeof d2), groups);
        return NULL;
    }
    int64_t shape[4] = {x->shape[0], 0, 0, Cout};
    for (int i = 0; i < 2; i++) {
        int64_t in = x->shape[1 + i], k = w->shape[1 + i];
        int64_t span = (int64_t)d[i] * (k - 1) + 1;
        if (transpose) {
            shape[1 + i] = (in - 1) * s[i] - 2 * p[i] + span + o[i];
        } else {
            int64_t padded = in + 2 * p[i];
            shape[1 + i] = padded < span ? -1 : (padded - span) / s[i] + 1;
        }
        if (shape[1 + i] < 0 || k < 1) {
            em__error("%s: the kernel does not fit: input %s, weight %s", name,
                      em__describe(x, d1, sizeof d1), em__describe(w, d2, sizeof d2));
            return NULL;
        }
    }
    em_dtype t, ct;
    conv_type(x, w, &t, &ct);
    em_params par = {.i = {s[0], s[1], p[0], p[1], d[0], d[1], groups, o[0], o[1]}};
    em__internal_begin();
    em_array *xc = em__cast(x, ct), *wc = em__cast(w, ct), *r = NULL;
    if (xc && wc) {
        em_array *in[2] = {xc, wc};
        r = em__node(transpose ? EM_P_CONV_TRANSPOSE : EM_P_CONV, ct, 4, shape, in, 2, &par);
    }
    if (r && ct != t) {
        em_array *q = em_astype(r, t);
        em_release(r);
        r = q;
    }
    em_release(xc);
    em_release(wc);
    return em__internal_end(r);
}

em_array *em_conv2d(em_array *x, em_array *w, const int stride[2], const int padding[2],
                    const int dilation[2], int groups)
{
    if (!x || !w)
        return NULL;
    return conv_node(false, x, w, stride, padding, dilation, NULL, groups);
}

em_array *em_conv_transpose2d(em_array *x, em_array *w, const int stride[2], const int padding[2],
                              const int dilation[2], const int output_padding[2], int groups)
{
    if (!x || !w)
        return NULL;
    return conv_node(true, x, w, stride, padding, dilation, output_padding, groups);
}

em_array *em_conv1d(em_array *x, em_array *w, int stride, int padding, int dilation, int groups)
{
    if (!x || !w)
        return NULL;
    char d1[128], d2[128];
    if (x->ndim != 3 || w->ndim != 3) {
        em__error("conv1d: needs 3-d input (N,L,C) and weight (C_out,K,C_in), got %s and %s",
                  em__describe(x, d1, sizeof d1), em__describe(w, d2, sizeof d2));
        return NULL;
    }
    int st[2] = {1, stride}, pd[2] = {0, padding}, dl[2] = {1, dilation};
    int64_t xs[4] = {x->shape[0], 1, x->shape[1], x->shape[2]};
    int64_t ws[4] = {w->shape[0], 1, w->shape[1], w->shape[2]};
    em__internal_begin();
    em_array *x4 = em_reshape(x, 4, xs), *w4 = em_reshape(w, 4, ws), *r = NULL;
    em_array *y = x4 && w4 ? conv_node(false, x4, w4, st, pd, dl, NULL, groups) : NULL;
    if (y) {
        int64_t ys[3] = {y->shape[0], y->shape[2], y->shape[3]};
        r = em_reshape(y, 3, ys);
    }
    em_release(x4);
    em_release(w4);
    em_release(y);
    return em__internal_end(r);
}
