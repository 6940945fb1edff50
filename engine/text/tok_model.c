/* Models: the JSON entry point, vocabulary lookups, WordLevel and WordPiece.
 * BPE and Unigram live in their own files. */
#include "tok_model.h"

#include <stdlib.h>
#include <string.h>

/* More ids than this is not a tokenizer but an attempt to exhaust memory. */
#define MAX_ID (1 << 26)

int tk_vocab_object(const tk_load *L, tk_model *m, json_object *v)
{
    if (!v || !json_object_is_type(v, json_type_object))
        return em__error("%s: model.vocab must be an object of token: id, not %s", L->src,
                         tk_json_type_name(v));
    size_t count = (size_t)json_object_object_length(v);
    if (tk_strmap_reserve(&m->vocab, count, count * 8))
        return -1;
    json_object_object_foreach(v, key, val)
    {
        if (!val || !json_object_is_type(val, json_type_int))
            return em__error("%s: model.vocab['%s'] must be an integer id, not %s", L->src, key,
                             tk_json_type_name(val));
        int64_t id = json_object_get_int64(val);
        if (id < 0 || id >= MAX_ID)
            return em__error("%s: model.vocab['%s'] = %lld is out of range [0, %d)", L->src, key,
                             (long long)id, MAX_ID);
        /* keys may hold NUL: take the length from the hash entry */
        size_t klen = strlen(key);
        if (tk_strmap_put(&m->vocab, key, klen, (int32_t)id))
            return -1;
    }
    return 0;
}

int tk_model_index(const tk_load *L, tk_model *m)
{
    int32_t max = -1;
    for (size_t i = 0; i < m->vocab.n; i++)
        if (m->vocab.e[i].val > max)
            max = m->vocab.e[i].val;
    m->n_ids = (size_t)max + 1;
    m->id2e = malloc((m->n_ids ? m->n_ids : 1) * sizeof *m->id2e);
    if (!m->id2e)
        return em__error("tokenizer: out of memory");
    memset(m->id2e, 0xFF, m->n_ids * sizeof *m->id2e);
    for (size_t i = 0; i < m->vocab.n; i++)
        m->id2e[m->vocab.e[i].val] = (int32_t)i;
    return 0;
}

void tk_model_free(tk_model *m)
{
    if (!m)
        return;
    tk_strmap_free(&m->vocab);
    free(m->id2e);
    free(m->unk_token);
    tk_u64map_free(&m->merges);
    free(m->prefix);
    free(m->suffix);
    tk_strmap_free(&m->cache);
    tk_ids_free(&m->cache_ids);
    pthread_mutex_destroy(&m->lock);
    free(m->scores);
    free(m);
}

static int load_unk(const tk_load *L, tk_model *m, json_object *o, bool required)
{
    if (tk_json_str(L, o, "model", "unk_token", &m->unk_token))
        return -1;
    if (m->unk_token) {
        m->unk = tk_strmap_get(&m->vocab, m->unk_token, strlen(m->unk_token));
        if (m->unk < 0 && required)
            return em__error("%s: model.unk_token '%s' is not in the vocabulary", L->src,
                             m->unk_token);
    }
    return 0;
}

tk_model *tk_model_from_json(const tk_load *L, json_object *o)
{
    if (!o || !json_object_is_type(o, json_type_object)) {
        em__error("%s: model must be an object, not %s", L->src, tk_json_type_name(o));
        return NULL;
    }
    tk_model *m = calloc(1, sizeof *m);
    if (!m) {
        em__error("tokenizer: out of memory");
        return NULL;
    }
    pthread_mutex_init(&m->lock, NULL);
    m->unk = -1;
    char *type = NULL;
    int rc = tk_json_str(L, o, "model", "type", &type);
    if (!rc && !type) /* old files leave the type out; BPE has merges */
        type = strdup(tk_json_get(o, "merges") ? "BPE"
                      : json_object_is_type(tk_json_get(o, "vocab"), json_type_array) ? "Unigram"
                      : tk_json_get(o, "continuing_subword_prefix") ? "WordPiece"
                                                                     : "WordLevel");
    if (rc || !type) {
        free(type);
        tk_model_free(m);
        return NULL;
    }
    if (!strcmp(type, "BPE")) {
        m->kind = M_BPE;
        rc = tk_bpe_load(L, m, o);
    } else if (!strcmp(type, "Unigram")) {
        m->kind = M_UNIGRAM;
        rc = tk_unigram_load(L, m, o);
    } else if (!strcmp(type, "WordPiece")) {
        m->kind = M_WORDPIECE;
        m->max_chars = 100;
        rc = tk_vocab_object(L, m, tk_json_get(o, "vocab")) || tk_model_index(L, m) ||
             tk_json_str(L, o, "model", "continuing_subword_prefix", &m->prefix) ||
             tk_json_int(L, o, "model", "max_input_chars_per_word", 0, INT32_MAX, &m->max_chars) ||
             load_unk(L, m, o, false);
        if (!rc && !m->prefix)
            m->prefix = strdup("##");
        if (!rc && !m->unk_token)
            m->unk_token = strdup("[UNK]");
    } else if (!strcmp(type, "WordLevel")) {
        m->kind = M_WORDLEVEL;
        rc = tk_vocab_object(L, m, tk_json_get(o, "vocab")) || tk_model_index(L, m) ||
             load_unk(L, m, o, false);
    } else
        rc = em__error("%s: model.type '%s' is not supported (BPE, WordPiece, WordLevel, Unigram)",
                       L->src, type);
    free(type);
    if (rc) {
        tk_model_free(m);
        return NULL;
    }
    return m;
}

int32_t tk_model_token_to_id(const tk_model *m, const char *s, size_t n)
{
    return tk_strmap_get(&m->vocab, s, n);
}

const char *tk_model_id_to_token(const tk_model *m, int32_t id, size_t *len)
{
    if (id < 0 || (size_t)id >= m->n_ids || m->id2e[id] < 0)
        return NULL;
    return tk_strmap_key(&m->vocab, (size_t)m->id2e[id], len);
}

size_t tk_model_vocab_size(const tk_model *m)
{
    return m->kind == M_UNIGRAM ? m->n_ids : m->vocab.n;
}

int32_t tk_model_unk_id(const tk_model *m)
{
    return m->unk;
}

static int wordpiece(const tk_model *m, tk_ctx *c, const char *s, size_t n)
{
    size_t nchars = 0, l;
    for (size_t i = 0; i < n; i += tk_utf8_len((unsigned char)s[i]))
        nchars++;
    size_t mark = c->ids.n;
    if ((int64_t)nchars <= m->max_chars) {
        size_t start = 0, plen = strlen(m->prefix);
        while (start < n) {
            size_t end = n;
            int32_t id = -1;
            while (start < end) {
                c->tmp.n = 0;
                if (start > 0 && tk_buf_add(&c->tmp, m->prefix, plen))
                    return -1;
                if (tk_buf_add(&c->tmp, s + start, end - start))
                    return -1;
                id = tk_strmap_get(&m->vocab, c->tmp.p, c->tmp.n);
                if (id >= 0)
                    break;
                size_t k = end - 1;
                while (k > start && ((unsigned char)s[k] & 0xC0) == 0x80)
                    k--;
                end = k;
            }
            if (id < 0)
                goto bad;
            if (tk_ids_push(&c->ids, id))
                return -1;
            start = end;
        }
        return 0;
    }
bad:
    c->ids.n = mark;
    if (m->unk < 0)
        return em__error("tokenizer: WordPiece needs unk_token '%s', which is not in the vocabulary",
                         m->unk_token);
    (void)l;
    return tk_ids_push(&c->ids, m->unk);
}

int tk_model_tokenize(const tk_model *m, tk_ctx *c, const char *s, size_t n)
{
    if (n == 0)
        return 0;
    switch (m->kind) {
    case M_BPE:
        return tk_bpe_tokenize(m, c, s, n);
    case M_UNIGRAM:
        return tk_unigram_tokenize(m, c, s, n);
    case M_WORDPIECE:
        return wordpiece(m, c, s, n);
    case M_WORDLEVEL: {
        int32_t id = tk_strmap_get(&m->vocab, s, n);
        if (id < 0)
            id = m->unk;
        if (id < 0)
            return em__error("tokenizer: WordLevel has no unk_token for '%.*s'", (int)(n > 64 ? 64 : n), s);
        return tk_ids_push(&c->ids, id);
    }
    }
    return em__error("tokenizer: unknown model");
}
