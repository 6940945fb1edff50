/* Gradient, forward-derivative and batching rules of the elementwise
 * primitives. A unary op's derivative is written once (d out / d x, from x and
 * out) and serves both vjp (cot * d) and jvp (tan * d); a binary op's two
 * partials likewise. */
#include <math.h>

#include "transforms_internal.h"

/* ---- unary ---- */
typedef em_array *(*deriv1)(em_array *x, em_array *y, const em_params *p);

static em_array *c(double v) { return em_scalar_f(v); }
static em_array *one_minus_sq(em_array *v) { return em_subtract(c(1), em_square(v)); }

static em_array *d_abs(em_array *x, em_array *y, const em_params *p) { return em_sign(x); }
static em_array *d_neg(em_array *x, em_array *y, const em_params *p) { return em_full_like(x, -1); }
static em_array *d_zero(em_array *x, em_array *y, const em_params *p) { return em_zeros_like(x); }
static em_array *d_square(em_array *x, em_array *y, const em_params *p) { return em_multiply(c(2), x); }
static em_array *d_sqrt(em_array *x, em_array *y, const em_params *p) { return em_divide(c(0.5), y); }
static em_array *d_rsqrt(em_array *x, em_array *y, const em_params *p) { return em_multiply(c(-0.5), em_divide(y, x)); }
static em_array *d_recip(em_array *x, em_array *y, const em_params *p) { return em_negative(em_square(y)); }
static em_array *d_exp(em_array *x, em_array *y, const em_params *p) { return y; }
static em_array *d_expm1(em_array *x, em_array *y, const em_params *p) { return em_add(y, c(1)); }
static em_array *d_log(em_array *x, em_array *y, const em_params *p) { return em_reciprocal(x); }
static em_array *d_log1p(em_array *x, em_array *y, const em_params *p) { return em_reciprocal(em_add(x, c(1))); }
static em_array *d_log2(em_array *x, em_array *y, const em_params *p) { return em_reciprocal(em_multiply(x, c(M_LN2))); }
static em_array *d_log10(em_array *x, em_array *y, const em_params *p) { return em_reciprocal(em_multiply(x, c(M_LN10))); }
static em_array *d_sin(em_array *x, em_array *y, const em_params *p) { return em_cos(x); }
static em_array *d_cos(em_array *x, em_array *y, const em_params *p) { return em_negative(em_sin(x)); }
static em_array *d_tan(em_array *x, em_array *y, const em_params *p) { return em_add(c(1), em_square(y)); }
static em_array *d_arcsin(em_array *x, em_array *y, const em_params *p) { return em_rsqrt(one_minus_sq(x)); }
static em_array *d_arccos(em_array *x, em_array *y, const em_params *p) { return em_negative(em_rsqrt(one_minus_sq(x))); }
static em_array *d_arctan(em_array *x, em_array *y, const em_params *p) { return em_reciprocal(em_add(c(1), em_square(x))); }
static em_array *d_sinh(em_array *x, em_array *y, const em_params *p) { return em_cosh(x); }
static em_array *d_cosh(em_array *x, em_array *y, const em_params *p) { return em_sinh(x); }
static em_array *d_tanh(em_array *x, em_array *y, const em_params *p) { return one_minus_sq(y); }
static em_array *d_arcsinh(em_array *x, em_array *y, const em_params *p) { return em_rsqrt(em_add(em_square(x), c(1))); }
static em_array *d_arccosh(em_array *x, em_array *y, const em_params *p) { return em_rsqrt(em_subtract(em_square(x), c(1))); }
static em_array *d_arctanh(em_array *x, em_array *y, const em_params *p) { return em_reciprocal(one_minus_sq(x)); }
static em_array *d_sigmoid(em_array *x, em_array *y, const em_params *p) { return em_multiply(y, em_subtract(c(1), y)); }
static em_array *d_erf(em_array *x, em_array *y, const em_params *p) { return em_multiply(c(M_2_SQRTPI), em_exp(em_negative(em_square(x)))); }
static em_array *d_erfinv(em_array *x, em_array *y, const em_params *p) { return em_multiply(c(0.5 * sqrt(M_PI)), em_exp(em_square(y))); }

static const deriv1 derivs[EM_P_COUNT] = {
    [EM_P_ABS] = d_abs, [EM_P_NEGATIVE] = d_neg, [EM_P_SIGN] = d_zero, [EM_P_SQUARE] = d_square,
    [EM_P_SQRT] = d_sqrt, [EM_P_RSQRT] = d_rsqrt, [EM_P_RECIPROCAL] = d_recip, [EM_P_EXP] = d_exp,
    [EM_P_EXPM1] = d_expm1, [EM_P_LOG] = d_log, [EM_P_LOG1P] = d_log1p, [EM_P_LOG2] = d_log2,
    [EM_P_LOG10] = d_log10, [EM_P_SIN] = d_sin, [EM_P_COS] = d_cos, [EM_P_TAN] = d_tan,
    [EM_P_ARCSIN] = d_arcsin, [EM_P_ARCCOS] = d_arccos, [EM_P_ARCTAN] = d_arctan,
    [EM_P_SINH] = d_sinh, [EM_P_COSH] = d_cosh, [EM_P_TANH] = d_tanh, [EM_P_ARCSINH] = d_arcsinh,
    [EM_P_ARCCOSH] = d_arccosh, [EM_P_ARCTANH] = d_arctanh, [EM_P_SIGMOID] = d_sigmoid,
    [EM_P_ERF] = d_erf, [EM_P_ERFINV] = d_erfinv, [EM_P_FLOOR] = d_zero, [EM_P_CEIL] = d_zero,
    [EM_P_ROUND] = d_zero,
};

static int vjp_unary(em_array *const *outs, int n_out, em_array *const *cots, em_array *const *ins,
                     int n_in, const em_params *p, em_array **in_cots)
{
    em_array *d = derivs[outs[0]->orig_prim](ins[0], outs[0], p);
    in_cots[0] = em_multiply(cots[0], d);
    return in_cots[0] ? 0 : -1;
}

static int jvp_unary(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                     em_array *const *in_tans, const em_params *p, em_array **out_tans)
{
    em_array *d = derivs[outs[0]->orig_prim](ins[0], outs[0], p);
    out_tans[0] = em_multiply(in_tans[0], d);
    return out_tans[0] ? 0 : -1;
}

/* astype: the cotangent goes back to the input's type; stop_gradient: none. */
static int vjp_astype(em_array *const *outs, int n_out, em_array *const *cots, em_array *const *ins,
                      int n_in, const em_params *p, em_array **in_cots)
{
    in_cots[0] = em_astype(cots[0], (em_dtype)ins[0]->dtype);
    return in_cots[0] ? 0 : -1;
}

static int jvp_astype(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                      em_array *const *in_tans, const em_params *p, em_array **out_tans)
{
    out_tans[0] = em_astype(in_tans[0], (em_dtype)outs[0]->dtype);
    return out_tans[0] ? 0 : -1;
}

static int vjp_none(em_array *const *outs, int n_out, em_array *const *cots, em_array *const *ins,
                    int n_in, const em_params *p, em_array **in_cots)
{
    return 0;
}

static int jvp_none(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                    em_array *const *in_tans, const em_params *p, em_array **out_tans)
{
    return 0;
}

/* ---- binary: partials d out/d x and d out/d y ---- */
typedef int (*deriv2)(em_array *x, em_array *y, em_array *out, em_array **dx, em_array **dy);

static int p_add(em_array *x, em_array *y, em_array *o, em_array **dx, em_array **dy)
{
    *dx = em_ones_like(o);
    *dy = em_ones_like(o);
    return 0;
}
static int p_sub(em_array *x, em_array *y, em_array *o, em_array **dx, em_array **dy)
{
    *dx = em_ones_like(o);
    *dy = em_full_like(o, -1);
    return 0;
}
static int p_mul(em_array *x, em_array *y, em_array *o, em_array **dx, em_array **dy)
{
    *dx = y;
    *dy = x;
    return 0;
}
static int p_div(em_array *x, em_array *y, em_array *o, em_array **dx, em_array **dy)
{
    *dx = em_reciprocal(y);
    *dy = em_negative(em_divide(o, y));
    return 0;
}
static int p_pow(em_array *x, em_array *y, em_array *o, em_array **dx, em_array **dy)
{
    *dx = em_multiply(y, em_power(x, em_subtract(y, c(1))));
    /* d/dy x^y = x^y log x, taken as 0 where x is 0 (as the limit along y > 0) */
    em_array *zero = em_zeros_like(o);
    *dy = em_where(em_equal(x, zero), zero, em_multiply(o, em_log(x)));
    return 0;
}
static int p_max(em_array *x, em_array *y, em_array *o, em_array **dx, em_array **dy)
{
    em_array *m = em_greater_equal(x, y);
    *dx = em_astype(m, (em_dtype)o->dtype);
    *dy = em_astype(em_logical_not(m), (em_dtype)o->dtype);
    return 0;
}
static int p_min(em_array *x, em_array *y, em_array *o, em_array **dx, em_array **dy)
{
    em_array *m = em_less_equal(x, y);
    *dx = em_astype(m, (em_dtype)o->dtype);
    *dy = em_astype(em_logical_not(m), (em_dtype)o->dtype);
    return 0;
}
static int p_logaddexp(em_array *x, em_array *y, em_array *o, em_array **dx, em_array **dy)
{
    *dx = em_exp(em_subtract(x, o));
    *dy = em_exp(em_subtract(y, o));
    return 0;
}
static int p_atan2(em_array *x, em_array *y, em_array *o, em_array **dx, em_array **dy)
{
    em_array *r2 = em_add(em_square(x), em_square(y));
    *dx = em_divide(y, r2);
    *dy = em_negative(em_divide(x, r2));
    return 0;
}
static int p_floordiv(em_array *x, em_array *y, em_array *o, em_array **dx, em_array **dy)
{
    *dx = em_zeros_like(o);
    *dy = em_zeros_like(o);
    return 0;
}
static int p_rem(em_array *x, em_array *y, em_array *o, em_array **dx, em_array **dy)
{
    *dx = em_ones_like(o);
    *dy = em_negative(em_floor_divide(x, y));
    return 0;
}

static const deriv2 partials[EM_P_COUNT] = {
    [EM_P_ADD] = p_add, [EM_P_SUBTRACT] = p_sub, [EM_P_MULTIPLY] = p_mul, [EM_P_DIVIDE] = p_div,
    [EM_P_POWER] = p_pow, [EM_P_MAXIMUM] = p_max, [EM_P_MINIMUM] = p_min,
    [EM_P_LOGADDEXP] = p_logaddexp, [EM_P_ARCTAN2] = p_atan2, [EM_P_FLOOR_DIVIDE] = p_floordiv,
    [EM_P_REMAINDER] = p_rem,
};

static int vjp_binary(em_array *const *outs, int n_out, em_array *const *cots, em_array *const *ins,
                      int n_in, const em_params *p, em_array **in_cots)
{
    em_array *dx, *dy;
    partials[outs[0]->orig_prim](ins[0], ins[1], outs[0], &dx, &dy);
    in_cots[0] = em_multiply(cots[0], dx);
    in_cots[1] = em_multiply(cots[0], dy);
    return in_cots[0] && in_cots[1] ? 0 : -1;
}

static int jvp_binary(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                      em_array *const *in_tans, const em_params *p, em_array **out_tans)
{
    em_array *dx, *dy, *t = NULL;
    partials[outs[0]->orig_prim](ins[0], ins[1], outs[0], &dx, &dy);
    if (in_tans[0])
        t = em_multiply(in_tans[0], dx);
    if (in_tans[1]) {
        em_array *u = em_multiply(in_tans[1], dy);
        t = t ? em_add(t, u) : u;
    }
    out_tans[0] = t;
    return t ? 0 : -1;
}

static int vjp_select(em_array *const *outs, int n_out, em_array *const *cots, em_array *const *ins,
                      int n_in, const em_params *p, em_array **in_cots)
{
    em_array *zero = em_zeros_like(cots[0]);
    in_cots[1] = em_where(ins[0], cots[0], zero);
    in_cots[2] = em_where(ins[0], zero, cots[0]);
    return in_cots[1] && in_cots[2] ? 0 : -1;
}

static int jvp_select(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                      em_array *const *in_tans, const em_params *p, em_array **out_tans)
{
    em_array *zero = em_zeros_like(outs[0]);
    out_tans[0] = em_where(ins[0], in_tans[1] ? in_tans[1] : zero, in_tans[2] ? in_tans[2] : zero);
    return out_tans[0] ? 0 : -1;
}

/* ---- vmap: move batch axes to the front; unbatched operands broadcast ---- */
static int vmap_elementwise(const em_array *node, em_array *const *ins, const int *axes, int n_in,
                            em_array **outs, int *out_axes)
{
    int64_t b = -1;
    for (int i = 0; i < n_in; i++)
        if (axes[i] >= 0)
            b = ins[i]->shape[axes[i]];
    int64_t shape[EM_MAX_DIMS];
    shape[0] = b;
    for (int d = 0; d < node->ndim; d++)
        shape[d + 1] = node->shape[d];
    if (node->ndim + 1 > EM_MAX_DIMS)
        return em__error("vmap: %s would need more than %d dimensions", em_prims[node->prim].name, EM_MAX_DIMS);
    em_array *moved[3];
    for (int i = 0; i < n_in; i++) {
        em_array *x = axes[i] >= 0 ? em_moveaxis(ins[i], axes[i], 0) : em_expand_dims(ins[i], (int[]){0}, 1);
        moved[i] = em_broadcast_to(x, node->ndim + 1, shape);
        if (!moved[i])
            return -1;
    }
    outs[0] = em__replay(node, moved, n_in, node->ndim + 1, shape);
    out_axes[0] = 0;
    return outs[0] ? 0 : -1;
}

__attribute__((constructor)) static void register_elementwise_rules(void)
{
    for (int id = EM_P_ABS; id <= EM_P_STOP_GRADIENT; id++) {
        if (derivs[id]) {
            em__register_vjp((em_prim_id)id, vjp_unary);
            em__register_jvp((em_prim_id)id, jvp_unary);
        } else {
            em__register_vjp((em_prim_id)id, vjp_none);
            em__register_jvp((em_prim_id)id, jvp_none);
        }
        em__register_vmap((em_prim_id)id, vmap_elementwise);
    }
    em__register_vjp(EM_P_ASTYPE, vjp_astype);
    em__register_jvp(EM_P_ASTYPE, jvp_astype);
    for (int id = EM_P_ADD; id <= EM_P_RIGHT_SHIFT; id++) {
        em__register_vjp((em_prim_id)id, partials[id] ? vjp_binary : vjp_none);
        em__register_jvp((em_prim_id)id, partials[id] ? jvp_binary : jvp_none);
        em__register_vmap((em_prim_id)id, vmap_elementwise);
    }
    em__register_vjp(EM_P_SELECT, vjp_select);
    em__register_jvp(EM_P_SELECT, jvp_select);
    em__register_vmap(EM_P_SELECT, vmap_elementwise);
}
