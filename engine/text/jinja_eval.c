/* Jinja: the interpreter. Statements, expressions, filters, tests and the
 * methods of strings and objects, as @huggingface/jinja evaluates them. */
#include "jinja.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <utf8proc.h>

#include "error_internal.h"

size_t jinja_trim_end(const char *s, size_t n);
size_t jinja_trim_start(const char *s, size_t n);

struct jenv {
    jenv *parent;
    jv *vars;
};

struct jctx {
    int ctrl; /* 1 break, 2 continue, in flight */
    int depth;
};
enum { CTRL_BREAK = 1, CTRL_CONTINUE = 2 };

static jv *eval(jctx *c, const jnode *n, jenv *e);
static jv *block(jctx *c, jnode *const *body, size_t n, jenv *e);

static void *fail(const char *fmt, const char *a, const char *b)
{
    em__error(fmt, a, b);
    return NULL;
}

static jenv *env_new(jenv *parent)
{
    jenv *e = calloc(1, sizeof *e);
    if (e && !(e->vars = jv_obj(JV_OBJ))) {
        free(e);
        e = NULL;
    }
    if (!e)
        em__error("chat template: out of memory");
    if (e)
        e->parent = parent;
    return e;
}

static void env_free(jenv *e)
{
    if (e) {
        jv_unref(e->vars);
        free(e);
    }
}

static jv *lookup(jenv *e, const char *name)
{
    for (; e; e = e->parent) {
        jv *v = jv_get(e->vars, name);
        if (v)
            return jv_ref(v);
    }
    return jv_undef();
}

static jv *func(jf_kind k, jv *self, const char *name)
{
    jv *f = jv_new(JV_FUNC);
    if (!f) {
        jv_unref(self);
        return NULL;
    }
    f->fn.kind = k;
    f->fn.self = self;
    f->fn.name = name ? strdup(name) : NULL;
    return f;
}

static jv *str_of(const jv *v)
{
    char *b = NULL;
    size_t n = 0, cap = 0;
    if (jv_to_string(v, &b, &n, &cap)) {
        free(b);
        return NULL;
    }
    jv *s = jv_str(b ? b : "", n);
    free(b);
    return s;
}

/* ---- code points (the reference counts UTF-16 units; we count characters) ---- */

static size_t cp_count(const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += ((unsigned char)s[i] & 0xC0) != 0x80;
    return k;
}

/* byte offsets of each character, plus the end */
static size_t *cp_offsets(const char *s, size_t n, size_t *count)
{
    size_t k = cp_count(s, n);
    size_t *o = malloc((k + 1) * sizeof *o);
    if (!o)
        return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            o[j++] = i;
    o[k] = n;
    *count = k;
    return o;
}

static jv *case_map(const jv *s, int how) /* 0 lower, 1 upper */
{
    char *b = NULL;
    size_t n = 0, cap = 0;
    utf8proc_int32_t cp;
    for (size_t i = 0; i < s->s.n;) {
        utf8proc_ssize_t l = utf8proc_iterate((const utf8proc_uint8_t *)s->s.p + i, (utf8proc_ssize_t)(s->s.n - i), &cp);
        if (l <= 0) {
            cp = (unsigned char)s->s.p[i];
            l = 1;
        }
        utf8proc_uint8_t u[4];
        utf8proc_int32_t m = how ? utf8proc_toupper(cp) : utf8proc_tolower(cp);
        utf8proc_ssize_t w = utf8proc_encode_char(m, u);
        if (js_add(&b, &n, &cap, (const char *)u, (size_t)w)) {
            free(b);
            return NULL;
        }
        i += (size_t)l;
    }
    jv *r = jv_str(b ? b : "", n);
    free(b);
    return r;
}

static bool ascii_word(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static jv *title(const jv *s)
{
    jv *r = jv_str(s->s.p, s->s.n);
    if (!r)
        return NULL;
    for (size_t i = 0; i < r->s.n; i++)
        if (ascii_word(r->s.p[i]) && (i == 0 || !ascii_word(r->s.p[i - 1])) && r->s.p[i] >= 'a' && r->s.p[i] <= 'z')
            r->s.p[i] -= 32;
    return r;
}

static jv *capitalize(const jv *s)
{
    if (!s->s.n)
        return jv_str("", 0);
    size_t l = 1;
    while (l < s->s.n && ((unsigned char)s->s.p[l] & 0xC0) == 0x80)
        l++;
    jv *first = jv_str(s->s.p, l), *up = first ? case_map(first, 1) : NULL;
    jv_unref(first);
    if (!up)
        return NULL;
    char *b = NULL;
    size_t n = 0, cap = 0;
    if (js_add(&b, &n, &cap, up->s.p, up->s.n) || js_add(&b, &n, &cap, s->s.p + l, s->s.n - l)) {
        jv_unref(up);
        free(b);
        return NULL;
    }
    jv_unref(up);
    jv *r = jv_str(b, n);
    free(b);
    return r;
}

static jv *trim(const jv *s, bool left, bool right)
{
    size_t a = left ? jinja_trim_start(s->s.p, s->s.n) : 0;
    size_t e = right ? jinja_trim_end(s->s.p, s->s.n) : s->s.n;
    if (e < a)
        e = a;
    return jv_str(s->s.p + a, e - a);
}

static jv *replace(const jv *s, const char *old, size_t on, const char *nw, size_t nn, int64_t count)
{
    char *b = NULL;
    size_t n = 0, cap = 0;
    int64_t left = count < 0 ? INT64_MAX : count;
    int rc = js_add(&b, &n, &cap, "", 0);
    if (on == 0) { /* between every character, and at both ends */
        size_t i = 0;
        for (;;) {
            if (left > 0 && !rc) {
                rc = js_add(&b, &n, &cap, nw, nn);
                left--;
            }
            if (i >= s->s.n)
                break;
            size_t l = 1;
            while (i + l < s->s.n && ((unsigned char)s->s.p[i + l] & 0xC0) == 0x80)
                l++;
            rc = rc || js_add(&b, &n, &cap, s->s.p + i, l);
            i += l;
        }
    } else {
        for (size_t i = 0; i < s->s.n && !rc;) {
            if (left > 0 && i + on <= s->s.n && !memcmp(s->s.p + i, old, on)) {
                rc = js_add(&b, &n, &cap, nw, nn);
                i += on;
                left--;
            } else
                rc = js_add(&b, &n, &cap, s->s.p + i++, 1);
        }
    }
    jv *r = rc ? NULL : jv_str(b, n);
    free(b);
    return r;
}

/* ---- equality, as JavaScript's == on the wrapped values ---- */

static double js_tonum(const jv *v)
{
    if (v->t == JV_STR) {
        size_t a = jinja_trim_start(v->s.p, v->s.n), e = jinja_trim_end(v->s.p, v->s.n);
        if (e <= a)
            return 0;
        char *t = strndup(v->s.p + a, e - a), *end;
        double d = t ? strtod(t, &end) : NAN;
        if (t && *end)
            d = NAN;
        free(t);
        return d;
    }
    return jv_num(v);
}

static bool loose_eq(const jv *a, const jv *b)
{
    bool an = a->t == JV_NULL || a->t == JV_UNDEF, bn = b->t == JV_NULL || b->t == JV_UNDEF;
    if (an || bn)
        return an && bn;
    bool ap = a->t <= JV_STR, bp = b->t <= JV_STR;
    if (!ap || !bp)
        return a == b;
    if (a->t == JV_STR && b->t == JV_STR)
        return a->s.n == b->s.n && !memcmp(a->s.p, b->s.p, a->s.n);
    return js_tonum(a) == js_tonum(b);
}

/* strict equality (Array.find(x => x.value === v)) */
static bool strict_eq(const jv *a, const jv *b)
{
    if (a->t == JV_STR || b->t == JV_STR)
        return a->t == b->t && a->s.n == b->s.n && !memcmp(a->s.p, b->s.p, a->s.n);
    if (jv_is_num(a) && jv_is_num(b))
        return jv_num(a) == jv_num(b);
    if (a->t != b->t)
        return (a->t == JV_NULL) == (b->t == JV_NULL) && a->t <= JV_NULL && b->t <= JV_NULL && a->t == b->t;
    if (a->t == JV_BOOL)
        return a->b == b->b;
    if (a->t <= JV_NULL)
        return true;
    return a == b;
}

static int compare(const jv *a, const jv *b, bool case_sensitive, int *out)
{
    if (a->t == JV_NULL && b->t == JV_NULL)
        return *out = 0, 0;
    if (a->t == JV_NULL || b->t == JV_NULL || a->t == JV_UNDEF || b->t == JV_UNDEF) {
        if (a->t == JV_UNDEF && b->t == JV_UNDEF)
            return *out = 0, 0;
        return em__error("chat template: cannot compare %s with %s", jv_type_name(a), jv_type_name(b));
    }
    if ((jv_is_num(a) || a->t == JV_BOOL) && (jv_is_num(b) || b->t == JV_BOOL)) {
        double x = jv_num(a), y = jv_num(b);
        return *out = x < y ? -1 : x > y, 0;
    }
    if (a->t != b->t || a->t != JV_STR)
        return em__error("chat template: cannot compare %s with %s", jv_type_name(a), jv_type_name(b));
    if (case_sensitive) {
        int r = strcmp(a->s.p, b->s.p);
        return *out = (r > 0) - (r < 0), 0;
    }
    jv *x = case_map(a, 0), *y = case_map(b, 0);
    int r = x && y ? strcmp(x->s.p, y->s.p) : 0;
    jv_unref(x);
    jv_unref(y);
    return *out = (r > 0) - (r < 0), 0;
}

/* ---- binary operators ---- */

/* `left.value.toString()`: an array joins its items' strings with ",", a
 * mapping is a JavaScript Map */
static int plus_string(const jv *v, char **b, size_t *n, size_t *cap)
{
    if (v->t == JV_ARR) {
        for (size_t i = 0; i < v->a.n; i++)
            if ((i && js_add(b, n, cap, ",", 1)) || jv_to_string(v->a.v[i], b, n, cap))
                return -1;
        return 0;
    }
    if (v->t == JV_OBJ || v->t == JV_KWARGS || v->t == JV_NS)
        return js_add(b, n, cap, "[object Map]", 12);
    return jv_to_string(v, b, n, cap);
}

static jv *num_result(double r, bool is_float)
{
    return is_float ? jv_float(r) : jv_int((int64_t)r);
}

static jv *binop(const char *op, jv *l, jv *r)
{
    if (!strcmp(op, "=="))
        return jv_bool(loose_eq(l, r));
    if (!strcmp(op, "!="))
        return jv_bool(!loose_eq(l, r));
    bool in = !strcmp(op, "in"), notin = !strcmp(op, "not in");
    if (l->t == JV_UNDEF || r->t == JV_UNDEF) {
        if (r->t == JV_UNDEF && (in || notin))
            return jv_bool(notin);
        return fail("chat template: cannot perform operation %s on undefined values", op, NULL);
    }
    if (l->t == JV_NULL || r->t == JV_NULL)
        return fail("chat template: cannot perform operation %s on null values", op, NULL);
    if (!strcmp(op, "~")) {
        char *b = NULL;
        size_t n = 0, cap = 0;
        jv *s = NULL;
        if (!plus_string(l, &b, &n, &cap) && !plus_string(r, &b, &n, &cap))
            s = jv_str(b ? b : "", n);
        free(b);
        return s;
    }
    bool lf = l->t == JV_FLOAT, rf = r->t == JV_FLOAT;
    if (!strcmp(op, "**") && (jv_is_num(l) || l->t == JV_BOOL) && (jv_is_num(r) || r->t == JV_BOOL)) {
        double a = jv_num(l), b = jv_num(r);
        if (a == 0 && b < 0)
            return fail("chat template: 0.0 cannot be raised to a negative power", NULL, NULL);
        double x = pow(a, b);
        if (!isfinite(x))
            return fail("chat template: exponentiation result is not a finite real number", NULL, NULL);
        return num_result(x, lf || rf || b < 0);
    }
    if (jv_is_num(l) && jv_is_num(r)) {
        double a = jv_num(l), b = jv_num(r);
        bool fl = lf || rf;
        if (!strcmp(op, "+"))
            return fl ? jv_float(a + b) : jv_int(l->i + r->i);
        if (!strcmp(op, "-"))
            return fl ? jv_float(a - b) : jv_int(l->i - r->i);
        if (!strcmp(op, "*"))
            return fl ? jv_float(a * b) : jv_int(l->i * r->i);
        if (!strcmp(op, "/"))
            return jv_float(a / b);
        if (!strcmp(op, "//")) {
            if (!fl && b == 0)
                return fail("chat template: integer division by zero", NULL, NULL);
            return num_result(floor(a / b), fl);
        }
        if (!strcmp(op, "%")) {
            if (!fl && r->i == 0)
                return fail("chat template: integer modulo by zero", NULL, NULL);
            return fl ? jv_float(fmod(a, b)) : jv_int(l->i % r->i); /* JS: sign of the dividend */
        }
        if (!strcmp(op, "<"))
            return jv_bool(a < b);
        if (!strcmp(op, ">"))
            return jv_bool(a > b);
        if (!strcmp(op, ">="))
            return jv_bool(a >= b);
        if (!strcmp(op, "<="))
            return jv_bool(a <= b);
    } else if (l->t == JV_ARR && r->t == JV_ARR) {
        if (!strcmp(op, "+")) {
            jv *a = jv_arr();
            for (size_t i = 0; a && i < l->a.n; i++)
                jv_push(a, jv_ref(l->a.v[i]));
            for (size_t i = 0; a && i < r->a.n; i++)
                jv_push(a, jv_ref(r->a.v[i]));
            return a;
        }
    } else if (r->t == JV_ARR && (in || notin)) {
        bool found = false;
        for (size_t i = 0; i < r->a.n && !found; i++)
            found = strict_eq(r->a.v[i], l);
        return jv_bool(in ? found : !found);
    }
    if ((l->t == JV_STR || r->t == JV_STR) && !strcmp(op, "+")) {
        char *b = NULL;
        size_t n = 0, cap = 0;
        jv *s = NULL;
        if (!plus_string(l, &b, &n, &cap) && !plus_string(r, &b, &n, &cap))
            s = jv_str(b ? b : "", n);
        free(b);
        return s;
    }
    if (l->t == JV_STR && r->t == JV_STR && (in || notin)) {
        bool found = l->s.n == 0 || memmem(r->s.p, r->s.n, l->s.p, l->s.n) != NULL;
        return jv_bool(in ? found : !found);
    }
    if (l->t == JV_STR && r->t == JV_OBJ && (in || notin)) {
        bool found = jv_get(r, l->s.p) != NULL;
        return jv_bool(in ? found : !found);
    }
    em__error("chat template: unknown operator \"%s\" between %s and %s", op, jv_type_name(l), jv_type_name(r));
    return NULL;
}

/* ---- arguments ---- */

typedef struct {
    jv **pos;
    size_t npos;
    jv *kw; /* JV_KWARGS or NULL */
} args_t;

static void args_free(args_t *a)
{
    for (size_t i = 0; i < a->npos; i++)
        jv_unref(a->pos[i]);
    free(a->pos);
    jv_unref(a->kw);
}

static int eval_args(jctx *c, jnode *const *kids, size_t n, jenv *e, args_t *a)
{
    memset(a, 0, sizeof *a);
    a->pos = calloc(n ? n : 1, sizeof *a->pos);
    if (!a->pos)
        return em__error("chat template: out of memory");
    for (size_t i = 0; i < n; i++) {
        if (kids[i]->kind == N_KWARG) {
            if (!a->kw && !(a->kw = jv_obj(JV_KWARGS)))
                return -1;
            if (jv_get(a->kw, kids[i]->s))
                return em__error("chat template: got multiple values for keyword argument '%s'", kids[i]->s);
            if (jv_set(a->kw, kids[i]->s, eval(c, kids[i]->a, e)))
                return -1;
        } else if (!(a->pos[a->npos++] = eval(c, kids[i], e)))
            return -1;
    }
    return 0;
}

/* positional I, else keyword NAME, else NULL (borrowed) */
static jv *arg(const args_t *a, size_t i, const char *name)
{
    if (i < a->npos)
        return a->pos[i];
    return a->kw && name ? jv_get(a->kw, name) : NULL;
}

/* ---- tests ---- */

static int run_test(const char *name, const jv *v, bool *out)
{
    if (!strcmp(name, "boolean"))
        *out = v->t == JV_BOOL;
    else if (!strcmp(name, "callable"))
        *out = v->t == JV_FUNC;
    else if (!strcmp(name, "odd") || !strcmp(name, "even")) {
        if (v->t != JV_INT)
            return em__error("chat template: cannot %s on %s", name, jv_type_name(v));
        *out = (v->i % 2 != 0) == (name[0] == 'o');
    } else if (!strcmp(name, "false"))
        *out = v->t == JV_BOOL && !v->b;
    else if (!strcmp(name, "true"))
        *out = v->t == JV_BOOL && v->b;
    else if (!strcmp(name, "none"))
        *out = v->t == JV_NULL;
    else if (!strcmp(name, "string"))
        *out = v->t == JV_STR;
    else if (!strcmp(name, "number"))
        *out = jv_is_num(v);
    else if (!strcmp(name, "integer"))
        *out = v->t == JV_INT;
    else if (!strcmp(name, "iterable"))
        *out = v->t == JV_ARR || v->t == JV_STR;
    else if (!strcmp(name, "mapping"))
        *out = v->t == JV_OBJ || v->t == JV_KWARGS;
    else if (!strcmp(name, "sequence"))
        *out = v->t == JV_ARR || v->t == JV_OBJ || v->t == JV_KWARGS || v->t == JV_STR;
    else if (!strcmp(name, "lower") || !strcmp(name, "upper")) {
        *out = false;
        if (v->t == JV_STR) {
            jv *m = case_map(v, name[0] == 'u');
            *out = m && m->s.n == v->s.n && !memcmp(m->s.p, v->s.p, v->s.n);
            jv_unref(m);
        }
    } else if (!strcmp(name, "defined"))
        *out = v->t != JV_UNDEF;
    else if (!strcmp(name, "undefined"))
        *out = v->t == JV_UNDEF;
    else
        return em__error("chat template: unknown test: %s", name);
    return 0;
}

/* ---- filters ---- */

static jv *tojson(const jv *v, const args_t *a)
{
    jv *ind = a ? arg(a, 99, "indent") : NULL, *asc = a ? arg(a, 99, "ensure_ascii") : NULL;
    jv *sk = a ? arg(a, 99, "sort_keys") : NULL, *sep = a ? arg(a, 99, "separators") : NULL;
    if (ind && ind->t != JV_INT && ind->t != JV_NULL)
        return fail("chat template: if set, indent must be a number", NULL, NULL);
    if ((asc && asc->t != JV_BOOL) || (sk && sk->t != JV_BOOL))
        return fail("chat template: if set, ensure_ascii and sort_keys must be booleans", NULL, NULL);
    const char *is = NULL, *ks = NULL;
    if (sep && sep->t != JV_NULL) {
        if (sep->t != JV_ARR || sep->a.n != 2 || sep->a.v[0]->t != JV_STR || sep->a.v[1]->t != JV_STR)
            return fail("chat template: separators must be a tuple of two strings", NULL, NULL);
        is = sep->a.v[0]->s.p;
        ks = sep->a.v[1]->s.p;
    }
    char *b = NULL;
    size_t n = 0, cap = 0;
    jv *r = NULL;
    if (!jv_to_json(v, ind && ind->t == JV_INT ? (int)ind->i : -1, asc && asc->b, sk && sk->b, is, ks,
                    true, 0, &b, &n, &cap))
        r = jv_str(b ? b : "", n);
    free(b);
    return r;
}

static jv *indent(const jv *s, int64_t width, bool first, bool blank)
{
    char *b = NULL;
    size_t n = 0, cap = 0;
    int rc = js_add(&b, &n, &cap, "", 0);
    size_t start = 0, line = 0;
    for (size_t i = 0; i <= s->s.n && !rc; i++) {
        if (i < s->s.n && s->s.p[i] != '\n')
            continue;
        size_t len = i - start;
        if (line)
            rc = js_add(&b, &n, &cap, "\n", 1);
        if (!rc && !((!first && line == 0) || (!blank && len == 0)))
            for (int64_t k = 0; k < width && !rc; k++)
                rc = js_add(&b, &n, &cap, " ", 1);
        if (!rc)
            rc = js_add(&b, &n, &cap, s->s.p + start, len);
        start = i + 1;
        line++;
    }
    jv *r = rc ? NULL : jv_str(b, n);
    free(b);
    return r;
}

static jv *attr_path(jv *item, const char *path)
{
    jv *v = item;
    char *p = strdup(path), *save = NULL;
    if (!p)
        return NULL;
    for (char *part = strtok_r(p, ".", &save); part; part = strtok_r(NULL, ".", &save)) {
        if (v->t == JV_OBJ || v->t == JV_NS || v->t == JV_KWARGS) {
            v = jv_get(v, part);
        } else if (v->t == JV_ARR) {
            char *end;
            long k = strtol(part, &end, 10);
            v = end != part && k >= 0 && (size_t)k < v->a.n ? v->a.v[k] : NULL;
        } else
            v = NULL;
        if (!v)
            break;
    }
    free(p);
    return v ? jv_ref(v) : jv_undef();
}

static jv *obj_method(jv *obj, const char *name, const args_t *a);

static jv *sort_array(const jv *arr, bool reverse, bool cs, const jv *attr)
{
    size_t n = arr->a.n;
    jv **keys = calloc(n ? n : 1, sizeof *keys);
    size_t *idx = malloc((n ? n : 1) * sizeof *idx);
    jv *out = NULL;
    if (!keys || !idx)
        goto done;
    for (size_t i = 0; i < n; i++) {
        idx[i] = i;
        if (attr && attr->t != JV_NULL) {
            char num[32];
            const char *path = attr->t == JV_STR ? attr->s.p : (snprintf(num, sizeof num, "%lld", (long long)attr->i), num);
            keys[i] = attr_path(arr->a.v[i], path);
        } else
            keys[i] = jv_ref(arr->a.v[i]);
        if (!keys[i])
            goto done;
    }
    /* insertion sort: stable, as Array.prototype.sort */
    for (size_t i = 1; i < n; i++) {
        size_t x = idx[i], j = i;
        while (j > 0) {
            int r = 0;
            if (compare(keys[idx[j - 1]], keys[x], cs, &r))
                goto done;
            if (reverse)
                r = -r;
            if (r <= 0)
                break;
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = x;
    }
    out = jv_arr();
    for (size_t i = 0; out && i < n; i++)
        jv_push(out, jv_ref(arr->a.v[idx[i]]));
done:
    for (size_t i = 0; keys && i < n; i++)
        jv_unref(keys[i]);
    free(keys);
    free(idx);
    return out;
}

static jv *filter_ident(const char *f, jv *v)
{
    if (!strcmp(f, "safe"))
        return jv_ref(v);
    if (!strcmp(f, "tojson"))
        return tojson(v, NULL);
    switch (v->t) {
    case JV_ARR:
        if (!strcmp(f, "list"))
            return jv_ref(v);
        if (!strcmp(f, "first"))
            return v->a.n ? jv_ref(v->a.v[0]) : jv_undef();
        if (!strcmp(f, "last"))
            return v->a.n ? jv_ref(v->a.v[v->a.n - 1]) : jv_undef();
        if (!strcmp(f, "length"))
            return jv_int((int64_t)v->a.n);
        if (!strcmp(f, "reverse")) {
            jv *a = jv_arr();
            for (size_t i = v->a.n; a && i-- > 0;)
                jv_push(a, jv_ref(v->a.v[i]));
            return a;
        }
        if (!strcmp(f, "sort"))
            return sort_array(v, false, false, NULL);
        if (!strcmp(f, "join")) {
            char *b = NULL;
            size_t n = 0, cap = 0;
            int rc = js_add(&b, &n, &cap, "", 0);
            for (size_t i = 0; i < v->a.n && !rc; i++)
                if (v->a.v[i]->t > JV_NULL)
                    rc = jv_to_string(v->a.v[i], &b, &n, &cap);
            jv *r = rc ? NULL : jv_str(b, n);
            free(b);
            return r;
        }
        if (!strcmp(f, "string"))
            return str_of(v);
        if (!strcmp(f, "unique")) {
            jv *a = jv_arr();
            for (size_t i = 0; a && i < v->a.n; i++) {
                bool seen = false;
                for (size_t k = 0; k < a->a.n && !seen; k++)
                    seen = strict_eq(a->a.v[k], v->a.v[i]);
                if (!seen)
                    jv_push(a, jv_ref(v->a.v[i]));
            }
            return a;
        }
        return fail("chat template: unknown ArrayValue filter: %s", f, NULL);
    case JV_STR:
        if (!strcmp(f, "length"))
            return jv_int((int64_t)cp_count(v->s.p, v->s.n));
        if (!strcmp(f, "upper") || !strcmp(f, "lower"))
            return case_map(v, f[0] == 'u');
        if (!strcmp(f, "title"))
            return title(v);
        if (!strcmp(f, "capitalize"))
            return capitalize(v);
        if (!strcmp(f, "trim"))
            return trim(v, true, true);
        if (!strcmp(f, "indent"))
            return indent(v, 4, false, false);
        if (!strcmp(f, "join") || !strcmp(f, "string"))
            return jv_ref(v);
        if (!strcmp(f, "int") || !strcmp(f, "float")) {
            char *end;
            if (f[0] == 'i') {
                long long x = strtoll(v->s.p + jinja_trim_start(v->s.p, v->s.n), &end, 10);
                return jv_int(x);
            }
            double d = strtod(v->s.p + jinja_trim_start(v->s.p, v->s.n), &end);
            return jv_float(isnan(d) ? 0 : d);
        }
        return fail("chat template: unknown StringValue filter: %s", f, NULL);
    case JV_INT:
    case JV_FLOAT:
        if (!strcmp(f, "abs"))
            return v->t == JV_INT ? jv_int(v->i < 0 ? -v->i : v->i) : jv_float(fabs(v->f));
        if (!strcmp(f, "int"))
            return jv_int(v->t == JV_INT ? v->i : (int64_t)floor(v->f));
        if (!strcmp(f, "float"))
            return jv_float(jv_num(v));
        if (!strcmp(f, "string"))
            return str_of(v);
        return fail("chat template: unknown NumericValue filter: %s", f, NULL);
    case JV_OBJ:
    case JV_KWARGS:
        if (!strcmp(f, "length"))
            return jv_int((int64_t)v->o.n);
        return obj_method(v, f, NULL);
    case JV_BOOL:
        if (!strcmp(f, "bool"))
            return jv_bool(v->b);
        if (!strcmp(f, "int"))
            return jv_int(v->b);
        if (!strcmp(f, "float"))
            return jv_float(v->b);
        if (!strcmp(f, "string"))
            return jv_cstr(v->b ? "true" : "false");
        return fail("chat template: unknown BooleanValue filter: %s", f, NULL);
    default:
        return fail("chat template: cannot apply filter \"%s\" to type: %s", f, jv_type_name(v));
    }
}

static bool is_container(const jv *v) { return v->t == JV_OBJ || v->t == JV_NS || v->t == JV_KWARGS; }

static jv *filter_call(jctx *c, const jnode *call, jv *v, jenv *e)
{
    const char *f = call->a->s;
    args_t a;
    jv *r = NULL;
    if (eval_args(c, call->kids, call->nkids, e, &a))
        goto out;
    if (!strcmp(f, "tojson")) {
        r = tojson(v, &a);
    } else if (!strcmp(f, "join")) {
        jv *sep = arg(&a, 0, "separator");
        if (sep && sep->t != JV_STR) {
            em__error("chat template: separator must be a string");
            goto out;
        }
        if (v->t != JV_STR && v->t != JV_ARR) {
            em__error("chat template: cannot apply filter \"join\" to type: %s", jv_type_name(v));
            goto out;
        }
        char *b = NULL;
        size_t n = 0, cap = 0;
        int rc = js_add(&b, &n, &cap, "", 0);
        if (v->t == JV_STR) {
            for (size_t i = 0, k = 0; i < v->s.n && !rc; k++) {
                size_t l = 1;
                while (i + l < v->s.n && ((unsigned char)v->s.p[i + l] & 0xC0) == 0x80)
                    l++;
                if (k && sep)
                    rc = js_add(&b, &n, &cap, sep->s.p, sep->s.n);
                rc = rc || js_add(&b, &n, &cap, v->s.p + i, l);
                i += l;
            }
        } else
            for (size_t i = 0; i < v->a.n && !rc; i++) {
                if (i && sep)
                    rc = js_add(&b, &n, &cap, sep->s.p, sep->s.n);
                if (!rc && v->a.v[i]->t > JV_NULL)
                    rc = jv_to_string(v->a.v[i], &b, &n, &cap);
            }
        r = rc ? NULL : jv_str(b, n);
        free(b);
    } else if (!strcmp(f, "int") || !strcmp(f, "float")) {
        jv *def = arg(&a, 0, "default");
        bool isint = f[0] == 'i';
        if (v->t == JV_STR) {
            const char *p = v->s.p + jinja_trim_start(v->s.p, v->s.n);
            char *end;
            double d = isint ? (double)strtoll(p, &end, 10) : strtod(p, &end);
            if (end == p)
                r = def ? jv_ref(def) : isint ? jv_int(0) : jv_float(0);
            else
                r = isint ? jv_int((int64_t)d) : jv_float(d);
        } else if (jv_is_num(v))
            r = jv_ref(v);
        else if (v->t == JV_BOOL)
            r = isint ? jv_int(v->b) : jv_float(v->b);
        else
            em__error("chat template: cannot apply filter \"%s\" to type: %s", f, jv_type_name(v));
    } else if (!strcmp(f, "default")) {
        jv *def = a.npos > 0 ? a.pos[0] : NULL, *boolean = arg(&a, 1, "boolean");
        if (boolean && boolean->t != JV_BOOL) {
            em__error("chat template: `default` filter flag must be a boolean");
            goto out;
        }
        if (v->t == JV_UNDEF || (boolean && boolean->b && !jv_truthy(v)))
            r = def ? jv_ref(def) : jv_str("", 0);
        else
            r = jv_ref(v);
    } else if (v->t == JV_ARR) {
        if (!strcmp(f, "sort")) {
            jv *rev = arg(&a, 0, "reverse"), *cs = arg(&a, 1, "case_sensitive"), *at = arg(&a, 2, "attribute");
            if ((rev && rev->t != JV_BOOL) || (cs && cs->t != JV_BOOL)) {
                em__error("chat template: reverse and case_sensitive must be booleans");
                goto out;
            }
            r = sort_array(v, rev && rev->b, cs && cs->b, at);
        } else if (!strcmp(f, "selectattr") || !strcmp(f, "rejectattr")) {
            bool sel = f[0] == 's';
            for (size_t i = 0; i < v->a.n; i++)
                if (!is_container(v->a.v[i])) {
                    em__error("chat template: `%s` can only be applied to array of objects", f);
                    goto out;
                }
            for (size_t i = 0; i < call->nkids; i++)
                if (call->kids[i]->kind != N_STR) {
                    em__error("chat template: arguments of `%s` must be strings", f);
                    goto out;
                }
            if (a.npos < 1) {
                em__error("chat template: `%s` needs an attribute", f);
                goto out;
            }
            r = jv_arr();
            for (size_t i = 0; r && i < v->a.n; i++) {
                jv *x = jv_get(v->a.v[i], a.pos[0]->s.p);
                bool res = false;
                /* `a ? test(a) : false`: JS truthiness of the wrapper object, so any present value */
                if (x) {
                    if (a.npos > 1) {
                        if (!strcmp(a.pos[1]->s.p, "equalto") || !strcmp(a.pos[1]->s.p, "eq")) {
                            jv *want = a.npos > 2 ? a.pos[2] : NULL;
                            res = want && strict_eq(x, want) && x->t == want->t;
                        } else if (run_test(a.pos[1]->s.p, x, &res)) {
                            jv_unref(r);
                            r = NULL;
                            goto out;
                        }
                    } else
                        res = jv_truthy(x);
                }
                if (res == sel)
                    jv_push(r, jv_ref(v->a.v[i]));
            }
        } else if (!strcmp(f, "map")) {
            jv *at = a.kw ? jv_get(a.kw, "attribute") : NULL;
            if (!at || at->t != JV_STR) {
                em__error("chat template: `map` expressions without `attribute` set are not supported");
                goto out;
            }
            jv *def = jv_get(a.kw, "default");
            r = jv_arr();
            for (size_t i = 0; r && i < v->a.n; i++) {
                if (!is_container(v->a.v[i])) {
                    em__error("chat template: items in map must be an object");
                    jv_unref(r);
                    r = NULL;
                    goto out;
                }
                jv *x = attr_path(v->a.v[i], at->s.p);
                if (x && x->t == JV_UNDEF && def) {
                    jv_unref(x);
                    x = jv_ref(def);
                }
                jv_push(r, x);
            }
        } else
            em__error("chat template: unknown ArrayValue filter: %s", f);
    } else if (v->t == JV_STR) {
        if (!strcmp(f, "indent")) {
            jv *w = arg(&a, 0, "width"), *first = arg(&a, 1, "first"), *blank = arg(&a, 2, "blank");
            if (w && w->t != JV_INT) {
                em__error("chat template: width must be a number");
                goto out;
            }
            r = indent(v, w ? w->i : 4, first && jv_truthy(first), blank && jv_truthy(blank));
        } else if (!strcmp(f, "replace")) {
            jv *o = arg(&a, 0, NULL), *nw = arg(&a, 1, NULL), *cnt = arg(&a, 2, "count");
            if (!o || !nw || o->t != JV_STR || nw->t != JV_STR)
                em__error("chat template: replace() arguments must be strings");
            else
                r = replace(v, o->s.p, o->s.n, nw->s.p, nw->s.n, cnt && cnt->t == JV_INT ? cnt->i : -1);
        } else
            em__error("chat template: unknown StringValue filter: %s", f);
    } else if (v->t == JV_OBJ || v->t == JV_KWARGS) {
        r = obj_method(v, f, &a);
    } else
        em__error("chat template: cannot apply filter \"%s\" to type: %s", f, jv_type_name(v));
out:
    args_free(&a);
    return r;
}

static jv *apply_filter(jctx *c, const jnode *f, jv *v, jenv *e)
{
    if (f->kind == N_IDENT)
        return filter_ident(f->s, v);
    if (f->kind == N_CALL && f->a->kind == N_IDENT)
        return filter_call(c, f, v, e);
    return fail("chat template: unknown filter", NULL, NULL);
}

/* ---- methods ---- */

static jv *items_of(jv *obj)
{
    jv *a = jv_arr();
    for (size_t i = 0; a && i < obj->o.n; i++) {
        jv *p = jv_arr();
        if (!p || jv_push(p, jv_cstr(obj->o.k[i])) || jv_push(p, jv_ref(obj->o.v[i])) || jv_push(a, p)) {
            jv_unref(a);
            return NULL;
        }
    }
    return a;
}

static jv *obj_method(jv *obj, const char *name, const args_t *a)
{
    if (!strcmp(name, "items"))
        return items_of(obj);
    if (!strcmp(name, "keys") || !strcmp(name, "values")) {
        jv *r = jv_arr();
        for (size_t i = 0; r && i < obj->o.n; i++)
            jv_push(r, name[0] == 'k' ? jv_cstr(obj->o.k[i]) : jv_ref(obj->o.v[i]));
        return r;
    }
    if (!strcmp(name, "get")) {
        jv *k = a ? arg(a, 0, NULL) : NULL, *d = a ? arg(a, 1, NULL) : NULL;
        if (!k || k->t != JV_STR)
            return fail("chat template: object key must be a string", NULL, NULL);
        jv *v = jv_get(obj, k->s.p);
        return v ? jv_ref(v) : d ? jv_ref(d) : jv_null();
    }
    if (!strcmp(name, "dictsort")) {
        jv *cs = a ? arg(a, 0, "case_sensitive") : NULL, *by = a ? arg(a, 1, "by") : NULL;
        jv *rev = a ? arg(a, 2, "reverse") : NULL;
        jv *items = items_of(obj);
        if (!items)
            return NULL;
        char idx[2] = {by && by->t == JV_STR && !strcmp(by->s.p, "value") ? '1' : '0', 0};
        jv *key = jv_cstr(idx);
        jv *r = key ? sort_array(items, rev && jv_truthy(rev), cs && jv_truthy(cs), key) : NULL;
        jv_unref(key);
        jv_unref(items);
        return r;
    }
    return fail("chat template: unknown ObjectValue filter: %s", name, NULL);
}

static jv *str_method(jv *s, const char *name, const args_t *a)
{
    if (!strcmp(name, "upper") || !strcmp(name, "lower"))
        return case_map(s, name[0] == 'u');
    if (!strcmp(name, "strip"))
        return trim(s, true, true);
    if (!strcmp(name, "lstrip"))
        return trim(s, true, false);
    if (!strcmp(name, "rstrip"))
        return trim(s, false, true);
    if (!strcmp(name, "title"))
        return title(s);
    if (!strcmp(name, "capitalize"))
        return capitalize(s);
    if (!strcmp(name, "startswith") || !strcmp(name, "endswith")) {
        bool start = name[0] == 's';
        jv *p = arg(a, 0, NULL);
        if (!p)
            return fail("chat template: %s() requires at least one argument", name, NULL);
        jv *one[1] = {p};
        jv **list = one;
        size_t n = 1;
        if (p->t == JV_ARR)
            list = p->a.v, n = p->a.n;
        else if (p->t != JV_STR)
            return fail("chat template: %s() argument must be a string or tuple of strings", name, NULL);
        for (size_t i = 0; i < n; i++) {
            jv *x = list[i];
            if (x->t != JV_STR)
                return fail("chat template: %s() tuple elements must be strings", name, NULL);
            if (x->s.n <= s->s.n &&
                !memcmp(s->s.p + (start ? 0 : s->s.n - x->s.n), x->s.p, x->s.n))
                return jv_bool(true);
        }
        return jv_bool(false);
    }
    if (!strcmp(name, "split")) {
        jv *sep = arg(a, 0, NULL), *maxs = arg(a, 1, NULL);
        if (sep && sep->t != JV_STR && sep->t != JV_NULL)
            return fail("chat template: sep argument must be a string or null", NULL, NULL);
        if (maxs && maxs->t != JV_INT)
            return fail("chat template: maxsplit argument must be a number", NULL, NULL);
        int64_t max = maxs ? maxs->i : -1;
        jv *r = jv_arr();
        if (!r)
            return NULL;
        if (!sep || sep->t == JV_NULL) {
            size_t i = jinja_trim_start(s->s.p, s->s.n), n = s->s.n;
            while (i < n) {
                size_t j = i;
                while (j < n && !jinja_trim_start(s->s.p + j, n - j))
                    j += 1;
                if (max != -1 && (int64_t)r->a.n >= max) {
                    jv_push(r, jv_str(s->s.p + i, n - i));
                    break;
                }
                jv_push(r, jv_str(s->s.p + i, j - i));
                i = j + jinja_trim_start(s->s.p + j, n - j);
            }
            return r;
        }
        if (!sep->s.n) {
            jv_unref(r);
            return fail("chat template: empty separator", NULL, NULL);
        }
        size_t i = 0;
        for (;;) {
            const char *f = memmem(s->s.p + i, s->s.n - i, sep->s.p, sep->s.n);
            if (!f || (max != -1 && (int64_t)r->a.n >= max)) {
                jv_push(r, jv_str(s->s.p + i, s->s.n - i));
                break;
            }
            jv_push(r, jv_str(s->s.p + i, (size_t)(f - s->s.p) - i));
            i = (size_t)(f - s->s.p) + sep->s.n;
        }
        return r;
    }
    if (!strcmp(name, "replace")) {
        jv *o = arg(a, 0, NULL), *nw = arg(a, 1, NULL), *cnt = arg(a, 2, "count");
        if (!o || !nw)
            return fail("chat template: replace() requires at least two arguments", NULL, NULL);
        if (o->t != JV_STR || nw->t != JV_STR)
            return fail("chat template: replace() arguments must be strings", NULL, NULL);
        if (cnt && cnt->t != JV_INT && cnt->t != JV_NULL)
            return fail("chat template: replace() count argument must be a number or null", NULL, NULL);
        return replace(s, o->s.p, o->s.n, nw->s.p, nw->s.n, cnt && cnt->t == JV_INT ? cnt->i : -1);
    }
    return fail("chat template: unknown string method %s", name, NULL);
}

static bool str_has_method(const char *n)
{
    static const char *m[] = {"upper", "lower", "strip", "title", "capitalize", "rstrip", "lstrip",
                              "startswith", "endswith", "split", "replace"};
    for (size_t i = 0; i < sizeof m / sizeof *m; i++)
        if (!strcmp(n, m[i]))
            return true;
    return false;
}

static bool obj_has_method(const char *n)
{
    return !strcmp(n, "get") || !strcmp(n, "items") || !strcmp(n, "keys") || !strcmp(n, "values") ||
           !strcmp(n, "dictsort");
}

/* ---- calls ---- */

static jv *strftime_now(const char *fmt)
{
    static const char *mon[] = {"January", "February", "March", "April", "May", "June", "July",
                                "August", "September", "October", "November", "December"};
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    char *b = NULL;
    size_t n = 0, cap = 0;
    int rc = js_add(&b, &n, &cap, "", 0);
    for (const char *p = fmt; *p && !rc; p++) {
        char tmp[32];
        if (*p != '%' || !p[1]) {
            rc = js_add(&b, &n, &cap, p, 1);
            continue;
        }
        p++;
        switch (*p) {
        case 'Y': snprintf(tmp, sizeof tmp, "%d", tm.tm_year + 1900); break;
        case 'm': snprintf(tmp, sizeof tmp, "%02d", tm.tm_mon + 1); break;
        case 'd': snprintf(tmp, sizeof tmp, "%02d", tm.tm_mday); break;
        case 'b': snprintf(tmp, sizeof tmp, "%.3s", mon[tm.tm_mon]); break;
        case 'B': snprintf(tmp, sizeof tmp, "%s", mon[tm.tm_mon]); break;
        case 'H': snprintf(tmp, sizeof tmp, "%02d", tm.tm_hour); break;
        case 'M': snprintf(tmp, sizeof tmp, "%02d", tm.tm_min); break;
        case '%': snprintf(tmp, sizeof tmp, "%%"); break;
        default: snprintf(tmp, sizeof tmp, "%%%c", *p); break;
        }
        rc = js_add(&b, &n, &cap, tmp, strlen(tmp));
    }
    jv *r = rc ? NULL : jv_str(b, n);
    free(b);
    return r;
}

static jv *call_macro(jctx *c, const jnode *m, args_t *a, jenv *caller)
{
    jenv *scope = env_new(caller);
    if (!scope)
        return NULL;
    const jnode *params = m->a;
    jv *r = NULL;
    size_t np = params ? params->nkids : 0;
    for (size_t i = 0; i < np; i++) {
        const jnode *p = params->kids[i];
        const char *name = p->s;
        jv *v = i < a->npos ? jv_ref(a->pos[i]) : NULL;
        if (!v && a->kw && jv_get(a->kw, name))
            v = jv_ref(jv_get(a->kw, name));
        if (jv_set(scope->vars, name, v ? v : jv_undef()))
            goto out;
    }
    if (a->npos > np) {
        em__error("chat template: macro '%s' takes not more than %zu argument(s)", m->s, np);
        goto out;
    }
    if (a->kw)
        for (size_t k = 0; k < a->kw->o.n; k++) {
            bool known = false;
            for (size_t i = 0; i < np && !known; i++)
                known = !strcmp(params->kids[i]->s, a->kw->o.k[k]);
            if (!known) {
                em__error("chat template: macro '%s' takes no keyword argument '%s'", m->s, a->kw->o.k[k]);
                goto out;
            }
        }
    for (size_t i = 0; i < np; i++) { /* defaults, now that every name is bound */
        const jnode *p = params->kids[i];
        if (p->kind == N_KWARG && jv_get(scope->vars, p->s)->t == JV_UNDEF &&
            !(i < a->npos || (a->kw && jv_get(a->kw, p->s))))
            if (jv_set(scope->vars, p->s, eval(c, p->a, scope)))
                goto out;
    }
    r = block(c, m->kids, m->nkids, scope);
out:
    env_free(scope);
    return r;
}

static jv *call(jctx *c, const jnode *n, jenv *e)
{
    args_t a;
    jv *fn = NULL, *r = NULL;
    if (eval_args(c, n->kids, n->nkids, e, &a))
        goto out;
    if (!(fn = eval(c, n->a, e)))
        goto out;
    if (fn->t != JV_FUNC) {
        em__error("chat template: cannot call something that is not a function: got %s", jv_type_name(fn));
        goto out;
    }
    switch (fn->fn.kind) {
    case JF_RAISE: {
        char *b = NULL;
        size_t bn = 0, cap = 0;
        for (size_t i = 0; i < a.npos; i++) {
            if (i)
                js_add(&b, &bn, &cap, ",", 1);
            if (a.pos[i]->t > JV_NULL)
                jv_to_string(a.pos[i], &b, &bn, &cap);
        }
        em__error("%s", b ? b : "raise_exception");
        free(b);
        break;
    }
    case JF_RANGE: {
        for (size_t i = 0; i < a.npos; i++)
            if (!jv_is_num(a.pos[i])) {
                em__error("chat template: range() arguments must be numbers");
                goto out;
            }
        double start = 0, stop, step = 1;
        if (a.npos == 0) {
            em__error("chat template: range() needs an argument");
            goto out;
        }
        if (a.npos == 1)
            stop = jv_num(a.pos[0]);
        else {
            start = jv_num(a.pos[0]);
            stop = jv_num(a.pos[1]);
            if (a.npos > 2)
                step = jv_num(a.pos[2]);
        }
        if (step == 0) {
            em__error("chat template: range() step must not be zero");
            goto out;
        }
        if (fabs((stop - start) / step) > 1e7) {
            em__error("chat template: range() too long");
            goto out;
        }
        r = jv_arr();
        for (double x = start; r && (step > 0 ? x < stop : x > stop); x += step)
            jv_push(r, x == floor(x) ? jv_int((int64_t)x) : jv_float(x));
        break;
    }
    case JF_NAMESPACE: {
        r = jv_obj(JV_NS);
        if (a.npos > 1) {
            em__error("chat template: namespace expected at most 1 argument, got %zu", a.npos);
            jv_unref(r);
            r = NULL;
            goto out;
        }
        if (a.npos == 1) {
            jv *src = a.pos[0];
            if (src->t == JV_OBJ)
                for (size_t i = 0; r && i < src->o.n; i++)
                    jv_set(r, src->o.k[i], jv_ref(src->o.v[i]));
            else {
                em__error("chat template: '%s' object is not iterable", jv_type_name(src));
                jv_unref(r);
                r = NULL;
                goto out;
            }
        }
        for (size_t i = 0; r && a.kw && i < a.kw->o.n; i++)
            jv_set(r, a.kw->o.k[i], jv_ref(a.kw->o.v[i]));
        break;
    }
    case JF_STRFTIME:
        if (a.npos < 1 || a.pos[0]->t != JV_STR)
            em__error("chat template: strftime_now() needs a format string");
        else
            r = strftime_now(a.pos[0]->s.p);
        break;
    case JF_MACRO:
        r = call_macro(c, fn->fn.macro, &a, e);
        break;
    case JF_METHOD:
        if (fn->fn.self->t == JV_STR)
            r = str_method(fn->fn.self, fn->fn.name, &a);
        else
            r = obj_method(fn->fn.self, fn->fn.name, &a);
        break;
    }
out:
    jv_unref(fn);
    args_free(&a);
    return r;
}

/* ---- members ---- */

static jv *slice(jctx *c, jv *obj, const jnode *s, jenv *e)
{
    if (obj->t != JV_ARR && obj->t != JV_STR)
        return fail("chat template: slice object must be an array or string", NULL, NULL);
    jv *vs[3] = {0};
    const jnode *ns[3] = {s->a, s->b, s->c};
    jv *r = NULL;
    size_t *offs = NULL;
    for (int k = 0; k < 3; k++) {
        vs[k] = ns[k] ? eval(c, ns[k], e) : jv_undef();
        if (!vs[k])
            goto out;
        if (vs[k]->t != JV_INT && vs[k]->t != JV_UNDEF) {
            em__error("chat template: slice indices must be integers or undefined");
            goto out;
        }
    }
    int64_t len;
    if (obj->t == JV_ARR)
        len = (int64_t)obj->a.n;
    else {
        size_t cnt;
        if (!(offs = cp_offsets(obj->s.p, obj->s.n, &cnt)))
            goto out;
        len = (int64_t)cnt;
    }
    int64_t step = vs[2]->t == JV_INT ? vs[2]->i : 1, start, stop;
    if (step == 0) {
        em__error("chat template: slice step cannot be zero");
        goto out;
    }
    bool hs = vs[0]->t == JV_INT, he = vs[1]->t == JV_INT;
    if (step > 0) {
        start = hs ? vs[0]->i : 0;
        start = start < 0 ? (len + start > 0 ? len + start : 0) : (start < len ? start : len);
        stop = he ? vs[1]->i : len;
        stop = stop < 0 ? (len + stop > 0 ? len + stop : 0) : (stop < len ? stop : len);
    } else {
        start = hs ? vs[0]->i : len - 1;
        start = start < 0 ? (len + start > -1 ? len + start : -1) : (start < len - 1 ? start : len - 1);
        stop = he ? vs[1]->i : -1;
        stop = stop < -1 ? (len + stop > -1 ? len + stop : -1) : (stop < len - 1 ? stop : len - 1);
    }
    if (obj->t == JV_ARR) {
        r = jv_arr();
        for (int64_t i = start; r && (step > 0 ? i < stop : i > stop); i += step)
            jv_push(r, jv_ref(obj->a.v[i]));
    } else {
        char *b = NULL;
        size_t n = 0, cap = 0;
        int rc = js_add(&b, &n, &cap, "", 0);
        for (int64_t i = start; !rc && (step > 0 ? i < stop : i > stop); i += step)
            rc = js_add(&b, &n, &cap, obj->s.p + offs[i], offs[i + 1] - offs[i]);
        r = rc ? NULL : jv_str(b, n);
        free(b);
    }
out:
    free(offs);
    for (int k = 0; k < 3; k++)
        jv_unref(vs[k]);
    return r;
}

static jv *member(jctx *c, const jnode *n, jenv *e)
{
    jv *obj = eval(c, n->a, e), *prop = NULL, *r = NULL;
    if (!obj)
        return NULL;
    if (n->computed) {
        if (n->b->kind == N_SLICE) {
            r = slice(c, obj, n->b, e);
            jv_unref(obj);
            return r;
        }
        prop = eval(c, n->b, e);
    } else if (n->b->kind == N_INT)
        prop = jv_int(n->b->i);
    else
        prop = jv_cstr(n->b->s);
    if (!prop)
        goto out;
    if (is_container(obj)) {
        if (prop->t != JV_STR) {
            em__error("chat template: cannot access property with non-string: got %s", jv_type_name(prop));
            goto out;
        }
        jv *v = jv_get(obj, prop->s.p);
        if (v)
            r = jv_ref(v);
        else if (obj->t != JV_NS && obj_has_method(prop->s.p))
            r = func(JF_METHOD, jv_ref(obj), prop->s.p);
        else
            r = jv_undef();
    } else if (obj->t == JV_ARR || obj->t == JV_STR) {
        if (prop->t == JV_INT) {
            int64_t i = prop->i;
            if (obj->t == JV_ARR) {
                int64_t len = (int64_t)obj->a.n;
                if (i < 0)
                    i += len;
                r = i >= 0 && i < len ? jv_ref(obj->a.v[i]) : jv_undef();
            } else {
                size_t cnt, *offs = cp_offsets(obj->s.p, obj->s.n, &cnt);
                if (!offs)
                    goto out;
                if (i < 0)
                    i += (int64_t)cnt;
                r = i >= 0 && i < (int64_t)cnt ? jv_str(obj->s.p + offs[i], offs[i + 1] - offs[i]) : jv_undef();
                free(offs);
            }
        } else if (prop->t == JV_STR) {
            if (!strcmp(prop->s.p, "length"))
                r = jv_int((int64_t)(obj->t == JV_ARR ? obj->a.n : cp_count(obj->s.p, obj->s.n)));
            else if (obj->t == JV_STR && str_has_method(prop->s.p))
                r = func(JF_METHOD, jv_ref(obj), prop->s.p);
            else
                r = jv_undef();
        } else
            em__error("chat template: cannot access property with non-string/non-number: got %s",
                      jv_type_name(prop));
    } else {
        if (prop->t != JV_STR)
            em__error("chat template: cannot access property with non-string: got %s", jv_type_name(prop));
        else
            r = jv_undef();
    }
out:
    jv_unref(obj);
    jv_unref(prop);
    return r;
}

/* ---- statements ---- */

static int assign(jctx *c, const jnode *target, jv *v, jenv *e)
{
    if (target->kind == N_IDENT)
        return jv_set(e->vars, target->s, jv_ref(v));
    if (target->kind == N_TUPLE) {
        if (v->t != JV_ARR)
            return em__error("chat template: cannot unpack non-iterable type in set: %s", jv_type_name(v));
        if (v->a.n != target->nkids)
            return em__error("chat template: too %s items to unpack in set", target->nkids > v->a.n ? "few" : "many");
        for (size_t i = 0; i < target->nkids; i++) {
            if (target->kids[i]->kind != N_IDENT)
                return em__error("chat template: cannot unpack to non-identifier in set");
            if (jv_set(e->vars, target->kids[i]->s, jv_ref(v->a.v[i])))
                return -1;
        }
        return 0;
    }
    if (target->kind == N_MEMBER) {
        jv *obj = eval(c, target->a, e);
        if (!obj)
            return -1;
        int rc;
        if (obj->t != JV_NS)
            rc = em__error("chat template: cannot assign attribute on non-namespace object");
        else if (target->b->kind != N_IDENT)
            rc = em__error("chat template: cannot assign to member with non-identifier property");
        else
            rc = jv_set(obj, target->b->s, jv_ref(v));
        jv_unref(obj);
        return rc;
    }
    return em__error("chat template: invalid left-hand side in set");
}

static int bind_loopvar(const jnode *var, jv *cur, jenv *e)
{
    if (var->kind == N_IDENT)
        return jv_set(e->vars, var->s, jv_ref(cur));
    if (cur->t != JV_ARR)
        return em__error("chat template: cannot unpack non-iterable type: %s", jv_type_name(cur));
    if (var->nkids != cur->a.n)
        return em__error("chat template: too %s items to unpack", var->nkids > cur->a.n ? "few" : "many");
    for (size_t j = 0; j < var->nkids; j++) {
        if (var->kids[j]->kind != N_IDENT)
            return em__error("chat template: cannot unpack non-identifier type");
        if (jv_set(e->vars, var->kids[j]->s, jv_ref(cur->a.v[j])))
            return -1;
    }
    return 0;
}

static jv *for_loop(jctx *c, const jnode *n, jenv *e)
{
    jenv *scope = env_new(e);
    if (!scope)
        return NULL;
    const jnode *test = NULL, *src = n->b;
    if (src->kind == N_SELECT) {
        test = src->b;
        src = src->a;
    }
    jv *it = eval(c, src, scope), *items = NULL, *res = NULL;
    char *out = NULL;
    size_t on = 0, ocap = 0;
    if (!it)
        goto done;
    if (it->t != JV_ARR && it->t != JV_OBJ) {
        em__error("chat template: expected iterable or object type in for loop: got %s", jv_type_name(it));
        goto done;
    }
    if (it->t == JV_OBJ) {
        jv *keys = obj_method(it, "keys", NULL);
        jv_unref(it);
        if (!(it = keys))
            goto done;
    }
    if (!(items = jv_arr()))
        goto done;
    for (size_t i = 0; i < it->a.n; i++) {
        if (test) {
            jenv *ls = env_new(scope);
            if (!ls || bind_loopvar(n->a, it->a.v[i], ls)) {
                env_free(ls);
                goto done;
            }
            jv *t = eval(c, test, ls);
            env_free(ls);
            if (!t)
                goto done;
            bool keep = jv_truthy(t);
            jv_unref(t);
            if (!keep)
                continue;
        }
        if (jv_push(items, jv_ref(it->a.v[i])))
            goto done;
    }
    if (js_add(&out, &on, &ocap, "", 0))
        goto done;
    bool none = true;
    size_t len = items->a.n;
    for (size_t i = 0; i < len; i++) {
        jv *loop = jv_obj(JV_OBJ);
        if (!loop || jv_set(loop, "index", jv_int((int64_t)i + 1)) || jv_set(loop, "index0", jv_int((int64_t)i)) ||
            jv_set(loop, "revindex", jv_int((int64_t)(len - i))) ||
            jv_set(loop, "revindex0", jv_int((int64_t)(len - i - 1))) || jv_set(loop, "first", jv_bool(i == 0)) ||
            jv_set(loop, "last", jv_bool(i == len - 1)) || jv_set(loop, "length", jv_int((int64_t)len)) ||
            jv_set(loop, "previtem", i > 0 ? jv_ref(items->a.v[i - 1]) : jv_undef()) ||
            jv_set(loop, "nextitem", i + 1 < len ? jv_ref(items->a.v[i + 1]) : jv_undef()) ||
            jv_set(scope->vars, "loop", loop)) {
            jv_unref(loop);
            goto done;
        }
        if (bind_loopvar(n->a, items->a.v[i], scope))
            goto done;
        jv *body = block(c, n->kids, n->nkids, scope);
        if (!body)
            goto done;
        int ctrl = c->ctrl;
        c->ctrl = 0;
        /* a break or continue drops what the iteration had printed */
        if (ctrl == CTRL_CONTINUE) {
            jv_unref(body);
            continue;
        }
        if (ctrl == CTRL_BREAK) {
            jv_unref(body);
            break;
        }
        int rc = js_add(&out, &on, &ocap, body->s.p, body->s.n);
        jv_unref(body);
        if (rc)
            goto done;
        none = false;
    }
    if (none && n->nalt) {
        jv *alt = block(c, n->alt, n->nalt, scope);
        if (!alt || js_add(&out, &on, &ocap, alt->s.p, alt->s.n)) {
            jv_unref(alt);
            goto done;
        }
        jv_unref(alt);
    }
    res = jv_str(out, on);
done:
    free(out);
    jv_unref(it);
    jv_unref(items);
    env_free(scope);
    return res;
}

static jv *block(jctx *c, jnode *const *body, size_t n, jenv *e)
{
    char *b = NULL;
    size_t bn = 0, cap = 0;
    if (js_add(&b, &bn, &cap, "", 0))
        return NULL;
    for (size_t i = 0; i < n && !c->ctrl; i++) {
        jv *v = eval(c, body[i], e);
        if (!v) {
            free(b);
            return NULL;
        }
        int rc = v->t > JV_NULL ? jv_to_string(v, &b, &bn, &cap) : 0;
        jv_unref(v);
        if (rc) {
            free(b);
            return NULL;
        }
    }
    jv *r = jv_str(b, bn);
    free(b);
    return r;
}

static jv *eval(jctx *c, const jnode *n, jenv *e)
{
    if (!n)
        return jv_undef();
    if (++c->depth > 400) {
        c->depth--;
        return fail("chat template: nested too deeply (recursion?)", NULL, NULL);
    }
    jv *r = NULL, *l = NULL, *x = NULL;
    switch (n->kind) {
    case N_PROGRAM:
        r = block(c, n->kids, n->nkids, e);
        break;
    case N_TEXT:
    case N_STR:
        r = jv_str(n->s, n->sn);
        break;
    case N_COMMENT:
        r = jv_null();
        break;
    case N_INT:
        r = jv_int(n->i);
        break;
    case N_FLOAT:
        r = jv_float(n->f);
        break;
    case N_SET:
        x = n->b ? eval(c, n->b, e) : block(c, n->kids, n->nkids, e);
        if (x && !assign(c, n->a, x, e))
            r = jv_null();
        break;
    case N_IF:
        if ((x = eval(c, n->a, e)))
            r = jv_truthy(x) ? block(c, n->kids, n->nkids, e) : block(c, n->alt, n->nalt, e);
        break;
    case N_FOR:
        r = for_loop(c, n, e);
        break;
    case N_MACRO: {
        jv *f = func(JF_MACRO, NULL, n->s);
        if (f) {
            f->fn.macro = n;
            if (!jv_set(e->vars, n->s, f))
                r = jv_null();
        }
        break;
    }
    case N_BREAK:
        c->ctrl = CTRL_BREAK;
        r = jv_null();
        break;
    case N_CONTINUE:
        c->ctrl = CTRL_CONTINUE;
        r = jv_null();
        break;
    case N_ARRAY:
    case N_TUPLE:
        r = jv_arr();
        if (r)
            r->tuple = n->kind == N_TUPLE;
        for (size_t i = 0; r && i < n->nkids; i++)
            if (jv_push(r, eval(c, n->kids[i], e))) {
                jv_unref(r);
                r = NULL;
            }
        break;
    case N_OBJECT:
        r = jv_obj(JV_OBJ);
        for (size_t i = 0; r && i + 1 < n->nkids; i += 2) {
            jv *k = eval(c, n->kids[i], e);
            if (!k || k->t != JV_STR) {
                if (k)
                    em__error("chat template: object keys must be strings: got %s", jv_type_name(k));
                jv_unref(k);
                jv_unref(r);
                r = NULL;
                break;
            }
            if (jv_set(r, k->s.p, eval(c, n->kids[i + 1], e))) {
                jv_unref(r);
                r = NULL;
            }
            jv_unref(k);
        }
        break;
    case N_IDENT:
        r = lookup(e, n->s);
        break;
    case N_CALL:
        r = call(c, n, e);
        break;
    case N_MEMBER:
        r = member(c, n, e);
        break;
    case N_UNARY:
        if (!(x = eval(c, n->a, e)))
            break;
        if (!strcmp(n->s, "not"))
            r = jv_bool(!jv_truthy(x));
        else if (jv_is_num(x) || x->t == JV_BOOL) {
            int sign = n->s[0] == '-' ? -1 : 1;
            r = x->t == JV_FLOAT ? jv_float(sign * x->f) : jv_int(sign * (x->t == JV_BOOL ? x->b : x->i));
        } else
            em__error("chat template: unknown operator \"%s\" for %s", n->s, jv_type_name(x));
        break;
    case N_BINARY:
        if (!(l = eval(c, n->a, e)))
            break;
        if (!strcmp(n->s, "and")) {
            r = jv_truthy(l) ? eval(c, n->b, e) : jv_ref(l);
            break;
        }
        if (!strcmp(n->s, "or")) {
            r = jv_truthy(l) ? jv_ref(l) : eval(c, n->b, e);
            break;
        }
        if ((x = eval(c, n->b, e)))
            r = binop(n->s, l, x);
        break;
    case N_FILTER:
        if ((x = eval(c, n->a, e)))
            r = apply_filter(c, n->b, x, e);
        break;
    case N_FILTER_BLOCK:
        if ((x = block(c, n->kids, n->nkids, e)))
            r = apply_filter(c, n->b, x, e);
        break;
    case N_TEST: {
        bool res;
        if ((x = eval(c, n->a, e)) && !run_test(n->s, x, &res))
            r = jv_bool(n->negate ? !res : res);
        break;
    }
    case N_SELECT:
        if ((x = eval(c, n->b, e)))
            r = jv_truthy(x) ? eval(c, n->a, e) : jv_undef();
        break;
    case N_TERNARY:
        if ((x = eval(c, n->a, e)))
            r = jv_truthy(x) ? eval(c, n->b, e) : eval(c, n->c, e);
        break;
    case N_SLICE:
    case N_KWARG:
        em__error("chat template: unexpected %s", n->kind == N_SLICE ? "slice" : "keyword argument");
        break;
    }
    jv_unref(l);
    jv_unref(x);
    c->depth--;
    return r;
}

char *jinja_render(const jnode *program, jv *vars)
{
    jenv *g = env_new(NULL);
    if (!g)
        return NULL;
    static const struct { const char *name; jf_kind k; } fns[] = {
        {"raise_exception", JF_RAISE}, {"range", JF_RANGE}, {"namespace", JF_NAMESPACE},
        {"strftime_now", JF_STRFTIME}};
    int rc = jv_set(g->vars, "false", jv_bool(false)) || jv_set(g->vars, "true", jv_bool(true)) ||
             jv_set(g->vars, "none", jv_null()) || jv_set(g->vars, "False", jv_bool(false)) ||
             jv_set(g->vars, "True", jv_bool(true)) || jv_set(g->vars, "None", jv_null());
    for (size_t i = 0; i < sizeof fns / sizeof *fns && !rc; i++)
        rc = jv_set(g->vars, fns[i].name, func(fns[i].k, NULL, fns[i].name));
    for (size_t i = 0; vars && i < vars->o.n && !rc; i++)
        rc = jv_set(g->vars, vars->o.k[i], jv_ref(vars->o.v[i]));
    char *out = NULL;
    if (!rc) {
        jctx c = {0};
        jv *r = eval(&c, program, g);
        if (r && r->t == JV_STR) {
            out = r->s.p;
            r->s.p = NULL;
            r->s.n = 0;
        }
        jv_unref(r);
    }
    env_free(g);
    return out;
}
