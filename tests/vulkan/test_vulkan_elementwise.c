/* Every elementwise GPU kernel against the CPU kernel on the same inputs:
 * unary (each dtype the op takes), binary (with broadcasting and scalars),
 * where, astype (every pair of GPU dtypes), creation, views and copies;
 * contiguous, transposed and strided inputs, host-resident and GPU-resident. */
#include "vk_test.h"

typedef em_array *(*unary_fn)(em_array *);
typedef em_array *(*binary_fn)(em_array *, em_array *);

static const em_dtype float_types[] = {EM_FLOAT32, EM_FLOAT16, EM_BFLOAT16};
static const em_dtype int_types[] = {EM_INT32, EM_INT8, EM_UINT8, EM_INT16, EM_UINT16,
                                     EM_UINT32, EM_INT64, EM_UINT64};

static double tol_for(em_dtype t)
{
    if (!em_dtype_is_float(t))
        return 0;
    return t == EM_FLOAT32 ? 1e-9 : t == EM_FLOAT16 ? 1e-5 : 1e-4;
}

/* op(x) on the cpu and on the gpu: x as given (host memory, uploaded), and
 * x made GPU-resident first and viewed transposed. */
static void check_unary(const char *name, unary_fn f, em_dtype t, double lo, double hi)
{
    char what[128];
    int64_t shape[2] = {23, 17};
    EM_SCOPE {
        em_array *x = vt_rand(t, 2, shape, lo, hi, 7);
        vt_on(em_cpu());
        em_array *c = f(x);
        em_array *ct = f(em_transpose(x, NULL));
        vt_on(em_gpu());
        em_array *g = f(x);
        em_array *xg = em_stop_gradient(x);
        em_array *gt = f(em_transpose(xg, NULL));
        vt_on(em_cpu());
        snprintf(what, sizeof what, "%s %s", name, em_dtype_name(t));
        double tol = tol_for(em_array_dtype(c) == EM_BOOL ? EM_BOOL : t);
        vt_compare(what, c, g, tol);
        snprintf(what, sizeof what, "%s %s transposed, gpu-resident", name, em_dtype_name(t));
        vt_compare(what, ct, gt, tol);
    }
}

static void check_binary(const char *name, binary_fn f, em_dtype t, double alo, double ahi,
                         double blo, double bhi)
{
    char what[160];
    int64_t sa[3] = {5, 1, 7}, sb[2] = {6, 1}, sc[3] = {5, 6, 7};
    EM_SCOPE {
        em_array *a = vt_rand(t, 3, sa, alo, ahi, 11);
        em_array *b = vt_rand(t, 2, sb, blo, bhi, 13);
        em_array *a2 = vt_rand(t, 3, sc, alo, ahi, 17);
        em_array *b2 = vt_rand(t, 3, sc, blo, bhi, 19);
        em_array *s = vt_rand(t, 0, NULL, blo, bhi, 23);
        vt_on(em_cpu());
        em_array *c1 = f(a, b), *c2 = f(a2, b2), *c3 = f(a2, s);
        em_array *c4 = f(em_transpose(a2, NULL), em_transpose(b2, NULL));
        vt_on(em_gpu());
        em_array *g1 = f(a, b), *g2 = f(a2, b2), *g3 = f(a2, s);
        em_array *ag = em_stop_gradient(a2), *bg = em_stop_gradient(b2);
        em_array *g4 = f(em_transpose(ag, NULL), em_transpose(bg, NULL));
        vt_on(em_cpu());
        double tol = tol_for(em_array_dtype(c1) == EM_BOOL ? EM_BOOL : t);
        snprintf(what, sizeof what, "%s %s broadcast", name, em_dtype_name(t));
        vt_compare(what, c1, g1, tol);
        snprintf(what, sizeof what, "%s %s same shape", name, em_dtype_name(t));
        vt_compare(what, c2, g2, tol);
        snprintf(what, sizeof what, "%s %s scalar", name, em_dtype_name(t));
        vt_compare(what, c3, g3, tol);
        snprintf(what, sizeof what, "%s %s transposed gpu-resident", name, em_dtype_name(t));
        vt_compare(what, c4, g4, tol);
    }
}

static em_array *round2(em_array *a) { return em_round(a, 2); }
static em_array *round0(em_array *a) { return em_round(a, 0); }

static void unary_all(void)
{
    static const struct {
        const char *name;
        unary_fn f;
        double lo, hi;
        bool ints; /* also on integer types */
    } ops[] = {
        {"abs", em_abs, -3, 3, true},         {"negative", em_negative, -3, 3, true},
        {"sign", em_sign, -3, 3, true},       {"square", em_square, -3, 3, true},
        {"sqrt", em_sqrt, 0.1, 10, false},    {"rsqrt", em_rsqrt, 0.1, 10, false},
        {"reciprocal", em_reciprocal, 0.5, 4, false},
        {"exp", em_exp, -5, 5, false},        {"expm1", em_expm1, -2, 2, false},
        {"log", em_log, 0.1, 10, false},      {"log1p", em_log1p, -0.5, 5, false},
        {"log2", em_log2, 0.1, 10, false},    {"log10", em_log10, 0.1, 10, false},
        {"sin", em_sin, -4, 4, false},        {"cos", em_cos, -4, 4, false},
        {"tan", em_tan, -1.2, 1.2, false},    {"arcsin", em_arcsin, -0.95, 0.95, false},
        {"arccos", em_arccos, -0.95, 0.95, false}, {"arctan", em_arctan, -5, 5, false},
        {"sinh", em_sinh, -4, 4, false},      {"cosh", em_cosh, -4, 4, false},
        {"tanh", em_tanh, -6, 6, false},      {"arcsinh", em_arcsinh, -5, 5, false},
        {"arccosh", em_arccosh, 1.1, 10, false}, {"arctanh", em_arctanh, -0.9, 0.9, false},
        {"sigmoid", em_sigmoid, -8, 8, false}, {"erf", em_erf, -3, 3, false},
        {"erfinv", em_erfinv, -0.99, 0.99, false},
        {"floor", em_floor, -5, 5, true},     {"ceil", em_ceil, -5, 5, true},
        {"round", round0, -5, 5, true},       {"round(2)", round2, -5, 5, false},
        {"isnan", em_isnan, -5, 5, true},     {"isinf", em_isinf, -5, 5, true},
        {"isfinite", em_isfinite, -5, 5, true}, {"isposinf", em_isposinf, -5, 5, true},
        {"isneginf", em_isneginf, -5, 5, true}, {"logical_not", em_logical_not, -2, 2, true},
    };
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
        for (size_t k = 0; k < sizeof float_types / sizeof *float_types; k++)
            check_unary(ops[i].name, ops[i].f, float_types[k], ops[i].lo, ops[i].hi);
        if (ops[i].ints)
            for (size_t k = 0; k < sizeof int_types / sizeof *int_types; k++) {
                em_dtype t = int_types[k];
                bool unsig = t == EM_UINT8 || t == EM_UINT16 || t == EM_UINT32 || t == EM_UINT64;
                check_unary(ops[i].name, ops[i].f, t, unsig ? 0 : ops[i].lo, ops[i].hi + 100);
            }
    }
    for (size_t k = 0; k < sizeof int_types / sizeof *int_types; k++)
        check_unary("bitwise_invert", em_bitwise_invert, int_types[k], 0, 200);
    check_unary("bitwise_invert", em_bitwise_invert, EM_BOOL, 0, 2);
    check_unary("abs", em_abs, EM_BOOL, 0, 2);
    check_unary("logical_not", em_logical_not, EM_BOOL, 0, 2);

    /* special values through the float ops */
    float sv[8] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 1e-30f, -2.5f, 88.0f};
    int64_t n8 = 8;
    EM_SCOPE {
        em_array *x = em_array_from_data(sv, 1, &n8, EM_FLOAT32);
        unary_fn fs[] = {em_isnan, em_isinf, em_isfinite, em_isposinf, em_isneginf, em_sign,
                         em_abs, em_exp, em_tanh, em_sigmoid, em_floor, em_logical_not};
        for (size_t i = 0; i < sizeof fs / sizeof *fs; i++) {
            vt_on(em_cpu());
            em_array *c = fs[i](x);
            vt_on(em_gpu());
            em_array *g = fs[i](x);
            vt_on(em_cpu());
            char what[64];
            snprintf(what, sizeof what, "special values #%zu", i);
            vt_compare(what, c, g, 1e-9);
        }
    }
}

static void binary_all(void)
{
    static const struct {
        const char *name;
        binary_fn f;
        double alo, ahi, blo, bhi;
        int kinds; /* 1 float, 2 int, 4 bool */
    } ops[] = {
        {"add", em_add, -5, 5, -5, 5, 7},          {"subtract", em_subtract, -5, 5, -5, 5, 3},
        {"multiply", em_multiply, -5, 5, -5, 5, 7}, {"divide", em_divide, -5, 5, 0.5, 4, 1},
        {"floor_divide", em_floor_divide, -20, 20, -6, 6, 3},
        {"remainder", em_remainder, -20, 20, -6, 6, 3},
        {"power", em_power, 0.1, 3, -2, 3, 1},     {"maximum", em_maximum, -5, 5, -5, 5, 7},
        {"minimum", em_minimum, -5, 5, -5, 5, 7},  {"logaddexp", em_logaddexp, -5, 5, -5, 5, 1},
        {"arctan2", em_arctan2, -5, 5, -5, 5, 1},  {"equal", em_equal, -2, 2, -2, 2, 7},
        {"not_equal", em_not_equal, -2, 2, -2, 2, 7}, {"less", em_less, -2, 2, -2, 2, 7},
        {"less_equal", em_less_equal, -2, 2, -2, 2, 7}, {"greater", em_greater, -2, 2, -2, 2, 7},
        {"greater_equal", em_greater_equal, -2, 2, -2, 2, 7},
        {"logical_and", em_logical_and, -2, 2, -2, 2, 7},
        {"logical_or", em_logical_or, -2, 2, -2, 2, 7},
        {"bitwise_and", em_bitwise_and, 0, 200, 0, 200, 6},
        {"bitwise_or", em_bitwise_or, 0, 200, 0, 200, 6},
        {"bitwise_xor", em_bitwise_xor, 0, 200, 0, 200, 6},
        {"left_shift", em_left_shift, 0, 100, 0, 40, 2},
        {"right_shift", em_right_shift, -100, 100, 0, 40, 2},
    };
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
        if (ops[i].kinds & 1)
            for (size_t k = 0; k < 3; k++)
                check_binary(ops[i].name, ops[i].f, float_types[k], ops[i].alo, ops[i].ahi,
                             ops[i].blo, ops[i].bhi);
        if (ops[i].kinds & 2)
            for (size_t k = 0; k < sizeof int_types / sizeof *int_types; k++) {
                em_dtype t = int_types[k];
                bool unsig = t == EM_UINT8 || t == EM_UINT16 || t == EM_UINT32 || t == EM_UINT64;
                check_binary(ops[i].name, ops[i].f, t, unsig && ops[i].alo < 0 ? 0 : ops[i].alo,
                             ops[i].ahi, unsig && ops[i].blo < 0 ? 0 : ops[i].blo, ops[i].bhi);
            }
        if (ops[i].kinds & 4)
            check_binary(ops[i].name, ops[i].f, EM_BOOL, 0, 2, 0, 2);
    }
    /* integer power, negative exponents included */
    check_binary("power", em_power, EM_INT32, -4, 4, -3, 6);
    check_binary("power", em_power, EM_INT64, -4, 4, 0, 9);
    check_binary("power", em_power, EM_UINT8, 0, 8, 0, 5);
}

static void where_all(void)
{
    const em_dtype ts[] = {EM_FLOAT32, EM_FLOAT16, EM_INT8, EM_INT64, EM_BOOL};
    int64_t sc[2] = {6, 1}, sx[3] = {4, 6, 5}, sy[1] = {5};
    for (size_t k = 0; k < sizeof ts / sizeof *ts; k++) {
        EM_SCOPE {
            em_array *c = vt_rand(EM_BOOL, 2, sc, 0, 2, 3);
            em_array *x = vt_rand(ts[k], 3, sx, -9, 9, 4);
            em_array *y = vt_rand(ts[k], 1, sy, -9, 9, 5);
            vt_on(em_cpu());
            em_array *r = em_where(c, x, y);
            vt_on(em_gpu());
            em_array *g = em_where(c, x, y);
            vt_on(em_cpu());
            char what[64];
            snprintf(what, sizeof what, "where %s", em_dtype_name(ts[k]));
            vt_compare(what, r, g, 0);
        }
    }
}

static void astype_all(void)
{
    const em_dtype ts[] = {EM_BOOL, EM_UINT8, EM_UINT16, EM_UINT32, EM_UINT64, EM_INT8,
                           EM_INT16, EM_INT32, EM_INT64, EM_FLOAT16, EM_BFLOAT16, EM_FLOAT32};
    int n = sizeof ts / sizeof *ts;
    int64_t shape[2] = {9, 13};
    for (int i = 0; i < n; i++) {
        bool unsig = ts[i] == EM_UINT8 || ts[i] == EM_UINT16 || ts[i] == EM_UINT32 ||
                     ts[i] == EM_UINT64 || ts[i] == EM_BOOL;
        EM_SCOPE {
            em_array *x = vt_rand(ts[i], 2, shape, unsig ? 0 : -70000, 70000, 29 + i);
            for (int j = 0; j < n; j++) {
                vt_on(em_cpu());
                em_array *c = em_astype(em_transpose(x, NULL), ts[j]);
                vt_on(em_gpu());
                em_array *g = em_astype(em_transpose(x, NULL), ts[j]);
                vt_on(em_cpu());
                char what[64];
                snprintf(what, sizeof what, "astype %s -> %s", em_dtype_name(ts[i]),
                         em_dtype_name(ts[j]));
                /* float -> half rounding may differ by one unit in the last place */
                vt_compare(what, c, g, em_dtype_is_float(ts[j]) ? 1e-6 : 0);
            }
        }
    }
    /* saturation and NaN from float */
    float sv[8] = {NAN, 1e10f, -1e10f, 300.7f, -300.7f, 2147483648.0f, -0.9f, 65535.5f};
    int64_t n8 = 8;
    EM_SCOPE {
        em_array *x = em_array_from_data(sv, 1, &n8, EM_FLOAT32);
        for (int j = 0; j < n; j++) {
            vt_on(em_cpu());
            em_array *c = em_astype(x, ts[j]);
            vt_on(em_gpu());
            em_array *g = em_astype(x, ts[j]);
            vt_on(em_cpu());
            char what[64];
            snprintf(what, sizeof what, "astype float32 specials -> %s", em_dtype_name(ts[j]));
            vt_compare(what, c, g, em_dtype_is_float(ts[j]) ? 1e-6 : 0);
        }
    }
}

static void creation_all(void)
{
    const em_dtype ts[] = {EM_FLOAT32, EM_FLOAT16, EM_BFLOAT16, EM_INT32, EM_INT64, EM_UINT8,
                           EM_BOOL, EM_INT16};
    int64_t shape[2] = {7, 9};
    for (size_t k = 0; k < sizeof ts / sizeof *ts; k++) {
        em_dtype t = ts[k];
        char what[64];
        EM_SCOPE {
            vt_on(em_cpu());
            em_array *c[4] = {em_full(2, shape, 3.25, t), em_arange(2, 40, 3, t),
                              em_eye(5, 7, 1, t), em_tri(6, 4, -1, t)};
            vt_on(em_gpu());
            em_array *g[4] = {em_full(2, shape, 3.25, t), em_arange(2, 40, 3, t),
                              em_eye(5, 7, 1, t), em_tri(6, 4, -1, t)};
            vt_on(em_cpu());
            const char *names[4] = {"full", "arange", "eye", "tri"};
            for (int i = 0; i < 4; i++) {
                snprintf(what, sizeof what, "%s %s", names[i], em_dtype_name(t));
                vt_compare(what, c[i], g[i], em_dtype_is_float(t) ? 1e-12 : 0);
            }
        }
    }
    EM_SCOPE {
        vt_on(em_cpu());
        em_array *c1 = em_linspace(-1, 2, 17, EM_FLOAT32), *c2 = em_arange(0.5, 9, 0.25, EM_FLOAT32);
        vt_on(em_gpu());
        em_array *g1 = em_linspace(-1, 2, 17, EM_FLOAT32), *g2 = em_arange(0.5, 9, 0.25, EM_FLOAT32);
        vt_on(em_cpu());
        vt_compare("linspace float32", c1, g1, 1e-12);
        vt_compare("arange float32 fractional", c2, g2, 1e-12);
    }
}

static void views_all(void)
{
    int64_t shape[3] = {4, 6, 10};
    const em_dtype ts[] = {EM_FLOAT32, EM_FLOAT16, EM_UINT8, EM_INT64};
    for (size_t k = 0; k < sizeof ts / sizeof *ts; k++) {
        EM_SCOPE {
            em_array *x = vt_rand(ts[k], 3, shape, -9, 9, 41);
            int perm[3] = {2, 0, 1};
            int64_t st[3] = {1, 0, 9}, sp[3] = {4, 6, 1}, step[3] = {2, 1, -3};
            int64_t rs[2] = {10, 24}, bs[4] = {2, 4, 6, 10};
            em_array *cv[5], *gv[5];
            for (int dev = 0; dev < 2; dev++) {
                vt_on(dev ? em_gpu() : em_cpu());
                em_array *xs = dev ? em_stop_gradient(x) : x;
                em_array **v = dev ? gv : cv;
                v[0] = em_contiguous(em_transpose(xs, perm));
                v[1] = em_contiguous(em_slice(xs, st, sp, step));
                v[2] = em_reshape(em_transpose(xs, perm), 2, rs); /* needs a copy */
                v[3] = em_contiguous(em_broadcast_to(xs, 4, bs));
                v[4] = em_reshape(em_slice(xs, st, sp, step), 1, (int64_t[]){em_array_size(v[1])});
            }
            vt_on(em_cpu());
            const char *names[5] = {"transpose", "slice", "reshape copy", "broadcast", "reshape slice"};
            for (int i = 0; i < 5; i++) {
                char what[64];
                snprintf(what, sizeof what, "%s %s", names[i], em_dtype_name(ts[k]));
                vt_compare(what, cv[i], gv[i], 0);
            }
        }
    }
}

int main(void)
{
    vt_require_gpu();
    size_t before = em_memory_stats_get().active;
    unary_all();
    binary_all();
    where_all();
    astype_all();
    creation_all();
    views_all();
    em_synchronize();
    size_t after = em_memory_stats_get().active;
    if (after != before) {
        printf("FAIL memory left active: %zu -> %zu bytes\n", before, after);
        vt_failures++;
    }
    printf("%d checks, %d failed\n", vt_checks, vt_failures);
    return vt_failures != 0;
}
