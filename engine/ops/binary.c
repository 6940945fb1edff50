/* Binary and ternary op constructors: type promotion and broadcasting. */
#include "ops_internal.h"

static int kind(em_dtype t) { return t == EM_BOOL ? 0 : em_dtype_is_float(t) ? 2 : 1; }

em_dtype em__result_type(const em_array *a, const em_array *b)
{
    em_dtype ta = (em_dtype)a->dtype, tb = (em_dtype)b->dtype;
    bool wa = a->flags & EM_F_WEAK, wb = b->flags & EM_F_WEAK;
    if (wa && !wb)
        return kind(ta) <= kind(tb) ? tb : em_promote_types(ta, kind(tb) == 2 ? tb : ta);
    if (wb && !wa)
        return kind(tb) <= kind(ta) ? ta : em_promote_types(tb, kind(ta) == 2 ? ta : tb);
    return em_promote_types(ta, tb);
}

/* Casts and broadcasts both operands; writes owned references. */
static int prepare(const char *op, em_array *a, em_array *b, em_dtype t, em_array **pa,
                   em_array **pb, int *nd, int64_t *shape)
{
    if (em__broadcast_shapes(op, a->ndim, a->shape, b->ndim, b->shape, nd, shape) < 0)
        return -1;
    em_array *ca = em__cast(a, t), *cb = em__cast(b, t);
    *pa = em__broadcast(ca, *nd, shape);
    *pb = em__broadcast(cb, *nd, shape);
    em_release(ca);
    em_release(cb);
    return *pa && *pb ? 0 : -1;
}

typedef enum { SAME, BOOL_OUT, FLOAT_ONLY, INT_ONLY, NO_BOOL } rule;

static em_array *binary(em_prim_id prim, rule r, em_array *a, em_array *b)
{
    if (!a || !b)
        return NULL;
    const char *op = em_prims[prim].name;
    em_dtype t = em__result_type(a, b);
    if (r == FLOAT_ONLY)
        t = em__float_type(t);
    if (r == INT_ONLY && em_dtype_is_float(t)) {
        char d1[128], d2[128];
        em__error("%s: not defined for floating types (%s, %s)", op, em__describe(a, d1, sizeof d1),
                  em__describe(b, d2, sizeof d2));
        return NULL;
    }
    if (r == NO_BOOL && t == EM_BOOL) {
        char d1[128], d2[128];
        em__error("%s: not defined for bool (%s, %s)", op, em__describe(a, d1, sizeof d1),
                  em__describe(b, d2, sizeof d2));
        return NULL;
    }
    em__internal_begin();
    em_array *x = NULL, *y = NULL, *res = NULL;
    int nd;
    int64_t shape[EM_MAX_DIMS];
    if (prepare(op, a, b, t, &x, &y, &nd, shape) == 0) {
        em_array *in[2] = {x, y};
        res = em__node(prim, r == BOOL_OUT ? EM_BOOL : t, nd, shape, in, 2, NULL);
    }
    em_release(x);
    em_release(y);
    return em__internal_end(res);
}

#define BIN(name, PRIM, RULE)                                                      \
    em_array *em_##name(em_array *a, em_array *b) { return binary(EM_P_##PRIM, RULE, a, b); }
BIN(add, ADD, SAME)
BIN(subtract, SUBTRACT, NO_BOOL)
BIN(multiply, MULTIPLY, SAME)
BIN(divide, DIVIDE, FLOAT_ONLY)
BIN(floor_divide, FLOOR_DIVIDE, NO_BOOL)
BIN(remainder, REMAINDER, NO_BOOL)
BIN(power, POWER, NO_BOOL)
BIN(maximum, MAXIMUM, SAME)
BIN(minimum, MINIMUM, SAME)
BIN(logaddexp, LOGADDEXP, FLOAT_ONLY)
BIN(arctan2, ARCTAN2, FLOAT_ONLY)
BIN(equal, EQUAL, BOOL_OUT)
BIN(not_equal, NOT_EQUAL, BOOL_OUT)
BIN(less, LESS, BOOL_OUT)
BIN(less_equal, LESS_EQUAL, BOOL_OUT)
BIN(greater, GREATER, BOOL_OUT)
BIN(greater_equal, GREATER_EQUAL, BOOL_OUT)
BIN(logical_and, LOGICAL_AND, BOOL_OUT)
BIN(logical_or, LOGICAL_OR, BOOL_OUT)
BIN(bitwise_and, BITWISE_AND, INT_ONLY)
BIN(bitwise_or, BITWISE_OR, INT_ONLY)
BIN(bitwise_xor, BITWISE_XOR, INT_ONLY)

static em_array *shift(em_prim_id prim, em_array *a, em_array *b)
{
    if (!a || !b)
        return NULL;
    if (a->dtype == EM_BOOL && b->dtype == EM_BOOL) {
        /* numpy shifts bools as integers */
        em__internal_begin();
        em_array *x = em_astype(a, EM_UINT8), *y = em_astype(b, EM_UINT8);
        em_array *r = binary(prim, INT_ONLY, x, y);
        em_release(x);
        em_release(y);
        return em__internal_end(r);
    }
    return binary(prim, INT_ONLY, a, b);
}

em_array *em_left_shift(em_array *a, em_array *b) { return shift(EM_P_LEFT_SHIFT, a, b); }
em_array *em_right_shift(em_array *a, em_array *b) { return shift(EM_P_RIGHT_SHIFT, a, b); }

em_array *em_where(em_array *cond, em_array *x, em_array *y)
{
    if (!cond || !x || !y)
        return NULL;
    em_dtype t = em__result_type(x, y);
    int nd1, nd;
    int64_t s1[EM_MAX_DIMS], shape[EM_MAX_DIMS];
    if (em__broadcast_shapes("where", cond->ndim, cond->shape, x->ndim, x->shape, &nd1, s1) < 0 ||
        em__broadcast_shapes("where", nd1, s1, y->ndim, y->shape, &nd, shape) < 0)
        return NULL;
    em__internal_begin();
    em_array *c0 = em__cast(cond, EM_BOOL), *x0 = em__cast(x, t), *y0 = em__cast(y, t);
    em_array *in[3] = {em__broadcast(c0, nd, shape), em__broadcast(x0, nd, shape),
                       em__broadcast(y0, nd, shape)};
    em_array *r = em__node(EM_P_SELECT, t, nd, shape, in, 3, NULL);
    for (int i = 0; i < 3; i++)
        em_release(in[i]);
    em_release(c0);
    em_release(x0);
    em_release(y0);
    return em__internal_end(r);
}

em_array *em_clip(em_array *a, em_array *lo, em_array *hi)
{
    if (!a)
        return NULL;
    em__internal_begin();
    em_array *r = em_retain(a);
    if (lo) {
        em_array *t = em_maximum(r, lo);
        em_release(r);
        r = t;
    }
    if (hi) {
        em_array *t = em_minimum(r, hi);
        em_release(r);
        r = t;
    }
    return em__internal_end(r);
}

/* |a - b| <= atol + rtol * |b|, with inf == inf and optionally nan == nan. */
em_array *em_isclose(em_array *a, em_array *b, double rtol, double atol, bool equal_nan)
{
    if (!a || !b)
        return NULL;
    em_scope *s = em_scope_begin();
    em_dtype t = em__float_type(em__result_type(a, b));
    em_array *x = em__cast(a, t), *y = em__cast(b, t);
    em_array *diff = em_abs(em_subtract(x, y));
    em_array *tol = em_add(em_scalar_f(atol), em_multiply(em_scalar_f(rtol), em_abs(y)));
    /* infinities compare by equality only (inf - inf is nan, inf <= inf) */
    em_array *finite = em_logical_and(em_isfinite(x), em_isfinite(y));
    em_array *r = em_logical_or(em_logical_and(finite, em_less_equal(diff, tol)), em_equal(x, y));
    if (equal_nan)
        r = em_logical_or(r, em_logical_and(em_isnan(x), em_isnan(y)));
    return em__composite_end(s, r);
}
