/* compile (against the uncompiled function, bit for bit; fusion, CSE, constant
 * folding, caching, shapeless reuse, gradients through it), graph inspection,
 * custom_vjp, and checkpoint's lower peak memory, measured. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ember/ember.h>

#include "check.h"

static int traces;

/* gelu, erf form: x * 0.5 * (1 + erf(x / sqrt(2))) */
static int gelu(void *payload, em_array *const *in, int n, em_array **out, int max)
{
    traces++;
    em_array *x = in[0];
    out[0] = em_multiply(em_multiply(x, em_scalar_f(0.5)),
                         em_add(em_scalar_f(1), em_erf(em_multiply(x, em_scalar_f(M_SQRT1_2)))));
    return 1;
}

static int twice_exp(void *payload, em_array *const *in, int n, em_array **out, int max)
{
    traces++;
    out[0] = em_add(em_exp(in[0]), em_exp(in[0]));
    return 1;
}

static int folded(void *payload, em_array *const *in, int n, em_array **out, int max)
{
    out[0] = em_multiply(in[0], em_multiply(em_scalar_f(2), em_scalar_f(3)));
    return 1;
}

static em_array *random_f32(int64_t n, uint64_t seed)
{
    return em_random_normal(1, &n, 0, 1, EM_FLOAT32, em_random_key(seed));
}

static bool identical(em_array *a, em_array *b)
{
    int64_t n = em_array_size(a);
    if (n != em_array_size(b))
        return false;
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    bool same = em_array_read(a, EM_FLOAT64, x, n) == n && em_array_read(b, EM_FLOAT64, y, n) == n &&
                !memcmp(x, y, n * sizeof *x);
    free(x);
    free(y);
    return same;
}

static int count_op(const em_graph *g, const char *op)
{
    int n = 0;
    for (int i = 0; i < em_graph_size(g); i++)
        n += !strcmp(em_graph_node_at(g, i)->op, op);
    return n;
}

static void test_compile(void)
{
    EM_SCOPE {
        em_compiled *c = em_compile((em_closure){gelu, NULL, NULL}, 0);
        em_array *x = random_f32(10007, 1), *plain[1], *fast[1];
        traces = 0;
        gelu(NULL, &x, 1, plain, 1);
        traces = 0;
        CHECK(em_compiled_call(c, &x, 1, fast, 1) == 1, "compiled gelu runs");
        CHECK(identical(plain[0], fast[0]), "compiled gelu equals uncompiled bit for bit");
        em_compiled_call(c, &x, 1, fast, 1);
        CHECK(traces == 1, "traced once for one signature (%d traces)", traces);
        em_array *x64 = em_astype(x, EM_FLOAT64);
        em_compiled_call(c, &x64, 1, fast, 1);
        CHECK(traces == 2, "a new dtype traces again (%d traces)", traces);
        gelu(NULL, &x64, 1, plain, 1);
        CHECK(identical(plain[0], fast[0]), "compiled gelu equals uncompiled in float64");

        em_graph *g = em_compiled_graph(c, &x, 1);
        CHECK(g && em_graph_fused_groups(g) == 1, "gelu is one fused group (%d)", em_graph_fused_groups(g));
        char *dot = em_graph_to_dot(g);
        CHECK(dot && strstr(dot, "cluster_fused_0") && strstr(dot, "erf"), "DOT shows the fused group");
        free(dot);
        em_graph_free(g);
        em_compiled_free(c);

        /* shapeless: one trace serves other lengths */
        c = em_compile((em_closure){gelu, NULL, NULL}, EM_COMPILE_SHAPELESS);
        traces = 0;
        em_array *y = random_f32(33, 2);
        em_compiled_call(c, &x, 1, fast, 1);
        em_compiled_call(c, &y, 1, fast, 1);
        CHECK(traces == 1, "shapeless compile traced once for two lengths (%d)", traces);
        gelu(NULL, &y, 1, plain, 1);
        CHECK(em_array_size(fast[0]) == 33 && identical(plain[0], fast[0]), "shapeless result right");
        em_compiled_free(c);

        /* common subexpressions and constant folding */
        c = em_compile((em_closure){twice_exp, NULL, NULL}, 0);
        g = em_compiled_graph(c, &y, 1);
        CHECK(count_op(g, "exp") == 1, "exp(x) + exp(x) computes exp once (%d)", count_op(g, "exp"));
        em_graph_free(g);
        em_compiled_free(c);
        c = em_compile((em_closure){folded, NULL, NULL}, 0);
        g = em_compiled_graph(c, &y, 1);
        CHECK(count_op(g, "multiply") == 1, "2*3 folded: one multiply left (%d)", count_op(g, "multiply"));
        em_compiled_call(c, &y, 1, fast, 1);
        CHECK(em_item_f32(em_take(fast[0], em_scalar_i(0), 0)) == 6 * em_item_f32(em_take(y, em_scalar_i(0), 0)), "folded value");
        em_graph_free(g);
        em_compiled_free(c);
    }
}

/* gradients through a compiled function equal those of the plain one */
static em_compiled *grad_target;
static int call_compiled(void *payload, em_array *const *in, int n, em_array **out, int max)
{
    em_array *r[1];
    if (em_compiled_call(grad_target, in, n, r, 1) < 0)
        return -1;
    out[0] = em_sum(r[0], NULL, 0, false);
    return 1;
}
static int call_plain(void *payload, em_array *const *in, int n, em_array **out, int max)
{
    em_array *r[1];
    gelu(NULL, in, n, r, 1);
    out[0] = em_sum(r[0], NULL, 0, false);
    return 1;
}

static void test_compiled_grad(void)
{
    EM_SCOPE {
        grad_target = em_compile((em_closure){gelu, NULL, NULL}, 0);
        em_array *x = em_astype(random_f32(64, 3), EM_FLOAT64), *g1, *g2;
        CHECK(em_value_and_grad((em_closure){call_compiled, NULL, NULL}, &x, 1, NULL, 0, NULL, &g1) == 0, "grad of compiled");
        em_value_and_grad((em_closure){call_plain, NULL, NULL}, &x, 1, NULL, 0, NULL, &g2);
        CHECK(em_item_bool(em_allclose(g1, g2, 1e-12, 1e-12, false)), "grad through the fused kernel");
        em_compiled_free(grad_target);
    }
}

/* custom_vjp: the user's gradient is used instead of the traced one */
static int cube(void *payload, em_array *const *in, int n, em_array **out, int max)
{
    out[0] = em_multiply(in[0], em_square(in[0]));
    return 1;
}
static int cube_vjp(void *payload, em_array *const *primals, int n, em_array *const *outs, int n_out,
                    em_array *const *cots, em_array **vjps)
{
    /* deliberately 10x the true gradient, so the test sees which one ran */
    vjps[0] = em_multiply(cots[0], em_multiply(em_scalar_f(30), em_square(primals[0])));
    return 0;
}

static void test_custom_vjp(void)
{
    EM_SCOPE {
        em_closure f = em_custom_vjp((em_closure){cube, NULL, NULL}, (em_custom_vjp_closure){cube_vjp, NULL, NULL});
        double v = 2;
        em_array *x = em_array_from_data(&v, 0, NULL, EM_FLOAT64), *out[1], *g[1];
        em_array *one = em_scalar(1, EM_FLOAT64);
        CHECK(em_vjp(f, &x, 1, &one, 1, out, 1, g) == 1, "custom_vjp runs");
        CHECK(em_item_f64(out[0]) == 8, "forward is f: %g", em_item_f64(out[0]));
        CHECK(em_item_f64(g[0]) == 120, "backward is the custom vjp: %g", em_item_f64(g[0]));
        em_array *t = em_scalar(1, EM_FLOAT64), *jv[1];
        em_jvp(f, &x, 1, &t, out, 1, jv);
        CHECK(em_item_f64(jv[0]) == 12, "forward mode goes through f: %g", em_item_f64(jv[0]));
        em_closure_free(f);
    }
}

/* checkpoint: the backward pass recomputes each block instead of keeping it */
#define LAYERS 12
static int block(void *payload, em_array *const *in, int n, em_array **out, int max)
{
    em_array *h = in[0];
    for (int k = 0; k < 4; k++)
        h = em_tanh(em_add(em_multiply(h, in[1]), em_sin(h)));
    out[0] = h;
    return 1;
}

static int network(void *payload, em_array *const *in, int n, em_array **out, int max)
{
    em_closure *blk = payload;
    em_array *h = in[0];
    for (int l = 0; l < LAYERS; l++) {
        em_array *args[2] = {h, in[1]}, *r[1];
        if (blk->fn(blk->payload, args, 2, r, 1) < 0)
            return -1;
        h = r[0];
    }
    out[0] = em_sum(h, NULL, 0, false);
    return 1;
}

static size_t peak_of(em_closure blk)
{
    size_t peak = 0;
    EM_SCOPE {
        int64_t shape[2] = {256, 1024};
        em_array *x = em_random_normal(2, shape, 0, 1, EM_FLOAT32, em_random_key(7));
        em_array *w = em_random_normal(2, shape, 0, 0.5, EM_FLOAT32, em_random_key(8));
        em_eval(x);
        em_eval(w);
        em_array *in[2] = {x, w}, *g[2], *loss;
        em_value_and_grad((em_closure){network, &blk, NULL}, in, 2, NULL, 0, &loss, g);
        em_memory_clear_cache();
        em_memory_reset_peak();
        size_t before = em_memory_stats_get().active;
        em_array *all[3] = {loss, g[0], g[1]};
        CHECK(em_eval_many(all, 3) == 0, "network gradients evaluate");
        peak = em_memory_stats_get().peak - before;
    }
    return peak;
}

static void test_checkpoint(void)
{
    em_closure plain = {block, NULL, NULL};
    em_closure ck = em_checkpoint((em_closure){block, NULL, NULL});
    size_t p_plain = peak_of(plain), p_ck = peak_of(ck);
    printf("checkpoint: peak memory %.1f MiB without, %.1f MiB with\n", p_plain / 1048576.0, p_ck / 1048576.0);
    CHECK(p_ck < p_plain * 0.6, "checkpoint lowers peak memory (%zu vs %zu bytes)", p_ck, p_plain);
    /* and gives the same gradients */
    EM_SCOPE {
        int64_t shape[2] = {4, 8};
        em_array *x = em_random_normal(2, shape, 0, 1, EM_FLOAT64, em_random_key(1));
        em_array *w = em_random_normal(2, shape, 0, 0.5, EM_FLOAT64, em_random_key(2));
        em_array *in[2] = {x, w}, *g1[2], *g2[2];
        em_value_and_grad((em_closure){network, &plain, NULL}, in, 2, NULL, 0, NULL, g1);
        em_value_and_grad((em_closure){network, &ck, NULL}, in, 2, NULL, 0, NULL, g2);
        CHECK(em_item_bool(em_allclose(g1[0], g2[0], 1e-12, 1e-12, false)) &&
                  em_item_bool(em_allclose(g1[1], g2[1], 1e-12, 1e-12, false)),
              "checkpointed gradients equal plain ones");
    }
    em_closure_free(ck);
}

static int tanh_sum_in_module(void *ctx, em_array *const *in, int n, em_array **out, int max_out)
{
    (void)ctx;
    (void)n;
    (void)max_out;
    const char *prev = em_current_module();
    em_set_module("layer1");
    em_array *h = em_tanh(in[0]);
    em_set_module(prev);
    out[0] = em_sum(h, NULL, 0, false);
    return out[0] ? 1 : -1;
}

/* graph capture of a pending computation, with modules */
static void test_graph(void)
{
    EM_SCOPE {
        em_array *x = random_f32(16, 4);
        em_set_module("layer0");
        em_array *h = em_tanh(em_multiply(x, em_scalar_f(2)));
        em_set_module(NULL);
        em_array *y = em_sum(h, NULL, 0, false);
        em_graph *g = em_graph_capture(&y, 1);
        CHECK(g && em_graph_size(g) >= 4, "graph captured (%d nodes)", em_graph_size(g));
        int tanh_id = -1;
        for (int i = 0; g && i < em_graph_size(g); i++)
            if (!strcmp(em_graph_node_at(g, i)->op, "tanh"))
                tanh_id = i;
        CHECK(tanh_id >= 0 && em_graph_node_at(g, tanh_id)->module && !strcmp(em_graph_node_at(g, tanh_id)->module, "layer0"),
              "tanh carries its module");
        const em_graph_node *last = em_graph_node_at(g, em_graph_size(g) - 1);
        CHECK(last && !strcmp(last->op, "sum") && last->is_output && last->n_inputs == 1 &&
                  last->inputs[0] == tanh_id, "sum's input is tanh");
        char *dot = em_graph_to_dot(g);
        CHECK(dot && strstr(dot, "cluster_layer0") && strstr(dot, "->"), "DOT has the module cluster and edges");
        free(dot);
        em_graph_free(g);
    }
    /* the gradient's nodes carry the module of the node they differentiate;
     * the label set around value_and_grad comes back after it */
    EM_SCOPE {
        em_array *x = random_f32(16, 4);
        em_set_module("outer");
        em_array *in[1] = {x}, *grad[1] = {NULL}, *value = NULL;
        int rc = em_value_and_grad((em_closure){tanh_sum_in_module, NULL, NULL}, in, 1, NULL, 0,
                                   &value, grad);
        const char *after = em_current_module();
        em_set_module(NULL);
        CHECK(rc >= 0 && grad[0], "value_and_grad of tanh in a module");
        CHECK(after && !strcmp(after, "outer"), "the label around value_and_grad is restored (%s)",
              after ? after : "none");
        em_graph *g = grad[0] ? em_graph_capture(grad, 1) : NULL;
        int in_layer = 0, in_outer = 0, forward_tanh = 0;
        for (int i = 0; g && i < em_graph_size(g); i++) {
            const em_graph_node *n = em_graph_node_at(g, i);
            in_layer += n->module && !strcmp(n->module, "layer1");
            in_outer += n->module && !strcmp(n->module, "outer");
            forward_tanh += !strcmp(n->op, "tanh") && n->module && !strcmp(n->module, "layer1");
        }
        /* d tanh = g * (1 - tanh^2): at least a multiply and a subtract made
         * by tanh's rule, beside the forward tanh itself */
        CHECK(g && forward_tanh == 1 && in_layer >= 3, "%d gradient nodes in layer1 (forward tanh %d)",
              in_layer, forward_tanh);
        CHECK(g && in_outer >= 1, "the sum's gradient (made outside layer1) is in the outer module (%d)",
              in_outer);
        em_graph_free(g);
    }
}

int main(void)
{
    test_compile();
    test_compiled_grad();
    test_custom_vjp();
    test_checkpoint();
    test_graph();
    em_memory_stats st = em_memory_stats_get();
    CHECK(st.active == 0, "no memory left active (%zu bytes)", st.active);
    printf("%s\n", failures ? "FAILED" : "all transform checks passed");
    return failures != 0;
}
