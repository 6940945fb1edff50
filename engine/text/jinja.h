/* A small Jinja interpreter for chat templates, following the semantics of
 * @huggingface/jinja (the implementation transformers.js and the Hub use):
 * lstrip_blocks and trim_blocks on, JavaScript-flavoured values. */
#ifndef EMBER_TEXT_JINJA_H
#define EMBER_TEXT_JINJA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* ---- values (reference counted) ---- */
typedef enum { JV_UNDEF, JV_NULL, JV_BOOL, JV_INT, JV_FLOAT, JV_STR, JV_ARR, JV_OBJ, JV_NS, JV_FUNC,
               JV_KWARGS } jv_type;

typedef struct jv jv;
typedef struct jenv jenv;
typedef struct jnode jnode;
typedef struct jctx jctx;

/* builtin functions; methods are bound to a value */
typedef enum { JF_RAISE, JF_RANGE, JF_NAMESPACE, JF_STRFTIME, JF_MACRO, JF_METHOD } jf_kind;

struct jv {
    int refs;
    jv_type t;
    bool tuple;
    union {
        bool b;
        int64_t i;
        double f;
        struct { char *p; size_t n; } s;
        struct { jv **v; size_t n, cap; } a;
        struct { char **k; jv **v; size_t n, cap; } o; /* OBJ, NS, KWARGS: ordered */
        struct { jf_kind kind; jv *self; char *name; const jnode *macro; } fn;
    };
};

jv *jv_new(jv_type t);
jv *jv_ref(jv *v);
void jv_unref(jv *v);
jv *jv_undef(void);
jv *jv_null(void);
jv *jv_bool(bool b);
jv *jv_int(int64_t i);
jv *jv_float(double f);
jv *jv_str(const char *s, size_t n);
jv *jv_cstr(const char *s);
jv *jv_arr(void);
jv *jv_obj(jv_type t); /* JV_OBJ, JV_NS or JV_KWARGS */
int jv_push(jv *arr, jv *item);                /* takes the reference */
int jv_set(jv *obj, const char *key, jv *val); /* takes the reference */
jv *jv_get(const jv *obj, const char *key);    /* borrowed, NULL if absent */
bool jv_truthy(const jv *v);
bool jv_is_num(const jv *v);
double jv_num(const jv *v);
/* JavaScript's String(v) as the interpreter prints it; appends to *BUF. */
int jv_to_string(const jv *v, char **buf, size_t *n, size_t *cap);
/* toJSON of @huggingface/jinja. INDENT < 0: none. */
int jv_to_json(const jv *v, int indent, bool ensure_ascii, bool sort_keys, const char *item_sep,
               const char *key_sep, bool undef_null, int depth, char **buf, size_t *n, size_t *cap);
jv *jv_from_json(json_object *o);
const char *jv_type_name(const jv *v);
/* JavaScript's Number -> string. */
void js_num(double x, char *out, size_t cap);

/* growing string */
int js_add(char **buf, size_t *n, size_t *cap, const char *s, size_t len);

/* ---- syntax ---- */
typedef enum {
    N_PROGRAM, N_TEXT, N_SET, N_IF, N_FOR, N_MACRO, N_BREAK, N_CONTINUE, N_INT, N_FLOAT, N_STR,
    N_ARRAY, N_TUPLE, N_OBJECT, N_IDENT, N_CALL, N_MEMBER, N_UNARY, N_BINARY, N_FILTER, N_TEST,
    N_SELECT, N_TERNARY, N_SLICE, N_KWARG, N_COMMENT, N_FILTER_BLOCK
} jnode_kind;

struct jnode {
    jnode_kind kind;
    char *s; /* name, operator, literal text */
    size_t sn;
    int64_t i;
    double f;
    bool computed, negate;
    jnode *a, *b, *c;
    jnode **kids; /* arguments, elements, body */
    size_t nkids;
    jnode **alt; /* else branch */
    size_t nalt;
};

jnode *jinja_parse(const char *src, size_t n); /* NULL + em__error on a syntax error */
void jnode_free(jnode *n);

/* Renders PROGRAM with the variables of VARS (an object); NULL on error. */
char *jinja_render(const jnode *program, jv *vars);

#endif
