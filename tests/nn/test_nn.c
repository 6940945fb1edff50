/* nn layers, activations and losses against PyTorch (files from ref_nn.py),
 * plus module behaviour: names, freeze, train/eval, dropout, save/load,
 * initialisers, errors.
 * test-nn REFDIR WORKDIR */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember/ember.h"

static int failures, checks;
static const char *refdir, *workdir;

#define CHECK(cond, ...)                                  \
    do {                                                  \
        checks++;                                         \
        if (!(cond)) {                                    \
            failures++;                                   \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                 \
            fprintf(stderr, "\n");                        \
        }                                                 \
    } while (0)

/* max |a - b| / (atol + rtol |b|) <= 1 */
static int close_to(const char *what, const char *case_name, em_array *got, em_array *want,
                    double rtol, double atol)
{
    if (!got) {
        fprintf(stderr, "FAIL %s %s: no result (%s)\n", case_name, what, em_error_message());
        em_error_clear();
        return 0;
    }
    int nd = em_array_ndim(got);
    bool same = nd == em_array_ndim(want);
    for (int d = 0; same && d < nd; d++)
        same = em_array_shape(got)[d] == em_array_shape(want)[d];
    if (!same) {
        char *a = em_array_to_string(got);
        fprintf(stderr, "FAIL %s %s: shape differs (ndim %d vs %d)\n", case_name, what, nd,
                em_array_ndim(want));
        free(a);
        return 0;
    }
    int64_t n = em_array_size(want);
    float *g = malloc((n + 1) * sizeof *g), *w = malloc((n + 1) * sizeof *w);
    em_array_read(got, EM_FLOAT32, g, n);
    em_array_read(want, EM_FLOAT32, w, n);
    double worst = 0;
    int64_t at = 0;
    for (int64_t i = 0; i < n; i++) {
        double e = fabs((double)g[i] - w[i]) / (atol + rtol * fabs(w[i]));
        if (!(e <= worst)) {
            worst = e;
            at = i;
        }
    }
    int ok = worst <= 1;
    if (!ok)
        fprintf(stderr, "FAIL %s %s: element %lld is %g, PyTorch %g\n", case_name, what,
                (long long)at, g[at], w[at]);
    free(g);
    free(w);
    return ok;
}

/* ---- building the modules of each case ---- */
typedef struct {
    const char *name;
    em_module *(*build)(const char *name);
    bool eval_mode;
} nn_case;

static const int k3[2] = {3, 3}, k2[2] = {2, 2}, s2[2] = {2, 2}, p1[2] = {1, 1}, s1[2] = {1, 1};

static em_module *b_linear(const char *n)
{
    return strstr(n, "nobias") ? em_nn_linear(NULL, NULL, 6, 3, false)
                               : em_nn_linear(NULL, NULL, 5, 4, true);
}
static em_module *b_embedding(const char *n) { (void)n; return em_nn_embedding(NULL, NULL, 10, 4); }
static em_module *b_conv1d(const char *n) { (void)n; return em_nn_conv1d(NULL, NULL, 3, 4, 3, 2, 1, 1, 1, true); }
static em_module *b_conv2d(const char *n)
{
    if (strstr(n, "groups"))
        return em_nn_conv2d(NULL, NULL, 4, 6, (int[]){3, 2}, s2, (int[]){1, 0}, (int[]){1, 2}, 2,
                            true);
    return em_nn_conv2d(NULL, NULL, 3, 4, k3, s1, p1, NULL, 1, true);
}
static em_module *b_convt(const char *n)
{
    (void)n;
    return em_nn_conv_transpose2d(NULL, NULL, 3, 4, k3, s2, p1, s1, NULL, 1, true);
}
static em_module *b_pool(const char *n)
{
    bool pad = strstr(n, "pad");
    if (strstr(n, "max"))
        return em_nn_max_pool2d(NULL, NULL, pad ? k3 : k2, pad ? s2 : NULL, pad ? p1 : NULL);
    return em_nn_avg_pool2d(NULL, NULL, pad ? k3 : k2, pad ? s1 : NULL, pad ? p1 : NULL);
}
static em_module *b_upsample(const char *n)
{
    if (strstr(n, "nearest"))
        return em_nn_upsample(NULL, NULL, k2, EM_UPSAMPLE_NEAREST, false);
    if (strstr(n, "_ac"))
        return em_nn_upsample(NULL, NULL, k2, EM_UPSAMPLE_BILINEAR, true);
    return em_nn_upsample(NULL, NULL, (int[]){2, 3}, EM_UPSAMPLE_BILINEAR, false);
}
static em_module *b_layer_norm(const char *n) { (void)n; return em_nn_layer_norm(NULL, NULL, 6, 1e-5, true, true); }
static em_module *b_rms_norm(const char *n) { (void)n; return em_nn_rms_norm(NULL, NULL, 6, 1e-5); }
static em_module *b_group_norm(const char *n) { (void)n; return em_nn_group_norm(NULL, NULL, 2, 6, 1e-5, true); }
static em_module *b_batch_norm(const char *n) { (void)n; return em_nn_batch_norm(NULL, NULL, 3, 1e-5, 0.1, true, true); }
static em_module *b_rope(const char *n)
{
    return strstr(n, "traditional") ? em_nn_rope(NULL, NULL, 6, true, 100, 0.5)
                                    : em_nn_rope(NULL, NULL, 8, false, 10000, 1);
}
static em_module *b_sequential(const char *n)
{
    (void)n;
    em_module *s = em_nn_sequential(NULL, NULL);
    em_nn_linear(s, NULL, 6, 8, true);
    em_nn_activation(s, NULL, EM_ACT_RELU);
    em_nn_linear(s, NULL, 8, 3, true);
    return s;
}
static em_module *b_mha(const char *n) { (void)n; return em_nn_multi_head_attention(NULL, NULL, 8, 2, false); }
static em_module *b_encoder(const char *n)
{
    return em_nn_transformer_encoder_layer(NULL, NULL, 8, 2, 16, 0, EM_ACT_RELU,
                                           strstr(n, "prenorm") != NULL);
}
static em_module *b_decoder(const char *n)
{
    return em_nn_transformer_decoder_layer(NULL, NULL, 8, 2, 16, 0, EM_ACT_GELU,
                                           strstr(n, "prenorm") != NULL);
}

/* activations and losses as modules whose forward calls the function */
static em_array *act_fwd(em_module *m, const em_tree *p, em_array *const *in, int n)
{
    (void)p;
    (void)n;
    const char *name = em_module_payload(m);
    if (!strcmp(name, "sigmoid"))
        return em_sigmoid(in[0]);
    if (!strcmp(name, "tanh"))
        return em_tanh(in[0]);
    if (!strcmp(name, "softmax"))
        return em_softmax(in[0], -1);
    return em_activate(in[0], (em_activation)em_activation_from_name(name), 0);
}
static em_module *b_act(const char *n) { return em_module_new(NULL, NULL, act_fwd, (void *)(n + 4), NULL); }

static em_array *loss_fwd(em_module *m, const em_tree *p, em_array *const *in, int n)
{
    (void)p;
    (void)n;
    const char *c = em_module_payload(m);
    em_array *x = in[0], *y = in[1];
    if (!strcmp(c, "ce_ids_none")) return em_cross_entropy(x, y, 0, -1, EM_REDUCTION_NONE);
    if (!strcmp(c, "ce_ids_mean")) return em_cross_entropy(x, y, 0, -1, EM_REDUCTION_MEAN);
    if (!strcmp(c, "ce_ids_sum")) return em_cross_entropy(x, y, 0, -1, EM_REDUCTION_SUM);
    if (!strcmp(c, "ce_ids_smooth")) return em_cross_entropy(x, y, 0.1, -1, EM_REDUCTION_MEAN);
    if (!strcmp(c, "ce_probs")) return em_cross_entropy(x, y, 0, -1, EM_REDUCTION_MEAN);
    if (!strcmp(c, "ce_probs_smooth")) return em_cross_entropy(x, y, 0.2, -1, EM_REDUCTION_SUM);
    if (!strcmp(c, "ce_axis1")) return em_cross_entropy(x, y, 0, 1, EM_REDUCTION_MEAN);
    if (!strcmp(c, "nll")) return em_nll_loss(x, y, -1, EM_REDUCTION_MEAN);
    if (!strcmp(c, "bce_logits")) return em_binary_cross_entropy(x, y, true, EM_REDUCTION_MEAN);
    if (!strcmp(c, "bce_probs")) return em_binary_cross_entropy(x, y, false, EM_REDUCTION_SUM);
    if (!strcmp(c, "mse")) return em_mse_loss(x, y, EM_REDUCTION_MEAN);
    if (!strcmp(c, "l1")) return em_l1_loss(x, y, EM_REDUCTION_NONE);
    if (!strcmp(c, "smooth_l1")) return em_smooth_l1_loss(x, y, 1.0, EM_REDUCTION_MEAN);
    if (!strcmp(c, "smooth_l1_beta")) return em_smooth_l1_loss(x, y, 0.5, EM_REDUCTION_SUM);
    if (!strcmp(c, "kl_div")) return em_kl_div_loss(x, y, false, EM_REDUCTION_MEAN);
    if (!strcmp(c, "kl_div_log")) return em_kl_div_loss(x, y, true, EM_REDUCTION_SUM);
    return NULL;
}
static em_module *b_loss(const char *n) { return em_module_new(NULL, NULL, loss_fwd, (void *)n, NULL); }

static const nn_case cases[] = {
    {"linear", b_linear, false}, {"linear_3d", b_linear, false}, {"linear_nobias", b_linear, false},
    {"embedding", b_embedding, false}, {"conv1d", b_conv1d, false}, {"conv2d", b_conv2d, false},
    {"conv2d_groups", b_conv2d, false}, {"conv_transpose2d", b_convt, false},
    {"max_pool2d", b_pool, false}, {"max_pool2d_pad", b_pool, false}, {"avg_pool2d", b_pool, false},
    {"avg_pool2d_pad", b_pool, false}, {"upsample_nearest", b_upsample, false},
    {"upsample_bilinear", b_upsample, false}, {"upsample_bilinear_ac", b_upsample, false},
    {"layer_norm", b_layer_norm, false}, {"rms_norm", b_rms_norm, false},
    {"group_norm", b_group_norm, false}, {"batch_norm_train", b_batch_norm, false},
    {"batch_norm_eval", b_batch_norm, true}, {"rope", b_rope, false},
    {"rope_traditional", b_rope, false}, {"sequential", b_sequential, false}, {"mha", b_mha, false},
    {"encoder", b_encoder, false}, {"encoder_prenorm", b_encoder, false},
    {"decoder", b_decoder, false}, {"decoder_prenorm", b_decoder, false},
    {"act_relu", b_act, false}, {"act_gelu", b_act, false}, {"act_gelu_approx", b_act, false},
    {"act_silu", b_act, false}, {"act_sigmoid", b_act, false}, {"act_tanh", b_act, false},
    {"act_softplus", b_act, false}, {"act_mish", b_act, false}, {"act_leaky_relu", b_act, false},
    {"act_elu", b_act, false}, {"act_softmax", b_act, false}, {"act_relu6", b_act, false},
    {"act_log_sigmoid", b_act, false},
    {"ce_ids_none", b_loss, false}, {"ce_ids_mean", b_loss, false}, {"ce_ids_sum", b_loss, false},
    {"ce_ids_smooth", b_loss, false}, {"ce_probs", b_loss, false},
    {"ce_probs_smooth", b_loss, false}, {"ce_axis1", b_loss, false}, {"nll", b_loss, false},
    {"bce_logits", b_loss, false}, {"bce_probs", b_loss, false}, {"mse", b_loss, false},
    {"l1", b_loss, false}, {"smooth_l1", b_loss, false}, {"smooth_l1_beta", b_loss, false},
    {"kl_div", b_loss, false}, {"kl_div_log", b_loss, false},
};

typedef struct {
    em_module *m;
    em_array *in[8];
    bool grad_in[8];
    int n_in;
    em_array *cot;
} grad_ctx;

static em_array *grad_loss(void *payload, const em_tree *params, em_array *const *args, int n)
{
    (void)args;
    (void)n;
    grad_ctx *c = payload;
    em_array *in[8];
    for (int k = 0; k < c->n_in; k++) {
        char name[16];
        snprintf(name, sizeof name, "in%d", k);
        in[k] = c->grad_in[k] ? em_get(params, name) : c->in[k];
    }
    em_array *out = em_module_call_n(c->m, params, in, c->n_in);
    return em_sum(em_multiply(out, c->cot), NULL, 0, false);
}

static void run_case(const nn_case *cs)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.npz", refdir, cs->name);
    em_npz *z = em_npz_load(path);
    if (!z) {
        fprintf(stderr, "FAIL %s: %s\n", cs->name, em_error_message());
        em_error_clear();
        failures++;
        return;
    }
    int ok = 1;
    EM_SCOPE {
        em_module *m = cs->build(cs->name);
        if (!m) {
            fprintf(stderr, "FAIL %s: build: %s\n", cs->name, em_error_message());
            em_error_clear();
            ok = 0;
            break;
        }
        if (cs->eval_mode)
            em_module_train(m, false);
        em_tree *params = em_module_params(m);
        grad_ctx c = {.m = m};
        for (int i = 0; i < em_npz_count(z); i++) {
            const char *n = em_npz_name(z, i);
            if (!strncmp(n, "p.", 2)) {
                em_array *want = em_npz_get_index(z, i);
                em_array *have = em_get(params, n + 2);
                if (!have) {
                    fprintf(stderr, "FAIL %s: no parameter %s\n", cs->name, n + 2);
                    em_error_clear();
                    ok = 0;
                }
                em_tree_set(params, n + 2, want);
            } else if (!strncmp(n, "in", 2)) {
                int k = atoi(n + 2);
                c.in[k] = em_npz_get_index(z, i);
                if (k + 1 > c.n_in)
                    c.n_in = k + 1;
            }
        }
        c.cot = em_npz_get(z, "cot");
        for (int k = 0; k < c.n_in; k++) {
            char gname[16];
            snprintf(gname, sizeof gname, "g.in%d", k);
            for (int i = 0; i < em_npz_count(z); i++)
                if (!strcmp(em_npz_name(z, i), gname))
                    c.grad_in[k] = true;
        }
        /* forward */
        em_array *out = em_module_call_n(m, NULL, c.in, c.n_in);
        ok &= close_to("forward", cs->name, out, em_npz_get(z, "out"), 2e-4, 2e-5);
        for (int i = 0; i < em_npz_count(z); i++) {
            const char *n = em_npz_name(z, i);
            if (!strncmp(n, "rs.", 3))
                ok &= close_to(n, cs->name, em_get(params, n + 3), em_npz_get_index(z, i), 2e-4,
                               2e-5);
        }
        /* gradients of sum(out * cot) */
        em_tree *t = em_tree_copy(params);
        for (int k = 0; k < c.n_in; k++)
            if (c.grad_in[k]) {
                char name[16];
                snprintf(name, sizeof name, "in%d", k);
                em_tree_set(t, name, c.in[k]);
            }
        em_array *loss = NULL;
        em_tree *g = em_value_and_grad_tree(grad_loss, &c, t, NULL, 0, &loss);
        if (!g) {
            fprintf(stderr, "FAIL %s: gradient: %s\n", cs->name, em_error_message());
            em_error_clear();
            ok = 0;
        }
        for (int i = 0; g && i < em_npz_count(z); i++) {
            const char *n = em_npz_name(z, i);
            if (strncmp(n, "g.", 2))
                continue;
            const char *pn = !strncmp(n, "g.p.", 4) ? n + 4 : n + 2;
            ok &= close_to(n, cs->name, em_get(g, pn), em_npz_get_index(z, i), 1e-3, 1e-4);
        }
        em_tree_free(g);
        em_tree_free(t);
        em_module_free(m);
    }
    checks++;
    if (!ok)
        failures++;
    em_npz_close(z);
}

/* ---- module behaviour ---- */
static em_array *mlp_loss(void *pl, em_module *m, const em_tree *p, em_array *const *a, int n)
{
    (void)pl;
    (void)n;
    return em_cross_entropy(em_module_call(m, p, a[0]), a[1], 0, -1, EM_REDUCTION_MEAN);
}

static void test_modules(void)
{
    em_random_seed(1);
    EM_SCOPE {
        em_module *net = em_nn_sequential(NULL, NULL);
        em_module *blocks = em_nn_sequential(net, "layers");
        em_nn_linear(blocks, NULL, 4, 8, true);
        em_nn_activation(blocks, NULL, EM_ACT_GELU);
        em_nn_batch_norm(blocks, NULL, 8, 1e-5, 0.1, true, true);
        em_nn_dropout(blocks, NULL, 0.5);
        em_nn_linear(net, "head", 8, 3, true);
        em_tree *p = em_module_params(net);
        const char *want[] = {"layers.0.weight", "layers.0.bias", "layers.2.weight",
                              "layers.2.bias", "layers.2.running_mean", "layers.2.running_var",
                              "head.weight", "head.bias"};
        CHECK(em_tree_size(p) == 8, "8 tensors, got %d", em_tree_size(p));
        for (int i = 0; i < 8 && i < em_tree_size(p); i++)
            CHECK(!strcmp(em_tree_name(p, i), want[i]), "name %d: %s", i, em_tree_name(p, i));
        CHECK(em_module_num_params(net) == 4 * 8 + 8 + 8 + 8 + 8 * 3 + 3, "count %lld",
              (long long)em_module_num_params(net));
        CHECK(!strcmp(em_module_name(em_module_child(blocks, "2")), "layers.2"), "child name");
        em_tree *tp = em_module_trainable_params(net);
        CHECK(em_tree_size(tp) == 6, "trainable 6, got %d", em_tree_size(tp));
        em_tree_free(tp);
        CHECK(em_module_freeze(net, "layers") == 4, "froze layers");
        CHECK(em_module_freeze(net, "layers.0") == 0, "already frozen");
        CHECK(em_module_is_frozen(net, "layers.0.weight"), "is frozen");
        tp = em_module_trainable_params(net);
        CHECK(em_tree_size(tp) == 2, "trainable after freeze: %d", em_tree_size(tp));
        em_tree_free(tp);
        /* freezing by prefix respects dot boundaries */
        CHECK(em_module_freeze(net, "head.w") == 0, "head.w matches nothing");
        CHECK(em_module_unfreeze(em_module_child(blocks, "2"), NULL) == 2, "unfreeze bn");

        /* gradients only for trainable; optimizer leaves frozen ones alone */
        em_array *x = em_random_normal(2, (int64_t[]){16, 4}, 0, 1, EM_FLOAT32, em_random_key(3));
        em_array *y = em_random_randint(1, (int64_t[]){16}, 0, 3, EM_INT32, em_random_key(4));
        em_module_set_rng(net, em_random_key(7));
        em_array *loss;
        em_array *w0 = em_retain(em_get(p, "layers.0.weight"));
        em_tree *g = em_module_value_and_grad(net, mlp_loss, NULL, (em_array *[]){x, y}, 2, &loss);
        CHECK(g && em_tree_size(g) == 4, "grads for 4 trainable, got %d", em_tree_size(g));
        em_optimizer *opt = em_optim_sgd(0.1, 0, 0, 0, false);
        CHECK(em_optimizer_update(opt, p, g) == 0, "update: %s", em_error_message());
        CHECK(em_optimizer_eval(opt, p) == 0, "eval");
        CHECK(em_get(p, "layers.0.weight") == w0, "frozen weight untouched");
        CHECK(em_get(p, "head.weight") != NULL && em_item_f32(loss) > 0, "loss %g", em_item_f32(loss));
        em_release(w0);
        em_tree_free(g);
        em_optimizer_free(opt);

        /* running statistics moved in training mode, not in eval mode */
        float rm[8];
        em_array_read(em_get(p, "layers.2.running_mean"), EM_FLOAT32, rm, 8);
        float s = 0;
        for (int i = 0; i < 8; i++)
            s += fabsf(rm[i]);
        CHECK(s > 0, "running mean moved");
        em_module_train(net, false);
        CHECK(!em_module_training(em_module_child(blocks, "3")), "eval reaches children");
        em_array *before = em_retain(em_get(p, "layers.2.running_mean"));
        em_array *o1 = em_module_call(net, NULL, x), *o2 = em_module_call(net, NULL, x);
        CHECK(em_get(p, "layers.2.running_mean") == before, "eval keeps running stats");
        CHECK(em_item_bool(em_array_equal(o1, o2, false)), "eval: deterministic (no dropout)");
        em_release(before);

        /* save, change, load */
        char path[1024];
        snprintf(path, sizeof path, "%s/net.safetensors", workdir);
        CHECK(em_module_save(net, path, (const char *[]){"format"}, (const char *[]){"ember"}, 1) == 0,
              "save: %s", em_error_message());
        em_array *saved = em_retain(em_get(p, "head.weight"));
        em_tree_set(p, "head.weight", em_zeros(2, (int64_t[]){3, 8}, EM_FLOAT32));
        CHECK(em_module_load(net, path, true) == 0, "load: %s", em_error_message());
        CHECK(em_item_bool(em_array_equal(em_get(p, "head.weight"), saved, false)), "reloaded");
        em_release(saved);
        em_tree *lt = em_tree_load(path);
        CHECK(lt && em_tree_size(lt) == 8, "tree load");
        em_tree_free(lt);
        /* a model of another shape refuses it, strict or not */
        em_module *other = em_nn_linear(NULL, NULL, 4, 3, true);
        CHECK(em_module_load(other, path, true) < 0 && strstr(em_error_message(), "no tensor"),
              "strict load refuses: %s", em_error_message());
        em_error_clear();
        em_module *head_like = em_nn_sequential(NULL, NULL);
        em_nn_linear(head_like, "head", 8, 4, true);
        CHECK(em_module_load(head_like, path, false) < 0 &&
                  strstr(em_error_message(), "different shape"),
              "shape mismatch refused: %s", em_error_message());
        em_error_clear();
        em_module_free(head_like);
        em_module_free(other);

        char *desc = em_module_describe(net);
        CHECK(desc && strstr(desc, "running_mean") && strstr(desc, "(buffer)"), "describe");
        free(desc);

        /* errors: names and shapes */
        CHECK(!em_nn_linear(net, "head", 2, 2, true) && strstr(em_error_message(), "already"),
              "duplicate child: %s", em_error_message());
        em_error_clear();
        CHECK(!em_nn_linear(net, "a.b", 2, 2, true), "dotted name refused");
        em_error_clear();
        em_array *bad = em_module_call(net, NULL, em_zeros(2, (int64_t[]){2, 5}, EM_FLOAT32));
        CHECK(!bad && strstr(em_error_message(), "linear"), "bad input: %s", em_error_message());
        em_error_clear();
        em_module_free(net);
    }
}

static void test_dropout_and_init(void)
{
    EM_SCOPE {
        int64_t shape[2] = {200, 500};
        em_array *x = em_ones(2, shape, EM_FLOAT32);
        em_array *y = em_dropout(x, 0.3, em_random_key(11));
        double zeros = em_item_f64(em_mean(em_equal(y, em_scalar_f(0)), NULL, 0, false));
        double mean = em_item_f64(em_mean(y, NULL, 0, false));
        CHECK(fabs(zeros - 0.3) < 0.01, "dropout zero fraction %g", zeros);
        CHECK(fabs(mean - 1) < 0.02, "dropout keeps the mean: %g", mean);
        em_array *y2 = em_dropout(x, 0.3, em_random_key(11));
        CHECK(em_item_bool(em_array_equal(y, y2, false)), "same key, same mask");
        CHECK(!em_dropout(x, 1.0, NULL), "p = 1 refused");
        em_error_clear();

        /* module dropout: keys from the root's rng, identity in eval mode */
        em_module *d = em_nn_dropout(NULL, NULL, 0.5);
        em_module_set_rng(d, em_random_key(5));
        em_array *a = em_module_call(d, NULL, x), *b = em_module_call(d, NULL, x);
        CHECK(!em_item_bool(em_array_equal(a, b, false)), "successive calls draw new masks");
        em_module_set_rng(d, em_random_key(5));
        em_array *a2 = em_module_call(d, NULL, x);
        CHECK(em_item_bool(em_array_equal(a, a2, false)), "same rng, same masks");
        em_module_train(d, false);
        CHECK(em_item_bool(em_array_equal(em_module_call(d, NULL, x), x, false)), "eval identity");
        em_module_free(d);

        /* initialisers: spread as the formulas say */
        int64_t ws[2] = {300, 200};
        struct {
            const char *name;
            em_array *a;
            double std;
        } inits[] = {
            {"glorot_normal", em_init_glorot_normal(2, ws, 1, EM_FLOAT32, em_random_key(1)), sqrt(2.0 / 500)},
            {"glorot_uniform", em_init_glorot_uniform(2, ws, 1, EM_FLOAT32, em_random_key(2)), sqrt(6.0 / 500) / sqrt(3)},
            {"he_normal", em_init_he_normal(2, ws, 0, false, EM_FLOAT32, em_random_key(3)), sqrt(2.0 / 200)},
            {"he_uniform", em_init_he_uniform(2, ws, 0, true, EM_FLOAT32, em_random_key(4)), sqrt(2.0) * sqrt(3.0 / 300) / sqrt(3)},
            {"normal", em_init_normal(2, ws, 0, 0.02, EM_FLOAT32, em_random_key(5)), 0.02},
            {"uniform", em_init_uniform(2, ws, -1, 1, EM_FLOAT32, em_random_key(6)), 1 / sqrt(3)},
            {"ones", em_init_ones(2, ws, EM_FLOAT32), 0},
            {"zeros", em_init_zeros(2, ws, EM_FLOAT32), 0},
        };
        for (size_t i = 0; i < sizeof inits / sizeof *inits; i++) {
            double sd = em_item_f64(em_std(inits[i].a, NULL, 0, false, 0));
            CHECK(fabs(sd - inits[i].std) <= 0.02 * inits[i].std + 1e-7, "%s std %g, want %g",
                  inits[i].name, sd, inits[i].std);
        }
        /* conv weights: receptive field in the fans */
        em_array *cw = em_init_he_normal(4, (int64_t[]){64, 3, 3, 32}, 0, false, EM_FLOAT32, em_random_key(8));
        double sd = em_item_f64(em_std(cw, NULL, 0, false, 0));
        CHECK(fabs(sd - sqrt(2.0 / (32 * 9))) < 0.02 * sqrt(2.0 / 288), "he conv std %g", sd);
    }
}

static void test_errors(void)
{
    EM_SCOPE {
        em_array *l = em_zeros(2, (int64_t[]){4, 5}, EM_FLOAT32);
        em_array *bad_t = em_zeros(1, (int64_t[]){3}, EM_INT32);
        CHECK(!em_cross_entropy(l, bad_t, 0, -1, EM_REDUCTION_MEAN) &&
                  strstr(em_error_message(), "cross_entropy"),
              "ce shape error: %s", em_error_message());
        em_error_clear();
        CHECK(!em_mse_loss(l, em_zeros(1, (int64_t[]){5}, EM_FLOAT32), EM_REDUCTION_MEAN),
              "mse shapes");
        em_error_clear();
        CHECK(!em_max_pool2d(l, k2, NULL, NULL) && strstr(em_error_message(), "max_pool2d"),
              "pool needs 4-d: %s", em_error_message());
        em_error_clear();
        CHECK(!em_nn_group_norm(NULL, NULL, 4, 6, 1e-5, true), "groups must divide");
        em_error_clear();
        CHECK(!em_linear(NULL, l, NULL) && !em_error_pending(), "NULL in, NULL out, no message");
    }
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: test-nn REFDIR WORKDIR\n");
        return 2;
    }
    refdir = argv[1];
    workdir = argv[2];
    const char *only = argc > 3 ? argv[3] : NULL;
    int n_cases = 0;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        if (only && !strstr(cases[i].name, only))
            continue;
        int before = failures;
        run_case(&cases[i]);
        n_cases++;
        if (failures == before && getenv("VERBOSE"))
            printf("ok %s\n", cases[i].name);
    }
    if (!only) {
        test_modules();
        test_dropout_and_init();
        test_errors();
    }
    em_memory_stats st = em_memory_stats_get();
    printf("nn: %d PyTorch cases, %d checks, %d failures, %zu bytes active\n", n_cases, checks,
           failures, st.active);
    if (st.active) {
        fprintf(stderr, "FAIL: %zu bytes still active\n", st.active);
        return 1;
    }
    return failures ? 1 : 0;
}
