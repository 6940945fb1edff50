/* Layer modules: constructors (parameters initialised as MLX does) and
 * forwards. */
#include <math.h>
#include <string.h>

#include "nn_internal.h"

#define P(name) em_module_param(m, params, name)
#define HAS(name) (m->i[15] & (name))
enum { HAS_BIAS = 1, HAS_WEIGHT = 2, HAS_STATS = 4 };

static em_array *uniform(int ndim, const int64_t *shape, double scale)
{
    return em_random_uniform(ndim, shape, -scale, scale, EM_FLOAT32, NULL);
}

/* Registers a freshly made array and drops the caller's reference. */
static int add_param(em_module *m, const char *name, em_array *a, bool buffer)
{
    int rc = buffer ? em_module_add_buffer(m, name, a) : em_module_add_param(m, name, a);
    em_release(a);
    return rc;
}

/* ---- Linear ---- */
static em_array *linear_fwd(em_module *m, const em_tree *params, em_array *const *in, int n)
{
    (void)n;
    return em_linear(in[0], P("weight"), HAS(HAS_BIAS) ? P("bias") : NULL);
}

em_module *em_nn_linear(em_module *parent, const char *name, int64_t in, int64_t out, bool bias)
{
    if (in <= 0 || out <= 0) {
        em__error("Linear: sizes %lld -> %lld must be positive", (long long)in, (long long)out);
        return NULL;
    }
    em_module *m = em__module_make(parent, name, "Linear", linear_fwd);
    if (!m)
        return NULL;
    m->i[0] = in;
    m->i[1] = out;
    m->i[15] = bias ? HAS_BIAS : 0;
    double scale = sqrt(1.0 / (double)in);
    em__internal_begin();
    int rc = add_param(m, "weight", uniform(2, (int64_t[]){out, in}, scale), false);
    if (rc == 0 && bias)
        rc = add_param(m, "bias", uniform(1, (int64_t[]){out}, scale), false);
    em__internal_end(NULL);
    return rc == 0 ? m : NULL;
}

/* ---- Embedding ---- */
static em_array *embedding_fwd(em_module *m, const em_tree *params, em_array *const *in, int n)
{
    (void)n;
    return em_embedding(in[0], P("weight"));
}

em_module *em_nn_embedding(em_module *parent, const char *name, int64_t num, int64_t dims)
{
    if (num <= 0 || dims <= 0) {
        em__error("Embedding: sizes %lld x %lld must be positive", (long long)num, (long long)dims);
        return NULL;
    }
    em_module *m = em__module_make(parent, name, "Embedding", embedding_fwd);
    if (!m)
        return NULL;
    m->i[0] = num;
    m->i[1] = dims;
    em__internal_begin();
    int rc = add_param(m, "weight",
                       em_random_normal(2, (int64_t[]){num, dims}, 0, sqrt(1.0 / (double)dims),
                                        EM_FLOAT32, NULL),
                       false);
    em__internal_end(NULL);
    return rc == 0 ? m : NULL;
}

/* ---- convolutions ---- */
static em_array *add_bias(em_module *m, const em_tree *params, em_array *y)
{
    if (!HAS(HAS_BIAS))
        return y;
    em_scope *s = em_scope_begin();
    return em__composite_end(s, em_add(y, P("bias")));
}

static em_array *conv1d_fwd(em_module *m, const em_tree *params, em_array *const *in, int n)
{
    (void)n;
    em_scope *s = em_scope_begin();
    em_array *y = em_conv1d(in[0], P("weight"), (int)m->i[3], (int)m->i[4], (int)m->i[5],
                            (int)m->i[6]);
    return em__composite_end(s, add_bias(m, params, y));
}

em_module *em_nn_conv1d(em_module *parent, const char *name, int64_t in, int64_t out, int kernel,
                        int stride, int padding, int dilation, int groups, bool bias)
{
    if (in <= 0 || out <= 0 || kernel <= 0 || groups <= 0 || in % groups || out % groups) {
        em__error("Conv1d: bad configuration (in %lld, out %lld, kernel %d, groups %d)",
                  (long long)in, (long long)out, kernel, groups);
        return NULL;
    }
    em_module *m = em__module_make(parent, name, "Conv1d", conv1d_fwd);
    if (!m)
        return NULL;
    int64_t cfg[] = {in, out, kernel, stride, padding, dilation, groups};
    memcpy(m->i, cfg, sizeof cfg);
    m->i[15] = bias ? HAS_BIAS : 0;
    double scale = sqrt(1.0 / (double)(in / groups * kernel));
    em__internal_begin();
    int rc = add_param(m, "weight", uniform(3, (int64_t[]){out, kernel, in / groups}, scale), false);
    if (rc == 0 && bias)
        rc = add_param(m, "bias", uniform(1, (int64_t[]){out}, scale), false);
    em__internal_end(NULL);
    return rc == 0 ? m : NULL;
}

static const int one2[2] = {1, 1}, zero2[2] = {0, 0};

static em_array *conv2d_fwd(em_module *m, const em_tree *params, em_array *const *in, int n)
{
    (void)n;
    int st[2] = {(int)m->i[4], (int)m->i[5]}, pd[2] = {(int)m->i[6], (int)m->i[7]},
        dl[2] = {(int)m->i[8], (int)m->i[9]};
    em_scope *s = em_scope_begin();
    em_array *y = em_conv2d(in[0], P("weight"), st, pd, dl, (int)m->i[10]);
    return em__composite_end(s, add_bias(m, params, y));
}

em_module *em_nn_conv2d(em_module *parent, const char *name, int64_t in, int64_t out,
                        const int kernel[2], const int stride[2], const int padding[2],
                        const int dilation[2], int groups, bool bias)
{
    if (!kernel || in <= 0 || out <= 0 || kernel[0] <= 0 || kernel[1] <= 0 || groups <= 0 ||
        in % groups || out % groups) {
        em__error("Conv2d: bad configuration (in %lld, out %lld, groups %d)", (long long)in,
                  (long long)out, groups);
        return NULL;
    }
    if (!stride)
        stride = one2;
    if (!padding)
        padding = zero2;
    if (!dilation)
        dilation = one2;
    em_module *m = em__module_make(parent, name, "Conv2d", conv2d_fwd);
    if (!m)
        return NULL;
    int64_t cfg[] = {in, out, kernel[0], kernel[1], stride[0], stride[1], padding[0], padding[1],
                     dilation[0], dilation[1], groups};
    memcpy(m->i, cfg, sizeof cfg);
    m->i[15] = bias ? HAS_BIAS : 0;
    double scale = sqrt(1.0 / (double)(in / groups * kernel[0] * kernel[1]));
    em__internal_begin();
    int rc = add_param(m, "weight",
                       uniform(4, (int64_t[]){out, kernel[0], kernel[1], in / groups}, scale), false);
    if (rc == 0 && bias)
        rc = add_param(m, "bias", uniform(1, (int64_t[]){out}, scale), false);
    em__internal_end(NULL);
    return rc == 0 ? m : NULL;
}

static em_array *convt2d_fwd(em_module *m, const em_tree *params, em_array *const *in, int n)
{
    (void)n;
    int st[2] = {(int)m->i[4], (int)m->i[5]}, pd[2] = {(int)m->i[6], (int)m->i[7]},
        dl[2] = {(int)m->i[8], (int)m->i[9]}, op[2] = {(int)m->i[11], (int)m->i[12]};
    em_scope *s = em_scope_begin();
    em_array *y = em_conv_transpose2d(in[0], P("weight"), st, pd, dl, op, (int)m->i[10]);
    return em__composite_end(s, add_bias(m, params, y));
}

em_module *em_nn_conv_transpose2d(em_module *parent, const char *name, int64_t in, int64_t out,
                                  const int kernel[2], const int stride[2],
                                  const int padding[2], const int output_padding[2],
                                  const int dilation[2], int groups, bool bias)
{
    if (!kernel || in <= 0 || out <= 0 || kernel[0] <= 0 || kernel[1] <= 0 || groups <= 0 ||
        in % groups || out % groups) {
        em__error("ConvTranspose2d: bad configuration (in %lld, out %lld, groups %d)",
                  (long long)in, (long long)out, groups);
        return NULL;
    }
    if (!stride)
        stride = one2;
    if (!padding)
        padding = zero2;
    if (!dilation)
        dilation = one2;
    if (!output_padding)
        output_padding = zero2;
    em_module *m = em__module_make(parent, name, "ConvTranspose2d", convt2d_fwd);
    if (!m)
        return NULL;
    int64_t cfg[] = {in,          out,         kernel[0], kernel[1], stride[0], stride[1],
                     padding[0],  padding[1],  dilation[0], dilation[1], groups,
                     output_padding[0], output_padding[1]};
    memcpy(m->i, cfg, sizeof cfg);
    m->i[15] = bias ? HAS_BIAS : 0;
    double scale = sqrt(1.0 / (double)(in / groups * kernel[0] * kernel[1]));
    em__internal_begin();
    int rc = add_param(m, "weight",
                       uniform(4, (int64_t[]){out, kernel[0], kernel[1], in / groups}, scale), false);
    if (rc == 0 && bias)
        rc = add_param(m, "bias", uniform(1, (int64_t[]){out}, scale), false);
    em__internal_end(NULL);
    return rc == 0 ? m : NULL;
}

/* ---- pooling, upsampling ---- */
static em_array *pool_fwd(em_module *m, const em_tree *params, em_array *const *in, int n)
{
    (void)params;
    (void)n;
    int k[2] = {(int)m->i[0], (int)m->i[1]}, st[2] = {(int)m->i[2], (int)m->i[3]},
        pd[2] = {(int)m->i[4], (int)m->i[5]};
    return m->i[6] ? em_max_pool2d(in[0], k, st, pd) : em_avg_pool2d(in[0], k, st, pd);
}

static em_module *pool(em_module *parent, const char *name, const int kernel[2],
                       const int stride[2], const int padding[2], bool max)
{
    const char *kind = max ? "MaxPool2d" : "AvgPool2d";
    if (!kernel || kernel[0] <= 0 || kernel[1] <= 0) {
        em__error("%s: kernel sizes must be positive", kind);
        return NULL;
    }
    em_module *m = em__module_make(parent, name, kind, pool_fwd);
    if (!m)
        return NULL;
    if (!stride)
        stride = kernel;
    if (!padding)
        padding = zero2;
    int64_t cfg[] = {kernel[0], kernel[1], stride[0], stride[1], padding[0], padding[1], max};
    memcpy(m->i, cfg, sizeof cfg);
    return m;
}

em_module *em_nn_max_pool2d(em_module *parent, const char *name, const int kernel[2],
                            const int stride[2], const int padding[2])
{
    return pool(parent, name, kernel, stride, padding, true);
}

em_module *em_nn_avg_pool2d(em_module *parent, const char *name, const int kernel[2],
                            const int stride[2], const int padding[2])
{
    return pool(parent, name, kernel, stride, padding, false);
}

static em_array *upsample_fwd(em_module *m, const em_tree *params, em_array *const *in, int n)
{
    (void)params;
    (void)n;
    int sc[2] = {(int)m->i[0], (int)m->i[1]};
    return em_upsample2d(in[0], sc, (em_upsample_mode)m->i[2], m->i[3]);
}

em_module *em_nn_upsample(em_module *parent, const char *name, const int scale[2],
                          em_upsample_mode mode, bool align_corners)
{
    if (!scale || scale[0] <= 0 || scale[1] <= 0) {
        em__error("Upsample: scale factors must be positive integers");
        return NULL;
    }
    em_module *m = em__module_make(parent, name, "Upsample", upsample_fwd);
    if (!m)
        return NULL;
    int64_t cfg[] = {scale[0], scale[1], mode, align_corners};
    memcpy(m->i, cfg, sizeof cfg);
    return m;
}

/* ---- normalisation ---- */
static em_array *layer_norm_fwd(em_module *m, const em_tree *params, em_array *const *in, int n)
{
    (void)n;
    return em_layer_norm(in[0], HAS(HAS_WEIGHT) ? P("weight") : NULL,
                         HAS(HAS_BIAS) ? P("bias") : NULL, m->f[0]);
}

em_module *em_nn_layer_norm(em_module *parent, const char *name, int64_t dims, double eps,
                            bool affine, bool bias)
{
    em_module *m = em__module_make(parent, name, "LayerNorm", layer_norm_fwd);
    if (!m)
        return NULL;
    m->i[0] = dims;
    m->f[0] = eps;
    m->i[15] = (affine ? HAS_WEIGHT : 0) | (affine && bias ? HAS_BIAS : 0);
    em__internal_begin();
    int rc = 0;
    if (affine)
        rc = add_param(m, "weight", em_ones(1, &dims, EM_FLOAT32), false);
    if (rc == 0 && affine && bias)
        rc = add_param(m, "bias", em_zeros(1, &dims, EM_FLOAT32), false);
    em__internal_end(NULL);
    return rc == 0 ? m : NULL;
}

static em_array *rms_norm_fwd(em_module *m, const em_tree *params, em_array *const *in, int n)
{
    (void)n;
    return em_rms_norm(in[0], P("weight"), m->f[0]);
}

em_module *em_nn_rms_norm(em_module *parent, const char *name, int64_t dims, double eps)
{
    em_module *m = em__module_make(parent, name, "RMSNorm", rms_norm_fwd);
    if (!m)
        return NULL;
    m->i[0] = dims;
    m->f[0] = eps;
    em__internal_begin();
    int rc = add_param(m, "weight", em_ones(1, &dims, EM_FLOAT32), false);
    em__internal_end(NULL);
    return rc == 0 ? m : NULL;
}

static em_array *group_norm_fwd(em_module *m, const em_tree *params, em_array *const *in, int n)
{
    (void)n;
    return em_group_norm(in[0], (int)m->i[1], HAS(HAS_WEIGHT) ? P("weight") : NULL,
                         HAS(HAS_WEIGHT) ? P("bias") : NULL, m->f[0]);
}

em_module *em_nn_group_norm(em_module *parent, const char *name, int groups, int64_t dims,
                            double eps, bool affine)
{
    if (groups <= 0 || dims % groups) {
        em__error("GroupNorm: %d groups do not divide %lld channels", groups, (long long)dims);
        return NULL;
    }
    em_module *m = em__module_make(parent, name, "GroupNorm", group_norm_fwd);
    if (!m)
        return NULL;
    m->i[0] = dims;
    m->i[1] = groups;
    m->f[0] = eps;
    m->i[15] = affine ? HAS_WEIGHT | HAS_BIAS : 0;
    em__internal_begin();
    int rc = 0;
    if (affine) {
        rc = add_param(m, "weight", em_ones(1, &dims, EM_FLOAT32), false);
        if (rc == 0)
            rc = add_param(m, "bias", em_zeros(1, &dims, EM_FLOAT32), false);
    }
    em__internal_end(NULL);
    return rc == 0 ? m : NULL;
}

static em_array *batch_norm_fwd(em_module *m, const em_tree *params, em_array *const *in, int n)
{
    (void)n;
    em_array *x = in[0];
    em_array *w = HAS(HAS_WEIGHT) ? P("weight") : NULL, *b = HAS(HAS_WEIGHT) ? P("bias") : NULL;
    if (!m->training && HAS(HAS_STATS))
        return em_batch_norm(x, P("running_mean"), P("running_var"), w, b, m->f[0]);
    em_scope *s = em_scope_begin();
    em_array *y = em_batch_norm(x, NULL, NULL, w, b, m->f[0]);
    if (!y || !m->training || !HAS(HAS_STATS))
        return em__composite_end(s, y);
    /* move the running statistics (no gradient flows into them) */
    int nd = em_array_ndim(x), axes[EM_MAX_DIMS];
    int64_t count = 1;
    for (int d = 0; d < nd - 1; d++) {
        axes[d] = d;
        count *= em_array_shape(x)[d];
    }
    em_array *xs = em_stop_gradient(x);
    em_array *mean = em_mean(xs, axes, nd - 1, false);
    em_array *var = em_var(xs, axes, nd - 1, false, count > 1 ? 1 : 0);
    double mom = m->f[1];
    em_array *rm = em_add(em_multiply(P("running_mean"), em_scalar_f(1 - mom)),
                          em_multiply(mean, em_scalar_f(mom)));
    em_array *rv = em_add(em_multiply(P("running_var"), em_scalar_f(1 - mom)),
                          em_multiply(var, em_scalar_f(mom)));
    int rc = em_module_set_buffer(m, "running_mean", rm);
    if (rc == 0)
        rc = em_module_set_buffer(m, "running_var", rv);
    return em__composite_end(s, rc == 0 ? y : NULL);
}

em_module *em_nn_batch_norm(em_module *parent, const char *name, int64_t dims, double eps,
                            double momentum, bool affine, bool track_running_stats)
{
    em_module *m = em__module_make(parent, name, "BatchNorm", batch_norm_fwd);
    if (!m)
        return NULL;
    m->i[0] = dims;
    m->f[0] = eps;
    m->f[1] = momentum;
    m->i[15] = (affine ? HAS_WEIGHT : 0) | (track_running_stats ? HAS_STATS : 0);
    em__internal_begin();
    int rc = 0;
    if (affine) {
        rc = add_param(m, "weight", em_ones(1, &dims, EM_FLOAT32), false);
        if (rc == 0)
            rc = add_param(m, "bias", em_zeros(1, &dims, EM_FLOAT32), false);
    }
    if (rc == 0 && track_running_stats) {
        rc = add_param(m, "running_mean", em_zeros(1, &dims, EM_FLOAT32), true);
        if (rc == 0)
            rc = add_param(m, "running_var", em_ones(1, &dims, EM_FLOAT32), true);
    }
    em__internal_end(NULL);
    return rc == 0 ? m : NULL;
}

/* ---- dropout, activation, rope, flatten ---- */
static em_array *dropout_fwd(em_module *m, const em_tree *params, em_array *const *in, int n)
{
    (void)params;
    (void)n;
    if (!m->training || m->f[0] == 0)
        return em__track(em_retain(in[0]));
    em_scope *s = em_scope_begin();
    em_array *key = em_module_next_key(m);
    return em__composite_end(s, em_dropout(in[0], m->f[0], key));
}

em_module *em_nn_dropout(em_module *parent, const char *name, double p)
{
    if (!(p >= 0 && p < 1)) {
        em__error("Dropout: probability %g is not in [0, 1)", p);
        return NULL;
    }
    em_module *m = em__module_make(parent, name, "Dropout", dropout_fwd);
    if (m)
        m->f[0] = p;
    return m;
}

static em_array *activation_fwd(em_module *m, const em_tree *params, em_array *const *in, int n)
{
    (void)params;
    (void)n;
    return em_activate(in[0], (em_activation)m->i[0], m->f[0]);
}

em_module *em_nn_activation(em_module *parent, const char *name, em_activation act)
{
    if ((unsigned)act > EM_ACT_LOG_SIGMOID) {
        em__error("activation: unknown activation %d", (int)act);
        return NULL;
    }
    em_module *m = em__module_make(parent, name, "Activation", activation_fwd);
    if (m)
        m->i[0] = act;
    return m;
}

static em_array *rope_fwd(em_module *m, const em_tree *params, em_array *const *in, int n)
{
    (void)params;
    (void)n;
    return em_rope(in[0], (int)m->i[0], m->i[1], m->f[0], m->f[1], 0, NULL);
}

em_module *em_nn_rope(em_module *parent, const char *name, int dims, bool traditional,
                      double base, double scale)
{
    if (dims <= 0 || dims % 2) {
        em__error("RoPE: dims %d must be positive and even", dims);
        return NULL;
    }
    em_module *m = em__module_make(parent, name, "RoPE", rope_fwd);
    if (m) {
        m->i[0] = dims;
        m->i[1] = traditional;
        m->f[0] = base;
        m->f[1] = scale;
    }
    return m;
}

static em_array *flatten_fwd(em_module *m, const em_tree *params, em_array *const *in, int n)
{
    (void)m;
    (void)params;
    (void)n;
    return em_flatten(in[0], 1, -1);
}

em_module *em_nn_flatten(em_module *parent, const char *name)
{
    return em__module_make(parent, name, "Flatten", flatten_fwd);
}

static em_array *sequential_fwd(em_module *m, const em_tree *params, em_array *const *in, int n)
{
    if (m->n_children == 0)
        return em__track(em_retain(in[0]));
    em_scope *s = em_scope_begin();
    em_array *x = em_module_call_n(m->children[0], params, in, n);
    for (int i = 1; i < m->n_children && x; i++)
        x = em_module_call(m->children[i], params, x);
    return em__composite_end(s, x);
}

em_module *em_nn_sequential(em_module *parent, const char *name)
{
    return em__module_make(parent, name, "Sequential", sequential_fwd);
}
