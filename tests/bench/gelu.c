/* bench-gelu: gelu in its erf form, 0.5 x (1 + erf(x / sqrt 2)), on 16M
 * float32: uncompiled (five lazy ops, each a pass with a temporary) and
 * compiled (em_compile: one fused kernel). Prints one JSON object; gelu.py
 * puts PyTorch's figures beside it. */
#include <math.h>
#include <stdio.h>

#include <ember/ember.h>

#include "bench.h"
#include "array_internal.h"

static em_array *x;
static em_compiled *compiled;

static em_array *gelu(em_array *v)
{
    em_array *e = em_erf(em_multiply(v, em_scalar_f(M_SQRT1_2)));
    return em_multiply(em_multiply(v, em_scalar_f(0.5)), em_add(e, em_scalar_f(1)));
}

static int gelu_fn(void *payload, em_array *const *in, int n_in, em_array **out, int max_out)
{
    out[0] = gelu(in[0]);
    return out[0] ? 1 : -1;
}

static void run_plain(void *ctx)
{
    EM_SCOPE { em_eval(gelu(x)); }
}

static void run_compiled(void *ctx)
{
    EM_SCOPE {
        em_array *y[1];
        if (em_compiled_call(compiled, &x, 1, y, 1) == 1)
            em_eval(y[0]);
    }
}

int main(void)
{
    int smoke = bench_smoke();
    int64_t n = smoke ? (1 << 16) : (16 << 20);
    int reps = smoke ? 2 : 10;
    float *h = malloc(n * sizeof *h);
    for (int64_t i = 0; i < n; i++)
        h[i] = (float)((i * 2654435761u) % 20000) * 0.0005f - 5.0f;
    x = em_array_from_data(h, 1, &n, EM_FLOAT32);
    compiled = em_compile((em_closure){gelu_fn, NULL, NULL}, 0);
    /* the two agree */
    double maxdiff = -1;
    EM_SCOPE {
        em_array *y[1];
        if (em_compiled_call(compiled, &x, 1, y, 1) == 1)
            maxdiff = em_item_f64(em_max(em_abs(em_subtract(y[0], gelu(x))), NULL, 0, false));
    }
    run_plain(NULL);
    run_compiled(NULL);
    double t_plain = bench_best(reps, run_plain, NULL);
    double t_comp = bench_best(reps, run_compiled, NULL);
    printf("{\"n\": %lld, \"threads\": %d, \"uncompiled_ms\": %.3f, \"compiled_ms\": %.3f, "
           "\"max_abs_diff\": %.3g}\n",
           (long long)n, em__num_threads(), t_plain * 1e3, t_comp * 1e3, maxdiff);
    em_compiled_free(compiled);
    em_release(x);
    free(h);
    return maxdiff < 0 || maxdiff > 1e-5;
}
