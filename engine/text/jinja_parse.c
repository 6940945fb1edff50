/* Jinja: the preprocessing (lstrip_blocks, trim_blocks, generation tags),
 * the lexer and the recursive-descent parser of @huggingface/jinja. */
#include "jinja.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error_internal.h"

typedef enum {
    T_TEXT, T_NUM, T_STR, T_IDENT, T_EQUALS, T_LPAREN, T_RPAREN, T_OPEN_STMT, T_CLOSE_STMT,
    T_OPEN_EXPR, T_CLOSE_EXPR, T_LBRACKET, T_RBRACKET, T_LBRACE, T_RBRACE, T_COMMA, T_DOT,
    T_COLON, T_PIPE, T_CALL_OP, T_ADD, T_MUL, T_POW, T_CMP, T_UNARY, T_COMMENT
} ttype;

typedef struct {
    ttype t;
    char *s;
    size_t n;
} token;

typedef struct {
    token *v;
    size_t n, cap;
    size_t pos; /* parser cursor */
    int err;
} toks;

static int push_tok(toks *T, ttype t, const char *s, size_t n)
{
    if (T->n == T->cap) {
        size_t cap = T->cap ? T->cap * 2 : 256;
        token *v = realloc(T->v, cap * sizeof *v);
        if (!v)
            return em__error("chat template: out of memory");
        T->v = v;
        T->cap = cap;
    }
    char *c = malloc(n + 1);
    if (!c)
        return em__error("chat template: out of memory");
    memcpy(c, s, n);
    c[n] = '\0';
    T->v[T->n++] = (token){t, c, n};
    return 0;
}

/* JavaScript's \s */
static size_t js_space(const char *s, size_t n)
{
    unsigned char c = (unsigned char)s[0];
    if (c == ' ' || (c >= 9 && c <= 13))
        return 1;
    if (n >= 2 && c == 0xC2 && (unsigned char)s[1] == 0xA0)
        return 2;
    if (n >= 3 && c == 0xE2 && (unsigned char)s[1] == 0x80 &&
        (((unsigned char)s[2] >= 0x80 && (unsigned char)s[2] <= 0x8A) || (unsigned char)s[2] == 0xA8 ||
         (unsigned char)s[2] == 0xA9 || (unsigned char)s[2] == 0xAF))
        return 3;
    if (n >= 3 && c == 0xE2 && (unsigned char)s[1] == 0x81 && (unsigned char)s[2] == 0x9F)
        return 3;
    if (n >= 3 && c == 0xE3 && (unsigned char)s[1] == 0x80 && (unsigned char)s[2] == 0x80)
        return 3;
    if (n >= 3 && c == 0xEF && (unsigned char)s[1] == 0xBB && (unsigned char)s[2] == 0xBF)
        return 3;
    if (n >= 3 && c == 0xE1 && (unsigned char)s[1] == 0x9A && (unsigned char)s[2] == 0x80)
        return 3;
    return 0;
}

/* length of trailing JS whitespace */
size_t jinja_trim_end(const char *s, size_t n)
{
    size_t e = n;
    while (e > 0) {
        size_t k = e - 1;
        while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80 && e - k < 3)
            k--;
        if (js_space(s + k, e - k) != e - k)
            break;
        e = k;
    }
    return e;
}
size_t jinja_trim_start(const char *s, size_t n)
{
    size_t a = 0, l;
    while (a < n && (l = js_space(s + a, n - a)))
        a += l;
    return a;
}

static bool is_word(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* preprocess(): the three rewrites, in order */
static char *preprocess(const char *src, size_t n, size_t *out_n)
{
    if (n && src[n - 1] == '\n')
        n--;
    char *a = malloc(n + 1), *b;
    if (!a)
        return NULL;
    /* lstrip_blocks: blanks at a line start before {% {# {- */
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        if (i == 0 || src[i - 1] == '\n') {
            size_t j = i;
            while (j < n && (src[j] == ' ' || src[j] == '\t'))
                j++;
            if (j + 1 < n && src[j] == '{' && (src[j + 1] == '#' || src[j + 1] == '%' || src[j + 1] == '-'))
                i = j;
        }
        /* copy up to the next line start */
        do
            a[k++] = src[i++];
        while (i < n && src[i - 1] != '\n');
    }
    n = k;
    /* trim_blocks: the newline after #} %} -} */
    b = malloc(n + 1);
    if (!b) {
        free(a);
        return NULL;
    }
    k = 0;
    for (size_t i = 0; i < n; i++) {
        b[k++] = a[i];
        if (a[i] == '}' && i > 0 && (a[i - 1] == '#' || a[i - 1] == '%' || a[i - 1] == '-') &&
            i + 1 < n && a[i + 1] == '\n')
            i++;
    }
    n = k;
    /* {% generation %} / {% endgeneration %} vanish, with their -'s whitespace control */
    k = 0;
    for (size_t i = 0; i < n;) {
        if (b[i] == '{' && i + 1 < n && b[i + 1] == '%') {
            size_t j = i + 2;
            bool lstrip = false, rstrip = false;
            if (j < n && b[j] == '-')
                lstrip = true, j++;
            while (j < n && js_space(b + j, n - j))
                j += js_space(b + j, n - j);
            if (j + 3 <= n && !memcmp(b + j, "end", 3))
                j += 3;
            if (j + 10 <= n && !memcmp(b + j, "generation", 10)) {
                j += 10;
                while (j < n && js_space(b + j, n - j))
                    j += js_space(b + j, n - j);
                if (j < n && b[j] == '-')
                    rstrip = true, j++;
                if (j + 1 < n && b[j] == '%' && b[j + 1] == '}') {
                    j += 2;
                    if (lstrip)
                        k = jinja_trim_end(a, k);
                    if (rstrip)
                        j += jinja_trim_start(b + j, n - j);
                    i = j;
                    continue;
                }
            }
        }
        a[k++] = b[i++];
    }
    free(b);
    a[k] = '\0';
    *out_n = k;
    return a;
}

static const struct { const char *s; ttype t; } SYMS[] = {
    {"{%", T_OPEN_STMT}, {"%}", T_CLOSE_STMT}, {"{{", T_OPEN_EXPR}, {"}}", T_CLOSE_EXPR},
    {"(", T_LPAREN}, {")", T_RPAREN}, {"{", T_LBRACE}, {"}", T_RBRACE}, {"[", T_LBRACKET},
    {"]", T_RBRACKET}, {",", T_COMMA}, {".", T_DOT}, {":", T_COLON}, {"|", T_PIPE},
    {"<=", T_CMP}, {">=", T_CMP}, {"==", T_CMP}, {"!=", T_CMP}, {"<", T_CMP}, {">", T_CMP},
    {"+", T_ADD}, {"-", T_ADD}, {"~", T_ADD}, {"**", T_POW}, {"*", T_MUL}, {"//", T_MUL},
    {"/", T_MUL}, {"%", T_MUL}, {"=", T_EQUALS},
};

static int lex(const char *src, size_t n, toks *T)
{
    size_t i = 0;
    int depth = 0;
    char *str = NULL;
    size_t sl = 0, sc = 0;
#define LAST (T->n ? T->v[T->n - 1].t : (ttype)-1)
    while (i < n) {
        ttype last = LAST;
        if (!T->n || last == T_CLOSE_STMT || last == T_CLOSE_EXPR || last == T_COMMENT) {
            size_t j = i;
            while (j < n && !(src[j] == '{' && j + 1 < n && (src[j + 1] == '%' || src[j + 1] == '{' || src[j + 1] == '#')))
                j++;
            if (j > i) {
                if (push_tok(T, T_TEXT, src + i, j - i))
                    return -1;
                i = j;
                continue;
            }
        }
        if (src[i] == '{' && i + 1 < n && src[i + 1] == '#') {
            i += 2;
            bool before = i < n && src[i] == '-';
            if (before)
                i++;
            size_t j = i;
            while (!(j + 1 < n && src[j] == '#' && src[j + 1] == '}')) {
                if (j + 2 >= n)
                    return em__error("chat template: missing end of comment tag");
                j++;
            }
            bool after = j > i && src[j - 1] == '-';
            if (before && T->n && T->v[T->n - 1].t == T_TEXT) {
                token *t = &T->v[T->n - 1];
                t->n = jinja_trim_end(t->s, t->n);
                t->s[t->n] = '\0';
                if (!t->n) {
                    free(t->s);
                    T->n--;
                }
            }
            if (push_tok(T, T_COMMENT, src + i, j - i - (after ? 1 : 0)))
                return -1;
            i = j + 2;
            if (after)
                i += jinja_trim_start(src + i, n - i);
            continue;
        }
        if (i + 2 < n && src[i] == '{' && (src[i + 1] == '%' || src[i + 1] == '{') && src[i + 2] == '-') {
            if (T->n && T->v[T->n - 1].t == T_TEXT) {
                token *t = &T->v[T->n - 1];
                t->n = jinja_trim_end(t->s, t->n);
                t->s[t->n] = '\0';
                if (!t->n) {
                    free(t->s);
                    T->n--;
                }
            }
            if (push_tok(T, src[i + 1] == '%' ? T_OPEN_STMT : T_OPEN_EXPR, src + i, 2))
                return -1;
            if (src[i + 1] == '{')
                depth = 0;
            i += 3;
            continue;
        }
        size_t l;
        while (i < n && (l = js_space(src + i, n - i)))
            i += l;
        if (i >= n)
            break;
        if (i + 2 < n && src[i] == '-' && (src[i + 1] == '%' || src[i + 1] == '}') && src[i + 2] == '}') {
            if (push_tok(T, src[i + 1] == '%' ? T_CLOSE_STMT : T_CLOSE_EXPR, src + i + 1, 2))
                return -1;
            i += 3;
            i += jinja_trim_start(src + i, n - i);
            continue;
        }
        char c = src[i];
        if (c == '-' || c == '+') {
            last = LAST;
            if (last == T_TEXT || !T->n)
                return em__error("chat template: unexpected character '%c'", c);
            if (!(last == T_IDENT || last == T_NUM || last == T_STR || last == T_RPAREN || last == T_RBRACKET)) {
                size_t j = i + 1;
                while (j < n && is_digit(src[j]))
                    j++;
                if (j > i + 1 && j + 1 < n && src[j] == '.' && is_digit(src[j + 1])) {
                    j++;
                    while (j < n && is_digit(src[j]))
                        j++;
                }
                if (push_tok(T, j > i + 1 ? T_NUM : T_UNARY, src + i, j - i))
                    return -1;
                i = j;
                continue;
            }
        }
        bool matched = false;
        for (size_t k = 0; k < sizeof SYMS / sizeof *SYMS; k++) {
            size_t sl2 = strlen(SYMS[k].s);
            if (SYMS[k].t == T_CLOSE_EXPR && depth > 0)
                continue;
            if (i + sl2 <= n && !memcmp(src + i, SYMS[k].s, sl2)) {
                if (push_tok(T, SYMS[k].t, src + i, sl2))
                    return -1;
                if (SYMS[k].t == T_OPEN_EXPR)
                    depth = 0;
                else if (SYMS[k].t == T_LBRACE)
                    depth++;
                else if (SYMS[k].t == T_RBRACE)
                    depth--;
                i += sl2;
                matched = true;
                break;
            }
        }
        if (matched)
            continue;
        if (c == '\'' || c == '"') {
            i++;
            sl = 0;
            for (;;) {
                if (i >= n) {
                    free(str);
                    return em__error("chat template: unexpected end of input in a string");
                }
                if (src[i] == c)
                    break;
                char ch = src[i];
                if (ch == '\\') {
                    if (++i >= n) {
                        free(str);
                        return em__error("chat template: unexpected end of input");
                    }
                    char e = src[i++];
                    const char *rep = NULL;
                    char tmp[8];
                    switch (e) {
                    case 'n': rep = "\n"; break;
                    case 't': rep = "\t"; break;
                    case 'r': rep = "\r"; break;
                    case 'b': rep = "\b"; break;
                    case 'f': rep = "\f"; break;
                    case 'v': rep = "\v"; break;
                    case '\'': rep = "'"; break;
                    case '"': rep = "\""; break;
                    case '\\': rep = "\\"; break;
                    case 'x':
                    case 'u': {
                        size_t hl = e == 'x' ? 2 : 4;
                        unsigned cp = 0;
                        for (size_t h = 0; h < hl; h++) {
                            char d = i + h < n ? src[i + h] : 0;
                            int v = d >= '0' && d <= '9' ? d - '0' : (d | 32) >= 'a' && (d | 32) <= 'f' ? (d | 32) - 'a' + 10 : -1;
                            if (v < 0) {
                                free(str);
                                return em__error("chat template: invalid hexadecimal escape sequence");
                            }
                            cp = cp * 16 + (unsigned)v;
                        }
                        i += hl;
                        size_t k2 = 0;
                        if (cp < 0x80)
                            tmp[k2++] = (char)cp;
                        else if (cp < 0x800)
                            tmp[k2++] = (char)(0xC0 | (cp >> 6)), tmp[k2++] = (char)(0x80 | (cp & 0x3F));
                        else
                            tmp[k2++] = (char)(0xE0 | (cp >> 12)), tmp[k2++] = (char)(0x80 | ((cp >> 6) & 0x3F)),
                            tmp[k2++] = (char)(0x80 | (cp & 0x3F));
                        tmp[k2] = '\0';
                        rep = tmp;
                        break;
                    }
                    default:
                        free(str);
                        return em__error("chat template: unexpected escaped character '%c'", e);
                    }
                    if (js_add(&str, &sl, &sc, rep, strlen(rep)))
                        return -1;
                    continue;
                }
                if (js_add(&str, &sl, &sc, &ch, 1))
                    return -1;
                i++;
            }
            i++;
            int rc = push_tok(T, T_STR, str ? str : "", sl);
            if (rc) {
                free(str);
                return -1;
            }
            continue;
        }
        if (is_digit(c)) {
            size_t j = i;
            while (j < n && is_digit(src[j]))
                j++;
            if (LAST != T_DOT && j + 1 < n && src[j] == '.' && is_digit(src[j + 1])) {
                j++;
                while (j < n && is_digit(src[j]))
                    j++;
            }
            if (push_tok(T, T_NUM, src + i, j - i))
                return -1;
            i = j;
            continue;
        }
        if (is_word(c)) {
            size_t j = i;
            while (j < n && is_word(src[j]))
                j++;
            if (push_tok(T, T_IDENT, src + i, j - i))
                return -1;
            i = j;
            continue;
        }
        free(str);
        return em__error("chat template: unexpected character '%c'", c);
    }
    free(str);
    return 0;
#undef LAST
}

/* ---- parser ---- */

static jnode *node(jnode_kind k)
{
    jnode *n = calloc(1, sizeof *n);
    if (n)
        n->kind = k;
    else
        em__error("chat template: out of memory");
    return n;
}

void jnode_free(jnode *n)
{
    if (!n)
        return;
    free(n->s);
    jnode_free(n->a);
    jnode_free(n->b);
    jnode_free(n->c);
    for (size_t i = 0; i < n->nkids; i++)
        jnode_free(n->kids[i]);
    free(n->kids);
    for (size_t i = 0; i < n->nalt; i++)
        jnode_free(n->alt[i]);
    free(n->alt);
    free(n);
}

static int add_to(jnode ***v, size_t *n, jnode *x)
{
    if (!x)
        return -1;
    jnode **w = realloc(*v, (*n + 1) * sizeof *w);
    if (!w) {
        jnode_free(x);
        return em__error("chat template: out of memory");
    }
    *v = w;
    w[(*n)++] = x;
    return 0;
}

static const char *tname(ttype t)
{
    static const char *names[] = {"Text", "NumericLiteral", "StringLiteral", "Identifier", "Equals",
                                  "OpenParen", "CloseParen", "OpenStatement", "CloseStatement",
                                  "OpenExpression", "CloseExpression", "OpenSquareBracket",
                                  "CloseSquareBracket", "OpenCurlyBracket", "CloseCurlyBracket",
                                  "Comma", "Dot", "Colon", "Pipe", "CallOperator", "AdditiveBinaryOperator",
                                  "MultiplicativeBinaryOperator", "ExponentiationBinaryOperator",
                                  "ComparisonBinaryOperator", "UnaryOperator", "Comment"};
    return names[t];
}

static bool is(toks *T, ttype t) { return T->pos < T->n && T->v[T->pos].t == t; }
static bool is_ident(toks *T, const char *name)
{
    return T->pos < T->n && T->v[T->pos].t == T_IDENT && !strcmp(T->v[T->pos].s, name);
}
static bool is_stmt(toks *T, const char *name)
{
    return T->pos + 1 < T->n && T->v[T->pos].t == T_OPEN_STMT && T->v[T->pos + 1].t == T_IDENT &&
           !strcmp(T->v[T->pos + 1].s, name);
}
static int expect(toks *T, ttype t, const char *what)
{
    if (T->pos >= T->n)
        return em__error("chat template: %s, but the template ended", what);
    if (T->v[T->pos].t != t)
        return em__error("chat template: %s, got %s '%s'", what, tname(T->v[T->pos].t), T->v[T->pos].s);
    T->pos++;
    return 0;
}
static int expect_ident(toks *T, const char *name)
{
    if (!is_ident(T, name))
        return em__error("chat template: expected '%s'", name);
    T->pos++;
    return 0;
}

static jnode *parse_any(toks *T);
static jnode *parse_expr(toks *T);
static jnode *parse_primary(toks *T);
static jnode *parse_or(toks *T);

static jnode *str_node(jnode_kind k, const char *s, size_t n)
{
    jnode *x = node(k);
    if (!x)
        return NULL;
    x->s = malloc(n + 1);
    if (!x->s) {
        free(x);
        em__error("chat template: out of memory");
        return NULL;
    }
    memcpy(x->s, s, n);
    x->s[n] = '\0';
    x->sn = n;
    return x;
}

/* collects statements until one of the block ends */
static int parse_body(toks *T, jnode ***v, size_t *n, const char *e1, const char *e2, const char *e3)
{
    for (;;) {
        if (T->pos >= T->n)
            return em__error("chat template: missing {%% %s %%}", e3 ? e3 : e2 ? e2 : e1);
        if (is_stmt(T, e1) || (e2 && is_stmt(T, e2)) || (e3 && is_stmt(T, e3)))
            return 0;
        if (add_to(v, n, parse_any(T)))
            return -1;
    }
}

static jnode *parse_sequence(toks *T, bool primary)
{
    jnode *first = primary ? parse_primary(T) : parse_expr(T);
    if (!first || !is(T, T_COMMA))
        return first;
    jnode *t = node(N_TUPLE);
    if (!t || add_to(&t->kids, &t->nkids, first)) {
        jnode_free(t);
        return NULL;
    }
    while (is(T, T_COMMA)) {
        T->pos++;
        if (add_to(&t->kids, &t->nkids, primary ? parse_primary(T) : parse_expr(T))) {
            jnode_free(t);
            return NULL;
        }
    }
    return t;
}

static jnode *parse_args(toks *T, jnode *call)
{
    if (expect(T, T_LPAREN, "expected '(' for arguments")) {
        jnode_free(call);
        return NULL;
    }
    while (!is(T, T_RPAREN)) {
        if (T->pos >= T->n) {
            jnode_free(call);
            em__error("chat template: expected ')'");
            return NULL;
        }
        jnode *arg = parse_expr(T);
        if (arg && is(T, T_EQUALS)) {
            T->pos++;
            if (arg->kind != N_IDENT) {
                jnode_free(arg);
                jnode_free(call);
                em__error("chat template: expected identifier for keyword argument");
                return NULL;
            }
            jnode *kw = node(N_KWARG);
            if (kw) {
                kw->s = arg->s;
                arg->s = NULL;
                kw->a = parse_expr(T);
            }
            jnode_free(arg);
            arg = kw && kw->a ? kw : (jnode_free(kw), NULL);
        }
        if (add_to(&call->kids, &call->nkids, arg)) {
            jnode_free(call);
            return NULL;
        }
        if (is(T, T_COMMA))
            T->pos++;
    }
    T->pos++;
    return call;
}

static jnode *parse_member(toks *T, jnode *obj)
{
    while (obj && (is(T, T_DOT) || is(T, T_LBRACKET))) {
        bool computed = is(T, T_LBRACKET);
        T->pos++;
        jnode *m = node(N_MEMBER);
        if (!m) {
            jnode_free(obj);
            return NULL;
        }
        m->a = obj;
        m->computed = computed;
        if (computed) {
            jnode *sl[3] = {0};
            int ns = 0;
            bool slice = false, err = false;
            while (!is(T, T_RBRACKET) && !err) {
                if (T->pos >= T->n) {
                    err = true;
                    break;
                }
                if (ns >= 3) {
                    err = true;
                    break;
                }
                if (is(T, T_COLON)) {
                    sl[ns++] = NULL;
                    T->pos++;
                    slice = true;
                } else {
                    if (!(sl[ns++] = parse_expr(T)))
                        err = true;
                    else if (is(T, T_COLON)) {
                        T->pos++;
                        slice = true;
                    }
                }
            }
            if (err || ns == 0 || expect(T, T_RBRACKET, "expected ']'")) {
                for (int k = 0; k < 3; k++)
                    jnode_free(sl[k]);
                jnode_free(m);
                if (!err && ns == 0)
                    em__error("chat template: expected at least one argument for member/slice expression");
                else if (err && !em_error_pending())
                    em__error("chat template: bad member/slice expression");
                return NULL;
            }
            if (slice) {
                jnode *s = node(N_SLICE);
                if (!s) {
                    jnode_free(m);
                    return NULL;
                }
                s->a = sl[0];
                s->b = sl[1];
                s->c = sl[2];
                m->b = s;
            } else
                m->b = sl[0];
        } else {
            m->b = parse_primary(T);
            if (!m->b || (m->b->kind != N_IDENT && m->b->kind != N_INT)) {
                jnode_free(m);
                em__error("chat template: expected identifier or integer following dot operator");
                return NULL;
            }
        }
        obj = m;
    }
    return obj;
}

static jnode *parse_call(toks *T, jnode *callee)
{
    jnode *c = node(N_CALL);
    if (!c) {
        jnode_free(callee);
        return NULL;
    }
    c->a = callee;
    c = parse_args(T, c);
    c = parse_member(T, c);
    if (c && is(T, T_LPAREN))
        c = parse_call(T, c);
    return c;
}

static jnode *parse_primary(toks *T)
{
    if (T->pos >= T->n) {
        em__error("chat template: unexpected end of template in an expression");
        return NULL;
    }
    token *t = &T->v[T->pos++];
    switch (t->t) {
    case T_NUM: {
        jnode *x;
        if (strchr(t->s, '.')) {
            if ((x = node(N_FLOAT)))
                x->f = strtod(t->s, NULL);
        } else if ((x = node(N_INT)))
            x->i = strtoll(t->s, NULL, 10);
        return x;
    }
    case T_STR: {
        /* adjacent literals concatenate */
        char *buf = NULL;
        size_t n = 0, cap = 0;
        if (js_add(&buf, &n, &cap, t->s, t->n))
            return NULL;
        while (is(T, T_STR)) {
            token *u = &T->v[T->pos++];
            if (js_add(&buf, &n, &cap, u->s, u->n)) {
                free(buf);
                return NULL;
            }
        }
        jnode *x = str_node(N_STR, buf ? buf : "", n);
        free(buf);
        return x;
    }
    case T_IDENT:
        return str_node(N_IDENT, t->s, t->n);
    case T_LPAREN: {
        jnode *e = parse_sequence(T, false);
        if (e && expect(T, T_RPAREN, "expected ')'")) {
            jnode_free(e);
            return NULL;
        }
        return e;
    }
    case T_LBRACKET: {
        jnode *a = node(N_ARRAY);
        while (a && !is(T, T_RBRACKET)) {
            if (T->pos >= T->n || add_to(&a->kids, &a->nkids, parse_expr(T))) {
                if (T->pos >= T->n)
                    em__error("chat template: expected ']'");
                jnode_free(a);
                return NULL;
            }
            if (is(T, T_COMMA))
                T->pos++;
        }
        T->pos++;
        return a;
    }
    case T_LBRACE: {
        jnode *o = node(N_OBJECT);
        while (o && !is(T, T_RBRACE)) {
            if (T->pos >= T->n || add_to(&o->kids, &o->nkids, parse_expr(T)) ||
                expect(T, T_COLON, "expected ':' between key and value in object literal") ||
                add_to(&o->kids, &o->nkids, parse_expr(T))) {
                if (T->pos >= T->n && !em_error_pending())
                    em__error("chat template: expected '}'");
                jnode_free(o);
                return NULL;
            }
            if (is(T, T_COMMA))
                T->pos++;
        }
        T->pos++;
        return o;
    }
    default:
        em__error("chat template: unexpected token %s '%s'", tname(t->t), t->s);
        return NULL;
    }
}

static jnode *binary(const char *op, jnode *l, jnode *r)
{
    if (!l || !r) {
        jnode_free(l);
        jnode_free(r);
        return NULL;
    }
    jnode *b = str_node(N_BINARY, op, strlen(op));
    if (!b) {
        jnode_free(l);
        jnode_free(r);
        return NULL;
    }
    b->a = l;
    b->b = r;
    return b;
}

static jnode *parse_call_member(toks *T)
{
    jnode *m = parse_member(T, parse_primary(T));
    if (m && is(T, T_LPAREN))
        return parse_call(T, m);
    return m;
}

static jnode *parse_unary_sign(toks *T)
{
    if (T->pos < T->n && (T->v[T->pos].t == T_UNARY || T->v[T->pos].t == T_ADD) &&
        (!strcmp(T->v[T->pos].s, "-") || !strcmp(T->v[T->pos].s, "+"))) {
        jnode *u = str_node(N_UNARY, T->v[T->pos].s, 1);
        T->pos++;
        if (u && !(u->a = parse_unary_sign(T))) {
            jnode_free(u);
            return NULL;
        }
        return u;
    }
    return parse_call_member(T);
}

static jnode *parse_filter(toks *T)
{
    jnode *x = parse_unary_sign(T);
    while (x && is(T, T_PIPE)) {
        T->pos++;
        jnode *f = parse_primary(T);
        if (!f || f->kind != N_IDENT) {
            jnode_free(f);
            jnode_free(x);
            em__error("chat template: expected identifier for the filter");
            return NULL;
        }
        if (is(T, T_LPAREN) && !(f = parse_call(T, f))) {
            jnode_free(x);
            return NULL;
        }
        jnode *n = node(N_FILTER);
        if (!n) {
            jnode_free(f);
            jnode_free(x);
            return NULL;
        }
        n->a = x;
        n->b = f;
        x = n;
    }
    return x;
}

static jnode *parse_test(toks *T)
{
    jnode *x = parse_filter(T);
    while (x && is_ident(T, "is")) {
        T->pos++;
        bool neg = is_ident(T, "not");
        if (neg)
            T->pos++;
        jnode *t = parse_primary(T);
        if (!t || t->kind != N_IDENT) {
            jnode_free(t);
            jnode_free(x);
            em__error("chat template: expected identifier for the test");
            return NULL;
        }
        t->kind = N_TEST;
        t->negate = neg;
        t->a = x;
        x = t;
    }
    return x;
}

static jnode *parse_pow(toks *T)
{
    jnode *l = parse_test(T);
    while (l && is(T, T_POW)) {
        T->pos++;
        l = binary("**", l, parse_test(T));
    }
    return l;
}

static jnode *parse_mul(toks *T)
{
    jnode *l = parse_pow(T);
    while (l && is(T, T_MUL)) {
        const char *op = T->v[T->pos++].s;
        l = binary(op, l, parse_pow(T));
    }
    return l;
}

static jnode *parse_add(toks *T)
{
    jnode *l = parse_mul(T);
    while (l && is(T, T_ADD)) {
        const char *op = T->v[T->pos++].s;
        l = binary(op, l, parse_mul(T));
    }
    return l;
}

static jnode *parse_cmp(toks *T)
{
    jnode *l = parse_add(T);
    while (l) {
        const char *op;
        if (is_ident(T, "not") && T->pos + 1 < T->n && T->v[T->pos + 1].t == T_IDENT &&
            !strcmp(T->v[T->pos + 1].s, "in")) {
            op = "not in";
            T->pos += 2;
        } else if (is_ident(T, "in")) {
            op = "in";
            T->pos++;
        } else if (is(T, T_CMP))
            op = T->v[T->pos++].s;
        else
            break;
        l = binary(op, l, parse_add(T));
    }
    return l;
}

static jnode *parse_not(toks *T)
{
    if (is_ident(T, "not")) {
        T->pos++;
        jnode *u = str_node(N_UNARY, "not", 3);
        if (u && !(u->a = parse_not(T))) {
            jnode_free(u);
            return NULL;
        }
        return u;
    }
    return parse_cmp(T);
}

static jnode *parse_and(toks *T)
{
    jnode *l = parse_not(T);
    while (l && is_ident(T, "and")) {
        T->pos++;
        l = binary("and", l, parse_not(T));
    }
    return l;
}

static jnode *parse_or(toks *T)
{
    jnode *l = parse_and(T);
    while (l && is_ident(T, "or")) {
        T->pos++;
        l = binary("or", l, parse_and(T));
    }
    return l;
}

static jnode *parse_if_expr(toks *T)
{
    jnode *a = parse_or(T);
    if (a && is_ident(T, "if")) {
        T->pos++;
        jnode *test = parse_or(T);
        if (!test) {
            jnode_free(a);
            return NULL;
        }
        if (is_ident(T, "else")) {
            T->pos++;
            jnode *t = node(N_TERNARY);
            if (!t) {
                jnode_free(a);
                jnode_free(test);
                return NULL;
            }
            t->a = test;
            t->b = a;
            if (!(t->c = parse_if_expr(T))) {
                jnode_free(t);
                return NULL;
            }
            return t;
        }
        jnode *s = node(N_SELECT);
        if (!s) {
            jnode_free(a);
            jnode_free(test);
            return NULL;
        }
        s->a = a;
        s->b = test;
        return s;
    }
    return a;
}

static jnode *parse_expr(toks *T) { return parse_if_expr(T); }

static jnode *parse_if(toks *T)
{
    jnode *n = node(N_IF);
    if (!n || !(n->a = parse_expr(T)) || expect(T, T_CLOSE_STMT, "expected '%}'") ||
        parse_body(T, &n->kids, &n->nkids, "elif", "else", "endif")) {
        jnode_free(n);
        return NULL;
    }
    if (is_stmt(T, "elif")) {
        T->pos += 2;
        if (add_to(&n->alt, &n->nalt, parse_if(T))) {
            jnode_free(n);
            return NULL;
        }
    } else if (is_stmt(T, "else")) {
        T->pos += 2;
        if (expect(T, T_CLOSE_STMT, "expected '%}'") || parse_body(T, &n->alt, &n->nalt, "endif", NULL, NULL)) {
            jnode_free(n);
            return NULL;
        }
    }
    return n;
}

static jnode *parse_statement(toks *T)
{
    if (expect(T, T_OPEN_STMT, "expected '{%'"))
        return NULL;
    if (!is(T, T_IDENT)) {
        em__error("chat template: unknown statement, got %s", T->pos < T->n ? tname(T->v[T->pos].t) : "end");
        return NULL;
    }
    const char *name = T->v[T->pos].s;
    jnode *n = NULL;
    T->pos++;
    if (!strcmp(name, "set")) {
        n = node(N_SET);
        if (!n || !(n->a = parse_sequence(T, false))) {
            jnode_free(n);
            return NULL;
        }
        if (is(T, T_EQUALS)) {
            T->pos++;
            if (!(n->b = parse_sequence(T, false))) {
                jnode_free(n);
                return NULL;
            }
        } else if (expect(T, T_CLOSE_STMT, "expected '%}'") ||
                   parse_body(T, &n->kids, &n->nkids, "endset", NULL, NULL) ||
                   (T->pos++, expect_ident(T, "endset"))) {
            jnode_free(n);
            return NULL;
        }
        if (expect(T, T_CLOSE_STMT, "expected '%}'")) {
            jnode_free(n);
            return NULL;
        }
        return n;
    }
    if (!strcmp(name, "if")) {
        n = parse_if(T);
        if (n && (expect(T, T_OPEN_STMT, "expected '{%'") || expect_ident(T, "endif") ||
                  expect(T, T_CLOSE_STMT, "expected '%}'"))) {
            jnode_free(n);
            return NULL;
        }
        return n;
    }
    if (!strcmp(name, "for")) {
        n = node(N_FOR);
        if (!n || !(n->a = parse_sequence(T, true))) {
            jnode_free(n);
            return NULL;
        }
        if (n->a->kind != N_IDENT && n->a->kind != N_TUPLE) {
            jnode_free(n);
            em__error("chat template: expected identifier/tuple for the loop variable");
            return NULL;
        }
        if (expect_ident(T, "in") || !(n->b = parse_expr(T)) || expect(T, T_CLOSE_STMT, "expected '%}'") ||
            parse_body(T, &n->kids, &n->nkids, "endfor", "else", NULL)) {
            jnode_free(n);
            return NULL;
        }
        if (is_stmt(T, "else")) {
            T->pos += 2;
            if (expect(T, T_CLOSE_STMT, "expected '%}'") || parse_body(T, &n->alt, &n->nalt, "endfor", NULL, NULL)) {
                jnode_free(n);
                return NULL;
            }
        }
        if (expect(T, T_OPEN_STMT, "expected '{%'") || expect_ident(T, "endfor") ||
            expect(T, T_CLOSE_STMT, "expected '%}'")) {
            jnode_free(n);
            return NULL;
        }
        return n;
    }
    if (!strcmp(name, "macro")) {
        n = node(N_MACRO);
        jnode *nm = n ? parse_primary(T) : NULL;
        if (!nm || nm->kind != N_IDENT) {
            jnode_free(nm);
            jnode_free(n);
            if (!em_error_pending())
                em__error("chat template: expected identifier following macro statement");
            return NULL;
        }
        n->s = nm->s;
        nm->s = NULL;
        jnode_free(nm);
        jnode *params = node(N_CALL);
        if (!params || !(params = parse_args(T, params))) {
            jnode_free(n);
            return NULL;
        }
        n->a = params;
        if (expect(T, T_CLOSE_STMT, "expected '%}'") || parse_body(T, &n->kids, &n->nkids, "endmacro", NULL, NULL) ||
            expect(T, T_OPEN_STMT, "expected '{%'") || expect_ident(T, "endmacro") ||
            expect(T, T_CLOSE_STMT, "expected '%}'")) {
            jnode_free(n);
            return NULL;
        }
        return n;
    }
    if (!strcmp(name, "break") || !strcmp(name, "continue")) {
        n = node(!strcmp(name, "break") ? N_BREAK : N_CONTINUE);
        if (n && expect(T, T_CLOSE_STMT, "expected '%}'")) {
            jnode_free(n);
            return NULL;
        }
        return n;
    }
    if (!strcmp(name, "filter")) {
        n = node(N_FILTER_BLOCK);
        jnode *f = n ? parse_primary(T) : NULL;
        if (f && f->kind == N_IDENT && is(T, T_LPAREN))
            f = parse_call(T, f);
        if (!f || expect(T, T_CLOSE_STMT, "expected '%}'") ||
            parse_body(T, &n->kids, &n->nkids, "endfilter", NULL, NULL) ||
            expect(T, T_OPEN_STMT, "expected '{%'") || expect_ident(T, "endfilter") ||
            expect(T, T_CLOSE_STMT, "expected '%}'")) {
            jnode_free(f);
            jnode_free(n);
            return NULL;
        }
        n->b = f;
        return n;
    }
    em__error("chat template: unknown statement type '%s'", name);
    return NULL;
}

static jnode *parse_any(toks *T)
{
    token *t = &T->v[T->pos];
    switch (t->t) {
    case T_COMMENT:
        T->pos++;
        return node(N_COMMENT);
    case T_TEXT:
        T->pos++;
        return str_node(N_TEXT, t->s, t->n);
    case T_OPEN_STMT:
        return parse_statement(T);
    case T_OPEN_EXPR: {
        T->pos++;
        jnode *e = parse_expr(T);
        if (e && expect(T, T_CLOSE_EXPR, "expected '}}'")) {
            jnode_free(e);
            return NULL;
        }
        return e;
    }
    default:
        em__error("chat template: unexpected token %s '%s'", tname(t->t), t->s);
        return NULL;
    }
}

jnode *jinja_parse(const char *src, size_t n)
{
    size_t pn;
    char *pre = preprocess(src, n, &pn);
    if (!pre) {
        em__error("chat template: out of memory");
        return NULL;
    }
    toks T = {0};
    jnode *prog = NULL;
    if (!lex(pre, pn, &T)) {
        prog = node(N_PROGRAM);
        while (prog && T.pos < T.n)
            if (add_to(&prog->kids, &prog->nkids, parse_any(&T))) {
                jnode_free(prog);
                prog = NULL;
            }
    }
    for (size_t i = 0; i < T.n; i++)
        free(T.v[i].s);
    free(T.v);
    free(pre);
    return prog;
}
