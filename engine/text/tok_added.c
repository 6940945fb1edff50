/* Added tokens: found leftmost-longest in the raw text (normalized: false)
 * and then in the normalized pieces (normalized: true), with the
 * single_word / lstrip / rstrip rules of `tokenizers`' AddedVocabulary. */
#include "tok.h"

#include <stdlib.h>
#include <string.h>

/* A byte trie: root children in a table, deeper edges in a hash map. */
struct tk_trie {
    int32_t root[256]; /* child node or -1 */
    tk_u64map edges;   /* node << 8 | byte -> child */
    int32_t *val;      /* node -> value or -1 */
    size_t n, cap;
};

struct tk_trie *tk_trie_new(void)
{
    struct tk_trie *t = calloc(1, sizeof *t);
    if (!t || tk_u64map_init(&t->edges, 64)) {
        free(t);
        em__error("tokenizer: out of memory");
        return NULL;
    }
    memset(t->root, 0xFF, sizeof t->root);
    return t;
}

static int32_t new_node(struct tk_trie *t)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        int32_t *v = realloc(t->val, cap * sizeof *v);
        if (!v)
            return em__error("tokenizer: out of memory");
        t->val = v;
        t->cap = cap;
    }
    t->val[t->n] = -1;
    return (int32_t)t->n++;
}

int tk_trie_add(struct tk_trie *t, const char *s, size_t n, int32_t val)
{
    if (n == 0)
        return 0;
    const unsigned char *u = (const unsigned char *)s;
    int32_t node = t->root[u[0]];
    if (node < 0) {
        if ((node = new_node(t)) < 0)
            return -1;
        t->root[u[0]] = node;
    }
    for (size_t i = 1; i < n; i++) {
        uint64_t k = (uint64_t)node << 8 | u[i], v;
        if (tk_u64map_get(&t->edges, k, &v))
            node = (int32_t)v;
        else {
            int32_t c = new_node(t);
            if (c < 0 || tk_u64map_put(&t->edges, k, (uint64_t)c))
                return -1;
            node = c;
        }
    }
    if (t->val[node] < 0) /* the first token with this text wins */
        t->val[node] = val;
    return 0;
}

int32_t tk_trie_match(const struct tk_trie *t, const char *s, size_t n, size_t *len)
{
    const unsigned char *u = (const unsigned char *)s;
    int32_t node = n ? t->root[u[0]] : -1, best = -1;
    size_t i = 1;
    while (node >= 0) {
        if (t->val[node] >= 0) {
            best = t->val[node];
            *len = i;
        }
        if (i >= n)
            break;
        uint64_t v;
        if (!tk_u64map_get(&t->edges, (uint64_t)node << 8 | u[i], &v))
            break;
        node = (int32_t)v;
        i++;
    }
    return best;
}

void tk_trie_free(struct tk_trie *t)
{
    if (!t)
        return;
    tk_u64map_free(&t->edges);
    free(t->val);
    free(t);
}

static int32_t prev_char(const char *s, size_t at)
{
    size_t k = at - 1, l;
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
        k--;
    return tk_utf8_next(s + k, at - k, &l);
}

/* Splits the pieces of C->a with the added tokens of one pass into C->b. */
static int split_pass(const em_tokenizer *tok, tk_ctx *c, const struct tk_trie *trie)
{
    c->b.n = 0;
    for (size_t p = 0; p < c->a.n; p++) {
        tk_piece x = c->a.v[p];
        if (x.id >= 0 || x.len == 0) {
            if (x.len || x.id >= 0)
                if (tk_pieces_push(&c->b, x.off, x.len, x.id, x.at_start))
                    return -1;
            continue;
        }
        const char *s = c->text.p + x.off;
        size_t n = x.len, done = 0, i = 0, ml = 0, l;
        while (i < n) {
            unsigned char ch = (unsigned char)s[i];
            int32_t k = trie->root[ch] >= 0 ? tk_trie_match(trie, s + i, n - i, &ml) : -1;
            if (k < 0) {
                i += tk_utf8_len(ch);
                continue;
            }
            const tk_added *a = &tok->added[k];
            size_t start = i, stop = i + ml;
            if (a->single_word) {
                bool sp = start == 0 || !tk_is_word_char(prev_char(s, start));
                bool ep = stop == n || !tk_is_word_char(tk_utf8_next(s + stop, n - stop, &l));
                if (!sp || !ep) {
                    i = stop;
                    continue;
                }
            }
            if (a->lstrip) {
                size_t ns = start;
                while (ns > 0) {
                    size_t k2 = ns - 1;
                    while (k2 > 0 && ((unsigned char)s[k2] & 0xC0) == 0x80)
                        k2--;
                    if (!tk_is_whitespace(tk_utf8_next(s + k2, ns - k2, &l)))
                        break;
                    ns = k2;
                }
                start = ns > done ? ns : done;
            }
            if (a->rstrip)
                while (stop < n) {
                    int32_t cp = tk_utf8_next(s + stop, n - stop, &l);
                    if (!tk_is_whitespace(cp))
                        break;
                    stop += l;
                }
            if (done < start &&
                tk_pieces_push(&c->b, x.off + (uint32_t)done, (uint32_t)(start - done), -1,
                               x.at_start && done == 0))
                return -1;
            if (tk_pieces_push(&c->b, x.off + (uint32_t)start, (uint32_t)(stop - start), a->id, false))
                return -1;
            done = i = stop;
        }
        if (done < n && tk_pieces_push(&c->b, x.off + (uint32_t)done, (uint32_t)(n - done), -1,
                                       x.at_start && done == 0))
            return -1;
    }
    tk_pieces t = c->a;
    c->a = c->b;
    c->b = t;
    return 0;
}

int tk_added_split(const em_tokenizer *tok, tk_ctx *c, bool normalized_pass)
{
    if (!normalized_pass)
        return tok->trie_raw ? split_pass(tok, c, tok->trie_raw) : 0;
    if (tok->norm) {
        c->b.n = 0;
        for (size_t p = 0; p < c->a.n; p++) {
            tk_piece x = c->a.v[p];
            if (x.id >= 0) {
                if (tk_pieces_push(&c->b, x.off, x.len, x.id, x.at_start))
                    return -1;
                continue;
            }
            c->tmp.n = 0;
            if (tk_norm_apply(tok->norm, c->text.p + x.off, x.len, &c->tmp, c))
                return -1;
            if (c->text.n + c->tmp.n > UINT32_MAX)
                return em__error("tokenizer: input too long");
            uint32_t off = (uint32_t)c->text.n;
            if (tk_buf_add(&c->text, c->tmp.p, c->tmp.n) ||
                (c->tmp.n && tk_pieces_push(&c->b, off, (uint32_t)c->tmp.n, -1, x.at_start)))
                return -1;
        }
        tk_pieces t = c->a;
        c->a = c->b;
        c->b = t;
    }
    return tok->trie_norm ? split_pass(tok, c, tok->trie_norm) : 0;
}
