/* Modules: a tree of layers whose root owns the parameter tree (dotted full
 * names), the frozen set, the train/eval mode and the dropout key. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn_internal.h"

enum { F_BUFFER = 1, F_FROZEN = 2 };

typedef struct root_info {
    em_tree *params;
    uint8_t *flags; /* per tree index */
    int flags_cap;
    em_array *rng;
} root_info;

/* flags of tree entry i (entries added to the tree behind the module's back: none) */
#define FLAGS(ri, i) ((i) < (ri)->flags_cap ? (ri)->flags[i] : 0)

static char *join_name(const char *prefix, const char *local)
{
    size_t a = strlen(prefix), b = strlen(local);
    char *s = malloc(a + b + 2);
    if (!s)
        return NULL;
    if (a) {
        memcpy(s, prefix, a);
        s[a] = '.';
        memcpy(s + a + 1, local, b + 1);
    } else {
        memcpy(s, local, b + 1);
    }
    return s;
}

em_module *em__module_make(em_module *parent, const char *name, const char *kind,
                           em_forward_fn forward)
{
    char idx[24];
    if (parent && !name) {
        snprintf(idx, sizeof idx, "%d", parent->n_children);
        name = idx;
    }
    if (name && (!*name || strchr(name, '.'))) {
        em__error("%s: module name '%s' is empty or has a '.'", kind, name);
        return NULL;
    }
    if (parent && em_module_child(parent, name)) {
        em__error("%s: '%s' already has a child named '%s'", kind, parent->name, name);
        return NULL;
    }
    em_module *m = calloc(1, sizeof *m);
    if (!m) {
        em__error("out of memory");
        return NULL;
    }
    m->kind = kind;
    m->forward = forward;
    m->training = true;
    m->local = strdup(parent ? name : (name ? name : ""));
    /* a root's name is not a prefix: its parameters are "weight", "0.weight" */
    m->name = parent ? join_name(parent->name, name) : strdup("");
    if (!parent) {
        m->root = m;
        m->ri = calloc(1, sizeof *m->ri);
        if (m->ri)
            m->ri->params = em_tree_new();
        if (!m->ri || !m->ri->params) {
            free(m->ri);
            free(m->local);
            free(m->name);
            free(m);
            em__error("out of memory");
            return NULL;
        }
    } else {
        m->root = parent->root;
        m->parent = parent;
        m->training = parent->training;
        if (parent->n_children == parent->cap_children) {
            int cap = parent->cap_children ? 2 * parent->cap_children : 4;
            em_module **c = realloc(parent->children, cap * sizeof *c);
            if (!c) {
                free(m->local);
                free(m->name);
                free(m);
                em__error("out of memory");
                return NULL;
            }
            parent->children = c;
            parent->cap_children = cap;
        }
        parent->children[parent->n_children++] = m;
    }
    if (!m->local || !m->name) {
        em__error("out of memory");
        return NULL; /* stays attached to its parent; freed with the root */
    }
    return m;
}

static void free_rec(em_module *m)
{
    for (int i = 0; i < m->n_children; i++)
        free_rec(m->children[i]);
    if (m->free_payload)
        m->free_payload(m->payload);
    free(m->children);
    free(m->local);
    free(m->name);
    free(m);
}

void em_module_free(em_module *m)
{
    if (!m || m->parent)
        return;
    root_info *ri = m->ri;
    em_tree_free(ri->params);
    free(ri->flags);
    em_release(ri->rng);
    free(ri);
    free_rec(m);
}

em_module *em_module_new(em_module *parent, const char *name, em_forward_fn forward,
                         void *payload, void (*free_payload)(void *))
{
    em_module *m = em__module_make(parent, name, "Module", forward);
    if (m) {
        m->payload = payload;
        m->free_payload = free_payload;
    }
    return m;
}

void *em_module_payload(const em_module *m) { return m ? m->payload : NULL; }

static int tree_index(const em_tree *t, const char *name) { return em_tree_index(t, name); }

static int add(em_module *m, const char *name, em_array *value, uint8_t flags)
{
    if (!m || !name)
        return em__error("module: NULL module or parameter name");
    if (!value)
        return -1;
    char *full = join_name(m->name, name);
    if (!full)
        return em__error("out of memory");
    root_info *ri = m->root->ri;
    int rc = em_tree_set(ri->params, full, value);
    if (rc == 0) {
        int k = tree_index(ri->params, full);
        if (k >= ri->flags_cap) {
            int cap = ri->flags_cap ? 2 * ri->flags_cap : 16;
            while (cap <= k)
                cap *= 2;
            uint8_t *f = realloc(ri->flags, cap);
            if (!f) {
                free(full);
                return em__error("out of memory");
            }
            memset(f + ri->flags_cap, 0, cap - ri->flags_cap);
            ri->flags = f;
            ri->flags_cap = cap;
        }
        ri->flags[k] = flags;
    }
    free(full);
    return rc;
}

int em_module_add_param(em_module *m, const char *name, em_array *value)
{
    return add(m, name, value, 0);
}

int em_module_add_buffer(em_module *m, const char *name, em_array *value)
{
    return add(m, name, value, F_BUFFER);
}

em_array *em_module_param(em_module *m, const em_tree *params, const char *name)
{
    if (!m || !name) {
        em__error("module: NULL module or parameter name");
        return NULL;
    }
    char buf[512];
    if (*m->name)
        snprintf(buf, sizeof buf, "%s.%s", m->name, name);
    else
        snprintf(buf, sizeof buf, "%s", name);
    return em_get(params ? params : m->root->ri->params, buf);
}

int em_module_set_buffer(em_module *m, const char *name, em_array *value)
{
    if (!m || !name)
        return em__error("module: NULL module or buffer name");
    if (!value)
        return -1;
    char buf[512];
    if (*m->name)
        snprintf(buf, sizeof buf, "%s.%s", m->name, name);
    else
        snprintf(buf, sizeof buf, "%s", name);
    return em_tree_set(m->root->ri->params, buf, value);
}

em_array *em_module_call_n(em_module *m, const em_tree *params, em_array *const *in, int n_in)
{
    if (!m) {
        em__error("module call: NULL module");
        return NULL;
    }
    if (!m->forward) {
        em__error("module call: '%s' (%s) has no forward", m->name, m->kind);
        return NULL;
    }
    if (n_in < 1 || !in[0])
        return NULL;
    const char *prev = em_current_module();
    if (*m->name)
        em_set_module(m->name);
    em_array *r = m->forward(m, params, in, n_in);
    em_set_module(prev);
    return r;
}

em_array *em_module_call(em_module *m, const em_tree *params, em_array *x)
{
    return em_module_call_n(m, params, &x, 1);
}

const char *em_module_name(const em_module *m) { return m ? m->name : NULL; }
const char *em_module_kind(const em_module *m) { return m ? m->kind : NULL; }
em_module *em_module_parent(const em_module *m) { return m ? m->parent : NULL; }
em_module *em_module_root(em_module *m) { return m ? m->root : NULL; }
int em_module_n_children(const em_module *m) { return m ? m->n_children : 0; }
em_module *em_module_child_at(const em_module *m, int i)
{
    return m && i >= 0 && i < m->n_children ? m->children[i] : NULL;
}
em_module *em_module_child(const em_module *m, const char *name)
{
    for (int i = 0; m && name && i < m->n_children; i++)
        if (!strcmp(m->children[i]->local, name))
            return m->children[i];
    return NULL;
}

em_tree *em_module_params(em_module *m) { return m ? m->root->ri->params : NULL; }

/* name relative to m's prefix, or NULL when the parameter is not m's */
static const char *relative(const em_module *m, const char *full)
{
    size_t n = strlen(m->name);
    if (!n)
        return full;
    if (strncmp(full, m->name, n) || full[n] != '.')
        return NULL;
    return full + n + 1;
}

static bool prefix_match(const char *rel, const char *prefix)
{
    if (!prefix || !*prefix)
        return true;
    size_t n = strlen(prefix);
    return !strncmp(rel, prefix, n) && (rel[n] == 0 || rel[n] == '.');
}

em_tree *em_module_trainable_params(em_module *m)
{
    if (!m) {
        em__error("module: NULL module");
        return NULL;
    }
    root_info *ri = m->root->ri;
    em_tree *t = em_tree_new();
    int n = em_tree_size(ri->params);
    for (int i = 0; t && i < n; i++) {
        const char *name = em_tree_name(ri->params, i);
        if (FLAGS(ri, i) || !relative(m, name))
            continue;
        if (em_tree_set(t, name, em_tree_at(ri->params, i)) < 0) {
            em_tree_free(t);
            return NULL;
        }
    }
    return t;
}

int64_t em_module_num_params(em_module *m)
{
    if (!m)
        return 0;
    root_info *ri = m->root->ri;
    int64_t total = 0;
    int n = em_tree_size(ri->params);
    for (int i = 0; i < n; i++)
        if (!(FLAGS(ri, i) & F_BUFFER) && relative(m, em_tree_name(ri->params, i)))
            total += em_array_size(em_tree_at(ri->params, i));
    return total;
}

static int set_frozen(em_module *m, const char *prefix, bool frozen)
{
    if (!m)
        return em__error("freeze: NULL module");
    root_info *ri = m->root->ri;
    int changed = 0, n = em_tree_size(ri->params);
    for (int i = 0; i < n; i++) {
        const char *rel = relative(m, em_tree_name(ri->params, i));
        if (!rel || (FLAGS(ri, i) & F_BUFFER) || !prefix_match(rel, prefix) || i >= ri->flags_cap)
            continue;
        bool was = FLAGS(ri, i) & F_FROZEN;
        if (was != frozen) {
            ri->flags[i] ^= F_FROZEN;
            changed++;
        }
    }
    return changed;
}

int em_module_freeze(em_module *m, const char *prefix) { return set_frozen(m, prefix, true); }
int em_module_unfreeze(em_module *m, const char *prefix) { return set_frozen(m, prefix, false); }

bool em_module_is_frozen(em_module *m, const char *full_name)
{
    if (!m || !full_name)
        return false;
    root_info *ri = m->root->ri;
    int k = tree_index(ri->params, full_name);
    return k >= 0 && (FLAGS(ri, k) & F_FROZEN);
}

void em_module_train(em_module *m, bool training)
{
    if (!m)
        return;
    m->training = training;
    for (int i = 0; i < m->n_children; i++)
        em_module_train(m->children[i], training);
}

bool em_module_training(const em_module *m) { return m && m->training; }

void em_module_set_rng(em_module *m, em_array *key)
{
    if (!m)
        return;
    root_info *ri = m->root->ri;
    em_retain(key);
    em_release(ri->rng);
    ri->rng = key;
}

em_array *em_module_next_key(em_module *m)
{
    if (!m) {
        em__error("module: NULL module");
        return NULL;
    }
    root_info *ri = m->root->ri;
    em__internal_begin();
    em_array *keys = em_random_split(ri->rng, 2); /* NULL rng: from the global key */
    int64_t z[2] = {0, 0}, one[2] = {1, 2}, two[2] = {2, 2};
    em_array *k0 = em_slice(keys, z, one, NULL), *k1 = em_slice(keys, (int64_t[]){1, 0}, two, NULL);
    em_array *next = em_reshape(k0, 1, (int64_t[]){2});
    em_array *sub = em_reshape(k1, 1, (int64_t[]){2});
    em_release(keys);
    em_release(k0);
    em_release(k1);
    if (ri->rng && next) {
        em_release(ri->rng);
        ri->rng = next;
    } else {
        em_release(next);
    }
    return em__internal_end(sub);
}

/* ---- gradients of the trainable parameters ---- */
typedef struct {
    em_module *m;
    em_module_loss_fn fn;
    void *payload;
} vg_call;

static em_array *vg_wrapper(void *payload, const em_tree *params, em_array *const *args, int n)
{
    vg_call *c = payload;
    em_tree *full = em_tree_copy(c->m->root->ri->params);
    if (!full)
        return NULL;
    int np = em_tree_size(params);
    for (int i = 0; i < np; i++)
        if (em_tree_set(full, em_tree_name(params, i), em_tree_at(params, i)) < 0) {
            em_tree_free(full);
            return NULL;
        }
    em_array *r = c->fn(c->payload, c->m, full, args, n);
    em_tree_free(full);
    return r;
}

em_tree *em_module_value_and_grad(em_module *m, em_module_loss_fn fn, void *payload,
                                  em_array *const *args, int n_args, em_array **loss)
{
    if (!m || !fn) {
        em__error("module value_and_grad: NULL module or function");
        return NULL;
    }
    em_tree *tp = em_module_trainable_params(m);
    if (!tp)
        return NULL;
    vg_call c = {m, fn, payload};
    em_tree *g = em_value_and_grad_tree(vg_wrapper, &c, tp, args, n_args, loss);
    em_tree_free(tp);
    return g;
}

/* ---- safetensors ---- */
int em_tree_save(const em_tree *t, const char *path, const char *const *meta_keys,
                 const char *const *meta_values, int n_meta)
{
    if (!t || !path)
        return em__error("tree save: NULL tree or path");
    int n = em_tree_size(t);
    const char **names = malloc((n ? n : 1) * sizeof *names);
    em_array **arrays = malloc((n ? n : 1) * sizeof *arrays);
    if (!names || !arrays) {
        free(names);
        free(arrays);
        return em__error("out of memory");
    }
    for (int i = 0; i < n; i++) {
        names[i] = em_tree_name(t, i);
        arrays[i] = em_tree_at(t, i);
    }
    int rc = em_eval_many(arrays, n);
    if (rc == 0)
        rc = em_save_safetensors(path, names, arrays, n, meta_keys, meta_values, n_meta);
    free(names);
    free(arrays);
    return rc;
}

em_tree *em_tree_load(const char *path)
{
    em_safetensors *st = em_safetensors_open(path);
    if (!st)
        return NULL;
    em_tree *t = em_tree_new();
    int n = em_safetensors_count(st);
    em__internal_begin();
    for (int i = 0; t && i < n; i++) {
        em_array *a = em_safetensors_get_index(st, i);
        int rc = a ? em_tree_set(t, em_safetensors_name(st, i), a) : -1;
        em_release(a);
        if (rc < 0) {
            em_tree_free(t);
            t = NULL;
        }
    }
    em__internal_end(NULL);
    em_safetensors_close(st);
    return t;
}

int em_module_save(em_module *m, const char *path, const char *const *meta_keys,
                   const char *const *meta_values, int n_meta)
{
    if (!m)
        return em__error("module save: NULL module");
    return em_tree_save(m->root->ri->params, path, meta_keys, meta_values, n_meta);
}

int em_module_load(em_module *m, const char *path, bool strict)
{
    if (!m || !path)
        return em__error("module load: NULL module or path");
    em_safetensors *st = em_safetensors_open(path);
    if (!st)
        return -1;
    root_info *ri = m->root->ri;
    int rc = 0, n = em_safetensors_count(st), np = em_tree_size(ri->params);
    char d1[96];
    /* check everything first so that a failed load changes nothing */
    for (int i = 0; i < np && rc == 0; i++) {
        const char *name = em_tree_name(ri->params, i);
        em_array *cur = em_tree_at(ri->params, i);
        int k = em_safetensors_find(st, name);
        if (k < 0) {
            if (strict)
                rc = em__error("module load: '%s' has no tensor '%s'", path, name);
            continue;
        }
        int nd = em_safetensors_ndim(st, k);
        const int64_t *sh = em_safetensors_shape(st, k);
        bool same = nd == em_array_ndim(cur);
        for (int d = 0; same && d < nd; d++)
            same = sh[d] == em_array_shape(cur)[d];
        if (!same)
            rc = em__error("module load: '%s' in '%s' has a different shape than the parameter %s",
                           name, path, em__describe(cur, d1, sizeof d1));
    }
    for (int i = 0; i < n && rc == 0 && strict; i++)
        if (tree_index(ri->params, em_safetensors_name(st, i)) < 0)
            rc = em__error("module load: '%s' holds '%s', which the model has no parameter for",
                           path, em_safetensors_name(st, i));
    em__internal_begin();
    for (int i = 0; i < np && rc == 0; i++) {
        const char *name = em_tree_name(ri->params, i);
        if (em_safetensors_find(st, name) < 0)
            continue;
        em_array *a = em_safetensors_get(st, name);
        em_array *c = a ? em__cast(a, em_array_dtype(em_tree_at(ri->params, i))) : NULL;
        rc = c ? em_tree_set(ri->params, name, c) : -1;
        em_release(a);
        em_release(c);
    }
    em__internal_end(NULL);
    em_safetensors_close(st);
    return rc;
}

/* ---- description ---- */
typedef struct {
    char *s;
    size_t n, cap;
} sbuf;

static void put(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (k < 0)
        return;
    if (b->n + k + 1 > b->cap) {
        size_t cap = (b->n + k + 1) * 2;
        char *s = realloc(b->s, cap);
        if (!s)
            return;
        b->s = s;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->n, b->cap - b->n, fmt, ap);
    va_end(ap);
    b->n += k;
}

static void describe_rec(sbuf *b, em_module *m, int depth)
{
    put(b, "%*s%s%s%s\n", depth * 2, "", *m->local ? m->local : "(root)", ": ", m->kind);
    root_info *ri = m->root->ri;
    int n = em_tree_size(ri->params);
    for (int i = 0; i < n; i++) {
        const char *rel = relative(m, em_tree_name(ri->params, i));
        if (!rel || strchr(rel, '.'))
            continue;
        char d[96];
        put(b, "%*s  %s %s%s%s\n", depth * 2, "", rel, em__describe(em_tree_at(ri->params, i), d, sizeof d),
            FLAGS(ri, i) & F_BUFFER ? " (buffer)" : "", FLAGS(ri, i) & F_FROZEN ? " (frozen)" : "");
    }
    for (int i = 0; i < m->n_children; i++)
        describe_rec(b, m->children[i], depth + 1);
}

char *em_module_describe(em_module *m)
{
    if (!m) {
        em__error("module describe: NULL module");
        return NULL;
    }
    sbuf b = {0};
    describe_rec(&b, m, 0);
    put(&b, "%lld parameters\n", (long long)em_module_num_params(m));
    return b.s;
}
