/* Unary op constructors. */
#include <math.h>

#include "ops_internal.h"

static em_array *unary(em_prim_id prim, em_array *a, em_dtype out_dtype, const em_params *p)
{
    if (!a)
        return NULL;
    return em__node(prim, out_dtype, a->ndim, a->shape, &a, 1, p);
}

/* Floating ops: integers are computed in float32, as MLX. */
static em_array *float_unary(em_prim_id prim, em_array *a)
{
    if (!a)
        return NULL;
    em_dtype t = em__float_type((em_dtype)a->dtype);
    em__internal_begin();
    em_array *x = em__cast(a, t);
    em_array *r = unary(prim, x, t, NULL);
    em_release(x);
    return em__internal_end(r);
}

#define FLOAT_OP(name, PRIM)                                                       \
    em_array *em_##name(em_array *a) { return float_unary(EM_P_##PRIM, a); }
FLOAT_OP(sqrt, SQRT)
FLOAT_OP(rsqrt, RSQRT)
FLOAT_OP(reciprocal, RECIPROCAL)
FLOAT_OP(exp, EXP)
FLOAT_OP(expm1, EXPM1)
FLOAT_OP(log, LOG)
FLOAT_OP(log1p, LOG1P)
FLOAT_OP(log2, LOG2)
FLOAT_OP(log10, LOG10)
FLOAT_OP(sin, SIN)
FLOAT_OP(cos, COS)
FLOAT_OP(tan, TAN)
FLOAT_OP(arcsin, ARCSIN)
FLOAT_OP(arccos, ARCCOS)
FLOAT_OP(arctan, ARCTAN)
FLOAT_OP(sinh, SINH)
FLOAT_OP(cosh, COSH)
FLOAT_OP(tanh, TANH)
FLOAT_OP(arcsinh, ARCSINH)
FLOAT_OP(arccosh, ARCCOSH)
FLOAT_OP(arctanh, ARCTANH)
FLOAT_OP(sigmoid, SIGMOID)
FLOAT_OP(erf, ERF)
FLOAT_OP(erfinv, ERFINV)

/* Ops defined on every numeric type, keeping it. */
#define SAME_OP(name, PRIM)                                                        \
    em_array *em_##name(em_array *a) { return a ? unary(EM_P_##PRIM, a, (em_dtype)a->dtype, NULL) : NULL; }
SAME_OP(abs, ABS)
SAME_OP(sign, SIGN)
SAME_OP(square, SQUARE)
SAME_OP(floor, FLOOR)
SAME_OP(ceil, CEIL)

em_array *em_negative(em_array *a)
{
    if (!a)
        return NULL;
    if (a->dtype == EM_BOOL) {
        em__error("negative: not defined for bool (use logical_not)");
        return NULL;
    }
    return unary(EM_P_NEGATIVE, a, (em_dtype)a->dtype, NULL);
}

em_array *em_round(em_array *a, int decimals)
{
    if (!a)
        return NULL;
    em_params p = {.i = {decimals}, .f = {pow(10.0, decimals)}};
    return unary(EM_P_ROUND, a, (em_dtype)a->dtype, &p);
}

#define PRED_OP(name, PRIM)                                                        \
    em_array *em_##name(em_array *a) { return unary(EM_P_##PRIM, a, EM_BOOL, NULL); }
PRED_OP(isnan, ISNAN)
PRED_OP(isinf, ISINF)
PRED_OP(isfinite, ISFINITE)
PRED_OP(isposinf, ISPOSINF)
PRED_OP(isneginf, ISNEGINF)
PRED_OP(logical_not, LOGICAL_NOT)

em_array *em_bitwise_invert(em_array *a)
{
    if (!a)
        return NULL;
    if (em_dtype_is_float((em_dtype)a->dtype)) {
        char d[128];
        em__error("bitwise_invert: not defined for %s", em__describe(a, d, sizeof d));
        return NULL;
    }
    return unary(EM_P_BITWISE_INVERT, a, (em_dtype)a->dtype, NULL);
}

em_array *em_astype(em_array *a, em_dtype dtype)
{
    if (!a)
        return NULL;
    if ((unsigned)dtype >= EM_DTYPE_COUNT) {
        em__error("astype: unknown dtype %d", (int)dtype);
        return NULL;
    }
    return unary(EM_P_ASTYPE, a, dtype, NULL);
}

em_array *em_stop_gradient(em_array *a)
{
    return a ? unary(EM_P_STOP_GRADIENT, a, (em_dtype)a->dtype, NULL) : NULL;
}

em_array *em__cast(em_array *a, em_dtype dtype)
{
    if (!a)
        return NULL;
    if (a->dtype == dtype)
        return em__track(em_retain(a));
    return em_astype(a, dtype);
}
