/* Patterns (literal, PCRE2 regex, character class) and the way `tokenizers`
 * cuts a string with them: matches and gaps, then a delimiter behaviour. */
#include "tok.h"

#include <stdlib.h>
#include <string.h>

int tk_pattern_regex(tk_pattern *p, const char *re, const char *where)
{
    int err;
    PCRE2_SIZE eoff;
    memset(p, 0, sizeof *p);
    p->kind = TK_PAT_RE;
    /* UCP: \s, \w, \d and \b follow Unicode properties, as Oniguruma does in
     * `tokenizers`. */
    p->re = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP, &err, &eoff,
                          NULL);
    if (!p->re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(err, msg, sizeof msg);
        return em__error("%s: bad regex '%s' at offset %zu: %s", where, re, (size_t)eoff,
                         (char *)msg);
    }
    pcre2_jit_compile(p->re, PCRE2_JIT_COMPLETE); /* falls back to the interpreter */
    p->mc = pcre2_match_context_create(NULL);
    if (!p->mc)
        return em__error("tokenizer: out of memory");
    pcre2_set_match_limit(p->mc, 20000000);
    pcre2_set_depth_limit(p->mc, 100000);
    return 0;
}

void tk_pattern_lit(tk_pattern *p, const char *s, size_t n)
{
    memset(p, 0, sizeof *p);
    p->kind = TK_PAT_LIT;
    p->lit = malloc(n + 1);
    if (p->lit) {
        memcpy(p->lit, s, n);
        p->lit[n] = '\0';
        p->lit_len = n;
    }
}

int tk_pattern_from_json(const tk_load *L, tk_pattern *p, json_object *o, const char *where)
{
    memset(p, 0, sizeof *p);
    json_object *v;
    if (!o)
        return em__error("%s: %s.pattern is missing", L->src, where);
    if ((v = tk_json_get(o, "String"))) {
        if (!json_object_is_type(v, json_type_string))
            return em__error("%s: %s.pattern.String must be a string", L->src, where);
        tk_pattern_lit(p, json_object_get_string(v), (size_t)json_object_get_string_len(v));
        return p->lit ? 0 : em__error("tokenizer: out of memory");
    }
    if ((v = tk_json_get(o, "Regex"))) {
        if (!json_object_is_type(v, json_type_string))
            return em__error("%s: %s.pattern.Regex must be a string", L->src, where);
        char w[512];
        snprintf(w, sizeof w, "%s: %s.pattern.Regex", L->src, where);
        return tk_pattern_regex(p, json_object_get_string(v), w);
    }
    return em__error("%s: %s.pattern must be {\"String\": ...} or {\"Regex\": ...}", L->src, where);
}

void tk_pattern_free(tk_pattern *p)
{
    free(p->lit);
    if (p->re)
        pcre2_code_free(p->re);
    if (p->mc)
        pcre2_match_context_free(p->mc);
    memset(p, 0, sizeof *p);
}

static int spans_push(tk_spans *a, size_t s, size_t e, bool m)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 32;
        tk_span *v = realloc(a->v, cap * sizeof *v);
        if (!v)
            return em__error("tokenizer: out of memory");
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = (tk_span){(uint32_t)s, (uint32_t)e, m};
    return 0;
}

/* First match at or after START: 1 found, 0 none, -1 error. */
static int next_match(const tk_pattern *p, const char *s, size_t n, size_t start, size_t *ms,
                      size_t *me, pcre2_match_data *md)
{
    if (p->kind == TK_PAT_LIT) {
        if (p->lit_len == 0) {
            *ms = *me = start;
            return 1;
        }
        if (start > n || n - start < p->lit_len)
            return 0;
        const char *f = memmem(s + start, n - start, p->lit, p->lit_len);
        if (!f)
            return 0;
        *ms = (size_t)(f - s);
        *me = *ms + p->lit_len;
        return 1;
    }
    int rc = pcre2_match(p->re, (PCRE2_SPTR)s, n, start, PCRE2_NO_UTF_CHECK, md, p->mc);
    if (rc == PCRE2_ERROR_NOMATCH)
        return 0;
    if (rc < 0 && rc != 0) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(rc, msg, sizeof msg);
        return em__error("tokenizer: regex match failed: %s", (char *)msg);
    }
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    *ms = ov[0];
    *me = ov[1];
    if (*me < *ms) /* \K tricks: treat as empty */
        *me = *ms;
    return 1;
}

int tk_find_matches(const tk_pattern *p, const char *s, size_t n, tk_spans *out,
                    pcre2_match_data *md)
{
    out->n = 0;
    if (n == 0)
        return spans_push(out, 0, 0, false);
    if (p->kind == TK_PAT_CHARFN) {
        size_t last = 0, i = 0, l;
        while (i < n) {
            int32_t c = tk_utf8_next(s + i, n - i, &l);
            if (p->charfn(c, p->arg)) {
                if (last < i && spans_push(out, last, i, false))
                    return -1;
                if (spans_push(out, i, i + l, true))
                    return -1;
                last = i + l;
            }
            i += l;
        }
        if (last < n)
            return spans_push(out, last, n, false);
        return 0;
    }
    /* Oniguruma's find_iter: an empty match right after the previous match is
     * skipped by stepping one character. */
    size_t last_end = 0, prev = 0, ms = 0, me = 0, last_match_end = 0;
    bool have_last = false;
    while (last_end <= n) {
        int r = next_match(p, s, n, last_end, &ms, &me, md);
        if (r < 0)
            return -1;
        if (!r)
            break;
        if (ms == me && have_last && last_match_end == me) {
            size_t l = 1;
            if (last_end < n)
                tk_utf8_next(s + last_end, n - last_end, &l);
            last_end += l;
            continue;
        }
        last_end = me;
        last_match_end = me;
        have_last = true;
        if (prev != ms && spans_push(out, prev, ms, false))
            return -1;
        if (spans_push(out, ms, me, true))
            return -1;
        prev = me;
        if (ms == me && me == n)
            break;
    }
    if (prev != n)
        return spans_push(out, prev, n, false);
    return 0;
}

int tk_pattern_replace(const tk_pattern *p, const char *s, size_t n, const char *rep,
                       size_t rep_n, tk_buf *out, pcre2_match_data *md)
{
    tk_spans sp = {0};
    if (tk_find_matches(p, s, n, &sp, md)) {
        free(sp.v);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < sp.n && !rc; i++)
        rc = sp.v[i].m ? tk_buf_add(out, rep, rep_n)
                       : tk_buf_add(out, s + sp.v[i].s, sp.v[i].e - sp.v[i].s);
    free(sp.v);
    return rc;
}

int tk_behavior_from_json(const tk_load *L, json_object *o, const char *where, int *out)
{
    json_object *v = tk_json_get(o, "behavior");
    if (!v)
        return 0;
    static const char *names[] = {"Removed", "Isolated", "MergedWithPrevious", "MergedWithNext",
                                  "Contiguous"};
    if (json_object_is_type(v, json_type_string))
        for (int i = 0; i < 5; i++)
            if (!strcmp(json_object_get_string(v), names[i])) {
                *out = i;
                return 0;
            }
    return em__error("%s: %s.behavior must be one of Removed, Isolated, MergedWithPrevious, "
                     "MergedWithNext, Contiguous; got %s",
                     L->src, where, json_object_to_json_string(v));
}

/* The folds of NormalizedString::split; on return m means "drop". */
int tk_apply_behavior(tk_spans *sp, int behavior, bool invert)
{
    if (invert)
        for (size_t i = 0; i < sp->n; i++)
            sp->v[i].m = !sp->v[i].m;
    size_t k = 0;
    bool prev = false;
    switch (behavior) {
    case TK_REMOVED:
        return 0;
    case TK_ISOLATED:
        for (size_t i = 0; i < sp->n; i++)
            sp->v[i].m = false;
        return 0;
    case TK_CONTIGUOUS:
        for (size_t i = 0; i < sp->n; i++) {
            tk_span x = sp->v[i];
            if (x.m == prev && k > 0)
                sp->v[k - 1].e = x.e;
            else
                sp->v[k++] = (tk_span){x.s, x.e, false};
            prev = x.m;
        }
        sp->n = k;
        return 0;
    case TK_MERGED_PREV:
        for (size_t i = 0; i < sp->n; i++) {
            tk_span x = sp->v[i];
            if (x.m && !prev && k > 0)
                sp->v[k - 1].e = x.e;
            else
                sp->v[k++] = (tk_span){x.s, x.e, false};
            prev = x.m;
        }
        sp->n = k;
        return 0;
    case TK_MERGED_NEXT: {
        /* the same fold from the right, written into the tail then moved */
        size_t w = sp->n;
        for (size_t i = sp->n; i-- > 0;) {
            tk_span x = sp->v[i];
            if (x.m && !prev && w < sp->n)
                sp->v[w].s = x.s;
            else
                sp->v[--w] = (tk_span){x.s, x.e, false};
            prev = x.m;
        }
        memmove(sp->v, sp->v + w, (sp->n - w) * sizeof *sp->v);
        sp->n -= w;
        return 0;
    }
    }
    return 0;
}
