/* bench-mlp: forward + backward (value_and_grad over the weights and biases)
 * of a 4-layer MLP, width 1024, batch 256, float32, relu between layers,
 * mean squared output as the loss. Prints one JSON object; mlp.py puts
 * PyTorch autograd's figure (same threads, same sizes) beside it. */
#include <stdio.h>

#include <ember/ember.h>

#include "array_internal.h"
#include "bench.h"

#define LAYERS 4
static int64_t B, D;
static em_array *x, *params[2 * LAYERS];

static int loss_fn(void *payload, em_array *const *p, int n, em_array **out, int max_out)
{
    em_array *h = x;
    for (int l = 0; l < LAYERS; l++) {
        h = em_add(em_matmul(h, p[2 * l]), p[2 * l + 1]);
        if (l < LAYERS - 1)
            h = em_maximum(h, em_scalar_f(0));
    }
    out[0] = em_mean(em_square(h), NULL, 0, false);
    return out[0] ? 1 : -1;
}

static void step(void *ctx)
{
    EM_SCOPE {
        em_array *grads[2 * LAYERS], *value, *all[2 * LAYERS + 1];
        em_value_and_grad((em_closure){loss_fn, NULL, NULL}, params, 2 * LAYERS, NULL, 0, &value, grads);
        for (int i = 0; i < 2 * LAYERS; i++)
            all[i] = grads[i];
        all[2 * LAYERS] = value;
        em_eval_many(all, 2 * LAYERS + 1);
    }
}

int main(void)
{
    int smoke = bench_smoke();
    B = smoke ? 16 : 256;
    D = smoke ? 64 : 1024;
    int reps = smoke ? 2 : 10;
    em_array *key = em_random_key(0);
    em_array *keys = em_random_split(key, LAYERS + 1);
    x = em_random_normal(2, (int64_t[]){B, D}, 0, 1, EM_FLOAT32, em_take(keys, em_scalar_i(0), 0));
    for (int l = 0; l < LAYERS; l++) {
        em_array *k = em_take(keys, em_scalar_i(l + 1), 0);
        params[2 * l] = em_random_normal(2, (int64_t[]){D, D}, 0, 1.0 / 32, EM_FLOAT32, k);
        params[2 * l + 1] = em_zeros(1, &D, EM_FLOAT32);
    }
    em_eval_many(params, 2 * LAYERS);
    em_eval(x);
    step(NULL);
    double t = bench_best(reps, step, NULL);
    printf("{\"batch\": %lld, \"width\": %lld, \"layers\": %d, \"threads\": %d, \"ms\": %.3f}\n",
           (long long)B, (long long)D, LAYERS, em__num_threads(), t * 1e3);
    return 0;
}
