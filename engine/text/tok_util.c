/* Buffers, hash maps and small helpers shared by the tokenizer. */
#include "tok.h"

#include <stdlib.h>
#include <string.h>

int tk_buf_reserve(tk_buf *b, size_t extra)
{
    if (b->n + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->n + extra + 1) {
        if (cap > SIZE_MAX / 2)
            return em__error("tokenizer: out of memory");
        cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (!p)
        return em__error("tokenizer: out of memory");
    b->p = p;
    b->cap = cap;
    return 0;
}

int tk_buf_add(tk_buf *b, const void *s, size_t n)
{
    if (tk_buf_reserve(b, n))
        return -1;
    if (n)
        memcpy(b->p + b->n, s, n);
    b->n += n;
    return 0;
}

int tk_buf_addc(tk_buf *b, char c)
{
    if (b->n + 2 > b->cap && tk_buf_reserve(b, 1))
        return -1;
    b->p[b->n++] = c;
    return 0;
}

int tk_buf_addcp(tk_buf *b, int32_t cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return tk_buf_add(b, u, n);
}

int tk_buf_nul(tk_buf *b)
{
    if (tk_buf_reserve(b, 0))
        return -1;
    b->p[b->n] = '\0';
    return 0;
}

void tk_buf_free(tk_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

int tk_ids_push(tk_ids *a, int32_t id)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        int32_t *v = realloc(a->v, cap * sizeof *v);
        if (!v)
            return em__error("tokenizer: out of memory");
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = id;
    return 0;
}

int tk_ids_add(tk_ids *a, const int32_t *ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (tk_ids_push(a, ids[i]))
            return -1;
    return 0;
}

void tk_ids_free(tk_ids *a)
{
    free(a->v);
    a->v = NULL;
    a->n = a->cap = 0;
}

/* A multiply-xorshift hash over 8-byte words: fast on short tokens. */
uint32_t tk_hash(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xFF51AFD7ED558CCDull);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xC4CEB9FE1A85EC53ull;
        h ^= h >> 29;
        s += 8;
        n -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, s, n);
    h = (h ^ w) * 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 32;
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 29;
    return (uint32_t)h;
}

/* Slots hold (hash << 32 | entry + 1): a probe rejects most keys without
 * touching the entry or its text, which matters when loading 10^5 tokens. */
static int sm_rehash(tk_strmap *m, size_t nslots)
{
    uint64_t *slot = calloc(nslots, sizeof *slot);
    if (!slot)
        return em__error("tokenizer: out of memory");
    for (size_t i = 0; i < m->n; i++) {
        size_t j = m->e[i].hash & (nslots - 1);
        while (slot[j])
            j = (j + 1) & (nslots - 1);
        slot[j] = (uint64_t)m->e[i].hash << 32 | (uint32_t)(i + 1);
    }
    free(m->slot);
    m->slot = slot;
    m->mask = nslots - 1;
    return 0;
}

int tk_strmap_reserve(tk_strmap *m, size_t n, size_t key_bytes)
{
    size_t nslots = 64;
    while (nslots < 2 * n)
        nslots *= 2;
    if (nslots > m->mask + 1 && sm_rehash(m, nslots))
        return -1;
    if (n > m->cap) {
        struct tk_sm_entry *e = realloc(m->e, n * sizeof *e);
        if (!e)
            return em__error("tokenizer: out of memory");
        m->e = e;
        m->cap = n;
    }
    return tk_buf_reserve(&m->keys, key_bytes);
}

static size_t sm_find(const tk_strmap *m, const char *k, size_t n, uint32_t h)
{
    size_t j = h & m->mask;
    for (;;) {
        uint64_t s = m->slot[j];
        if (!s)
            return j;
        if ((uint32_t)(s >> 32) == h) {
            const struct tk_sm_entry *e = &m->e[(uint32_t)s - 1];
            if (e->len == n && !memcmp(m->keys.p + e->off, k, n))
                return j;
        }
        j = (j + 1) & m->mask;
    }
}

int tk_strmap_put(tk_strmap *m, const char *k, size_t n, int32_t val)
{
    if (n > UINT32_MAX / 2 || m->keys.n + n > UINT32_MAX)
        return em__error("tokenizer: vocabulary too large");
    if ((m->n + 1) * 2 > m->mask + 1 && sm_rehash(m, m->mask ? (m->mask + 1) * 2 : 64))
        return -1;
    uint32_t h = tk_hash(k, n);
    size_t j = sm_find(m, k, n, h);
    if (m->slot[j]) {
        m->e[(uint32_t)m->slot[j] - 1].val = val;
        return 0;
    }
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        struct tk_sm_entry *e = realloc(m->e, cap * sizeof *e);
        if (!e)
            return em__error("tokenizer: out of memory");
        m->e = e;
        m->cap = cap;
    }
    uint32_t off = (uint32_t)m->keys.n;
    /* NUL after each key: id_to_token hands them out as C strings */
    if (tk_buf_add(&m->keys, k, n) || tk_buf_addc(&m->keys, '\0'))
        return -1;
    m->e[m->n] = (struct tk_sm_entry){off, (uint32_t)n, val, h};
    m->slot[j] = (uint64_t)h << 32 | (uint32_t)(++m->n);
    return 0;
}

int32_t tk_strmap_get(const tk_strmap *m, const char *k, size_t n)
{
    if (!m->n)
        return -1;
    size_t j = sm_find(m, k, n, tk_hash(k, n));
    return m->slot[j] ? m->e[(uint32_t)m->slot[j] - 1].val : -1;
}

const char *tk_strmap_key(const tk_strmap *m, size_t i, size_t *len)
{
    *len = m->e[i].len;
    return m->keys.p + m->e[i].off;
}

void tk_strmap_free(tk_strmap *m)
{
    free(m->slot);
    free(m->e);
    tk_buf_free(&m->keys);
    memset(m, 0, sizeof *m);
}

static inline size_t u64_hash(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xFF51AFD7ED558CCDull;
    k ^= k >> 33;
    return (size_t)k;
}

int tk_u64map_init(tk_u64map *m, size_t expected)
{
    size_t n = 16;
    while (n < expected * 2)
        n *= 2;
    m->k = malloc(n * sizeof *m->k);
    m->v = malloc(n * sizeof *m->v);
    if (!m->k || !m->v) {
        free(m->k);
        free(m->v);
        m->k = m->v = NULL;
        return em__error("tokenizer: out of memory");
    }
    memset(m->k, 0xFF, n * sizeof *m->k);
    m->mask = n - 1;
    m->n = 0;
    return 0;
}

int tk_u64map_put(tk_u64map *m, uint64_t k, uint64_t v)
{
    if ((m->n + 1) * 2 > m->mask + 1) {
        tk_u64map big;
        if (tk_u64map_init(&big, (m->mask + 1)))
            return -1;
        for (size_t i = 0; i <= m->mask; i++)
            if (m->k[i] != UINT64_MAX)
                tk_u64map_put(&big, m->k[i], m->v[i]);
        tk_u64map_free(m);
        *m = big;
    }
    size_t j = u64_hash(k) & m->mask;
    while (m->k[j] != UINT64_MAX && m->k[j] != k)
        j = (j + 1) & m->mask;
    if (m->k[j] == UINT64_MAX)
        m->n++;
    m->k[j] = k;
    m->v[j] = v;
    return 0;
}

bool tk_u64map_get(const tk_u64map *m, uint64_t k, uint64_t *v)
{
    if (!m->k)
        return false;
    size_t j = u64_hash(k) & m->mask;
    for (;;) {
        if (m->k[j] == k) {
            *v = m->v[j];
            return true;
        }
        if (m->k[j] == UINT64_MAX)
            return false;
        j = (j + 1) & m->mask;
    }
}

void tk_u64map_free(tk_u64map *m)
{
    free(m->k);
    free(m->v);
    m->k = m->v = NULL;
    m->n = m->mask = 0;
}

int tk_pieces_push(tk_pieces *a, uint32_t off, uint32_t len, int32_t id, bool at_start)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 32;
        tk_piece *v = realloc(a->v, cap * sizeof *v);
        if (!v)
            return em__error("tokenizer: out of memory");
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = (tk_piece){off, len, id, at_start};
    return 0;
}

tk_ctx *tk_ctx_new(void)
{
    tk_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        em__error("tokenizer: out of memory");
        return NULL;
    }
    c->md = pcre2_match_data_create(16, NULL);
    if (!c->md) {
        free(c);
        em__error("tokenizer: out of memory");
        return NULL;
    }
    return c;
}

void tk_ctx_free(tk_ctx *c)
{
    if (!c)
        return;
    tk_buf_free(&c->text);
    free(c->a.v);
    free(c->b.v);
    free(c->spans.v);
    tk_buf_free(&c->tmp);
    tk_buf_free(&c->tmp2);
    pcre2_match_data_free(c->md);
    tk_ids_free(&c->ids);
    free(c->sym);
    free(c->heap);
    free(c);
}

/* ---- JSON ---- */

json_object *tk_json_get(json_object *obj, const char *key)
{
    json_object *v = NULL;
    if (!obj || !json_object_is_type(obj, json_type_object))
        return NULL;
    if (!json_object_object_get_ex(obj, key, &v))
        return NULL;
    return v; /* NULL for JSON null */
}

const char *tk_json_type_name(json_object *o)
{
    return o ? json_type_to_name(json_object_get_type(o)) : "null";
}

int tk_json_bool(const tk_load *L, json_object *obj, const char *where, const char *key, bool *out)
{
    json_object *v = tk_json_get(obj, key);
    if (!v)
        return 0;
    if (!json_object_is_type(v, json_type_boolean))
        return em__error("%s: %s.%s must be a boolean, not %s", L->src, where, key,
                         tk_json_type_name(v));
    *out = json_object_get_boolean(v);
    return 0;
}

int tk_json_int(const tk_load *L, json_object *obj, const char *where, const char *key,
                int64_t lo, int64_t hi, int64_t *out)
{
    json_object *v = tk_json_get(obj, key);
    if (!v)
        return 0;
    if (!json_object_is_type(v, json_type_int))
        return em__error("%s: %s.%s must be an integer, not %s", L->src, where, key,
                         tk_json_type_name(v));
    int64_t x = json_object_get_int64(v);
    /* json-c saturates out-of-range numbers: treat the bounds as too big */
    if (x < lo || x > hi || x == INT64_MAX || x == INT64_MIN)
        return em__error("%s: %s.%s = %s is out of range [%lld, %lld]", L->src, where, key,
                         json_object_to_json_string(v), (long long)lo, (long long)hi);
    *out = x;
    return 0;
}

int tk_json_double(const tk_load *L, json_object *obj, const char *where, const char *key, double *out)
{
    json_object *v = tk_json_get(obj, key);
    if (!v)
        return 0;
    if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int))
        return em__error("%s: %s.%s must be a number, not %s", L->src, where, key,
                         tk_json_type_name(v));
    *out = json_object_get_double(v);
    return 0;
}

int tk_json_str(const tk_load *L, json_object *obj, const char *where, const char *key, char **out)
{
    json_object *v = tk_json_get(obj, key);
    if (!v)
        return 0;
    if (!json_object_is_type(v, json_type_string))
        return em__error("%s: %s.%s must be a string, not %s", L->src, where, key,
                         tk_json_type_name(v));
    size_t n = (size_t)json_object_get_string_len(v);
    char *s = malloc(n + 1);
    if (!s)
        return em__error("tokenizer: out of memory");
    memcpy(s, json_object_get_string(v), n);
    s[n] = '\0';
    free(*out);
    *out = s;
    return 0;
}

int tk_json_component_type(const tk_load *L, json_object *o, const char *where, char **type)
{
    *type = NULL;
    if (!json_object_is_type(o, json_type_object))
        return em__error("%s: %s must be an object, not %s", L->src, where, tk_json_type_name(o));
    if (tk_json_str(L, o, where, "type", type))
        return -1;
    if (!*type)
        return em__error("%s: %s.type is missing", L->src, where);
    return 0;
}
