/* Decoders: each rewrites the list of token strings (decode_chain), and the
 * tokenizer joins what is left. ByteLevel, Metaspace, ByteFallback, Fuse,
 * Strip, Replace, WordPiece, BPEDecoder and Sequence. */
#include "tok.h"

#include <stdlib.h>
#include <string.h>

enum { D_BYTELEVEL, D_METASPACE, D_BYTEFALLBACK, D_FUSE, D_STRIP, D_REPLACE, D_WORDPIECE, D_BPE,
       D_SEQ };

struct tk_dec {
    int kind;
    int32_t rep_cp; /* Metaspace replacement, Strip content */
    bool prepend;   /* Metaspace: prepend_scheme != never */
    int64_t start, stop;
    tk_pattern pat;
    char *content, *prefix; /* Replace content; WordPiece prefix / BPE suffix */
    bool cleanup;
    tk_dec **kids;
    size_t n_kids;
};

int32_t tk_bytelevel_char(unsigned char b);

void tk_dec_free(tk_dec *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n_kids; i++)
        tk_dec_free(d->kids[i]);
    free(d->kids);
    tk_pattern_free(&d->pat);
    free(d->content);
    free(d->prefix);
    free(d);
}

static int one_cp(const tk_load *L, json_object *o, const char *where, const char *key,
                  const char *def, int32_t *cp)
{
    char *s = NULL;
    if (tk_json_str(L, o, where, key, &s))
        return -1;
    const char *v = s ? s : def;
    size_t n = strlen(v), l;
    if (!n || tk_utf8_len((unsigned char)v[0]) != n || !tk_utf8_valid(v, n)) {
        free(s);
        return em__error("%s: %s.%s must be one character", L->src, where, key);
    }
    *cp = tk_utf8_next(v, n, &l);
    free(s);
    return 0;
}

tk_dec *tk_dec_from_json(const tk_load *L, json_object *o, const char *where)
{
    char *type;
    if (tk_json_component_type(L, o, where, &type) < 0)
        return NULL;
    tk_dec *d = calloc(1, sizeof *d);
    if (!d) {
        free(type);
        em__error("tokenizer: out of memory");
        return NULL;
    }
    static const char *names[] = {"ByteLevel", "Metaspace", "ByteFallback", "Fuse", "Strip",
                                  "Replace", "WordPiece", "BPEDecoder", "Sequence"};
    d->kind = -1;
    for (int i = 0; i < (int)(sizeof names / sizeof *names); i++)
        if (!strcmp(type, names[i]))
            d->kind = i;
    int rc = 0;
    switch (d->kind) {
    case D_METASPACE: {
        char *scheme = NULL;
        bool aps = true;
        d->prepend = true;
        rc = one_cp(L, o, where, "replacement", "\xE2\x96\x81", &d->rep_cp) ||
             tk_json_bool(L, o, where, "add_prefix_space", &aps) ||
             tk_json_str(L, o, where, "prepend_scheme", &scheme);
        if (!rc && tk_json_get(o, "add_prefix_space"))
            d->prepend = aps;
        if (!rc && scheme)
            d->prepend = strcmp(scheme, "never") != 0;
        free(scheme);
        break;
    }
    case D_STRIP:
        rc = one_cp(L, o, where, "content", " ", &d->rep_cp) ||
             tk_json_int(L, o, where, "start", 0, INT32_MAX, &d->start) ||
             tk_json_int(L, o, where, "stop", 0, INT32_MAX, &d->stop);
        break;
    case D_REPLACE:
        rc = tk_pattern_from_json(L, &d->pat, tk_json_get(o, "pattern"), where) ||
             tk_json_str(L, o, where, "content", &d->content);
        if (!rc && !d->content)
            rc = em__error("%s: %s.content is missing", L->src, where);
        break;
    case D_WORDPIECE:
        d->cleanup = true;
        rc = tk_json_str(L, o, where, "prefix", &d->prefix) ||
             tk_json_bool(L, o, where, "cleanup", &d->cleanup);
        if (!rc && !d->prefix)
            d->prefix = strdup("##");
        break;
    case D_BPE:
        rc = tk_json_str(L, o, where, "suffix", &d->prefix);
        if (!rc && !d->prefix)
            d->prefix = strdup("</w>");
        break;
    case D_SEQ: {
        json_object *arr = tk_json_get(o, "decoders");
        if (!arr || !json_object_is_type(arr, json_type_array)) {
            rc = em__error("%s: %s.decoders must be an array", L->src, where);
            break;
        }
        size_t k = json_object_array_length(arr);
        if (!(d->kids = calloc(k ? k : 1, sizeof *d->kids))) {
            rc = em__error("tokenizer: out of memory");
            break;
        }
        for (size_t i = 0; i < k && !rc; i++) {
            char w[256];
            snprintf(w, sizeof w, "%s.decoders[%zu]", where, i);
            if (!(d->kids[i] = tk_dec_from_json(L, json_object_array_get_idx(arr, i), w)))
                rc = -1;
            else
                d->n_kids++;
        }
        break;
    }
    case -1:
        rc = em__error("%s: %s.type '%s' is not a supported decoder", L->src, where, type);
        break;
    }
    free(type);
    if (rc) {
        tk_dec_free(d);
        return NULL;
    }
    return d;
}

/* ---- helpers on the token list ---- */

typedef struct {
    tk_str *v;
    size_t n, cap;
} list;

static int list_push(list *a, tk_buf *b)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 16;
        tk_str *v = realloc(a->v, cap * sizeof *v);
        if (!v)
            return em__error("tokenizer: out of memory");
        a->v = v;
        a->cap = cap;
    }
    if (tk_buf_nul(b))
        return -1;
    a->v[a->n++] = (tk_str){b->p ? b->p : strdup(""), b->n};
    if (!a->v[a->n - 1].s)
        return em__error("tokenizer: out of memory");
    *b = (tk_buf){0};
    return 0;
}

static void list_clear(tk_str *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i].s);
}

static int32_t byte_of_char(int32_t cp)
{
    static int16_t rev[324];
    static int ready;
    if (!ready) {
        for (int i = 0; i < 324; i++)
            rev[i] = -1;
        for (int b = 0; b < 256; b++)
            rev[tk_bytelevel_char((unsigned char)b)] = (int16_t)b;
        ready = 1;
    }
    return cp >= 0 && cp < 324 ? rev[cp] : -1;
}

static const char *cleanup_from[] = {" .", " ?", " !", " ,", " ' ", " n't", " 'm", " do not",
                                     " 's", " 've", " 're"};
static const char *cleanup_to[] = {".", "?", "!", ",", "'", "n't", "'m", " don't", "'s", "'ve", "'re"};

static int cleanup(tk_buf *b)
{
    for (size_t r = 0; r < sizeof cleanup_from / sizeof *cleanup_from; r++) {
        tk_buf o = {0};
        size_t fl = strlen(cleanup_from[r]), tl = strlen(cleanup_to[r]);
        for (size_t i = 0; i < b->n;) {
            if (i + fl <= b->n && !memcmp(b->p + i, cleanup_from[r], fl)) {
                if (tk_buf_add(&o, cleanup_to[r], tl))
                    return -1;
                i += fl;
            } else if (tk_buf_addc(&o, b->p[i++]))
                return -1;
        }
        tk_buf_free(b);
        *b = o;
    }
    return 0;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : (c | 32) >= 'a' && (c | 32) <= 'f' ? (c | 32) - 'a' + 10 : -1;
}

/* One decoder's decode_chain from IN (n tokens) into OUT. */
static int chain(const tk_dec *d, tk_str *in, size_t n, list *out, tk_ctx *c)
{
    tk_buf b = {0};
    size_t l;
    int rc = 0;
    switch (d->kind) {
    case D_BYTELEVEL:
        for (size_t i = 0; i < n && !rc; i++) {
            size_t mark = b.n;
            bool ok = true;
            for (size_t k = 0; k < in[i].n && ok; k += l) {
                int32_t v = byte_of_char(tk_utf8_next(in[i].s + k, in[i].n - k, &l));
                ok = v >= 0;
                if (ok)
                    rc = tk_buf_addc(&b, (char)v);
            }
            if (!ok) {
                b.n = mark;
                rc = tk_buf_add(&b, in[i].s, in[i].n);
            }
        }
        if (!rc) {
            tk_buf f = {0};
            tk_utf8_sanitize(b.p ? b.p : "", b.n, &f);
            tk_buf_free(&b);
            rc = list_push(out, &f);
            tk_buf_free(&f);
        }
        break;
    case D_METASPACE:
        for (size_t i = 0; i < n && !rc; i++) {
            for (size_t k = 0; k < in[i].n && !rc; k += l) {
                int32_t cp = tk_utf8_next(in[i].s + k, in[i].n - k, &l);
                if (cp == d->rep_cp) {
                    if (!(i == 0 && d->prepend))
                        rc = tk_buf_addc(&b, ' ');
                } else
                    rc = tk_buf_add(&b, in[i].s + k, l);
            }
            if (!rc)
                rc = list_push(out, &b);
        }
        break;
    case D_BYTEFALLBACK: {
        tk_buf bytes = {0};
        for (size_t i = 0; i <= n && !rc; i++) {
            const tk_str *t = i < n ? &in[i] : NULL;
            int hi, lo;
            if (t && t->n == 6 && !memcmp(t->s, "<0x", 3) && t->s[5] == '>' &&
                (hi = hexval(t->s[3])) >= 0 && (lo = hexval(t->s[4])) >= 0) {
                rc = tk_buf_addc(&bytes, (char)(hi * 16 + lo));
                continue;
            }
            if (bytes.n) {
                if (tk_utf8_valid(bytes.p, bytes.n))
                    rc = tk_buf_add(&b, bytes.p, bytes.n) || list_push(out, &b);
                else
                    for (size_t k = 0; k < bytes.n && !rc; k++)
                        rc = tk_buf_add(&b, "\xEF\xBF\xBD", 3) || list_push(out, &b);
                bytes.n = 0;
            }
            if (t && !rc)
                rc = tk_buf_add(&b, t->s, t->n) || list_push(out, &b);
        }
        tk_buf_free(&bytes);
        break;
    }
    case D_FUSE:
        for (size_t i = 0; i < n && !rc; i++)
            rc = tk_buf_add(&b, in[i].s, in[i].n);
        if (!rc)
            rc = list_push(out, &b);
        break;
    case D_STRIP:
        for (size_t i = 0; i < n && !rc; i++) {
            const char *s = in[i].s;
            size_t len = in[i].n, a = 0, e = len;
            for (int64_t k = 0; k < d->start && a < len; k++) {
                if (tk_utf8_next(s + a, len - a, &l) != d->rep_cp)
                    break;
                a += l;
            }
            for (int64_t k = 0; k < d->stop && e > a; k++) {
                size_t p = e - 1;
                while (p > 0 && ((unsigned char)s[p] & 0xC0) == 0x80)
                    p--;
                if (tk_utf8_next(s + p, e - p, &l) != d->rep_cp)
                    break;
                e = p;
            }
            rc = tk_buf_add(&b, s + a, e - a) || list_push(out, &b);
        }
        break;
    case D_REPLACE:
        for (size_t i = 0; i < n && !rc; i++)
            rc = tk_pattern_replace(&d->pat, in[i].s, in[i].n, d->content, strlen(d->content), &b,
                                    c->md) ||
                 list_push(out, &b);
        break;
    case D_WORDPIECE: {
        size_t pl = strlen(d->prefix);
        for (size_t i = 0; i < n && !rc; i++) {
            const char *s = in[i].s;
            size_t len = in[i].n;
            if (i != 0) {
                if (len >= pl && !memcmp(s, d->prefix, pl))
                    s += pl, len -= pl;
                else
                    rc = tk_buf_addc(&b, ' ');
            }
            if (!rc)
                rc = tk_buf_add(&b, s, len);
            if (!rc && d->cleanup)
                rc = cleanup(&b);
            if (!rc)
                rc = list_push(out, &b);
        }
        break;
    }
    case D_BPE: {
        size_t sl = strlen(d->prefix);
        for (size_t i = 0; i < n && !rc; i++) {
            const char *rep = i == n - 1 ? "" : " ";
            for (size_t k = 0; k < in[i].n && !rc;) {
                if (sl && k + sl <= in[i].n && !memcmp(in[i].s + k, d->prefix, sl)) {
                    rc = tk_buf_add(&b, rep, strlen(rep));
                    k += sl;
                } else
                    rc = tk_buf_addc(&b, in[i].s[k++]);
            }
            if (!rc)
                rc = list_push(out, &b);
        }
        break;
    }
    default:
        rc = em__error("tokenizer: unknown decoder");
    }
    tk_buf_free(&b);
    return rc;
}

int tk_dec_chain(const tk_dec *d, tk_str **toks, size_t *n, size_t *cap, tk_ctx *c)
{
    if (d->kind == D_SEQ) {
        for (size_t i = 0; i < d->n_kids; i++)
            if (tk_dec_chain(d->kids[i], toks, n, cap, c) < 0)
                return -1;
        return (int)*n;
    }
    list out = {0};
    if (chain(d, *toks, *n, &out, c)) {
        list_clear(out.v, out.n);
        free(out.v);
        return -1;
    }
    list_clear(*toks, *n);
    free(*toks);
    *toks = out.v;
    *n = out.n;
    *cap = out.cap;
    return (int)out.n;
}
