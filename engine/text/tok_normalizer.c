/* Normalizers: NFC/NFD/NFKC/NFKD (utf8proc), Lowercase, Strip, StripAccents,
 * Replace, Prepend, BertNormalizer, ByteLevel and Sequence. Offsets are not
 * tracked: only ids are asked of us. */
#include "tok.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

enum { N_NFC, N_NFD, N_NFKC, N_NFKD, N_LOWER, N_STRIP, N_STRIP_ACCENTS, N_REPLACE, N_PREPEND,
       N_BERT, N_BYTELEVEL, N_SEQ };

struct tk_norm {
    int kind;
    bool left, right;                  /* Strip */
    bool clean, chinese, accents, lower; /* BertNormalizer */
    tk_pattern pat;                    /* Replace */
    char *content;                     /* Replace, Prepend */
    size_t content_len;
    tk_norm **kids;
    size_t n_kids;
};

void tk_norm_free(tk_norm *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n_kids; i++)
        tk_norm_free(n->kids[i]);
    free(n->kids);
    tk_pattern_free(&n->pat);
    free(n->content);
    free(n);
}

tk_norm *tk_norm_from_json(const tk_load *L, json_object *o, const char *where)
{
    char *type;
    if (tk_json_component_type(L, o, where, &type) < 0)
        return NULL;
    tk_norm *n = calloc(1, sizeof *n);
    if (!n) {
        free(type);
        em__error("tokenizer: out of memory");
        return NULL;
    }
    static const char *names[] = {"NFC", "NFD", "NFKC", "NFKD", "Lowercase", "Strip",
                                  "StripAccents", "Replace", "Prepend", "BertNormalizer",
                                  "ByteLevel", "Sequence"};
    n->kind = -1;
    for (int i = 0; i < (int)(sizeof names / sizeof *names); i++)
        if (!strcmp(type, names[i]))
            n->kind = i;
    int rc = 0;
    switch (n->kind) {
    case N_STRIP:
        n->left = n->right = true;
        rc = tk_json_bool(L, o, where, "strip_left", &n->left) ||
             tk_json_bool(L, o, where, "strip_right", &n->right);
        break;
    case N_REPLACE:
        rc = tk_pattern_from_json(L, &n->pat, tk_json_get(o, "pattern"), where) ||
             tk_json_str(L, o, where, "content", &n->content);
        if (!rc && !n->content)
            rc = em__error("%s: %s.content is missing", L->src, where);
        break;
    case N_PREPEND:
        rc = tk_json_str(L, o, where, "prepend", &n->content);
        if (!rc && !n->content)
            rc = em__error("%s: %s.prepend is missing", L->src, where);
        break;
    case N_BERT: {
        n->clean = n->chinese = n->lower = true;
        json_object *sa = tk_json_get(o, "strip_accents");
        rc = tk_json_bool(L, o, where, "clean_text", &n->clean) ||
             tk_json_bool(L, o, where, "handle_chinese_chars", &n->chinese) ||
             tk_json_bool(L, o, where, "lowercase", &n->lower);
        n->accents = n->lower; /* strip_accents: null follows lowercase */
        if (!rc && sa)
            rc = tk_json_bool(L, o, where, "strip_accents", &n->accents);
        break;
    }
    case N_SEQ: {
        json_object *arr = tk_json_get(o, "normalizers");
        if (!arr || !json_object_is_type(arr, json_type_array)) {
            rc = em__error("%s: %s.normalizers must be an array", L->src, where);
            break;
        }
        size_t k = json_object_array_length(arr);
        n->kids = calloc(k ? k : 1, sizeof *n->kids);
        if (!n->kids) {
            rc = em__error("tokenizer: out of memory");
            break;
        }
        for (size_t i = 0; i < k && !rc; i++) {
            char w[256];
            snprintf(w, sizeof w, "%s.normalizers[%zu]", where, i);
            n->kids[i] = tk_norm_from_json(L, json_object_array_get_idx(arr, i), w);
            if (!n->kids[i])
                rc = -1;
            else
                n->n_kids++;
        }
        break;
    }
    case -1:
        rc = em__error("%s: %s.type '%s' is not a supported normalizer", L->src, where, type);
        break;
    }
    if (!rc && n->content)
        n->content_len = strlen(n->content);
    free(type);
    if (rc) {
        tk_norm_free(n);
        return NULL;
    }
    return n;
}

static bool is_ascii(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80)
            return false;
    return true;
}

static int unicode_form(const char *s, size_t n, tk_buf *out, utf8proc_option_t opt)
{
    if (is_ascii(s, n))
        return tk_buf_add(out, s, n);
    utf8proc_uint8_t *dst = NULL;
    utf8proc_ssize_t r = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &dst,
                                      opt | UTF8PROC_STABLE);
    if (r < 0) {
        free(dst);
        return em__error("tokenizer: normalization failed: %s", utf8proc_errmsg(r));
    }
    int rc = tk_buf_add(out, dst, (size_t)r);
    free(dst);
    return rc;
}

static bool is_mark(int32_t c)
{
    int cat = utf8proc_category(c);
    return cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_MC || cat == UTF8PROC_CATEGORY_ME;
}

static int lowercase(const char *s, size_t n, tk_buf *out)
{
    size_t l;
    for (size_t i = 0; i < n; i += l) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            l = 1;
            if (tk_buf_addc(out, (char)(c >= 'A' && c <= 'Z' ? c + 32 : c)))
                return -1;
            continue;
        }
        int32_t cp = tk_utf8_next(s + i, n - i, &l);
        /* the one unconditional multi-character lowercase mapping */
        if (cp == 0x130) {
            if (tk_buf_add(out, "i\xCC\x87", 3))
                return -1;
        } else if (tk_buf_addcp(out, utf8proc_tolower(cp)))
            return -1;
    }
    return 0;
}

static bool is_chinese(int32_t c)
{
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
           (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
           (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

static int bert(const tk_norm *nm, const char *s, size_t n, tk_buf *out)
{
    tk_buf a = {0}, b = {0};
    size_t l;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i += l) {
        int32_t c = tk_utf8_next(s + i, n - i, &l);
        if (nm->clean) {
            int cat = utf8proc_category(c);
            if (c == 0 || c == 0xFFFD ||
                (c != '\t' && c != '\n' && c != '\r' &&
                 (cat == UTF8PROC_CATEGORY_CC || cat == UTF8PROC_CATEGORY_CF ||
                  cat == UTF8PROC_CATEGORY_CO || cat == UTF8PROC_CATEGORY_CS)))
                continue; /* unassigned code points stay, as in `tokenizers` */
            if (0)
                continue;
            if (c == '\t' || c == '\n' || c == '\r' || cat == UTF8PROC_CATEGORY_ZS)
                c = ' ';
        }
        if (nm->chinese && is_chinese(c))
            rc = tk_buf_addc(&a, ' ') || tk_buf_addcp(&a, c) || tk_buf_addc(&a, ' ');
        else
            rc = tk_buf_addcp(&a, c);
    }
    if (!rc && nm->accents) {
        rc = unicode_form(a.p ? a.p : "", a.n, &b, UTF8PROC_DECOMPOSE);
        a.n = 0;
        for (size_t i = 0; i < b.n && !rc; i += l) {
            int32_t c = tk_utf8_next(b.p + i, b.n - i, &l);
            if (utf8proc_category(c) != UTF8PROC_CATEGORY_MN)
                rc = tk_buf_add(&a, b.p + i, l);
        }
    }
    if (!rc)
        rc = nm->lower ? lowercase(a.p, a.n, out) : tk_buf_add(out, a.p, a.n);
    tk_buf_free(&a);
    tk_buf_free(&b);
    return rc;
}

/* GPT-2's byte -> printable code point table. */
int32_t tk_bytelevel_char(unsigned char b);

int tk_norm_apply(const tk_norm *nm, const char *s, size_t n, tk_buf *out, tk_ctx *c)
{
    size_t l;
    switch (nm->kind) {
    case N_NFC:
        return unicode_form(s, n, out, UTF8PROC_COMPOSE);
    case N_NFD:
        return unicode_form(s, n, out, UTF8PROC_DECOMPOSE);
    case N_NFKC:
        return unicode_form(s, n, out, UTF8PROC_COMPOSE | UTF8PROC_COMPAT);
    case N_NFKD:
        return unicode_form(s, n, out, UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT);
    case N_LOWER:
        return lowercase(s, n, out);
    case N_STRIP: {
        size_t a = 0, b = n;
        if (nm->left)
            while (a < b) {
                int32_t cp = tk_utf8_next(s + a, b - a, &l);
                if (!tk_is_whitespace(cp))
                    break;
                a += l;
            }
        if (nm->right)
            while (b > a) {
                size_t k = b - 1;
                while (k > a && ((unsigned char)s[k] & 0xC0) == 0x80)
                    k--;
                if (!tk_is_whitespace(tk_utf8_next(s + k, b - k, &l)))
                    break;
                b = k;
            }
        return tk_buf_add(out, s + a, b - a);
    }
    case N_STRIP_ACCENTS:
        for (size_t i = 0; i < n; i += l) {
            int32_t cp = tk_utf8_next(s + i, n - i, &l);
            if (!is_mark(cp) && tk_buf_add(out, s + i, l))
                return -1;
        }
        return 0;
    case N_REPLACE:
        return tk_pattern_replace(&nm->pat, s, n, nm->content, nm->content_len, out, c->md);
    case N_PREPEND:
        if (n && tk_buf_add(out, nm->content, nm->content_len))
            return -1;
        return tk_buf_add(out, s, n);
    case N_BERT:
        return bert(nm, s, n, out);
    case N_BYTELEVEL:
        for (size_t i = 0; i < n; i++)
            if (tk_buf_addcp(out, tk_bytelevel_char((unsigned char)s[i])))
                return -1;
        return 0;
    case N_SEQ: {
        tk_buf a = {0}, b = {0};
        int rc = tk_buf_add(&a, s, n);
        for (size_t i = 0; i < nm->n_kids && !rc; i++) {
            b.n = 0;
            rc = tk_norm_apply(nm->kids[i], a.p ? a.p : "", a.n, &b, c);
            tk_buf t = a;
            a = b;
            b = t;
        }
        if (!rc)
            rc = tk_buf_add(out, a.p, a.n);
        tk_buf_free(&a);
        tk_buf_free(&b);
        return rc;
    }
    }
    return em__error("tokenizer: unknown normalizer");
}
