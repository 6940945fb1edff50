/* Reverse and forward mode over the lazy graph: the function is called on
 * tracers (fresh identity nodes of the primals), its outputs' graph is walked
 * back to the tracers, and each primitive's rule builds the gradient from
 * ordinary lazy ops. */
#include <stdlib.h>
#include <string.h>

#include "transforms_internal.h"

static em_vjp_rule vjp_rules[EM_P_COUNT];
static em_jvp_rule jvp_rules[EM_P_COUNT];
static em_vmap_rule vmap_rules[EM_P_COUNT];

void em__register_vjp(em_prim_id p, em_vjp_rule r) { vjp_rules[p] = r; }
void em__register_jvp(em_prim_id p, em_jvp_rule r) { jvp_rules[p] = r; }
void em__register_vmap(em_prim_id p, em_vmap_rule r) { vmap_rules[p] = r; }
em_vjp_rule em__vjp_rule(em_prim_id p) { return vjp_rules[p]; }
em_jvp_rule em__jvp_rule(em_prim_id p) { return jvp_rules[p]; }
em_vmap_rule em__vmap_rule(em_prim_id p) { return vmap_rules[p]; }

int em__graph_order(em_array *const *roots, int n, const em_ptrmap *stop, em_array ***order_out,
                    size_t *n_out)
{
    em_ptrmap seen = {0};
    em_array **order = NULL, **stack = NULL;
    int *next = NULL;
    size_t n_order = 0, cap_order = 0, depth = 0, cap_stack = 0;
    int rc = 0;
#define PUSH(vec, cnt, cap, val, T)                                                \
    do {                                                                           \
        if (cnt == cap) {                                                          \
            size_t nc = cap ? 2 * cap : 128;                                       \
            T *t = realloc(vec, nc * sizeof *t);                                   \
            if (!t) { rc = em__error("out of memory"); goto out; }                 \
            vec = t;                                                               \
            cap = nc;                                                              \
        }                                                                          \
        vec[cnt++] = val;                                                          \
    } while (0)
    for (int r = 0; r < n; r++) {
        if (!roots[r] || em__ptrmap_has(&seen, roots[r]))
            continue;
        if (em__ptrmap_put(&seen, roots[r], NULL) < 0) { rc = -1; goto out; }
        size_t cap_next = cap_stack;
        PUSH(stack, depth, cap_stack, roots[r], em_array *);
        if (cap_next != cap_stack) {
            int *t = realloc(next, cap_stack * sizeof *t);
            if (!t) { rc = em__error("out of memory"); goto out; }
            next = t;
        }
        next[depth - 1] = 0;
        while (depth) {
            em_array *top = stack[depth - 1];
            bool leaf = stop && em__ptrmap_has(stop, top);
            if (!leaf && next[depth - 1] < top->n_inputs) {
                em_array *in = top->inputs[next[depth - 1]++];
                if (em__ptrmap_has(&seen, in))
                    continue;
                if (em__ptrmap_put(&seen, in, NULL) < 0) { rc = -1; goto out; }
                size_t before = cap_stack;
                PUSH(stack, depth, cap_stack, in, em_array *);
                if (before != cap_stack) {
                    int *t = realloc(next, cap_stack * sizeof *t);
                    if (!t) { rc = em__error("out of memory"); goto out; }
                    next = t;
                }
                next[depth - 1] = 0;
            } else {
                depth--;
                PUSH(order, n_order, cap_order, top, em_array *);
            }
        }
    }
out:
#undef PUSH
    em__ptrmap_free(&seen);
    free(stack);
    free(next);
    if (rc < 0) {
        free(order);
        return -1;
    }
    *order_out = order;
    *n_out = n_order;
    return 0;
}

/* An identity node: the function's view of a primal, so its graph can be told
 * apart from whatever made the primal. */
static em_array *tracer(em_array *a)
{
    return em__node(EM_P_RESHAPE, (em_dtype)a->dtype, a->ndim, a->shape, &a, 1, NULL);
}

static bool differentiable(const em_array *a) { return em_dtype_is_float((em_dtype)a->dtype); }

static em_array *accumulate(em_ptrmap *m, em_array *key, em_array *g)
{
    em_array *old = em__ptrmap_get(m, key);
    em_array *sum = old ? em_add(old, g) : g;
    if (sum && em__ptrmap_put(m, key, sum) < 0)
        return NULL;
    return sum;
}

/* The core of vjp and value_and_grad. cots == NULL seeds output 0 with ones
 * (value_and_grad). Runs inside the caller's private scope. */
static int vjp_core(em_closure f, em_array *const *primals, int n, em_array *const *cots, int n_cot,
                    em_array **outs, int *n_outs, em_array **vjps)
{
    em_ptrmap tracers = {0}, deps = {0}, cot = {0}, pos = {0};
    em_array **order = NULL, **in_cots = NULL;
    size_t n_order = 0;
    int rc = -1, cap_in = 0;
    em_array **tr = malloc((n ? n : 1) * sizeof *tr);
    if (!tr)
        return em__error("out of memory");
    for (int i = 0; i < n; i++) {
        tr[i] = tracer(primals[i]);
        if (!tr[i] || em__ptrmap_put(&tracers, tr[i], (void *)(intptr_t)(i + 1)) < 0)
            goto out;
    }
    int n_out = f.fn(f.payload, tr, n, outs, EM_MAX_FN_OUTPUTS);
    if (n_out < 0)
        goto out;
    *n_outs = n_out;
    for (int k = 0; k < n_out; k++)
        if (!outs[k]) {
            em__error("vjp: the function returned a NULL output: %s", em_error_message());
            goto out;
        }
    if (cots && n_cot != n_out) {
        em__error("vjp: %d cotangents given for %d outputs", n_cot, n_out);
        goto out;
    }
    if (!cots) {
        if (n_out < 1 || outs[0]->size != 1) {
            char d[128];
            em__error("value_and_grad: the function's first output must be a scalar, got %s",
                      n_out < 1 ? "nothing" : em__describe(outs[0], d, sizeof d));
            goto out;
        }
    }
    if (em__graph_order(outs, n_out, &tracers, &order, &n_order) < 0)
        goto out;
    /* which nodes depend on a tracer */
    for (size_t i = 0; i < n_order; i++) {
        em_array *a = order[i];
        em__ptrmap_put(&pos, a, (void *)(intptr_t)(i + 1));
        bool d = em__ptrmap_has(&tracers, a);
        for (int j = 0; j < a->n_inputs && !d; j++)
            d = em__ptrmap_has(&deps, a->inputs[j]);
        if (d && em__ptrmap_put(&deps, a, a) < 0)
            goto out;
    }
    for (int k = 0; k < n_out; k++) {
        em_array *seed;
        if (cots) {
            if (!cots[k])
                continue;
            seed = em__cast(cots[k], (em_dtype)outs[k]->dtype);
        } else {
            if (k > 0)
                continue;
            seed = em_ones_like(outs[0]);
        }
        if (!seed || !accumulate(&cot, outs[k], seed))
            goto out;
    }
    for (size_t ii = n_order; ii-- > 0;) {
        em_array *a = order[ii];
        if (em__ptrmap_has(&tracers, a) || !em__ptrmap_has(&deps, a) || a->prim == EM_P_NONE)
            continue;
        em_array *group_one[1] = {a};
        em_array *const *group = group_one;
        int n_group = 1;
        if (a->sibs) {
            /* a multi-output node runs once, at its earliest sibling, when
             * every sibling's cotangent is complete */
            size_t first = ii;
            for (int s = 0; s < a->sibs->n; s++) {
                em_array *o = a->sibs->out[s];
                intptr_t p = o ? (intptr_t)em__ptrmap_get(&pos, o) : 0;
                if (p && (size_t)(p - 1) < first)
                    first = (size_t)(p - 1);
            }
            if (first != ii)
                continue;
            group = a->sibs->out;
            n_group = a->sibs->n;
        }
        em_array *gc[EM_MAX_FN_OUTPUTS] = {0};
        bool any = false;
        for (int s = 0; s < n_group && s < EM_MAX_FN_OUTPUTS; s++) {
            gc[s] = group[s] && differentiable(group[s]) ? em__ptrmap_get(&cot, group[s]) : NULL;
            any |= gc[s] != NULL;
        }
        if (!any)
            continue;
        em_vjp_rule rule = vjp_rules[a->prim];
        if (!rule) {
            em__error("vjp: the op '%s' has no gradient", em_prims[a->prim].name);
            goto out;
        }
        if (a->n_inputs > cap_in) {
            free(in_cots);
            cap_in = a->n_inputs;
            in_cots = malloc(cap_in * sizeof *in_cots);
            if (!in_cots) {
                em__error("out of memory");
                goto out;
            }
        }
        memset(in_cots, 0, a->n_inputs * sizeof *in_cots);
        /* outs may hold NULL for dead siblings: rules treat them as absent.
         * The gradient's nodes belong to the module of the node they
         * differentiate (graph inspection groups forward and backward). */
        const char *outer_module = em_current_module();
        if (a->module)
            em_set_module(a->module);
        int rule_rc = rule(group, n_group, gc, a->inputs, a->n_inputs, a->params, in_cots);
        em_set_module(outer_module);
        if (rule_rc < 0)
            goto out;
        for (int j = 0; j < a->n_inputs; j++) {
            em_array *in = a->inputs[j];
            if (!in_cots[j] || !em__ptrmap_has(&deps, in) || !differentiable(in))
                continue;
            if (!accumulate(&cot, in, in_cots[j]))
                goto out;
        }
    }
    for (int i = 0; i < n; i++) {
        em_array *g = em__ptrmap_get(&cot, tr[i]);
        vjps[i] = g ? em__cast(g, (em_dtype)primals[i]->dtype) : em_zeros_like(primals[i]);
        if (!vjps[i])
            goto out;
    }
    rc = 0;
out:
    free(order);
    free(tr);
    free(in_cots);
    em__ptrmap_free(&tracers);
    em__ptrmap_free(&deps);
    em__ptrmap_free(&cot);
    em__ptrmap_free(&pos);
    return rc;
}

/* Keeps `n` results past the private scope s, then ends it; they go to the
 * caller's scope (or the caller) as for any op. */
static void finish(em_scope *s, em_array **a, int n)
{
    for (int i = 0; i < n; i++)
        em_retain(a[i]);
    em_scope_end(s);
    for (int i = 0; i < n; i++)
        em__track(a[i]);
}

int em_vjp(em_closure f, em_array *const *primals, int n_primals, em_array *const *cotangents,
           int n_cot, em_array **outputs, int max_out, em_array **vjps)
{
    if (em__any_null(primals, n_primals) || em__any_null(cotangents, n_cot))
        return -1;
    em_array *outs[EM_MAX_FN_OUTPUTS] = {0};
    int n_out = 0;
    em_scope *s = em_scope_begin();
    int rc = vjp_core(f, primals, n_primals, cotangents, n_cot, outs, &n_out, vjps);
    if (rc < 0) {
        em_scope_end(s);
        for (int i = 0; i < n_primals; i++)
            vjps[i] = NULL;
        return -1;
    }
    int keep = n_out < max_out ? n_out : max_out;
    for (int k = 0; k < keep; k++)
        outputs[k] = outs[k];
    em_array **all = malloc((keep + n_primals + 1) * sizeof *all);
    if (!all) {
        em_scope_end(s);
        return em__error("out of memory");
    }
    memcpy(all, outputs, keep * sizeof *all);
    memcpy(all + keep, vjps, n_primals * sizeof *all);
    finish(s, all, keep + n_primals);
    free(all);
    return n_out;
}

int em_value_and_grad(em_closure f, em_array *const *args, int n_args, const int *argnums,
                      int n_argnums, em_array **value, em_array **grads)
{
    if (em__any_null(args, n_args))
        return -1;
    em_array *outs[EM_MAX_FN_OUTPUTS] = {0};
    int n_out = 0, n_g = argnums ? n_argnums : n_args;
    em_array **all_grads = calloc(n_args + 1, sizeof *all_grads);
    em_array **keep = calloc(n_g + 2, sizeof *keep);
    if (!all_grads || !keep) {
        free(all_grads);
        free(keep);
        return em__error("out of memory");
    }
    em_scope *s = em_scope_begin();
    int rc = vjp_core(f, args, n_args, NULL, 0, outs, &n_out, all_grads);
    for (int k = 0; k < n_g && rc == 0; k++) {
        int i = argnums ? argnums[k] : k;
        if (i < 0 || i >= n_args)
            rc = em__error("value_and_grad: argnum %d is out of range for %d arguments", i, n_args);
        else
            keep[k] = grads[k] = all_grads[i];
    }
    if (rc < 0) {
        em_scope_end(s);
    } else {
        int nk = n_g;
        if (value)
            keep[nk++] = *value = outs[0];
        finish(s, keep, nk);
    }
    free(all_grads);
    free(keep);
    return rc;
}

int em_jvp(em_closure f, em_array *const *primals, int n, em_array *const *tangents,
           em_array **outputs, int max_out, em_array **jvps)
{
    if (em__any_null(primals, n) || em__any_null(tangents, n))
        return -1;
    if (n > 64)
        return em__error("jvp: at most 64 primals (got %d)", n);
    em_scope *s = em_scope_begin();
    em_ptrmap tracers = {0}, tan = {0};
    em_array **order = NULL, *outs[EM_MAX_FN_OUTPUTS] = {0}, *tr[64];
    size_t n_order = 0;
    int n_out = -1;
    for (int i = 0; i < n; i++) {
        tr[i] = tracer(primals[i]);
        if (!tr[i] || em__ptrmap_put(&tracers, tr[i], tr[i]) < 0)
            goto fail;
        em_array *t = em__cast(tangents[i], (em_dtype)primals[i]->dtype);
        if (!t || em__ptrmap_put(&tan, tr[i], t) < 0)
            goto fail;
    }
    n_out = f.fn(f.payload, tr, n, outs, EM_MAX_FN_OUTPUTS);
    if (n_out < 0 || em__any_null(outs, n_out))
        goto fail;
    if (em__graph_order(outs, n_out, &tracers, &order, &n_order) < 0)
        goto fail;
    em_ptrmap done = {0};
    for (size_t ii = 0; ii < n_order; ii++) {
        em_array *a = order[ii];
        if (em__ptrmap_has(&tracers, a) || a->prim == EM_P_NONE || em__ptrmap_has(&done, a))
            continue;
        em_array *in_t[64] = {0};
        bool any = false;
        if (a->n_inputs > 64) {
            em__ptrmap_free(&done);
            em__error("jvp: '%s' has more than 64 inputs", em_prims[a->prim].name);
            goto fail;
        }
        for (int j = 0; j < a->n_inputs; j++) {
            in_t[j] = em__ptrmap_get(&tan, a->inputs[j]);
            any |= in_t[j] != NULL;
        }
        if (!any)
            continue;
        em_array *group_one[1] = {a};
        em_array *const *group = a->sibs ? a->sibs->out : group_one;
        int n_group = a->sibs ? a->sibs->n : 1;
        em_jvp_rule rule = jvp_rules[a->prim];
        if (!rule) {
            em__ptrmap_free(&done);
            em__error("jvp: the op '%s' has no forward derivative", em_prims[a->prim].name);
            goto fail;
        }
        em_array *out_t[EM_MAX_FN_OUTPUTS] = {0};
        if (rule(group, n_group, a->inputs, a->n_inputs, in_t, a->params, out_t) < 0) {
            em__ptrmap_free(&done);
            goto fail;
        }
        for (int g = 0; g < n_group; g++) {
            if (!group[g])
                continue;
            em__ptrmap_put(&done, group[g], group[g]);
            if (out_t[g] && differentiable(group[g]))
                em__ptrmap_put(&tan, group[g], out_t[g]);
        }
    }
    em__ptrmap_free(&done);
    int keep = n_out < max_out ? n_out : max_out;
    em_array *all[2 * EM_MAX_FN_OUTPUTS];
    for (int k = 0; k < n_out; k++) {
        em_array *t = em__ptrmap_get(&tan, outs[k]);
        jvps[k] = t ? t : em_zeros_like(outs[k]);
        all[k] = jvps[k];
    }
    for (int k = 0; k < keep; k++)
        all[n_out + k] = outputs[k] = outs[k];
    free(order);
    em__ptrmap_free(&tracers);
    em__ptrmap_free(&tan);
    finish(s, all, n_out + keep);
    return n_out;
fail:
    free(order);
    em__ptrmap_free(&tracers);
    em__ptrmap_free(&tan);
    em_scope_end(s);
    return -1;
}

/* ---- helpers for rules ---- */

em_array *em__unbroadcast(em_array *cot, int ndim, const int64_t *shape)
{
    if (!cot)
        return NULL;
    if (cot->ndim == ndim && !memcmp(cot->shape, shape, ndim * sizeof *shape))
        return cot;
    int axes[EM_MAX_DIMS], n = 0;
    int lead = cot->ndim - ndim;
    for (int d = 0; d < cot->ndim; d++)
        if (d < lead || (shape[d - lead] == 1 && cot->shape[d] != 1))
            axes[n++] = d;
    em_array *s = em_sum(cot, axes, n, true);
    return em_reshape(s, ndim, shape);
}

em_array *em__replay(const em_array *node, em_array *const *ins, int n_in, int ndim,
                     const int64_t *shape)
{
    return em__node((em_prim_id)node->prim, (em_dtype)node->dtype, ndim, shape, ins, n_in,
                    node->params);
}
