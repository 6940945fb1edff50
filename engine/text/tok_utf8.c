/* UTF-8 decoding, lossy repair and the character classes `tokenizers` uses
 * (Rust's char predicates), through utf8proc's category tables. */
#include "tok.h"

#include <utf8proc.h>

size_t tk_utf8_len(unsigned char c)
{
    return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

int32_t tk_utf8_next(const char *p, size_t n, size_t *len)
{
    const unsigned char *s = (const unsigned char *)p;
    unsigned char c = s[0];
    if (c < 0x80) {
        *len = 1;
        return c;
    }
    size_t l = tk_utf8_len(c);
    if (l > n)
        l = n;
    *len = l;
    if (l == 2)
        return ((c & 0x1F) << 6) | (s[1] & 0x3F);
    if (l == 3)
        return ((c & 0x0F) << 12) | ((s[1] & 0x3F) << 6) | (s[2] & 0x3F);
    if (l == 4)
        return ((c & 0x07) << 18) | ((s[1] & 0x3F) << 12) | ((s[2] & 0x3F) << 6) | (s[3] & 0x3F);
    return 0xFFFD;
}

/* Length of the well-formed sequence at S, or 0 with *BAD set to the length
 * of the maximal ill-formed subpart (Unicode 3.9 / WHATWG "U+FFFD per subpart"). */
static size_t valid_seq(const unsigned char *s, size_t n, size_t *bad)
{
    unsigned char c = s[0];
    *bad = 1;
    if (c < 0x80)
        return 1;
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        need = 1;
    else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    for (size_t i = 1; i <= need; i++) {
        if (i >= n)
            return *bad = i, 0;
        unsigned char b = s[i];
        if (i == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF))
            return *bad = i, 0;
    }
    return need + 1;
}

bool tk_utf8_valid(const char *p, size_t n)
{
    const unsigned char *s = (const unsigned char *)p;
    size_t i = 0, bad;
    while (i < n) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        size_t l = valid_seq(s + i, n - i, &bad);
        if (!l)
            return false;
        i += l;
    }
    return true;
}

bool tk_utf8_sanitize(const char *p, size_t n, tk_buf *out)
{
    const unsigned char *s = (const unsigned char *)p;
    size_t i = 0, run = 0, bad;
    bool ok = true;
    while (i < n) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        size_t l = valid_seq(s + i, n - i, &bad);
        if (l) {
            i += l;
            continue;
        }
        ok = false;
        tk_buf_add(out, p + run, i - run);
        tk_buf_add(out, "\xEF\xBF\xBD", 3);
        i += bad;
        run = i;
    }
    tk_buf_add(out, p + run, n - run);
    return ok;
}

bool tk_is_whitespace(int32_t c)
{
    return (c >= 9 && c <= 13) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
           c == 0x205F || c == 0x3000;
}

bool tk_is_numeric(int32_t c)
{
    if (c < 0x80)
        return c >= '0' && c <= '9';
    int cat = utf8proc_category(c);
    return cat == UTF8PROC_CATEGORY_ND || cat == UTF8PROC_CATEGORY_NL || cat == UTF8PROC_CATEGORY_NO;
}

bool tk_is_alphanumeric(int32_t c)
{
    if (c < 0x80)
        return (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z');
    int cat = utf8proc_category(c);
    return (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
           (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO);
}

bool tk_is_punctuation(int32_t c)
{
    if (c < 0x80)
        return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
               (c >= 123 && c <= 126);
    int cat = utf8proc_category(c);
    return cat >= UTF8PROC_CATEGORY_PC && cat <= UTF8PROC_CATEGORY_PO;
}

bool tk_is_word_char(int32_t c)
{
    if (c == '_' || c == 0x200C || c == 0x200D)
        return true;
    if (tk_is_alphanumeric(c))
        return true;
    int cat = utf8proc_category(c);
    return cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_MC ||
           cat == UTF8PROC_CATEGORY_ME || cat == UTF8PROC_CATEGORY_PC;
}
