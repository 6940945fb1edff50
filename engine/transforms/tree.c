/* Parameter trees: arrays by dotted name, in insertion order, with a hash
 * index so that em_get is O(1) in models of thousands of tensors. */
#include <stdlib.h>
#include <string.h>

#include "transforms_internal.h"

struct em_tree {
    char **names;
    em_array **arrays;
    int n, cap;
    int *index; /* open addressing over names; -1 empty */
    int index_cap;
};

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

em_tree *em_tree_new(void)
{
    em_tree *t = calloc(1, sizeof *t);
    if (!t)
        em__error("out of memory");
    return t;
}

void em_tree_free(em_tree *t)
{
    if (!t)
        return;
    for (int i = 0; i < t->n; i++) {
        free(t->names[i]);
        em_release(t->arrays[i]);
    }
    free(t->names);
    free(t->arrays);
    free(t->index);
    free(t);
}

static int find(const em_tree *t, const char *name)
{
    if (!t->index_cap)
        return -1;
    for (size_t i = hash(name) & (t->index_cap - 1);; i = (i + 1) & (t->index_cap - 1)) {
        int k = t->index[i];
        if (k < 0)
            return -1;
        if (!strcmp(t->names[k], name))
            return k;
    }
}

static int reindex(em_tree *t, int cap)
{
    int *idx = malloc(cap * sizeof *idx);
    if (!idx)
        return em__error("out of memory");
    for (int i = 0; i < cap; i++)
        idx[i] = -1;
    for (int k = 0; k < t->n; k++) {
        size_t i = hash(t->names[k]) & (cap - 1);
        while (idx[i] >= 0)
            i = (i + 1) & (cap - 1);
        idx[i] = k;
    }
    free(t->index);
    t->index = idx;
    t->index_cap = cap;
    return 0;
}

int em_tree_set(em_tree *t, const char *name, em_array *a)
{
    if (!t || !name)
        return em__error("tree: NULL tree or name");
    if (!a)
        return -1;
    int k = find(t, name);
    if (k >= 0) {
        em_retain(a);
        em_release(t->arrays[k]);
        t->arrays[k] = a;
        return 0;
    }
    if (t->n == t->cap) {
        int cap = t->cap ? 2 * t->cap : 16;
        char **names = realloc(t->names, cap * sizeof *names);
        if (!names)
            return em__error("out of memory");
        t->names = names;
        em_array **arrays = realloc(t->arrays, cap * sizeof *arrays);
        if (!arrays)
            return em__error("out of memory");
        t->arrays = arrays;
        t->cap = cap;
    }
    char *copy = strdup(name);
    if (!copy)
        return em__error("out of memory");
    t->names[t->n] = copy;
    t->arrays[t->n] = em_retain(a);
    t->n++;
    if (t->n * 2 > t->index_cap)
        return reindex(t, t->index_cap ? 2 * t->index_cap : 32);
    size_t i = hash(name) & (t->index_cap - 1);
    while (t->index[i] >= 0)
        i = (i + 1) & (t->index_cap - 1);
    t->index[i] = t->n - 1;
    return 0;
}

em_array *em_get(const em_tree *t, const char *name)
{
    int k = t && name ? find(t, name) : -1;
    if (k < 0) {
        em__error("tree: no array named '%s'", name ? name : "(null)");
        return NULL;
    }
    return t->arrays[k];
}

int em_tree_index(const em_tree *t, const char *name) { return t && name ? find(t, name) : -1; }

int em_tree_size(const em_tree *t) { return t ? t->n : 0; }
const char *em_tree_name(const em_tree *t, int i) { return t && i >= 0 && i < t->n ? t->names[i] : NULL; }
em_array *em_tree_at(const em_tree *t, int i) { return t && i >= 0 && i < t->n ? t->arrays[i] : NULL; }

em_tree *em_tree_copy(const em_tree *t)
{
    em_tree *c = em_tree_new();
    for (int i = 0; c && t && i < t->n; i++)
        if (em_tree_set(c, t->names[i], t->arrays[i]) < 0) {
            em_tree_free(c);
            return NULL;
        }
    return c;
}

int em_eval_tree(const em_tree *t)
{
    if (!t)
        return em__error("eval_tree: NULL tree");
    return em_eval_many(t->arrays, t->n);
}

/* value_and_grad over a tree: the tree's arrays become the function's first
 * arguments, the extra args follow. */
typedef struct {
    em_tree_loss_fn fn;
    void *payload;
    const em_tree *shape_of;
    int n_args;
} tree_call;

static int call_with_tree(void *payload, em_array *const *in, int n_in, em_array **out, int max_out)
{
    tree_call *c = payload;
    em_tree *t = em_tree_new();
    if (!t)
        return -1;
    int n_p = c->shape_of->n;
    for (int i = 0; i < n_p; i++)
        if (em_tree_set(t, c->shape_of->names[i], in[i]) < 0) {
            em_tree_free(t);
            return -1;
        }
    out[0] = c->fn(c->payload, t, in + n_p, n_in - n_p);
    em_tree_free(t);
    return out[0] ? 1 : -1;
}

em_tree *em_value_and_grad_tree(em_tree_loss_fn fn, void *payload, const em_tree *params,
                                em_array *const *args, int n_args, em_array **loss)
{
    if (!params || em__any_null(args, n_args))
        return NULL;
    int n = params->n + n_args;
    em_array **in = malloc((n ? n : 1) * sizeof *in);
    em_array **grads = malloc((n ? n : 1) * sizeof *grads);
    int *argnums = malloc((params->n ? params->n : 1) * sizeof *argnums);
    em_tree *g = NULL;
    if (!in || !grads || !argnums) {
        em__error("out of memory");
        goto out;
    }
    for (int i = 0; i < params->n; i++) {
        in[i] = params->arrays[i];
        argnums[i] = i;
    }
    for (int i = 0; i < n_args; i++)
        in[params->n + i] = args[i];
    tree_call c = {fn, payload, params, n_args};
    em_closure f = {call_with_tree, &c, NULL};
    /* untracked: the gradients go into the tree, the loss to the caller */
    em__internal_begin();
    int rc = em_value_and_grad(f, in, n, argnums, params->n, loss, grads);
    em__internal_end(NULL);
    if (rc < 0)
        goto out;
    if (loss)
        em__track(*loss);
    g = em_tree_new();
    for (int i = 0; g && i < params->n; i++) {
        int rc = em_tree_set(g, params->names[i], grads[i]);
        em_release(grads[i]); /* the tree holds it now (or it is gone on error) */
        if (rc < 0) {
            for (int j = i + 1; j < params->n; j++)
                em_release(grads[j]);
            em_tree_free(g);
            g = NULL;
        }
    }
out:
    free(in);
    free(grads);
    free(argnums);
    return g;
}
