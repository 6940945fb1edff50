/* Gradient, forward-derivative and batching rules of CONV and CONV_TRANSPOSE
 * (channels last; params i[0..1] stride, i[2..3] padding, i[4..5] dilation,
 * i[6] groups, i[7..8] output padding).
 *
 * With x (N,H,W,G*Ci), weight w (G*Co,KH,KW,Ci):
 *   conv(x, w)[n,oh,ow,g*Co+o] = sum x[n, oh*s-p+kh*d, ow*s-p+kw*d, g*Ci+c] w[g*Co+o,kh,kw,c]
 *   conv_transpose(z, w') is the adjoint in its input of a conv whose weight
 *   is w' with the in/out channels of each group swapped (flip_groups).
 * So: d conv / d x = conv_transpose(cot, flip(w)) (output padding makes up
 * the rows the stride skipped); d conv_transpose / d z = conv(cot, flip(w'))
 * (cut to z's size). The weight gradient is a correlation of x with the
 * cotangent: a conv with x's channels as the batch, (group, sample) as the
 * channels, the cotangent as the weight, stride and dilation swapped, and
 * `groups` groups (weight_grad). Both are linear in each input, so the jvp
 * replays the primitive on the tangents. */
#include <string.h>

#include "transforms_internal.h"

typedef struct {
    int s[2], p[2], d[2], op[2], g;
} conv_par;

static conv_par params_of(const em_params *p)
{
    conv_par c = {{(int)p->i[0], (int)p->i[1]}, {(int)p->i[2], (int)p->i[3]},
                  {(int)p->i[4], (int)p->i[5]}, {(int)p->i[7], (int)p->i[8]}, (int)p->i[6]};
    return c;
}

/* (G*A, KH, KW, B) -> (G*B, KH, KW, A) */
static em_array *flip_groups(em_array *w, int64_t G)
{
    int64_t A = w->shape[0] / G, KH = w->shape[1], KW = w->shape[2], B = w->shape[3];
    em_array *r = em_reshape(w, 5, (int64_t[]){G, A, KH, KW, B});
    r = em_transpose(r, (int[]){0, 4, 2, 3, 1});
    return em_reshape(r, 4, (int64_t[]){G * B, KH, KW, A});
}

/* the first h x w of the spatial axes */
static em_array *cut(em_array *a, int64_t h, int64_t w)
{
    if (!a || (a->shape[1] == h && a->shape[2] == w))
        return a;
    int64_t start[4] = {0, 0, 0, 0}, stop[4] = {a->shape[0], h, w, a->shape[3]};
    return em_slice(a, start, stop, NULL);
}

/* dW[g*Co+o,kh,kw,c] = sum_{n,oh,ow} x[n, oh*s-p+kh*d, ow*s-p+kw*d, g*Ci+c] y[n,oh,ow,g*Co+o] */
static em_array *weight_grad(em_array *x, em_array *y, const conv_par *c, int64_t KH, int64_t KW)
{
    int64_t G = c->g, N = x->shape[0], H = x->shape[1], W = x->shape[2], Ci = x->shape[3] / G;
    int64_t OH = y->shape[1], OW = y->shape[2], Co = y->shape[3] / G;
    em_array *xr = em_reshape(x, 5, (int64_t[]){N, H, W, G, Ci});
    xr = em_reshape(em_transpose(xr, (int[]){4, 1, 2, 3, 0}), 4, (int64_t[]){Ci, H, W, G * N});
    em_array *yr = em_reshape(y, 5, (int64_t[]){N, OH, OW, G, Co});
    yr = em_reshape(em_transpose(yr, (int[]){3, 4, 1, 2, 0}), 4, (int64_t[]){G * Co, OH, OW, N});
    em_array *r = em_conv2d(xr, yr, c->d, c->p, c->s, (int)G); /* stride <-> dilation */
    r = cut(r, KH, KW);
    return em_transpose(r, (int[]){3, 1, 2, 0});
}

static int vjp_conv(em_array *const *outs, int n_out, em_array *const *cots, em_array *const *ins,
                    int n_in, const em_params *p, em_array **in_cots)
{
    conv_par c = params_of(p);
    em_array *x = ins[0], *w = ins[1], *g = cots[0];
    int op[2];
    for (int i = 0; i < 2; i++) {
        int64_t k = w->shape[1 + i];
        int64_t made = (g->shape[1 + i] - 1) * c.s[i] - 2 * (int64_t)c.p[i] + (int64_t)c.d[i] * (k - 1) + 1;
        op[i] = (int)(x->shape[1 + i] - made);
    }
    in_cots[0] = cut(em_conv_transpose2d(g, flip_groups(w, c.g), c.s, c.p, c.d, op, c.g),
                     x->shape[1], x->shape[2]);
    in_cots[1] = weight_grad(x, g, &c, w->shape[1], w->shape[2]);
    return in_cots[0] && in_cots[1] ? 0 : -1;
}

static int vjp_conv_transpose(em_array *const *outs, int n_out, em_array *const *cots,
                              em_array *const *ins, int n_in, const em_params *p,
                              em_array **in_cots)
{
    conv_par c = params_of(p);
    em_array *z = ins[0], *w = ins[1], *g = cots[0];
    in_cots[0] = cut(em_conv2d(g, flip_groups(w, c.g), c.s, c.p, c.d, c.g), z->shape[1], z->shape[2]);
    in_cots[1] = flip_groups(weight_grad(g, z, &c, w->shape[1], w->shape[2]), c.g);
    return in_cots[0] && in_cots[1] ? 0 : -1;
}

static int jvp_bilinear(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                        em_array *const *in_tans, const em_params *p, em_array **out_tans)
{
    em_array *o = outs[0], *t = NULL;
    if (in_tans[0])
        t = em__replay(o, (em_array *const[]){in_tans[0], ins[1]}, 2, o->ndim, o->shape);
    if (in_tans[1]) {
        em_array *u = em__replay(o, (em_array *const[]){ins[0], in_tans[1]}, 2, o->ndim, o->shape);
        t = t ? em_add(t, u) : u;
    }
    out_tans[0] = t;
    return t ? 0 : -1;
}

static em_array *run(const em_array *node, em_array *x, em_array *w, int groups)
{
    conv_par c = params_of(node->params);
    if (node->prim == EM_P_CONV)
        return em_conv2d(x, w, c.s, c.p, c.d, groups);
    return em_conv_transpose2d(x, w, c.s, c.p, c.d, c.op, groups);
}

static em_array *to_front(em_array *x, int axis) { return axis == 0 ? x : em_moveaxis(x, axis, 0); }

/* Batched input only: the batch joins the samples. Batched weight: the batch
 * joins the groups (channels (b, g, c)), the input repeated if unbatched. */
static int vmap_conv(const em_array *node, em_array *const *ins, const int *axes, int n_in,
                     em_array **outs, int *out_axes)
{
    conv_par c = params_of(node->params);
    if (axes[1] < 0) {
        em_array *x = to_front(ins[0], axes[0]);
        int64_t B = x->shape[0];
        em_array *xf = em_reshape(x, 4, (int64_t[]){B * x->shape[1], x->shape[2], x->shape[3], x->shape[4]});
        em_array *y = run(node, xf, ins[1], c.g);
        if (!y)
            return -1;
        outs[0] = em_reshape(y, 5, (int64_t[]){B, node->shape[0], y->shape[1], y->shape[2], y->shape[3]});
        out_axes[0] = 0;
        return outs[0] ? 0 : -1;
    }
    em_array *w = to_front(ins[1], axes[1]);
    int64_t B = w->shape[0];
    em_array *x;
    if (axes[0] >= 0) {
        x = to_front(ins[0], axes[0]);
    } else {
        int ax = 0;
        x = em_expand_dims(ins[0], &ax, 1);
        int64_t shape[5];
        memcpy(shape, x->shape, sizeof shape);
        shape[0] = B;
        x = em_broadcast_to(x, 5, shape);
    }
    int64_t N = x->shape[1], H = x->shape[2], W = x->shape[3], C = x->shape[4];
    /* (B, N, H, W, C) -> (N, H, W, B*C) */
    em_array *xm = em_reshape(em_transpose(x, (int[]){1, 2, 3, 0, 4}), 4, (int64_t[]){N, H, W, B * C});
    em_array *wm = em_reshape(w, 4, (int64_t[]){B * w->shape[1], w->shape[2], w->shape[3], w->shape[4]});
    em_array *y = run(node, xm, wm, (int)(B * c.g));
    if (!y)
        return -1;
    int64_t Cout = y->shape[3] / B;
    outs[0] = em_reshape(y, 5, (int64_t[]){y->shape[0], y->shape[1], y->shape[2], B, Cout});
    out_axes[0] = 3;
    return outs[0] ? 0 : -1;
}

__attribute__((constructor)) static void register_conv_rules(void)
{
    em__register_vjp(EM_P_CONV, vjp_conv);
    em__register_vjp(EM_P_CONV_TRANSPOSE, vjp_conv_transpose);
    em__register_jvp(EM_P_CONV, jvp_bilinear);
    em__register_jvp(EM_P_CONV_TRANSPOSE, jvp_bilinear);
    em__register_vmap(EM_P_CONV, vmap_conv);
    em__register_vmap(EM_P_CONV_TRANSPOSE, vmap_conv);
}
