/* MLP and CNN for Fashion-MNIST, a small GPT for character-level text. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ember/ember.h"
#include "train/models.h"

#include "core/error_internal.h"
#include "ember/data.h"

/* ---- parameters ---- */

typedef struct {
    uint64_t seed;
    uint64_t counter;
    em_tree *t;
    int rc;
} initer;

static void put(initer *in, const char *name, em_array *a)
{
    if (!a || em_eval(a) < 0 || em_tree_set(in->t, name, a) < 0)
        in->rc = -1;
}

/* PyTorch's default for Linear/Conv: uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)). */
static void uniform_param(initer *in, const char *name, int ndim, const int64_t *shape,
                          int64_t fan_in)
{
    double b = 1.0 / sqrt((double)fan_in);
    put(in, name, em_random_uniform(ndim, shape, -b, b, EM_FLOAT32,
                                    em_data_key(in->seed, 0, in->counter++)));
}

static void normal_param(initer *in, const char *name, int ndim, const int64_t *shape, double std)
{
    put(in, name, em_random_normal(ndim, shape, 0.0, std, EM_FLOAT32,
                                   em_data_key(in->seed, 0, in->counter++)));
}

static void const_param(initer *in, const char *name, int ndim, const int64_t *shape, double v)
{
    put(in, name, em_full(ndim, shape, v, EM_FLOAT32));
}

static void linear_params(initer *in, const char *prefix, int64_t fin, int64_t fout)
{
    char n[256];
    int64_t w[2] = {fout, fin};
    snprintf(n, sizeof n, "%s.weight", prefix);
    uniform_param(in, n, 2, w, fin);
    snprintf(n, sizeof n, "%s.bias", prefix);
    uniform_param(in, n, 1, &fout, fin);
}

int em__model_init(const em__model *m, uint64_t seed, em_tree *params)
{
    initer in = {seed, 0, params, 0};
    em_scope *s = em_scope_begin();
    switch (m->kind) {
    case EM__MODEL_MLP:
        linear_params(&in, "layers.0", 784, 512);
        linear_params(&in, "layers.1", 512, 512);
        linear_params(&in, "layers.2", 512, 10);
        break;
    case EM__MODEL_CNN: {
        int64_t w1[4] = {32, 3, 3, 1}, w2[4] = {64, 3, 3, 32}, c1 = 32, c2 = 64;
        uniform_param(&in, "conv1.weight", 4, w1, 9);
        uniform_param(&in, "conv1.bias", 1, &c1, 9);
        uniform_param(&in, "conv2.weight", 4, w2, 9 * 32);
        uniform_param(&in, "conv2.bias", 1, &c2, 9 * 32);
        linear_params(&in, "fc1", 7 * 7 * 64, 128);
        linear_params(&in, "fc2", 128, 10);
        break;
    }
    case EM__MODEL_GPT: {
        int64_t D = m->d_model, V = m->vocab, T = m->context;
        int64_t te[2] = {V, D}, pe[2] = {T, D};
        double std = 0.02, proj_std = 0.02 / sqrt(2.0 * m->n_layers);
        normal_param(&in, "tok_emb.weight", 2, te, std);
        normal_param(&in, "pos_emb.weight", 2, pe, std);
        char n[256];
        for (int l = 0; l < m->n_layers; l++) {
            int64_t qkv[2] = {3 * D, D}, proj[2] = {D, D}, fc[2] = {4 * D, D},
                    fcp[2] = {D, 4 * D}, b3 = 3 * D, b4 = 4 * D;
#define P(fmt) (snprintf(n, sizeof n, "blocks.%d." fmt, l), n)
            const_param(&in, P("ln1.weight"), 1, &D, 1.0);
            const_param(&in, P("ln1.bias"), 1, &D, 0.0);
            normal_param(&in, P("attn.qkv.weight"), 2, qkv, std);
            const_param(&in, P("attn.qkv.bias"), 1, &b3, 0.0);
            normal_param(&in, P("attn.proj.weight"), 2, proj, proj_std);
            const_param(&in, P("attn.proj.bias"), 1, &D, 0.0);
            const_param(&in, P("ln2.weight"), 1, &D, 1.0);
            const_param(&in, P("ln2.bias"), 1, &D, 0.0);
            normal_param(&in, P("mlp.fc.weight"), 2, fc, std);
            const_param(&in, P("mlp.fc.bias"), 1, &b4, 0.0);
            normal_param(&in, P("mlp.proj.weight"), 2, fcp, proj_std);
            const_param(&in, P("mlp.proj.bias"), 1, &D, 0.0);
#undef P
        }
        const_param(&in, "ln_f.weight", 1, &D, 1.0);
        const_param(&in, "ln_f.bias", 1, &D, 0.0);
        break;
    }
    }
    em_scope_end(s);
    return in.rc;
}

/* ---- forward ---- */

static em_array *P(const em_tree *p, const char *fmt, int l)
{
    char n[256];
    snprintf(n, sizeof n, fmt, l);
    return em_get(p, n);
}

/* x @ w.T + b over the last axis of x (any leading axes). */
static em_array *linear(em_array *x, em_array *w, em_array *b)
{
    int nd = em_array_ndim(x);
    if (nd == 2)
        return b ? em_add(em_matmul(x, em_transpose(w, NULL)), b)
                 : em_matmul(x, em_transpose(w, NULL));
    int64_t rows = em_array_size(x) / em_array_dim(x, -1);
    int64_t s2[2] = {rows, em_array_dim(x, -1)};
    em_array *y = em_matmul(em_reshape(x, 2, s2), em_transpose(w, NULL));
    if (b)
        y = em_add(y, b);
    int64_t shape[EM_MAX_DIMS];
    memcpy(shape, em_array_shape(x), (size_t)nd * sizeof *shape);
    shape[nd - 1] = em_array_dim(w, 0);
    return em_reshape(y, nd, shape);
}

static em_array *relu(em_array *x) { return em_maximum(x, em_scalar_f(0.0)); }

/* tanh approximation of GELU */
static em_array *gelu(em_array *x)
{
    em_array *inner = em_multiply(
        em_add(x, em_multiply(em_scalar_f(0.044715), em_multiply(x, em_square(x)))),
        em_scalar_f(0.7978845608028654));
    return em_multiply(em_multiply(em_scalar_f(0.5), x), em_add(em_scalar_f(1.0), em_tanh(inner)));
}

/* 2x2 max pooling of (N, H, W, C), H and W even. */
static em_array *max_pool2(em_array *x)
{
    int64_t N = em_array_dim(x, 0), H = em_array_dim(x, 1), W = em_array_dim(x, 2),
            C = em_array_dim(x, 3);
    int64_t s[6] = {N, H / 2, 2, W / 2, 2, C};
    int axes[2] = {2, 4};
    return em_max(em_reshape(x, 6, s), axes, 2, false);
}

static em_array *conv_relu(em_array *x, em_array *w, em_array *b)
{
    int stride[2] = {1, 1}, pad[2] = {1, 1}, dil[2] = {1, 1};
    return relu(em_add(em_conv2d(x, w, stride, pad, dil, 1), b));
}

/* Labels the nodes made from here on with a module name (graph inspection
 * groups them, see em_set_module); returns the label that was current, for
 * module_end. */
static const char *module_begin(const char *fmt, int l)
{
    const char *prev = em_current_module();
    char n[128];
    snprintf(n, sizeof n, fmt, l);
    em_set_module(n);
    return prev;
}

static void module_end(const char *prev) { em_set_module(prev); }

static em_array *gpt_forward(const em__model *m, const em_tree *p, em_array *ids)
{
    int64_t B = em_array_dim(ids, 0), T = em_array_dim(ids, 1);
    int64_t D = m->d_model, H = m->n_heads, Dh = D / H;
    em_array *table = em_get(p, "tok_emb.weight");
    /* Embedding as a gather (its gradient a scatter-add into the table). */
    int64_t s_btd[3] = {B, T, D};
    const char *outer = module_begin("embed", 0);
    em_array *x = em_take(table, ids, 0);
    int64_t ps[2] = {0, 0}, pe[2] = {T, D};
    x = em_add(x, em_slice(em_get(p, "pos_emb.weight"), ps, pe, NULL));
    module_end(outer);
    double scale = 1.0 / sqrt((double)Dh);
    for (int l = 0; l < m->n_layers; l++) {
        const char *prev = module_begin("blocks.%d.attn", l);
        em_array *h = em_layer_norm(x, P(p, "blocks.%d.ln1.weight", l),
                                    P(p, "blocks.%d.ln1.bias", l), 1e-5);
        em_array *qkv = linear(h, P(p, "blocks.%d.attn.qkv.weight", l),
                               P(p, "blocks.%d.attn.qkv.bias", l));
        int64_t s5[5] = {B, T, 3, H, Dh};
        /* (B, T, 3, H, Dh) -> (3, B, H, T, Dh) */
        em_array *t = em_transpose(em_reshape(qkv, 5, s5), (int[]){2, 0, 3, 1, 4});
        em_array *q = em_squeeze(em_slice(t, (int64_t[]){0, 0, 0, 0, 0},
                                          (int64_t[]){1, B, H, T, Dh}, NULL), (int[]){0}, 1);
        em_array *k = em_squeeze(em_slice(t, (int64_t[]){1, 0, 0, 0, 0},
                                          (int64_t[]){2, B, H, T, Dh}, NULL), (int[]){0}, 1);
        em_array *v = em_squeeze(em_slice(t, (int64_t[]){2, 0, 0, 0, 0},
                                          (int64_t[]){3, B, H, T, Dh}, NULL), (int[]){0}, 1);
        em_array *a = em_scaled_dot_product_attention(q, k, v, scale, NULL, true);
        a = em_reshape(em_transpose(a, (int[]){0, 2, 1, 3}), 3, s_btd);
        x = em_add(x, linear(a, P(p, "blocks.%d.attn.proj.weight", l),
                             P(p, "blocks.%d.attn.proj.bias", l)));
        module_end(prev);
        prev = module_begin("blocks.%d.mlp", l);
        h = em_layer_norm(x, P(p, "blocks.%d.ln2.weight", l), P(p, "blocks.%d.ln2.bias", l),
                          1e-5);
        h = gelu(linear(h, P(p, "blocks.%d.mlp.fc.weight", l), P(p, "blocks.%d.mlp.fc.bias", l)));
        x = em_add(x, linear(h, P(p, "blocks.%d.mlp.proj.weight", l),
                             P(p, "blocks.%d.mlp.proj.bias", l)));
        module_end(prev);
    }
    outer = module_begin("head", 0);
    x = em_layer_norm(x, em_get(p, "ln_f.weight"), em_get(p, "ln_f.bias"), 1e-5);
    x = linear(x, table, NULL);
    module_end(outer);
    return x;
}

em_array *em__model_forward(const em__model *m, const em_tree *p, em_array *x)
{
    if (!x)
        return NULL;
    em_scope *s = em_scope_begin();
    em_array *r = NULL;
    switch (m->kind) {
    case EM__MODEL_MLP: {
        const char *prev = module_begin("layers.%d", 0);
        em_array *h = relu(linear(x, em_get(p, "layers.0.weight"), em_get(p, "layers.0.bias")));
        module_end(prev);
        prev = module_begin("layers.%d", 1);
        h = relu(linear(h, em_get(p, "layers.1.weight"), em_get(p, "layers.1.bias")));
        module_end(prev);
        prev = module_begin("layers.%d", 2);
        r = linear(h, em_get(p, "layers.2.weight"), em_get(p, "layers.2.bias"));
        module_end(prev);
        break;
    }
    case EM__MODEL_CNN: {
        const char *prev = module_begin("conv%d", 1);
        em_array *h = max_pool2(conv_relu(x, em_get(p, "conv1.weight"), em_get(p, "conv1.bias")));
        module_end(prev);
        prev = module_begin("conv%d", 2);
        h = max_pool2(conv_relu(h, em_get(p, "conv2.weight"), em_get(p, "conv2.bias")));
        module_end(prev);
        int64_t fs[2] = {em_array_dim(x, 0), 7 * 7 * 64};
        prev = module_begin("fc%d", 1);
        h = relu(linear(em_reshape(h, 2, fs), em_get(p, "fc1.weight"), em_get(p, "fc1.bias")));
        module_end(prev);
        prev = module_begin("fc%d", 2);
        r = linear(h, em_get(p, "fc2.weight"), em_get(p, "fc2.bias"));
        module_end(prev);
        break;
    }
    case EM__MODEL_GPT:
        r = gpt_forward(m, p, x);
        break;
    }
    em_keep(r);
    em_scope_end(s);
    return r;
}

em_array *em__cross_entropy_mean(em_array *logits, em_array *targets)
{
    if (!logits || !targets)
        return NULL;
    em_scope *s = em_scope_begin();
    /* log_softmax (fused; its gradient softmax - 1 at the target through the
     * gather's scatter-add), then the target's entry of each row. */
    em_array *lp = em_log_softmax(logits, -1);
    em_array *picked = em_take_along_axis(lp, em_expand_dims(targets, (int[]){-1}, 1), -1);
    int64_t n = em_array_size(targets);
    em_array *r = em_multiply(em_sum(picked, NULL, 0, false), em_scalar_f(-1.0 / (double)n));
    em_keep(r);
    em_scope_end(s);
    return r;
}
