/* Jinja values: constructors, truthiness, printing as JavaScript does, and
 * the tojson of @huggingface/jinja. */
#include "jinja.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error_internal.h"

int js_add(char **buf, size_t *n, size_t *cap, const char *s, size_t len)
{
    if (*n + len + 1 > *cap) {
        size_t c = *cap ? *cap : 64;
        while (c < *n + len + 1)
            c *= 2;
        char *p = realloc(*buf, c);
        if (!p)
            return em__error("chat template: out of memory");
        *buf = p;
        *cap = c;
    }
    if (len)
        memcpy(*buf + *n, s, len);
    *n += len;
    (*buf)[*n] = '\0';
    return 0;
}

jv *jv_new(jv_type t)
{
    jv *v = calloc(1, sizeof *v);
    if (!v) {
        em__error("chat template: out of memory");
        return NULL;
    }
    v->refs = 1;
    v->t = t;
    return v;
}

jv *jv_ref(jv *v)
{
    if (v)
        v->refs++;
    return v;
}

void jv_unref(jv *v)
{
    if (!v || --v->refs > 0)
        return;
    switch (v->t) {
    case JV_STR:
        free(v->s.p);
        break;
    case JV_ARR:
        for (size_t i = 0; i < v->a.n; i++)
            jv_unref(v->a.v[i]);
        free(v->a.v);
        break;
    case JV_OBJ:
    case JV_NS:
    case JV_KWARGS:
        for (size_t i = 0; i < v->o.n; i++) {
            free(v->o.k[i]);
            jv_unref(v->o.v[i]);
        }
        free(v->o.k);
        free(v->o.v);
        break;
    case JV_FUNC:
        jv_unref(v->fn.self);
        free(v->fn.name);
        break;
    default:
        break;
    }
    free(v);
}

jv *jv_undef(void) { return jv_new(JV_UNDEF); }
jv *jv_null(void) { return jv_new(JV_NULL); }
jv *jv_bool(bool b)
{
    jv *v = jv_new(JV_BOOL);
    if (v)
        v->b = b;
    return v;
}
jv *jv_int(int64_t i)
{
    jv *v = jv_new(JV_INT);
    if (v)
        v->i = i;
    return v;
}
jv *jv_float(double f)
{
    jv *v = jv_new(JV_FLOAT);
    if (v)
        v->f = f;
    return v;
}
jv *jv_str(const char *s, size_t n)
{
    jv *v = jv_new(JV_STR);
    if (!v)
        return NULL;
    v->s.p = malloc(n + 1);
    if (!v->s.p) {
        free(v);
        em__error("chat template: out of memory");
        return NULL;
    }
    if (n)
        memcpy(v->s.p, s, n);
    v->s.p[n] = '\0';
    v->s.n = n;
    return v;
}
jv *jv_cstr(const char *s) { return jv_str(s, strlen(s)); }
jv *jv_arr(void) { return jv_new(JV_ARR); }
jv *jv_obj(jv_type t) { return jv_new(t); }

int jv_push(jv *arr, jv *item)
{
    if (!item)
        return -1;
    if (arr->a.n == arr->a.cap) {
        size_t cap = arr->a.cap ? arr->a.cap * 2 : 8;
        jv **v = realloc(arr->a.v, cap * sizeof *v);
        if (!v) {
            jv_unref(item);
            return em__error("chat template: out of memory");
        }
        arr->a.v = v;
        arr->a.cap = cap;
    }
    arr->a.v[arr->a.n++] = item;
    return 0;
}

int jv_set(jv *obj, const char *key, jv *val)
{
    if (!val)
        return -1;
    for (size_t i = 0; i < obj->o.n; i++)
        if (!strcmp(obj->o.k[i], key)) {
            jv_unref(obj->o.v[i]);
            obj->o.v[i] = val;
            return 0;
        }
    if (obj->o.n == obj->o.cap) {
        size_t cap = obj->o.cap ? obj->o.cap * 2 : 8;
        char **k = realloc(obj->o.k, cap * sizeof *k);
        if (k)
            obj->o.k = k;
        jv **v = k ? realloc(obj->o.v, cap * sizeof *v) : NULL;
        if (!v) {
            jv_unref(val);
            return em__error("chat template: out of memory");
        }
        obj->o.v = v;
        obj->o.cap = cap;
    }
    char *kc = strdup(key);
    if (!kc) {
        jv_unref(val);
        return em__error("chat template: out of memory");
    }
    obj->o.k[obj->o.n] = kc;
    obj->o.v[obj->o.n++] = val;
    return 0;
}

jv *jv_get(const jv *obj, const char *key)
{
    for (size_t i = 0; i < obj->o.n; i++)
        if (!strcmp(obj->o.k[i], key))
            return obj->o.v[i];
    return NULL;
}

bool jv_truthy(const jv *v)
{
    switch (v->t) {
    case JV_UNDEF:
    case JV_NULL:
        return false;
    case JV_BOOL:
        return v->b;
    case JV_INT:
        return v->i != 0;
    case JV_FLOAT:
        return v->f != 0 && !isnan(v->f);
    case JV_STR:
        return v->s.n > 0;
    case JV_ARR:
        return v->a.n > 0;
    case JV_OBJ:
    case JV_KWARGS:
        return v->o.n > 0;
    default:
        return true; /* namespace, function: JS objects */
    }
}

bool jv_is_num(const jv *v) { return v->t == JV_INT || v->t == JV_FLOAT; }
double jv_num(const jv *v)
{
    return v->t == JV_INT ? (double)v->i : v->t == JV_FLOAT ? v->f : v->t == JV_BOOL ? (double)v->b : NAN;
}

const char *jv_type_name(const jv *v)
{
    static const char *names[] = {"UndefinedValue", "NullValue", "BooleanValue", "IntegerValue",
                                  "FloatValue", "StringValue", "ArrayValue", "ObjectValue",
                                  "NamespaceValue", "FunctionValue", "KeywordArgumentsValue"};
    if (v->t == JV_ARR && v->tuple)
        return "TupleValue";
    return names[v->t];
}

/* Number.prototype.toString: shortest digits that read back, JS exponent rules */
void js_num(double x, char *out, size_t cap)
{
    if (isnan(x)) {
        snprintf(out, cap, "NaN");
        return;
    }
    if (isinf(x)) {
        snprintf(out, cap, x < 0 ? "-Infinity" : "Infinity");
        return;
    }
    if (x == 0) {
        snprintf(out, cap, "0");
        return;
    }
    char tmp[40];
    int p;
    for (p = 1; p <= 17; p++) {
        snprintf(tmp, sizeof tmp, "%.*e", p - 1, x);
        if (strtod(tmp, NULL) == x)
            break;
    }
    /* tmp = [-]d.ddde[+-]XX */
    char digits[24];
    size_t nd = 0;
    const char *s = tmp;
    bool neg = *s == '-';
    if (neg)
        s++;
    for (; *s && *s != 'e'; s++)
        if (*s != '.')
            digits[nd++] = *s;
    digits[nd] = '\0';
    int e = atoi(s + 1); /* x = d.ddd * 10^e */
    char *o = out;
    size_t left = cap;
#define PUT(...) do { int w = snprintf(o, left, __VA_ARGS__); if (w < 0 || (size_t)w >= left) return; o += w; left -= (size_t)w; } while (0)
    if (neg)
        PUT("-");
    if (e >= 21 || e <= -7) {
        PUT("%c", digits[0]);
        if (nd > 1)
            PUT(".%s", digits + 1);
        PUT("e%c%d", e < 0 ? '-' : '+', e < 0 ? -e : e);
    } else if (e >= 0) {
        if ((int)nd <= e + 1) {
            PUT("%s", digits);
            for (int k = (int)nd; k <= e; k++)
                PUT("0");
        } else
            PUT("%.*s.%s", e + 1, digits, digits + e + 1);
    } else {
        PUT("0.");
        for (int k = 0; k < -e - 1; k++)
            PUT("0");
        PUT("%s", digits);
    }
#undef PUT
}

static int add_num(double x, char **buf, size_t *n, size_t *cap)
{
    char t[64];
    js_num(x, t, sizeof t);
    return js_add(buf, n, cap, t, strlen(t));
}

int jv_to_string(const jv *v, char **buf, size_t *n, size_t *cap)
{
    char t[64];
    switch (v->t) {
    case JV_UNDEF:
        return js_add(buf, n, cap, "undefined", 9);
    case JV_NULL:
        return js_add(buf, n, cap, "null", 4);
    case JV_BOOL:
        return js_add(buf, n, cap, v->b ? "true" : "false", v->b ? 4 : 5);
    case JV_INT:
        snprintf(t, sizeof t, "%lld", (long long)v->i);
        return js_add(buf, n, cap, t, strlen(t));
    case JV_FLOAT:
        if (v->f == 0 && signbit(v->f))
            return js_add(buf, n, cap, "-0.0", 4);
        if (isfinite(v->f) && v->f == floor(v->f) && fabs(v->f) < 1e21) {
            snprintf(t, sizeof t, "%.1f", v->f); /* toFixed(1) */
            return js_add(buf, n, cap, t, strlen(t));
        }
        return add_num(v->f, buf, n, cap);
    case JV_STR:
        return js_add(buf, n, cap, v->s.p, v->s.n);
    case JV_ARR:
    case JV_OBJ:
    case JV_NS:
    case JV_KWARGS:
        return jv_to_json(v, -1, false, false, NULL, NULL, false, 0, buf, n, cap);
    case JV_FUNC:
        return js_add(buf, n, cap, "[object Object]", 15);
    }
    return 0;
}

static int json_string(const char *s, size_t len, bool ascii, char **buf, size_t *n, size_t *cap)
{
    if (js_add(buf, n, cap, "\"", 1))
        return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char t[16];
        const char *r = NULL;
        switch (c) {
        case '"': r = "\\\""; break;
        case '\\': r = "\\\\"; break;
        case '\b': r = "\\b"; break;
        case '\f': r = "\\f"; break;
        case '\n': r = "\\n"; break;
        case '\r': r = "\\r"; break;
        case '\t': r = "\\t"; break;
        }
        if (r) {
            if (js_add(buf, n, cap, r, strlen(r)))
                return -1;
        } else if (c < 0x20) {
            snprintf(t, sizeof t, "\\u%04x", c);
            if (js_add(buf, n, cap, t, 6))
                return -1;
        } else if (ascii && c >= 0x7F) {
            /* \uXXXX per UTF-16 unit, as makeAsciiSafe does on [\x7f-\uffff] */
            unsigned cp = c, l = 1;
            if (c >= 0xF0 && i + 3 < len + 0)
                cp = ((c & 7u) << 18) | ((s[i + 1] & 0x3Fu) << 12) | ((s[i + 2] & 0x3Fu) << 6) | (s[i + 3] & 0x3Fu), l = 4;
            else if (c >= 0xE0 && i + 2 < len)
                cp = ((c & 15u) << 12) | ((s[i + 1] & 0x3Fu) << 6) | (s[i + 2] & 0x3Fu), l = 3;
            else if (c >= 0xC0 && i + 1 < len)
                cp = ((c & 31u) << 6) | (s[i + 1] & 0x3Fu), l = 2;
            if (cp >= 0x10000) { /* surrogates are outside the class: kept as UTF-8 */
                if (js_add(buf, n, cap, s + i, l))
                    return -1;
            } else {
                snprintf(t, sizeof t, "\\u%04x", cp);
                if (js_add(buf, n, cap, t, 6))
                    return -1;
            }
            i += l - 1;
        } else if (js_add(buf, n, cap, s + i, 1))
            return -1;
    }
    return js_add(buf, n, cap, "\"", 1);
}

static int keycmp(const void *a, const void *b)
{
    return strcmp(**(char *const *const *)a, **(char *const *const *)b);
}

int jv_to_json(const jv *v, int indent, bool ascii, bool sort_keys, const char *isep,
               const char *ksep, bool undef_null, int depth, char **buf, size_t *n, size_t *cap)
{
    if (depth > 512)
        return em__error("chat template: value nested too deeply for tojson");
    if (!isep)
        isep = indent > 0 ? "," : ", ";
    if (!ksep)
        ksep = ": ";
    switch (v->t) {
    case JV_NULL:
        return js_add(buf, n, cap, "null", 4);
    case JV_UNDEF:
        return undef_null ? js_add(buf, n, cap, "null", 4) : js_add(buf, n, cap, "undefined", 9);
    case JV_BOOL:
        return js_add(buf, n, cap, v->b ? "true" : "false", v->b ? 4 : 5);
    case JV_INT:
    case JV_FLOAT:
        if (!isfinite(jv_num(v)))
            return js_add(buf, n, cap, "null", 4);
        return add_num(jv_num(v), buf, n, cap);
    case JV_STR:
        return json_string(v->s.p, v->s.n, ascii, buf, n, cap);
    case JV_ARR:
    case JV_OBJ:
    case JV_NS:
    case JV_KWARGS: {
        bool arr = v->t == JV_ARR;
        size_t cnt = arr ? v->a.n : v->o.n;
        char pad[1024];
        size_t plen = 0;
        if (indent > 0) {
            pad[plen++] = '\n';
            for (int d = 0; d < depth * indent && plen < sizeof pad - 1; d++)
                pad[plen++] = ' ';
        }
        char cpad[1024];
        size_t cplen = plen;
        memcpy(cpad, pad, plen);
        for (int d = 0; indent > 0 && d < indent && cplen < sizeof cpad - 1; d++)
            cpad[cplen++] = ' ';
        if (js_add(buf, n, cap, arr ? "[" : "{", 1))
            return -1;
        size_t *order = NULL;
        if (!arr && sort_keys && cnt) {
            char ***ks = malloc(cnt * sizeof *ks);
            order = malloc(cnt * sizeof *order);
            if (!ks || !order) {
                free(ks);
                free(order);
                return em__error("chat template: out of memory");
            }
            for (size_t i = 0; i < cnt; i++)
                ks[i] = &v->o.k[i];
            qsort(ks, cnt, sizeof *ks, keycmp);
            for (size_t i = 0; i < cnt; i++)
                order[i] = (size_t)(ks[i] - v->o.k);
            free(ks);
        }
        int rc = 0;
        for (size_t i = 0; i < cnt && !rc; i++) {
            size_t k = order ? order[i] : i;
            if (i && js_add(buf, n, cap, isep, strlen(isep)))
                rc = -1;
            if (!rc && indent > 0 && js_add(buf, n, cap, cpad, cplen))
                rc = -1;
            if (!rc && !arr)
                rc = json_string(v->o.k[k], strlen(v->o.k[k]), ascii, buf, n, cap) ||
                     js_add(buf, n, cap, ksep, strlen(ksep));
            if (!rc)
                rc = jv_to_json(arr ? v->a.v[k] : v->o.v[k], indent, ascii, sort_keys, isep, ksep,
                                undef_null, depth + 1, buf, n, cap);
        }
        free(order);
        if (rc)
            return -1;
        if (indent > 0 && cnt && js_add(buf, n, cap, pad, plen))
            return -1;
        return js_add(buf, n, cap, arr ? "]" : "}", 1);
    }
    case JV_FUNC:
        return em__error("chat template: cannot convert to JSON: FunctionValue");
    }
    return 0;
}

jv *jv_from_json(json_object *o)
{
    if (!o)
        return jv_null();
    switch (json_object_get_type(o)) {
    case json_type_null:
        return jv_null();
    case json_type_boolean:
        return jv_bool(json_object_get_boolean(o));
    case json_type_int:
        return jv_int(json_object_get_int64(o));
    case json_type_double: {
        double d = json_object_get_double(o);
        /* JavaScript numbers: integral values are integers */
        if (isfinite(d) && d == floor(d) && fabs(d) < 9007199254740992.0)
            return jv_int((int64_t)d);
        return jv_float(d);
    }
    case json_type_string:
        return jv_str(json_object_get_string(o), (size_t)json_object_get_string_len(o));
    case json_type_array: {
        jv *a = jv_arr();
        for (size_t i = 0; a && i < json_object_array_length(o); i++)
            if (jv_push(a, jv_from_json(json_object_array_get_idx(o, i)))) {
                jv_unref(a);
                return NULL;
            }
        return a;
    }
    case json_type_object: {
        jv *m = jv_obj(JV_OBJ);
        if (!m)
            return NULL;
        json_object_object_foreach(o, key, val)
        {
            if (jv_set(m, key, jv_from_json(val))) {
                jv_unref(m);
                return NULL;
            }
        }
        return m;
    }
    }
    return jv_null();
}
