/* Scopes: each thread has a stack of them; an op's result goes to the
 * innermost, which releases everything it holds when it ends. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "array_internal.h"
#include "scope_internal.h"

struct em_scope {
    em_scope *parent;
    int depth; /* the internal depth it was opened at: it tracks only there */
    em_array **items;
    size_t n, cap;
};

static _Thread_local em_scope *innermost;
static _Thread_local int internal_depth;

void em__internal_begin(void) { internal_depth++; }

em_array *em__internal_end(em_array *result)
{
    internal_depth--;
    return em__track(result);
}

int em__internal_end_many(int rc, em_array **out, int n)
{
    internal_depth--;
    for (int i = 0; i < n; i++)
        em__track(out[i]);
    return rc;
}

em_scope *em_scope_begin(void)
{
    em_scope *s = calloc(1, sizeof *s);
    if (!s) {
        em__error("out of memory");
        return NULL;
    }
    s->parent = innermost;
    s->depth = internal_depth;
    innermost = s;
    return s;
}

void em_scope_end(em_scope *s)
{
    if (!s)
        return;
    /* Scopes nest: ending an outer one ends the inner ones left open. */
    while (innermost && innermost != s) {
        em_scope *inner = innermost;
        em_scope_end(inner);
    }
    innermost = s->parent;
    for (size_t i = s->n; i-- > 0;)
        em_release(s->items[i]);
    free(s->items);
    free(s);
}

static void push(em_scope *s, em_array *a)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        em_array **items = realloc(s->items, cap * sizeof *items);
        if (!items)
            return; /* the reference then stays with the caller: a leak, not a crash */
        s->items = items;
        s->cap = cap;
    }
    s->items[s->n++] = a;
}

void em__scope_add(em_array *a)
{
    if (innermost && innermost->depth == internal_depth)
        push(innermost, a);
}

em_array *em__composite_end(em_scope *s, em_array *result)
{
    em_retain(result);
    em_scope_end(s);
    return em__track(result);
}

em_array *em_keep(em_array *a)
{
    em_scope *s = innermost;
    if (!a || !s)
        return a;
    for (size_t i = s->n; i-- > 0;) {
        if (s->items[i] == a) {
            memmove(s->items + i, s->items + i + 1, (s->n - i - 1) * sizeof *s->items);
            s->n--;
            if (s->parent)
                push(s->parent, a);
            return a;
        }
    }
    /* Not made in this scope (an input, or already kept): keep a new reference. */
    em_retain(a);
    if (s->parent)
        push(s->parent, a);
    return a;
}

/* ---- interned module names ---- */

static pthread_mutex_t intern_lock = PTHREAD_MUTEX_INITIALIZER;
static char **interned;
static size_t n_interned, cap_interned;

const char *em__intern(const char *name)
{
    pthread_mutex_lock(&intern_lock);
    for (size_t i = 0; i < n_interned; i++) {
        if (!strcmp(interned[i], name)) {
            pthread_mutex_unlock(&intern_lock);
            return interned[i];
        }
    }
    if (n_interned == cap_interned) {
        size_t cap = cap_interned ? 2 * cap_interned : 64;
        char **t = realloc(interned, cap * sizeof *t);
        if (!t) {
            pthread_mutex_unlock(&intern_lock);
            return NULL;
        }
        interned = t;
        cap_interned = cap;
    }
    char *copy = strdup(name);
    if (copy)
        interned[n_interned++] = copy;
    pthread_mutex_unlock(&intern_lock);
    return copy;
}
