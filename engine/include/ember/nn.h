/* Neural-network building blocks, as MLX's mlx.nn: functional layers,
 * activations, losses and initialisers over arrays, and modules that own their
 * parameters in a tree under dotted names (the names PyTorch and MLX use as
 * safetensors keys: "layers.0.weight").
 *
 * Layouts follow MLX: channels last (N,L,C / N,H,W,C), Linear weights
 * (out, in), conv weights (C_out, K..., C_in/groups).
 *
 * A module tree has one root, which owns the parameter tree, every module made
 * under it, the train/eval mode and the frozen set. A forward pass takes the
 * parameter tree to read from: NULL means the root's own; a tree made by a
 * transformation (em_module_value_and_grad) holds the same names. Typical
 * training step:
 *
 *   em_module *net = em_nn_sequential(NULL, NULL);
 *   em_nn_linear(net, NULL, 784, 512, true);   // "0.weight", "0.bias"
 *   em_nn_activation(net, NULL, EM_ACT_RELU);  // "1"
 *   em_nn_linear(net, NULL, 512, 10, true);    // "2.weight", "2.bias"
 *   ...
 *   static em_array *loss_fn(void *pl, em_module *m, const em_tree *p,
 *                            em_array *const *a, int n) {
 *       return em_cross_entropy(em_module_call(m, p, a[0]), a[1], 0, -1, EM_REDUCTION_MEAN);
 *   }
 *   EM_SCOPE {
 *       em_array *loss;
 *       em_tree *g = em_module_value_and_grad(net, loss_fn, NULL, (em_array*[]){x, y}, 2, &loss);
 *       em_optimizer_update(opt, em_module_params(net), g);
 *       em_tree_free(g);
 *       em_optimizer_eval(opt, em_module_params(net));
 *   }
 *
 * Every function returning an em_array follows array.h's ownership rules and
 * returns NULL (with a message naming the layer, shapes and dtypes) on error. */
#ifndef EMBER_NN_H
#define EMBER_NN_H

#include "ember/array.h"
#include "ember/transforms.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================= functional layers ======================= */

/* x @ w.T + b; w (out, in), b (out) or NULL. */
em_array *em_linear(em_array *x, em_array *w, em_array *b);
/* Rows of table (num, dims) at integer ids: shape ids.shape + (dims). */
em_array *em_embedding(em_array *ids, em_array *table);
/* Zeroes each element with probability p and scales the rest by 1/(1-p).
 * key NULL: the global key. p == 0 returns x (a new reference). */
em_array *em_dropout(em_array *x, double p, em_array *key);
/* Channels-last pooling over (N,H,W,C); stride NULL: the kernel size;
 * padding NULL: 0. Max pooling pads with -inf, average pooling with zeros
 * counted in the mean (PyTorch's count_include_pad). */
em_array *em_max_pool2d(em_array *x, const int kernel[2], const int stride[2],
                        const int padding[2]);
em_array *em_avg_pool2d(em_array *x, const int kernel[2], const int stride[2],
                        const int padding[2]);
em_array *em_max_pool1d(em_array *x, int kernel, int stride, int padding);
em_array *em_avg_pool1d(em_array *x, int kernel, int stride, int padding);
typedef enum em_upsample_mode { EM_UPSAMPLE_NEAREST, EM_UPSAMPLE_BILINEAR } em_upsample_mode;
/* (N,H,W,C) -> (N, H*scale[0], W*scale[1], C) (integer scales). Bilinear:
 * align_corners as PyTorch's flag. */
em_array *em_upsample2d(em_array *x, const int scale[2], em_upsample_mode mode,
                        bool align_corners);
/* Over the last axis, `groups` groups of C/groups channels each, with
 * statistics over every axis but the batch (first) one; weight, bias (C) or NULL. */
em_array *em_group_norm(em_array *x, int groups, em_array *weight, em_array *bias, double eps);
/* Batch norm over every axis but the last: normalises by running statistics
 * when they are given (eval), else by the batch's (biased) statistics. */
em_array *em_batch_norm(em_array *x, em_array *running_mean, em_array *running_var,
                        em_array *weight, em_array *bias, double eps);
/* Causal additive mask (L, L): 0 on and below the diagonal, -inf above. */
em_array *em_causal_mask(int64_t L, em_dtype dtype);

/* ======================= activations ======================= */
/* em_sigmoid, em_tanh (ops.h) and em_softmax, em_log_softmax (fast.h) also serve. */
em_array *em_relu(em_array *x);
em_array *em_relu6(em_array *x);
em_array *em_gelu(em_array *x);        /* exact: x * Phi(x) */
em_array *em_gelu_approx(em_array *x); /* tanh approximation (PyTorch's approximate="tanh") */
em_array *em_silu(em_array *x);
em_array *em_softplus(em_array *x);
em_array *em_mish(em_array *x);
em_array *em_leaky_relu(em_array *x, double negative_slope);
em_array *em_elu(em_array *x, double alpha);
em_array *em_log_sigmoid(em_array *x);

typedef enum em_activation {
    EM_ACT_IDENTITY, EM_ACT_RELU, EM_ACT_GELU, EM_ACT_GELU_APPROX, EM_ACT_SILU, EM_ACT_SIGMOID,
    EM_ACT_TANH, EM_ACT_SOFTPLUS, EM_ACT_MISH, EM_ACT_LEAKY_RELU, EM_ACT_ELU, EM_ACT_SOFTMAX,
    EM_ACT_RELU6, EM_ACT_LOG_SIGMOID
} em_activation;
/* param: leaky_relu's slope (0: 0.01), elu's alpha (0: 1), softmax's axis
 * (as an integer: 0 means -1 here). */
em_array *em_activate(em_array *x, em_activation act, double param);
/* "relu", "gelu", "gelu_approx", "silu", ...; -1 when unknown. */
int em_activation_from_name(const char *name);

/* ======================= losses ======================= */
typedef enum em_reduction { EM_REDUCTION_NONE, EM_REDUCTION_MEAN, EM_REDUCTION_SUM } em_reduction;

/* logits (..., C, ...) along `axis`; targets: integer class ids (logits' shape
 * without axis) or probabilities (logits' shape). label_smoothing in [0, 1). */
em_array *em_cross_entropy(em_array *logits, em_array *targets, double label_smoothing, int axis,
                           em_reduction reduction);
/* with_logits: inputs are logits (numerically stable form), else
 * probabilities (log clamped at -100, as PyTorch). */
em_array *em_binary_cross_entropy(em_array *inputs, em_array *targets, bool with_logits,
                                  em_reduction reduction);
em_array *em_mse_loss(em_array *pred, em_array *target, em_reduction reduction);
em_array *em_l1_loss(em_array *pred, em_array *target, em_reduction reduction);
/* 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta. */
em_array *em_smooth_l1_loss(em_array *pred, em_array *target, double beta,
                            em_reduction reduction);
/* -log_probs[target] along axis; targets are integer class ids. */
em_array *em_nll_loss(em_array *log_probs, em_array *targets, int axis, em_reduction reduction);
/* PyTorch's kl_div(input, target): input holds log-probabilities, target
 * probabilities (log_target false) or log-probabilities (true); elementwise
 * target * (log target - input), then reduced (MEAN: over every element). */
em_array *em_kl_div_loss(em_array *input, em_array *target, bool log_target,
                         em_reduction reduction);

/* ======================= initialisers (key NULL: the global key) =======================
 * fan_in = shape[-1] * receptive, fan_out = shape[0] * receptive, receptive =
 * product of shape[1:-1] (MLX's convention for (out, ..., in) weights). */
em_array *em_init_zeros(int ndim, const int64_t *shape, em_dtype dtype);
em_array *em_init_ones(int ndim, const int64_t *shape, em_dtype dtype);
em_array *em_init_normal(int ndim, const int64_t *shape, double mean, double std, em_dtype dtype,
                         em_array *key);
em_array *em_init_uniform(int ndim, const int64_t *shape, double low, double high,
                          em_dtype dtype, em_array *key);
/* std = gain * sqrt(2 / (fan_in + fan_out)) */
em_array *em_init_glorot_normal(int ndim, const int64_t *shape, double gain, em_dtype dtype,
                                em_array *key);
/* limit = gain * sqrt(6 / (fan_in + fan_out)) */
em_array *em_init_glorot_uniform(int ndim, const int64_t *shape, double gain, em_dtype dtype,
                                 em_array *key);
/* std = gain / sqrt(fan) with fan = fan_in (fan_out when use_fan_out); gain
 * 0 means sqrt(2) (ReLU). */
em_array *em_init_he_normal(int ndim, const int64_t *shape, double gain, bool use_fan_out,
                            em_dtype dtype, em_array *key);
/* limit = gain * sqrt(3 / fan) */
em_array *em_init_he_uniform(int ndim, const int64_t *shape, double gain, bool use_fan_out,
                             em_dtype dtype, em_array *key);

/* ======================= modules ======================= */
typedef struct em_module em_module;

/* A forward: in[0..n_in) the inputs; read parameters with em_module_param.
 * Returns a new array (array.h rules) or NULL. */
typedef em_array *(*em_forward_fn)(em_module *m, const em_tree *params, em_array *const *in,
                                   int n_in);

/* Every constructor: parent NULL makes a root; name NULL under a parent means
 * the next index among the parent's children ("0", "1", ...). The module's
 * full name (its parameters' prefix) is parent's name + "." + name. Parameters
 * are initialised from the global key (see em_random_seed), as MLX does.
 * Returns NULL with an error (nothing is added then). A module is freed with
 * its root (em_module_free). */

/* A plain container (for models of one's own: add children, give forward). */
em_module *em_module_new(em_module *parent, const char *name, em_forward_fn forward,
                         void *payload, void (*free_payload)(void *));
void *em_module_payload(const em_module *m);
/* Frees a root and everything under it (a non-root: no-op). */
void em_module_free(em_module *m);

/* Registers a parameter (trainable) or buffer (state saved with the weights
 * but never trained: running statistics). The tree keeps a reference. */
int em_module_add_param(em_module *m, const char *name, em_array *value);
int em_module_add_buffer(em_module *m, const char *name, em_array *value);

/* The parameter `name` of m (local name: "weight") from params (NULL: the
 * root's tree). Borrowed. NULL with an error when missing. */
em_array *em_module_param(em_module *m, const em_tree *params, const char *name);
/* Replaces a buffer's value in the root's tree (BatchNorm's running stats). */
int em_module_set_buffer(em_module *m, const char *name, em_array *value);

/* Forward passes. params NULL: the root's own tree. */
em_array *em_module_call(em_module *m, const em_tree *params, em_array *x);
em_array *em_module_call_n(em_module *m, const em_tree *params, em_array *const *in, int n_in);

const char *em_module_name(const em_module *m);  /* full dotted prefix ("" for a root) */
const char *em_module_kind(const em_module *m);  /* "Linear", "Sequential", ... */
em_module *em_module_parent(const em_module *m);
em_module *em_module_root(em_module *m);
int em_module_n_children(const em_module *m);
em_module *em_module_child_at(const em_module *m, int i);
/* By local name ("0", "attn"); NULL (no error) when absent. */
em_module *em_module_child(const em_module *m, const char *name);

/* The root's tree of every parameter and buffer (borrowed; full names). The
 * optimizer updates it in place. */
em_tree *em_module_params(em_module *m);
/* A new tree (caller frees) of m's trainable parameters: not frozen, not buffers. */
em_tree *em_module_trainable_params(em_module *m);
int64_t em_module_num_params(em_module *m);  /* elements of m's parameters */

/* Freezes (or unfreezes) the parameters of m whose name relative to m equals
 * prefix or starts with prefix + "." (prefix NULL or "": all of m's). Frozen
 * parameters get no gradient and no update. Returns how many changed state. */
int em_module_freeze(em_module *m, const char *prefix);
int em_module_unfreeze(em_module *m, const char *prefix);
bool em_module_is_frozen(em_module *m, const char *full_name);

/* Train (dropout active, batch statistics) or eval mode, for m and below. */
void em_module_train(em_module *m, bool training);
bool em_module_training(const em_module *m);
/* The key dropout draws from (split at each use); NULL: the global key. The
 * root keeps a reference. Set it per step for reproducible training. */
void em_module_set_rng(em_module *m, em_array *key);
/* A new key split off the root's rng (or from the global key). */
em_array *em_module_next_key(em_module *m);

/* Loss and gradients of the trainable parameters of m. fn gets m, a full
 * parameter tree to pass to forwards, and args. The returned tree holds one
 * gradient per trainable parameter (caller frees); *loss a new reference. */
typedef em_array *(*em_module_loss_fn)(void *payload, em_module *m, const em_tree *params,
                                       em_array *const *args, int n_args);
em_tree *em_module_value_and_grad(em_module *m, em_module_loss_fn fn, void *payload,
                                  em_array *const *args, int n_args, em_array **loss);

/* Safetensors: every parameter and buffer of the root under its full name
 * (optional metadata pairs). Load: tensors are matched by name and must have
 * the parameter's shape (converted to its dtype); strict: every parameter must
 * be present and no other tensor may be. 0 or -1. */
int em_module_save(em_module *m, const char *path, const char *const *meta_keys,
                   const char *const *meta_values, int n_meta);
int em_module_load(em_module *m, const char *path, bool strict);
/* Whole trees to and from safetensors (names as keys). */
int em_tree_save(const em_tree *t, const char *path, const char *const *meta_keys,
                 const char *const *meta_values, int n_meta);
em_tree *em_tree_load(const char *path);

/* A text summary (kinds, names, shapes, counts); the caller frees it. */
char *em_module_describe(em_module *m);

/* ---- layers (parameter names as PyTorch/MLX) ---- */
/* weight (out, in), bias (out) */
em_module *em_nn_linear(em_module *parent, const char *name, int64_t in, int64_t out, bool bias);
/* weight (num, dims) */
em_module *em_nn_embedding(em_module *parent, const char *name, int64_t num, int64_t dims);
/* weight (out, k, in/groups), bias (out); input (N, L, C) */
em_module *em_nn_conv1d(em_module *parent, const char *name, int64_t in, int64_t out, int kernel,
                        int stride, int padding, int dilation, int groups, bool bias);
/* weight (out, kh, kw, in/groups); input (N, H, W, C) */
em_module *em_nn_conv2d(em_module *parent, const char *name, int64_t in, int64_t out,
                        const int kernel[2], const int stride[2], const int padding[2],
                        const int dilation[2], int groups, bool bias);
/* weight (out, kh, kw, in/groups) (MLX's layout) */
em_module *em_nn_conv_transpose2d(em_module *parent, const char *name, int64_t in, int64_t out,
                                  const int kernel[2], const int stride[2],
                                  const int padding[2], const int output_padding[2],
                                  const int dilation[2], int groups, bool bias);
em_module *em_nn_max_pool2d(em_module *parent, const char *name, const int kernel[2],
                            const int stride[2], const int padding[2]);
em_module *em_nn_avg_pool2d(em_module *parent, const char *name, const int kernel[2],
                            const int stride[2], const int padding[2]);
em_module *em_nn_upsample(em_module *parent, const char *name, const int scale[2],
                          em_upsample_mode mode, bool align_corners);
/* weight, bias (dims) when affine */
em_module *em_nn_layer_norm(em_module *parent, const char *name, int64_t dims, double eps,
                            bool affine, bool bias);
em_module *em_nn_rms_norm(em_module *parent, const char *name, int64_t dims, double eps);
em_module *em_nn_group_norm(em_module *parent, const char *name, int groups, int64_t dims,
                            double eps, bool affine);
/* weight, bias (affine); buffers running_mean, running_var (track). Training:
 * batch statistics, and the running ones move by momentum (unbiased variance,
 * as PyTorch); eval: the running ones. */
em_module *em_nn_batch_norm(em_module *parent, const char *name, int64_t dims, double eps,
                            double momentum, bool affine, bool track_running_stats);
em_module *em_nn_dropout(em_module *parent, const char *name, double p);
em_module *em_nn_activation(em_module *parent, const char *name, em_activation act);
/* Rotary embedding over (..., L, D) (em_rope with offset 0; call
 * em_rope directly for an offset). */
em_module *em_nn_rope(em_module *parent, const char *name, int dims, bool traditional,
                      double base, double scale);
em_module *em_nn_sequential(em_module *parent, const char *name);
/* Flattens every axis after the first. */
em_module *em_nn_flatten(em_module *parent, const char *name);

/* Multi-head attention as MLX: query_proj, key_proj, value_proj, out_proj
 * (Linear, weights (dims, dims), bias when `bias`). Inputs: queries, keys,
 * values (N, L, dims) and an optional additive mask (broadcast to (N, heads,
 * Lq, Lk)): em_module_call_n with 3 or 4 inputs (NULL mask allowed as 4th). */
em_module *em_nn_multi_head_attention(em_module *parent, const char *name, int64_t dims,
                                      int heads, bool bias);
/* Transformer blocks as MLX (pre-norm when norm_first): encoder layer:
 * attention, ln1, ln2, linear1 (dims->mlp_dims), linear2, dropout; inputs x
 * and an optional mask. Decoder layer: self_attention, cross_attention, ln1,
 * ln2, ln3, linear1, linear2; inputs x, memory, x_mask, memory_mask (masks
 * optional/NULL). mlp_dims 0: 4*dims. */
em_module *em_nn_transformer_encoder_layer(em_module *parent, const char *name, int64_t dims,
                                           int heads, int64_t mlp_dims, double dropout,
                                           em_activation act, bool norm_first);
em_module *em_nn_transformer_decoder_layer(em_module *parent, const char *name, int64_t dims,
                                           int heads, int64_t mlp_dims, double dropout,
                                           em_activation act, bool norm_first);

#ifdef __cplusplus
}
#endif
#endif
