/* grad-runner [FILTER]: runs every gradient case (see grad.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grad.h"

#define GRAD_FAMILY(name) extern const grad_case grad_cases_##name[];
#include "families.def"
#undef GRAD_FAMILY

static const grad_case *const families[] = {
#define GRAD_FAMILY(name) grad_cases_##name,
#include "families.def"
#undef GRAD_FAMILY
};

static uint64_t rng_state = 88172645463325252ull;
static double urand(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (rng_state >> 11) * (1.0 / 9007199254740992.0);
}

static int64_t size_of(const grad_shape *s)
{
    int64_t n = 1;
    for (int d = 0; d < s->ndim; d++)
        n *= s->shape[d];
    return n;
}

typedef struct {
    const grad_case *c;
    em_array *r; /* the random weights of the scalar loss */
} loss_ctx;

/* L = sum(f(x) * r) */
static int loss_fn(void *payload, em_array *const *in, int n_in, em_array **out, int max_out)
{
    loss_ctx *l = payload;
    em_array *y = l->c->fn(in);
    if (!y)
        return -1;
    out[0] = em_sum(em_multiply(em_astype(y, EM_FLOAT64), l->r), NULL, 0, false);
    return out[0] ? 1 : -1;
}

static int plain_fn(void *payload, em_array *const *in, int n_in, em_array **out, int max_out)
{
    const grad_case *c = payload;
    out[0] = c->fn(in);
    return out[0] ? 1 : -1;
}

static double loss_value(loss_ctx *l, em_array *const *in)
{
    double v = NAN;
    EM_SCOPE {
        em_array *out[1];
        if (loss_fn(l, in, l->c->n_in, out, 1) == 1)
            v = em_item_f64(out[0]);
    }
    return v;
}

static double dot(em_array *a, em_array *b)
{
    double v = NAN;
    EM_SCOPE {
        v = em_item_f64(em_sum(em_multiply(em_astype(a, EM_FLOAT64), em_astype(b, EM_FLOAT64)), NULL, 0, false));
    }
    return v;
}

static em_array *make_input(const grad_case *c, int i, double **host)
{
    const grad_shape *s = &c->in[i];
    int64_t n = size_of(s);
    double *h = malloc((n ? n : 1) * sizeof *h);
    for (int64_t e = 0; e < n; e++)
        h[e] = c->lo + (c->hi - c->lo) * urand();
    if (c->flags & GRAD_POSITIVE_DEF) {
        /* a + a^T + n I */
        int64_t m = s->shape[s->ndim - 1];
        int64_t batches = n / (m * m);
        for (int64_t b = 0; b < batches; b++) {
            double *x = h + b * m * m;
            for (int64_t r = 0; r < m; r++)
                for (int64_t q = 0; q <= r; q++) {
                    double v = x[r * m + q] + x[q * m + r] + (r == q ? 2.0 * m : 0);
                    x[r * m + q] = x[q * m + r] = v;
                }
        }
    }
    *host = h;
    return em_array_from_data(h, s->ndim, s->shape, EM_FLOAT64);
}

static int check_case(const grad_case *c)
{
    int failed = 0;
    double tol = c->tol > 0 ? c->tol : 1e-5;
    EM_SCOPE {
        em_array *x[4];
        double *host[4] = {0};
        for (int i = 0; i < c->n_in; i++)
            x[i] = make_input(c, i, &host[i]);
        em_array *y = c->fn(x);
        if (!y || em_eval(y) < 0) {
            fprintf(stderr, "FAIL %s: forward: %s\n", c->name, em_error_message());
            failed = 1;
            break;
        }
        int64_t ny = em_array_size(y);
        double *rh = malloc((ny ? ny : 1) * sizeof *rh);
        for (int64_t e = 0; e < ny; e++)
            rh[e] = urand() * 2 - 1;
        loss_ctx l = {c, em_array_from_data(rh, em_array_ndim(y), em_array_shape(y), EM_FLOAT64)};
        free(rh);
        em_closure lf = {loss_fn, &l, NULL};
        em_array *grads[4], *value;
        if (em_value_and_grad(lf, x, c->n_in, NULL, 0, &value, grads) < 0 ||
            em_eval_many(grads, c->n_in) < 0) {
            fprintf(stderr, "FAIL %s: vjp: %s\n", c->name, em_error_message());
            failed = 1;
            for (int i = 0; i < c->n_in; i++)
                free(host[i]);
            break;
        }
        /* finite differences, at most 24 elements per input */
        for (int i = 0; i < c->n_in && !failed; i++) {
            int64_t n = size_of(&c->in[i]);
            double *g = malloc((n ? n : 1) * sizeof *g);
            em_array_read(grads[i], EM_FLOAT64, g, n);
            int64_t step = n > 24 ? n / 24 : 1;
            for (int64_t e = 0; e < n && !failed; e += step) {
                double eps = 1e-6 * fmax(1.0, fabs(host[i][e]));
                double saved = host[i][e];
                em_array *xs[4];
                memcpy(xs, x, sizeof xs);
                host[i][e] = saved + eps;
                xs[i] = em_array_from_data(host[i], c->in[i].ndim, c->in[i].shape, EM_FLOAT64);
                double lp = loss_value(&l, xs);
                host[i][e] = saved - eps;
                xs[i] = em_array_from_data(host[i], c->in[i].ndim, c->in[i].shape, EM_FLOAT64);
                double lm = loss_value(&l, xs);
                host[i][e] = saved;
                double fd = (lp - lm) / (2 * eps);
                if (!(fabs(fd - g[e]) <= tol * fmax(1.0, fabs(fd)))) {
                    fprintf(stderr, "FAIL %s: d/dx%d[%lld]: vjp %.10g, finite difference %.10g\n",
                            c->name, i, (long long)e, g[e], fd);
                    failed = 1;
                }
            }
            free(g);
        }
        /* jvp against vjp */
        if (!failed && !(c->flags & GRAD_NO_JVP)) {
            em_array *t[4], *outs[1], *jv[1];
            double expect = 0;
            for (int i = 0; i < c->n_in; i++) {
                double *th;
                grad_case tc = *c;
                tc.lo = -1;
                tc.hi = 1;
                tc.flags &= ~GRAD_POSITIVE_DEF;
                t[i] = make_input(&tc, i, &th);
                free(th);
                expect += dot(t[i], grads[i]);
            }
            if (em_jvp((em_closure){plain_fn, (void *)c, NULL}, x, c->n_in, t, outs, 1, jv) < 0) {
                fprintf(stderr, "FAIL %s: jvp: %s\n", c->name, em_error_message());
                failed = 1;
            } else {
                double got = dot(jv[0], l.r);
                if (!(fabs(got - expect) <= (c->tol > 0 ? c->tol * 1e-2 : 1e-8) * fmax(1.0, fabs(expect)))) {
                    fprintf(stderr, "FAIL %s: <jvp(t), r> = %.12g but <t, vjp(r)> = %.12g\n", c->name, got, expect);
                    failed = 1;
                }
            }
        }
        /* vmap against a loop over a batch of 3 */
        if (!failed && !(c->flags & GRAD_NO_VMAP)) {
            em_array *bx[4], *vout[1];
            for (int i = 0; i < c->n_in; i++) {
                em_array *parts[3];
                for (int b = 0; b < 3; b++) {
                    double *h;
                    parts[b] = make_input(c, i, &h);
                    free(h);
                }
                bx[i] = em_stack(parts, 3, 0);
            }
            if (em_vmap((em_closure){plain_fn, (void *)c, NULL}, bx, c->n_in, NULL, NULL, vout, 1) < 0) {
                fprintf(stderr, "FAIL %s: vmap: %s\n", c->name, em_error_message());
                failed = 1;
            } else {
                em_array *rows[3];
                for (int b = 0; b < 3; b++) {
                    em_array *xb[4];
                    for (int i = 0; i < c->n_in; i++)
                        xb[i] = em_take(bx[i], em_scalar_i(b), 0);
                    rows[b] = c->fn(xb);
                }
                em_array *loop = em_stack(rows, 3, 0);
                em_array *same = em_allclose(vout[0], loop, 1e-12, 1e-12, true);
                if (!same || !em_item_bool(same)) {
                    fprintf(stderr, "FAIL %s: vmap differs from a loop (%s)\n", c->name,
                            same ? "values" : em_error_message());
                    failed = 1;
                }
            }
        }
        for (int i = 0; i < c->n_in; i++)
            free(host[i]);
    }
    return failed;
}

int main(int argc, char **argv)
{
    int cases = 0, failed = 0;
    for (size_t f = 0; f < sizeof families / sizeof *families; f++)
        for (const grad_case *c = families[f]; c->name; c++) {
            if (argc > 1 && !strstr(c->name, argv[1]))
                continue;
            cases++;
            em_error_clear();
            failed += check_case(c);
        }
    em_memory_stats st = em_memory_stats_get();
    printf("%d gradient cases, %d failed (active memory after: %zu bytes)\n", cases, failed, st.active);
    if (st.active) {
        fprintf(stderr, "FAIL: memory still active\n");
        failed++;
    }
    return failed || !cases;
}
