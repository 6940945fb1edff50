/* Unigram (SentencePiece) as `tokenizers` runs it: Viterbi over the pieces
 * that start at each character, unknown characters scored min_score - 10 and
 * fused, then byte fallback for pieces outside the vocabulary. */
#include "tok_model.h"

#include <stdlib.h>
#include <string.h>

#define UNK_PENALTY 10.0

int tk_unigram_load(const tk_load *L, tk_model *m, json_object *o)
{
    json_object *v = tk_json_get(o, "vocab");
    if (!v || !json_object_is_type(v, json_type_array))
        return em__error("%s: model.vocab must be an array of [piece, score], not %s", L->src,
                         tk_json_type_name(v));
    size_t n = json_object_array_length(v);
    if (n > (1u << 26))
        return em__error("%s: model.vocab has too many pieces (%zu)", L->src, n);
    m->scores = malloc((n ? n : 1) * sizeof *m->scores);
    m->id2e = malloc((n ? n : 1) * sizeof *m->id2e);
    if (!m->scores || !m->id2e)
        return em__error("tokenizer: out of memory");
    m->n_ids = n;
    m->min_score = 1e300;
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(v, i);
        json_object *p = e && json_object_is_type(e, json_type_array) && json_object_array_length(e) == 2
                             ? json_object_array_get_idx(e, 0) : NULL;
        json_object *s = p ? json_object_array_get_idx(e, 1) : NULL;
        if (!p || !json_object_is_type(p, json_type_string) || !s ||
            !(json_object_is_type(s, json_type_double) || json_object_is_type(s, json_type_int)))
            return em__error("%s: model.vocab[%zu] must be [\"piece\", score]", L->src, i);
        size_t len = (size_t)json_object_get_string_len(p);
        if (tk_strmap_put(&m->vocab, json_object_get_string(p), len, (int32_t)i))
            return -1;
        m->scores[i] = json_object_get_double(s);
        if (m->scores[i] < m->min_score)
            m->min_score = m->scores[i];
        if (len > m->max_piece)
            m->max_piece = len;
    }
    /* id -> entry: the map's entries are in insertion order unless a piece repeats */
    for (size_t i = 0; i < n; i++)
        m->id2e[i] = -1;
    for (size_t i = 0; i < m->vocab.n; i++)
        m->id2e[m->vocab.e[i].val] = (int32_t)i;
    int64_t unk = -1;
    if (tk_json_int(L, o, "model", "unk_id", 0, INT32_MAX, &unk) ||
        tk_json_bool(L, o, "model", "byte_fallback", &m->byte_fallback))
        return -1;
    if (unk >= 0 && (size_t)unk >= n)
        return em__error("%s: model.unk_id %lld is beyond the vocabulary (%zu pieces)", L->src,
                         (long long)unk, n);
    m->unk = (int32_t)unk;
    m->fuse_unk = true;
    for (int b = 0; b < 256; b++) {
        char t[8];
        snprintf(t, sizeof t, "<0x%02X>", b);
        m->byte_ids[b] = tk_strmap_get(&m->vocab, t, 6);
    }
    return 0;
}

typedef struct {
    double score;
    int32_t start; /* -1: unreached */
    int32_t id;
} node;

int tk_unigram_tokenize(const tk_model *m, tk_ctx *c, const char *s, size_t n)
{
    if (n > INT32_MAX / 2)
        return em__error("tokenizer: input too long");
    node *best = malloc((n + 1) * sizeof *best);
    if (!best)
        return em__error("tokenizer: out of memory");
    for (size_t i = 0; i <= n; i++)
        best[i] = (node){0, -1, -1};
    best[0].start = 0;
    double unk_score = m->min_score - UNK_PENALTY;
    for (size_t at = 0; at < n;) {
        size_t clen = tk_utf8_len((unsigned char)s[at]);
        if (clen > n - at)
            clen = n - at;
        double here = best[at].score;
        bool single = false;
        size_t lim = n - at < m->max_piece ? n - at : m->max_piece;
        for (size_t len = 1; len <= lim; len++) {
            if (at + len < n && ((unsigned char)s[at + len] & 0xC0) == 0x80)
                continue; /* only whole characters */
            int32_t id = tk_strmap_get(&m->vocab, s + at, len);
            if (id < 0)
                continue;
            node *t = &best[at + len];
            double cand = m->scores[id] + here;
            if (t->start < 0 || cand > t->score)
                *t = (node){cand, (int32_t)at, id};
            if (len == clen)
                single = true;
        }
        if (!single) {
            node *t = &best[at + clen];
            double cand = unk_score + here;
            if (t->start < 0 || cand > t->score)
                *t = (node){cand, (int32_t)at, m->unk};
        }
        at += clen;
    }
    /* backtrack into (start, end) pairs, fusing unknowns */
    tk_ids seg = {0};
    int rc = 0;
    size_t end = n;
    int32_t fuse_end = -1;
    while (end > 0 && !rc) {
        node *x = &best[end];
        if (x->start < 0) {
            rc = em__error("tokenizer: Unigram found no path");
            break;
        }
        if (m->unk >= 0 && x->id == m->unk) {
            if (fuse_end < 0)
                fuse_end = (int32_t)end;
        } else {
            if (fuse_end >= 0) {
                rc = tk_ids_push(&seg, fuse_end) || tk_ids_push(&seg, (int32_t)end);
                fuse_end = -1;
            }
            if (!rc)
                rc = tk_ids_push(&seg, (int32_t)end) || tk_ids_push(&seg, x->start);
        }
        end = (size_t)x->start;
    }
    if (!rc && fuse_end >= 0)
        rc = tk_ids_push(&seg, fuse_end) || tk_ids_push(&seg, 0);
    /* seg holds (end, start) pairs from the right */
    for (size_t k = seg.n; k >= 2 && !rc; k -= 2) {
        size_t e = (size_t)seg.v[k - 2], b = (size_t)seg.v[k - 1];
        int32_t id = tk_strmap_get(&m->vocab, s + b, e - b);
        if (id >= 0) {
            rc = tk_ids_push(&c->ids, id);
            continue;
        }
        if (m->byte_fallback) {
            bool all = true;
            for (size_t j = b; j < e && all; j++)
                all = m->byte_ids[(unsigned char)s[j]] >= 0;
            if (all) {
                for (size_t j = b; j < e && !rc; j++)
                    rc = tk_ids_push(&c->ids, m->byte_ids[(unsigned char)s[j]]);
                continue;
            }
        }
        if (m->unk < 0)
            rc = em__error("tokenizer: Unigram has no unk_id for '%.*s'", (int)(e - b), s + b);
        else
            rc = tk_ids_push(&c->ids, m->unk);
    }
    tk_ids_free(&seg);
    free(best);
    return rc;
}
