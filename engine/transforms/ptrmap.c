#include <stdint.h>
#include <stdlib.h>

#include "transforms_internal.h"

static size_t slot(const em_ptrmap *m, const void *key)
{
    uintptr_t h = (uintptr_t)key;
    h ^= h >> 17;
    h *= 0x9E3779B97F4A7C15ull;
    return (h >> 7) & (m->cap - 1);
}

static int grow(em_ptrmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    const void **keys = calloc(cap, sizeof *keys);
    void **values = calloc(cap, sizeof *values);
    if (!keys || !values) {
        free(keys);
        free(values);
        return em__error("out of memory");
    }
    em_ptrmap old = *m;
    m->keys = keys;
    m->values = values;
    m->cap = cap;
    m->n = 0;
    for (size_t i = 0; i < old.cap; i++)
        if (old.keys[i])
            em__ptrmap_put(m, old.keys[i], old.values[i]);
    free(old.keys);
    free(old.values);
    return 0;
}

int em__ptrmap_put(em_ptrmap *m, const void *key, void *value)
{
    if ((m->n + 1) * 2 > m->cap && grow(m) < 0)
        return -1;
    size_t i = slot(m, key);
    while (m->keys[i] && m->keys[i] != key)
        i = (i + 1) & (m->cap - 1);
    if (!m->keys[i])
        m->n++;
    m->keys[i] = key;
    m->values[i] = value;
    return 0;
}

void *em__ptrmap_get(const em_ptrmap *m, const void *key)
{
    if (!m->cap)
        return NULL;
    size_t i = slot(m, key);
    while (m->keys[i]) {
        if (m->keys[i] == key)
            return m->values[i];
        i = (i + 1) & (m->cap - 1);
    }
    return NULL;
}

bool em__ptrmap_has(const em_ptrmap *m, const void *key)
{
    if (!m->cap)
        return false;
    size_t i = slot(m, key);
    while (m->keys[i]) {
        if (m->keys[i] == key)
            return true;
        i = (i + 1) & (m->cap - 1);
    }
    return false;
}

void em__ptrmap_free(em_ptrmap *m)
{
    free(m->keys);
    free(m->values);
    *m = (em_ptrmap){0};
}
