/* Pre-tokenizers: Split, ByteLevel, Metaspace, Digits, Whitespace,
 * WhitespaceSplit, Punctuation, BertPreTokenizer, CharDelimiterSplit and
 * Sequence. Each cuts the pieces that are not yet tokens into smaller ones. */
#include "tok.h"

#include <stdlib.h>
#include <string.h>

enum { P_SPLIT, P_BYTELEVEL, P_METASPACE, P_DIGITS, P_WHITESPACE, P_WSPLIT, P_PUNCT, P_BERT,
       P_CHARDELIM, P_SEQ };
enum { PREPEND_ALWAYS, PREPEND_FIRST, PREPEND_NEVER };

struct tk_pretok {
    int kind;
    tk_pattern pat, pat2;
    int behavior;
    bool invert;
    bool add_prefix_space, use_regex; /* ByteLevel */
    char rep[8];                      /* Metaspace replacement, as UTF-8 */
    size_t rep_len;
    int32_t rep_cp;
    int prepend;
    bool split;
    tk_pretok **kids;
    size_t n_kids;
};

static const char GPT2_RE[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

int32_t tk_bytelevel_char(unsigned char b)
{
    static int32_t table[256];
    static int ready;
    if (!ready) { /* idempotent, so a race only repeats the same writes */
        int32_t n = 0;
        for (int i = 0; i < 256; i++) {
            bool keep = (i >= 33 && i <= 126) || (i >= 161 && i <= 172) || (i >= 174);
            table[i] = keep ? i : 256 + n++;
        }
        ready = 1;
    }
    return table[b];
}

static bool cf_numeric(int32_t c, int32_t a) { return tk_is_numeric(c); }
static bool cf_space(int32_t c, int32_t a) { return tk_is_whitespace(c); }
static bool cf_punct(int32_t c, int32_t a) { return tk_is_punctuation(c); }
static bool cf_eq(int32_t c, int32_t a) { return c == a; }

static void charfn(tk_pattern *p, bool (*f)(int32_t, int32_t), int32_t arg)
{
    memset(p, 0, sizeof *p);
    p->kind = TK_PAT_CHARFN;
    p->charfn = f;
    p->arg = arg;
}

void tk_pretok_free(tk_pretok *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_kids; i++)
        tk_pretok_free(p->kids[i]);
    free(p->kids);
    tk_pattern_free(&p->pat);
    tk_pattern_free(&p->pat2);
    free(p);
}

static int one_char(const tk_load *L, json_object *o, const char *where, const char *key,
                    const char *def, char *buf, size_t *len, int32_t *cp)
{
    char *s = NULL;
    if (tk_json_str(L, o, where, key, &s))
        return -1;
    const char *v = s ? s : def;
    size_t n = strlen(v), l = 0;
    if (n == 0 || n > 4 || tk_utf8_len((unsigned char)v[0]) != n || !tk_utf8_valid(v, n)) {
        free(s);
        return em__error("%s: %s.%s must be one character", L->src, where, key);
    }
    memcpy(buf, v, n);
    buf[n] = '\0';
    *len = n;
    *cp = tk_utf8_next(v, n, &l);
    free(s);
    return 0;
}

tk_pretok *tk_pretok_from_json(const tk_load *L, json_object *o, const char *where)
{
    char *type;
    if (tk_json_component_type(L, o, where, &type) < 0)
        return NULL;
    tk_pretok *p = calloc(1, sizeof *p);
    if (!p) {
        free(type);
        em__error("tokenizer: out of memory");
        return NULL;
    }
    static const char *names[] = {"Split", "ByteLevel", "Metaspace", "Digits", "Whitespace",
                                  "WhitespaceSplit", "Punctuation", "BertPreTokenizer",
                                  "CharDelimiterSplit", "Sequence"};
    p->kind = -1;
    for (int i = 0; i < (int)(sizeof names / sizeof *names); i++)
        if (!strcmp(type, names[i]))
            p->kind = i;
    int rc = 0;
    char w[512];
    switch (p->kind) {
    case P_SPLIT:
        p->behavior = TK_REMOVED;
        rc = tk_pattern_from_json(L, &p->pat, tk_json_get(o, "pattern"), where) ||
             tk_behavior_from_json(L, o, where, &p->behavior) ||
             tk_json_bool(L, o, where, "invert", &p->invert);
        if (!rc && !tk_json_get(o, "behavior"))
            rc = em__error("%s: %s.behavior is missing", L->src, where);
        break;
    case P_BYTELEVEL:
        p->add_prefix_space = p->use_regex = true;
        rc = tk_json_bool(L, o, where, "add_prefix_space", &p->add_prefix_space) ||
             tk_json_bool(L, o, where, "use_regex", &p->use_regex);
        snprintf(w, sizeof w, "%s: %s (GPT-2 regex)", L->src, where);
        if (!rc && p->use_regex)
            rc = tk_pattern_regex(&p->pat, GPT2_RE, w);
        break;
    case P_METASPACE: {
        p->prepend = PREPEND_ALWAYS;
        p->split = true;
        rc = one_char(L, o, where, "replacement", "\xE2\x96\x81", p->rep, &p->rep_len, &p->rep_cp) ||
             tk_json_bool(L, o, where, "split", &p->split);
        char *scheme = NULL;
        bool aps = true;
        if (!rc && tk_json_get(o, "add_prefix_space")) {
            rc = tk_json_bool(L, o, where, "add_prefix_space", &aps);
            p->prepend = aps ? PREPEND_ALWAYS : PREPEND_NEVER;
        }
        if (!rc)
            rc = tk_json_str(L, o, where, "prepend_scheme", &scheme);
        if (!rc && scheme) {
            if (!strcmp(scheme, "always"))
                p->prepend = PREPEND_ALWAYS;
            else if (!strcmp(scheme, "first"))
                p->prepend = PREPEND_FIRST;
            else if (!strcmp(scheme, "never"))
                p->prepend = PREPEND_NEVER;
            else
                rc = em__error("%s: %s.prepend_scheme must be always, first or never, not '%s'",
                               L->src, where, scheme);
        }
        free(scheme);
        charfn(&p->pat, cf_eq, p->rep_cp);
        break;
    }
    case P_DIGITS: {
        bool ind = false;
        rc = tk_json_bool(L, o, where, "individual_digits", &ind);
        charfn(&p->pat, cf_numeric, 0);
        p->behavior = ind ? TK_ISOLATED : TK_CONTIGUOUS;
        break;
    }
    case P_WHITESPACE:
        snprintf(w, sizeof w, "%s: %s", L->src, where);
        /* `\w+|[^\w\s]+` with the Rust regex crate's Unicode \w and \s */
        rc = tk_pattern_regex(&p->pat,
                              "[\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\x{200C}\\x{200D}]+|"
                              "[^\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\x{200C}\\x{200D}\\p{White_Space}]+", w);
        p->behavior = TK_REMOVED;
        p->invert = true;
        break;
    case P_WSPLIT:
        charfn(&p->pat, cf_space, 0);
        p->behavior = TK_REMOVED;
        break;
    case P_PUNCT:
        p->behavior = TK_ISOLATED;
        rc = tk_behavior_from_json(L, o, where, &p->behavior);
        charfn(&p->pat, cf_punct, 0);
        break;
    case P_BERT:
        charfn(&p->pat, cf_space, 0);
        charfn(&p->pat2, cf_punct, 0);
        p->behavior = TK_REMOVED;
        break;
    case P_CHARDELIM: {
        rc = one_char(L, o, where, "delimiter", "", p->rep, &p->rep_len, &p->rep_cp);
        charfn(&p->pat, cf_eq, p->rep_cp);
        p->behavior = TK_REMOVED;
        break;
    }
    case P_SEQ: {
        json_object *arr = tk_json_get(o, "pretokenizers");
        if (!arr || !json_object_is_type(arr, json_type_array)) {
            rc = em__error("%s: %s.pretokenizers must be an array", L->src, where);
            break;
        }
        size_t k = json_object_array_length(arr);
        p->kids = calloc(k ? k : 1, sizeof *p->kids);
        if (!p->kids) {
            rc = em__error("tokenizer: out of memory");
            break;
        }
        for (size_t i = 0; i < k && !rc; i++) {
            snprintf(w, sizeof w, "%s.pretokenizers[%zu]", where, i);
            p->kids[i] = tk_pretok_from_json(L, json_object_array_get_idx(arr, i), w);
            if (!p->kids[i])
                rc = -1;
            else
                p->n_kids++;
        }
        break;
    }
    default:
        rc = em__error("%s: %s.type '%s' is not a supported pre-tokenizer", L->src, where, type);
    }
    free(type);
    if (rc) {
        tk_pretok_free(p);
        return NULL;
    }
    return p;
}

/* Cuts piece X with PAT and BEHAVIOR into C->b. */
static int split_piece(tk_ctx *c, const tk_piece *x, const tk_pattern *pat, int behavior, bool invert)
{
    if (tk_find_matches(pat, c->text.p + x->off, x->len, &c->spans, c->md) ||
        tk_apply_behavior(&c->spans, behavior, invert))
        return -1;
    for (size_t i = 0; i < c->spans.n; i++) {
        tk_span s = c->spans.v[i];
        if (s.m || s.e == s.s)
            continue;
        if (tk_pieces_push(&c->b, x->off + s.s, s.e - s.s, -1, x->at_start && s.s == 0))
            return -1;
    }
    return 0;
}

/* Appends text to the arena as a new piece of C->b (the arena may move). */
static int bytelevel_map(tk_ctx *c, const tk_piece *x, bool prefix)
{
    if (tk_buf_reserve(&c->text, 2 * (size_t)x->len + 2))
        return -1;
    if (c->text.n + 2 * (size_t)x->len + 2 > UINT32_MAX)
        return em__error("tokenizer: input too long");
    const unsigned char *s = (const unsigned char *)c->text.p + x->off;
    char *d = c->text.p + c->text.n, *d0 = d;
    if (prefix)
        *d++ = (char)0xC4, *d++ = (char)0xA0; /* ' ' maps to U+0120 */
    for (uint32_t i = 0; i < x->len; i++) {
        int32_t cp = tk_bytelevel_char(s[i]);
        if (cp < 0x80)
            *d++ = (char)cp;
        else {
            *d++ = (char)(0xC0 | (cp >> 6));
            *d++ = (char)(0x80 | (cp & 0x3F));
        }
    }
    uint32_t off = (uint32_t)c->text.n;
    c->text.n += (size_t)(d - d0);
    return tk_pieces_push(&c->b, off, (uint32_t)(d - d0), -1, x->at_start);
}

static int apply_one(const tk_pretok *p, tk_ctx *c, const tk_piece *x)
{
    switch (p->kind) {
    case P_SPLIT:
    case P_DIGITS:
    case P_WHITESPACE:
    case P_WSPLIT:
    case P_PUNCT:
    case P_CHARDELIM:
        return split_piece(c, x, &p->pat, p->behavior, p->invert);
    case P_BYTELEVEL: {
        bool prefix = p->add_prefix_space && !(x->len && c->text.p[x->off] == ' ');
        if (!p->use_regex)
            return bytelevel_map(c, x, prefix);
        tk_piece y = *x;
        if (prefix) { /* the regex sees the added space */
            if (tk_buf_reserve(&c->text, x->len + 1))
                return -1;
            y.off = (uint32_t)c->text.n;
            c->text.p[c->text.n++] = ' ';
            memmove(c->text.p + c->text.n, c->text.p + x->off, x->len);
            c->text.n += x->len;
            y.len = x->len + 1;
        }
        size_t first = c->b.n;
        if (split_piece(c, &y, &p->pat, TK_ISOLATED, false))
            return -1;
        size_t last = c->b.n;
        /* map each new piece, then drop the unmapped ones */
        for (size_t i = first; i < last; i++) {
            tk_piece z = c->b.v[i];
            if (bytelevel_map(c, &z, false))
                return -1;
        }
        memmove(c->b.v + first, c->b.v + last, (c->b.n - last) * sizeof *c->b.v);
        c->b.n -= last - first;
        return 0;
    }
    case P_METASPACE: {
        /* replace ' ' by the replacement, maybe prepend one */
        size_t need = (size_t)x->len * p->rep_len + p->rep_len;
        if (tk_buf_reserve(&c->text, need))
            return -1;
        if (c->text.n + need > UINT32_MAX)
            return em__error("tokenizer: input too long");
        const char *s = c->text.p + x->off;
        uint32_t off = (uint32_t)c->text.n;
        bool starts = x->len >= p->rep_len && !memcmp(s, p->rep, p->rep_len);
        bool starts_space = x->len && s[0] == ' ';
        if (!starts && !starts_space &&
            (p->prepend == PREPEND_ALWAYS || (p->prepend == PREPEND_FIRST && x->at_start))) {
            memcpy(c->text.p + c->text.n, p->rep, p->rep_len);
            c->text.n += p->rep_len;
        }
        for (uint32_t i = 0; i < x->len; i++) {
            if (s[i] == ' ') {
                memcpy(c->text.p + c->text.n, p->rep, p->rep_len);
                c->text.n += p->rep_len;
            } else
                c->text.p[c->text.n++] = s[i];
        }
        tk_piece y = {off, (uint32_t)(c->text.n - off), -1, x->at_start};
        if (!p->split)
            return tk_pieces_push(&c->b, y.off, y.len, -1, y.at_start);
        return split_piece(c, &y, &p->pat, TK_MERGED_NEXT, false);
    }
    case P_BERT: {
        size_t first = c->b.n;
        if (split_piece(c, x, &p->pat, TK_REMOVED, false))
            return -1;
        size_t last = c->b.n;
        for (size_t i = first; i < last; i++) {
            tk_piece z = c->b.v[i];
            if (split_piece(c, &z, &p->pat2, TK_ISOLATED, false))
                return -1;
        }
        memmove(c->b.v + first, c->b.v + last, (c->b.n - last) * sizeof *c->b.v);
        c->b.n -= last - first;
        return 0;
    }
    }
    return em__error("tokenizer: unknown pre-tokenizer");
}

int tk_pretok_apply(const tk_pretok *p, tk_ctx *c)
{
    if (p->kind == P_SEQ) {
        for (size_t i = 0; i < p->n_kids; i++)
            if (tk_pretok_apply(p->kids[i], c))
                return -1;
        return 0;
    }
    c->b.n = 0;
    for (size_t i = 0; i < c->a.n; i++) {
        tk_piece x = c->a.v[i];
        int rc = x.id >= 0 ? tk_pieces_push(&c->b, x.off, x.len, x.id, x.at_start)
                           : apply_one(p, c, &x);
        if (rc)
            return -1;
    }
    tk_pieces t = c->a;
    c->a = c->b;
    c->b = t;
    return 0;
}
