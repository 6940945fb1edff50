/* BPE as `tokenizers` runs it: a word starts as its characters (with
 * continuing-subword prefix / end-of-word suffix, byte fallback or a fused
 * unknown token) and the lowest-ranked merge, leftmost first, is applied until
 * none is left. Words are cached. */
#include "tok_model.h"

#include <stdlib.h>
#include <string.h>

#define CACHE_MAX_WORDS 200000
#define CACHE_MAX_LEN 256

typedef struct {
    int32_t id, prev, next, len;
} sym;
typedef struct {
    uint32_t rank;
    int32_t pos, new_id;
} cand;

static int merge_one(const tk_load *L, const tk_model *m, size_t rank, const char *a, size_t an,
                     const char *b, size_t bn, tk_buf *tmp, uint64_t *key, uint64_t *val)
{
    int32_t ia = tk_strmap_get(&m->vocab, a, an), ib = tk_strmap_get(&m->vocab, b, bn);
    if (ia < 0 || ib < 0)
        return em__error("%s: model.merges[%zu]: token '%.*s' is not in the vocabulary", L->src,
                         rank, (int)(ia < 0 ? an : bn), ia < 0 ? a : b);
    size_t plen = m->prefix ? strlen(m->prefix) : 0;
    if (plen > bn)
        return em__error("%s: model.merges[%zu]: '%.*s' is shorter than the continuing prefix",
                         L->src, rank, (int)bn, b);
    tmp->n = 0;
    if (tk_buf_add(tmp, a, an) || tk_buf_add(tmp, b + plen, bn - plen))
        return -1;
    int32_t in = tk_strmap_get(&m->vocab, tmp->p, tmp->n);
    if (in < 0)
        return em__error("%s: model.merges[%zu]: merged token '%.*s' is not in the vocabulary",
                         L->src, rank, (int)tmp->n, tmp->p);
    *key = (uint64_t)(uint32_t)ia << 32 | (uint32_t)ib;
    *val = (uint64_t)rank << 32 | (uint32_t)in;
    return 0;
}

/* One slice of the merges list, resolved to ids: loading splits the list
 * between two threads (the vocabulary is only read). */
typedef struct {
    const tk_load *L;
    const tk_model *m;
    json_object *merges;
    size_t lo, hi;
    uint64_t *key, *val;
    int rc;
    char err[512];
} merge_job;

static int merge_entry(merge_job *j, size_t i, tk_buf *tmp)
{
    const tk_load *L = j->L;
    json_object *e = json_object_array_get_idx(j->merges, i);
    if (e && json_object_is_type(e, json_type_string)) {
        const char *s = json_object_get_string(e);
        size_t len = (size_t)json_object_get_string_len(e);
        const char *sp = memchr(s, ' ', len);
        if (!sp || memchr(sp + 1, ' ', len - (size_t)(sp + 1 - s)))
            return em__error("%s: model.merges[%zu] = '%s' is not two tokens split by a space", L->src,
                             i, s);
        return merge_one(L, j->m, i, s, (size_t)(sp - s), sp + 1, len - (size_t)(sp + 1 - s), tmp,
                         &j->key[i], &j->val[i]);
    }
    if (e && json_object_is_type(e, json_type_array) && json_object_array_length(e) == 2 &&
        json_object_is_type(json_object_array_get_idx(e, 0), json_type_string) &&
        json_object_is_type(json_object_array_get_idx(e, 1), json_type_string)) {
        json_object *a = json_object_array_get_idx(e, 0), *b = json_object_array_get_idx(e, 1);
        return merge_one(L, j->m, i, json_object_get_string(a), (size_t)json_object_get_string_len(a),
                         json_object_get_string(b), (size_t)json_object_get_string_len(b), tmp,
                         &j->key[i], &j->val[i]);
    }
    return em__error("%s: model.merges[%zu] must be \"a b\" or [\"a\", \"b\"], not %s", L->src, i,
                     e ? json_object_to_json_string(e) : "null");
}

static void *merge_slice(void *arg)
{
    merge_job *j = arg;
    tk_buf tmp = {0};
    for (size_t i = j->lo; i < j->hi && !j->rc; i++)
        if (merge_entry(j, i, &tmp)) {
            j->rc = -1;
            /* the message is in this thread's slot: carry it back */
            snprintf(j->err, sizeof j->err, "%s", em_error_message());
        }
    tk_buf_free(&tmp);
    return NULL;
}

int tk_bpe_load(const tk_load *L, tk_model *m, json_object *o)
{
    m->fuse_unk = false;
    if (tk_vocab_object(L, m, tk_json_get(o, "vocab")) || tk_model_index(L, m) ||
        tk_json_str(L, o, "model", "continuing_subword_prefix", &m->prefix) ||
        tk_json_str(L, o, "model", "end_of_word_suffix", &m->suffix) ||
        tk_json_bool(L, o, "model", "fuse_unk", &m->fuse_unk) ||
        tk_json_bool(L, o, "model", "byte_fallback", &m->byte_fallback) ||
        tk_json_bool(L, o, "model", "ignore_merges", &m->ignore_merges) ||
        tk_json_str(L, o, "model", "unk_token", &m->unk_token))
        return -1;
    json_object *d = tk_json_get(o, "dropout");
    if (d && !json_object_is_type(d, json_type_double) && !json_object_is_type(d, json_type_int))
        return em__error("%s: model.dropout must be a number or null", L->src);
    if (m->unk_token)
        m->unk = tk_strmap_get(&m->vocab, m->unk_token, strlen(m->unk_token));
    m->all_bytes = true;
    for (int b = 0; b < 256; b++) {
        char t[8];
        snprintf(t, sizeof t, "<0x%02X>", b);
        m->byte_ids[b] = tk_strmap_get(&m->vocab, t, 6);
        if (m->byte_ids[b] < 0)
            m->all_bytes = false;
    }
    json_object *merges = tk_json_get(o, "merges");
    if (!merges)
        merges = NULL;
    else if (!json_object_is_type(merges, json_type_array))
        return em__error("%s: model.merges must be an array, not %s", L->src,
                         tk_json_type_name(merges));
    size_t n = merges ? json_object_array_length(merges) : 0;
    if (tk_u64map_init(&m->merges, n + 1))
        return -1;
    uint64_t *key = malloc((n ? n : 1) * sizeof *key), *val = malloc((n ? n : 1) * sizeof *val);
    if (!key || !val) {
        free(key);
        free(val);
        return em__error("tokenizer: out of memory");
    }
    merge_job jobs[2] = {{L, m, merges, 0, n / 2, key, val, 0, ""},
                         {L, m, merges, n / 2, n, key, val, 0, ""}};
    pthread_t th;
    bool threaded = n >= 20000 && pthread_create(&th, NULL, merge_slice, &jobs[1]) == 0;
    merge_slice(&jobs[0]);
    if (threaded)
        pthread_join(th, NULL);
    else
        merge_slice(&jobs[1]);
    int rc = 0;
    for (int k = 0; k < 2 && !rc; k++)
        if (jobs[k].rc)
            rc = em__error("%s", jobs[k].err);
    /* in order: a pair listed twice keeps its last rank, as a HashMap insert does */
    for (size_t i = 0; i < n && !rc; i++)
        rc = tk_u64map_put(&m->merges, key[i], val[i]);
    free(key);
    free(val);
    return rc;
}

/* ---- the merge loop: a binary min-heap on (rank, position) ---- */

static inline bool cand_less(cand a, cand b)
{
    return a.rank != b.rank ? a.rank < b.rank : a.pos < b.pos;
}

static void heap_push(cand *h, size_t *n, cand x)
{
    size_t i = (*n)++;
    while (i) {
        size_t p = (i - 1) / 2;
        if (!cand_less(x, h[p]))
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = x;
}

static cand heap_pop(cand *h, size_t *n)
{
    cand top = h[0], x = h[--*n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, s = i;
        cand best = x;
        if (l < *n && cand_less(h[l], best))
            s = l, best = h[l];
        if (r < *n && cand_less(h[r], best))
            s = r;
        if (s == i)
            break;
        h[i] = h[s];
        i = s;
    }
    if (*n)
        h[i] = x;
    return top;
}

static inline bool lookup_merge(const tk_model *m, int32_t a, int32_t b, uint32_t *rank, int32_t *nid)
{
    uint64_t v;
    if (!tk_u64map_get(&m->merges, (uint64_t)(uint32_t)a << 32 | (uint32_t)b, &v))
        return false;
    *rank = (uint32_t)(v >> 32);
    *nid = (int32_t)(uint32_t)v;
    return true;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * elem);
    if (!q)
        return em__error("tokenizer: out of memory");
    *p = q;
    *cap = c;
    return 0;
}

static int add_sym(tk_ctx *c, size_t *ns, int32_t id, int32_t len)
{
    if (grow(&c->sym, &c->sym_cap, *ns + 1, sizeof(sym)))
        return -1;
    sym *s = c->sym;
    s[*ns] = (sym){id, (int32_t)*ns - 1, (int32_t)*ns + 1, len};
    (*ns)++;
    return 0;
}

/* merge_word: the initial symbols of S. */
static int initial_symbols(const tk_model *m, tk_ctx *c, const char *s, size_t n, size_t *ns)
{
    int32_t unk_id = -1, unk_len = 0;
    size_t l;
    size_t plen = m->prefix ? strlen(m->prefix) : 0, slen = m->suffix ? strlen(m->suffix) : 0;
    for (size_t i = 0; i < n; i += l) {
        l = tk_utf8_len((unsigned char)s[i]);
        if (l > n - i)
            l = n - i;
        bool first = i == 0, last = i + l == n;
        const char *k = s + i;
        size_t kn = l;
        if ((!first && plen) || (last && slen)) {
            c->tmp2.n = 0;
            if ((!first && plen && tk_buf_add(&c->tmp2, m->prefix, plen)) ||
                tk_buf_add(&c->tmp2, s + i, l) || (last && slen && tk_buf_add(&c->tmp2, m->suffix, slen)))
                return -1;
            k = c->tmp2.p;
            kn = c->tmp2.n;
        }
        int32_t id = tk_strmap_get(&m->vocab, k, kn);
        if (id >= 0) {
            if (unk_id >= 0) {
                if (add_sym(c, ns, unk_id, unk_len))
                    return -1;
                unk_id = -1;
            }
            if (add_sym(c, ns, id, (int32_t)l))
                return -1;
            continue;
        }
        if (m->byte_fallback) {
            bool all = true;
            for (size_t j = 0; j < kn && all; j++)
                all = m->byte_ids[(unsigned char)k[j]] >= 0;
            if (all) {
                /* k may point into tmp2; byte ids do not touch it */
                for (size_t j = 0; j < kn; j++)
                    if (add_sym(c, ns, m->byte_ids[(unsigned char)k[j]], 1))
                        return -1;
                continue;
            }
        }
        if (m->unk_token) {
            if (m->unk < 0)
                return em__error("tokenizer: BPE unk_token '%s' is not in the vocabulary",
                                 m->unk_token);
            if (unk_id >= 0 && m->fuse_unk)
                unk_len += (int32_t)l;
            else {
                if (unk_id >= 0 && add_sym(c, ns, unk_id, unk_len))
                    return -1;
                unk_id = m->unk;
                unk_len = (int32_t)l;
            }
        }
    }
    if (unk_id >= 0 && add_sym(c, ns, unk_id, unk_len))
        return -1;
    return 0;
}

static int merge_word(const tk_model *m, tk_ctx *c, const char *s, size_t n)
{
    size_t ns = 0;
    if (initial_symbols(m, c, s, n, &ns))
        return -1;
    if (ns == 0)
        return 0;
    sym *y = c->sym;
    y[ns - 1].next = -1;
    if (grow(&c->heap, &c->heap_cap, 2 * ns + 2, sizeof(cand)))
        return -1;
    cand *h = c->heap;
    size_t nh = 0;
    uint32_t rank;
    int32_t nid;
    for (size_t i = 0; i + 1 < ns; i++)
        if (lookup_merge(m, y[i].id, y[i + 1].id, &rank, &nid))
            heap_push(h, &nh, (cand){rank, (int32_t)i, nid});
    while (nh) {
        cand t = heap_pop(h, &nh);
        sym *a = &y[t.pos];
        if (a->len == 0 || a->next < 0)
            continue;
        sym *b = &y[a->next];
        uint32_t r2;
        int32_t n2;
        if (!lookup_merge(m, a->id, b->id, &r2, &n2) || n2 != t.new_id)
            continue; /* stale */
        a->id = t.new_id;
        a->len += b->len;
        a->next = b->next;
        b->len = 0;
        if (a->next >= 0)
            y[a->next].prev = t.pos;
        /* each merge adds at most two candidates */
        if (grow(&c->heap, &c->heap_cap, nh + 2, sizeof(cand)))
            return -1;
        h = c->heap;
        if (a->prev >= 0 && lookup_merge(m, y[a->prev].id, a->id, &rank, &nid))
            heap_push(h, &nh, (cand){rank, a->prev, nid});
        if (a->next >= 0 && lookup_merge(m, a->id, y[a->next].id, &rank, &nid))
            heap_push(h, &nh, (cand){rank, t.pos, nid});
    }
    for (size_t i = 0; i < ns; i++)
        if (y[i].len && tk_ids_push(&c->ids, y[i].id))
            return -1;
    return 0;
}

int tk_bpe_tokenize(const tk_model *m, tk_ctx *c, const char *s, size_t n)
{
    tk_model *mm = (tk_model *)m; /* the cache is the only mutable part */
    if (m->ignore_merges) {
        int32_t id = tk_strmap_get(&m->vocab, s, n);
        if (id >= 0)
            return tk_ids_push(&c->ids, id);
    }
    bool cacheable = n < CACHE_MAX_LEN;
    if (cacheable) {
        pthread_mutex_lock(&mm->lock);
        int32_t at = tk_strmap_get(&m->cache, s, n);
        if (at >= 0) {
            int rc = tk_ids_add(&c->ids, m->cache_ids.v + at + 1, (size_t)m->cache_ids.v[at]);
            pthread_mutex_unlock(&mm->lock);
            return rc;
        }
        pthread_mutex_unlock(&mm->lock);
    }
    size_t mark = c->ids.n;
    if (merge_word(m, c, s, n))
        return -1;
    if (cacheable) {
        pthread_mutex_lock(&mm->lock);
        if (m->cache.n < CACHE_MAX_WORDS && m->cache_ids.n + (c->ids.n - mark) + 1 < INT32_MAX) {
            size_t at = m->cache_ids.n;
            if (!tk_ids_push(&mm->cache_ids, (int32_t)(c->ids.n - mark)) &&
                !tk_ids_add(&mm->cache_ids, c->ids.v + mark, c->ids.n - mark))
                tk_strmap_put(&mm->cache, s, n, (int32_t)at);
            else
                mm->cache_ids.n = at; /* a full cache is not an error */
        }
        pthread_mutex_unlock(&mm->lock);
    }
    return 0;
}
