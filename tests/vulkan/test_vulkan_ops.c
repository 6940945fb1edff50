/* The GPU kernels beyond elementwise, reductions and matmul, each against the
 * CPU kernel on the same inputs: scans, sorts, indexing, concatenate, pad,
 * addmm, convolution, random bits, rope, attention, quantization. Small
 * shapes (lavapipe runs a dispatch in tens of microseconds). */
#include "array_internal.h"
#include "ember/nn.h"
#include "ember/transforms.h"
#include "vk_test.h"

void em__vk_stats(uint64_t *dispatches, uint64_t *barriers, uint64_t *submits);
uint64_t em__vk_fallbacks(int prim);

#define CMP(what, tol, EXPR)                                                                       \
    do {                                                                                           \
        vt_on(em_cpu());                                                                           \
        em_array *c_ = (EXPR);                                                                     \
        vt_on(em_gpu());                                                                           \
        em_array *g_ = (EXPR);                                                                     \
        vt_on(em_cpu());                                                                           \
        vt_compare(what, c_, g_, tol);                                                             \
    } while (0)

static double ftol(em_dtype t) { return !em_dtype_is_float(t) ? 0 : t == EM_FLOAT32 ? 1e-10 : 1e-4; }

static const em_dtype all_types[] = {EM_FLOAT32, EM_FLOAT16, EM_BFLOAT16, EM_INT32, EM_INT8,
                                     EM_UINT8, EM_INT64, EM_UINT16, EM_BOOL};
#define N_TYPES (int)(sizeof all_types / sizeof *all_types)

static void scans(void)
{
    typedef em_array *(*scan_fn)(em_array *, int, bool, bool);
    static const struct { const char *name; scan_fn f; } ops[] = {
        {"cumsum", em_cumsum}, {"cumprod", em_cumprod}, {"cummax", em_cummax}, {"cummin", em_cummin}};
    int64_t shape[3] = {3, 9, 5};
    for (int k = 0; k < N_TYPES; k++)
        for (int o = 0; o < 4; o++) {
            em_dtype t = all_types[k];
            bool prod = ops[o].f == em_cumprod;
            if (prod && t == EM_BOOL)
                continue;
            EM_SCOPE {
                em_array *x = vt_rand(t, 3, shape, prod ? 1 : (t == EM_UINT8 || t == EM_UINT16 ? 0 : -9),
                                      prod ? (em_dtype_is_float(t) ? 1.3 : 2.05) : (t == EM_BOOL ? 2 : 9),
                                      11 + o);
                for (int ax = 0; ax < 3; ax++)
                    for (int m = 0; m < 4; m++) {
                        char what[96];
                        snprintf(what, sizeof what, "%s %s axis %d rev %d incl %d", ops[o].name,
                                 em_dtype_name(t), ax, m & 1, m >> 1);
                        double tol = ftol(t);
                        if (em_dtype_is_float(t) && t != EM_FLOAT32)
                            tol = 1e-3;
                        if (t == EM_FLOAT32 && o < 2)
                            tol = 1e-9;
                        CMP(what, tol, ops[o].f(x, ax, m & 1, m >> 1));
                    }
            }
        }
}

static void sorts(void)
{
    for (int k = 0; k < N_TYPES; k++) {
        em_dtype t = all_types[k];
        EM_SCOPE {
            int64_t shape[2] = {6, 37};
            em_array *x = vt_rand(t, 2, shape, t == EM_UINT8 || t == EM_UINT16 || t == EM_BOOL ? 0 : -20,
                                  t == EM_BOOL ? 2 : 20, 21);
            if (t == EM_FLOAT32) { /* NaN, -0, +0, inf */
                float v[6] = {NAN, -0.0f, 0.0f, INFINITY, -INFINITY, NAN};
                em_array *sp = em_array_from_data(v, 1, (int64_t[]){6}, EM_FLOAT32);
                x = em_concatenate((em_array *[]){x, em_broadcast_to(sp, 2, (int64_t[]){6, 6})}, 2, 1);
            }
            for (int ax = 0; ax < 2; ax++) {
                char what[96];
                snprintf(what, sizeof what, "sort %s axis %d", em_dtype_name(t), ax);
                CMP(what, 0, em_sort(x, ax));
                snprintf(what, sizeof what, "argsort %s axis %d", em_dtype_name(t), ax);
                CMP(what, 0, em_argsort(x, ax));
                snprintf(what, sizeof what, "partition %s axis %d", em_dtype_name(t), ax);
                CMP(what, 0, em_partition(x, 2, ax));
                snprintf(what, sizeof what, "argpartition %s axis %d", em_dtype_name(t), ax);
                CMP(what, 0, em_argpartition(x, 3, ax));
            }
            CMP("sort transposed", 0, em_sort(em_transpose(x, (int[]){1, 0}), 1));
        }
    }
    EM_SCOPE { /* a long line */
        int64_t shape[1] = {1500};
        em_array *x = vt_rand(EM_INT32, 1, shape, -100, 100, 5);
        CMP("argsort 1500 ties", 0, em_argsort(x, 0));
    }
}

static void indexing(void)
{
    for (int k = 0; k < N_TYPES; k++) {
        em_dtype t = all_types[k];
        EM_SCOPE {
            int64_t shape[3] = {7, 5, 6};
            em_array *a = vt_rand(t, 3, shape, 0, t == EM_BOOL ? 2 : 50, 31);
            em_array *i1 = vt_rand(EM_INT32, 1, (int64_t[]){4}, -7, 7, 1);
            em_array *i2 = vt_rand(EM_INT64, 1, (int64_t[]){4}, 0, 4, 2);
            em_array *i3 = vt_rand(EM_UINT8, 2, (int64_t[]){3, 4}, 0, 5, 3);
            char what[96];
            snprintf(what, sizeof what, "gather %s", em_dtype_name(t));
            CMP(what, 0, em_gather(a, (em_array *[]){i1, i2}, 2, (int[]){0, 2}, (int64_t[]){1, 5, 2}));
            CMP(what, 0, em_gather(a, (em_array *[]){i3}, 1, (int[]){1}, (int64_t[]){7, 1, 6}));
            CMP("take", 0, em_take(a, i1, 0));
            CMP("take axis 2", 0, em_take(a, i3, 2));
            /* scatter: duplicates in i2 */
            em_array *dup = em_array_from_data((int32_t[]){1, 3, 1, 1}, 1, (int64_t[]){4}, EM_INT32);
            for (int mode = 0; mode < 5; mode++) {
                if (t == EM_BOOL && mode == EM_SCATTER_PROD)
                    continue;
                em_array *u = vt_rand(t, 4, (int64_t[]){4, 1, 5, 6}, 1, t == EM_BOOL ? 2 : 3, 40 + mode);
                snprintf(what, sizeof what, "scatter %s mode %d", em_dtype_name(t), mode);
                CMP(what, ftol(t), em_scatter(a, &dup, 1, u, (int[]){0}, (em_scatter_mode)mode));
                /* overlapping slices (size 2 along the indexed axis): serial */
                em_array *u2 = vt_rand(t, 4, (int64_t[]){4, 2, 5, 6}, 1, t == EM_BOOL ? 2 : 3, 50 + mode);
                em_array *lo = em_array_from_data((int32_t[]){0, 1, 5, 0}, 1, (int64_t[]){4}, EM_INT32);
                snprintf(what, sizeof what, "scatter overlapping %s mode %d", em_dtype_name(t), mode);
                CMP(what, ftol(t), em_scatter(a, &lo, 1, u2, (int[]){0}, (em_scatter_mode)mode));
            }
            em_array *ix = vt_rand(EM_INT32, 3, (int64_t[]){7, 3, 6}, -5, 5, 61);
            snprintf(what, sizeof what, "take_along_axis %s", em_dtype_name(t));
            CMP(what, 0, em_take_along_axis(a, ix, 1));
            em_array *ixp = em_argsort(vt_rand(EM_FLOAT32, 3, (int64_t[]){7, 5, 6}, 0, 1, 62), 1);
            em_array *vals = vt_rand(t, 3, (int64_t[]){7, 5, 6}, 0, t == EM_BOOL ? 2 : 9, 63);
            snprintf(what, sizeof what, "put_along_axis %s", em_dtype_name(t));
            CMP(what, 0, em_put_along_axis(a, ixp, vals, 1));
            CMP("put_along_axis duplicates", 0, em_put_along_axis(a, ix, em_slice(vals, NULL, (int64_t[]){7, 3, 6}, NULL), 1));
            em_array *up = vt_rand(t, 3, (int64_t[]){3, 2, 6}, 0, t == EM_BOOL ? 2 : 9, 64);
            snprintf(what, sizeof what, "slice_update %s", em_dtype_name(t));
            CMP(what, 0, em_slice_update(a, up, (int64_t[]){1, 1, 0}, (int64_t[]){7, 5, 6}, (int64_t[]){2, 2, 1}));
            snprintf(what, sizeof what, "concatenate %s", em_dtype_name(t));
            CMP(what, 0, em_concatenate((em_array *[]){a, em_slice(a, (int64_t[]){2, 0, 0}, NULL, NULL), a}, 3, 0));
            CMP(what, 0, em_concatenate((em_array *[]){a, em_slice(a, NULL, NULL, (int64_t[]){1, 1, -1})}, 2, 2));
            snprintf(what, sizeof what, "pad %s", em_dtype_name(t));
            int64_t w[6] = {1, 2, 0, 3, 2, 0};
            CMP(what, 0, em_pad(a, w, EM_PAD_CONSTANT, 1.0));
            CMP(what, 0, em_pad(em_transpose(a, (int[]){2, 0, 1}), w, EM_PAD_EDGE, 0));
        }
    }
    EM_SCOPE { /* out-of-range host indices are an error on the GPU too */
        em_array *a = vt_rand(EM_FLOAT32, 1, (int64_t[]){5}, 0, 1, 1);
        em_array *bad = em_array_from_data((int32_t[]){7}, 1, (int64_t[]){1}, EM_INT32);
        vt_on(em_gpu());
        em_array *r = em_take(a, bad, 0);
        vt_on(em_cpu());
        vt_checks++;
        if (em_eval(r) == 0) {
            printf("FAIL take out of range: no error\n");
            vt_failures++;
        }
        em_error_clear();
    }
}

static void linear(void)
{
    const em_dtype ts[] = {EM_FLOAT32, EM_FLOAT16, EM_BFLOAT16};
    for (int k = 0; k < 3; k++) EM_SCOPE {
        em_dtype t = ts[k];
        em_array *a = vt_rand(t, 3, (int64_t[]){2, 33, 20}, -1, 1, 71);
        em_array *b = vt_rand(t, 2, (int64_t[]){20, 17}, -1, 1, 72);
        em_array *c = vt_rand(t, 1, (int64_t[]){17}, -1, 1, 73);
        em_array *c2 = vt_rand(t, 3, (int64_t[]){2, 33, 17}, -1, 1, 74);
        char what[64];
        snprintf(what, sizeof what, "addmm %s", em_dtype_name(t));
        double tol = t == EM_FLOAT32 ? 1e-10 : 1e-4;
        CMP(what, tol, em_addmm(c, a, b, 0.5, 2.0));
        CMP(what, tol, em_addmm(c2, a, b, 1.0, -1.0));
        CMP(what, tol, em_addmm(em_transpose(c2, (int[]){0, 1, 2}), em_transpose(em_transpose(a, (int[]){0, 2, 1}), (int[]){0, 2, 1}), b, 1.5, 0.25));
    }
    EM_SCOPE {
        em_array *x = vt_rand(EM_FLOAT32, 4, (int64_t[]){2, 9, 8, 6}, -1, 1, 81);
        em_array *w = vt_rand(EM_FLOAT32, 4, (int64_t[]){4, 3, 2, 3}, -1, 1, 82);
        em_array *w1 = vt_rand(EM_FLOAT32, 4, (int64_t[]){6, 3, 3, 6}, -1, 1, 83);
        CMP("conv2d groups 2 stride 2 pad 1", 1e-10, em_conv2d(x, w, (int[]){2, 1}, (int[]){1, 1}, (int[]){1, 2}, 2));
        CMP("conv2d", 1e-10, em_conv2d(x, w1, NULL, NULL, NULL, 1));
        CMP("conv2d f16", 1e-5, em_conv2d(em_astype(x, EM_FLOAT16), w1, NULL, (int[]){1, 1}, NULL, 1));
        CMP("conv_transpose2d", 1e-10, em_conv_transpose2d(x, w1, (int[]){2, 2}, (int[]){1, 0}, NULL, (int[]){1, 0}, 1));
        CMP("conv_transpose2d groups", 1e-10, em_conv_transpose2d(x, w, (int[]){1, 2}, NULL, (int[]){2, 1}, NULL, 2));
        CMP("conv1d", 1e-10, em_conv1d(em_reshape(x, 3, (int64_t[]){2, 72, 6}), em_reshape(w1, 3, (int64_t[]){6, 9, 6}), 2, 3, 1, 1));
    }
}

static void random_bits(void)
{
    EM_SCOPE {
        em_array *key = em_random_key(1234);
        em_array *keys = em_random_split(key, 3);
        for (int width = 1; width <= 4; width *= 2)
            for (int n = 1; n < 12; n += 3) {
                char what[64];
                snprintf(what, sizeof what, "random_bits width %d n %d", width, n);
                CMP(what, 0, em_random_bits(2, (int64_t[]){n, 3}, width, key));
                CMP(what, 0, em_random_bits(1, (int64_t[]){n}, width, em_take(keys, em_array_from_data((int32_t[]){2}, 0, NULL, EM_INT32), 0)));
            }
        CMP("random_uniform", 0, em_random_uniform(2, (int64_t[]){33, 7}, -1, 1, EM_FLOAT32, key));
        CMP("random_normal", 1e-10, em_random_normal(2, (int64_t[]){33, 7}, 0.0, 1.0, EM_FLOAT32, key));
    }
}

static void fast(void)
{
    const em_dtype ts[] = {EM_FLOAT32, EM_FLOAT16, EM_BFLOAT16};
    for (int k = 0; k < 3; k++) EM_SCOPE {
        em_dtype t = ts[k];
        double tol = t == EM_FLOAT32 ? 1e-9 : 1e-4;
        em_array *x = vt_rand(t, 4, (int64_t[]){2, 3, 7, 16}, -2, 2, 91);
        em_array *fr = vt_rand(t, 1, (int64_t[]){6}, 1, 9, 92);
        char what[64];
        snprintf(what, sizeof what, "rope %s", em_dtype_name(t));
        CMP(what, tol, em_rope(x, 16, false, 10000, 1.0, 3, NULL));
        CMP(what, tol, em_rope(x, 12, true, 500, 0.5, 0, NULL));
        CMP(what, tol, em_rope(em_transpose(x, (int[]){1, 0, 2, 3}), 12, false, 1, 1.0, 2, fr));
        em_array *q = vt_rand(t, 4, (int64_t[]){2, 4, 9, 16}, -1, 1, 93);
        em_array *kk = vt_rand(t, 4, (int64_t[]){2, 2, 21, 16}, -1, 1, 94);
        em_array *v = vt_rand(t, 4, (int64_t[]){2, 2, 21, 8}, -1, 1, 95);
        em_array *mf = vt_rand(EM_FLOAT32, 2, (int64_t[]){9, 21}, -2, 0, 96);
        em_array *mb = em_greater(vt_rand(EM_FLOAT32, 4, (int64_t[]){2, 1, 9, 21}, 0, 1, 97),
                                  em_scalar(0.3, EM_FLOAT32));
        snprintf(what, sizeof what, "sdpa %s", em_dtype_name(t));
        CMP(what, tol, em_scaled_dot_product_attention(q, kk, v, 0.25, NULL, false));
        CMP(what, tol, em_scaled_dot_product_attention(q, kk, v, 0.25, NULL, true));
        CMP(what, tol, em_scaled_dot_product_attention(q, kk, v, 0.25, mf, false));
        CMP(what, tol, em_scaled_dot_product_attention(q, kk, v, 0.25, mb, true));
        em_array *q1 = em_slice(q, (int64_t[]){0, 0, 8, 0}, NULL, NULL);
        CMP("sdpa decode", tol, em_scaled_dot_product_attention(q1, kk, v, 0.25, NULL, true));
        em_array *q2 = vt_rand(t, 4, (int64_t[]){1, 2, 70, 16}, -1, 1, 98);
        em_array *k2 = vt_rand(t, 4, (int64_t[]){1, 2, 70, 16}, -1, 1, 99);
        CMP("sdpa 70 causal", tol, em_scaled_dot_product_attention(q2, k2, k2, 0.25, NULL, true));
    }
}

static void quant(void)
{
    const em_dtype ts[] = {EM_FLOAT32, EM_FLOAT16, EM_BFLOAT16};
    for (int k = 0; k < 3; k++)
        for (int bits = 2; bits <= 8; bits *= 2) EM_SCOPE {
            em_dtype t = ts[k];
            em_array *w = vt_rand(t, 2, (int64_t[]){24, 128}, -1, 1, 101 + bits);
            char what[64];
            em_array *q[2][3];
            for (int dev = 0; dev < 2; dev++) {
                vt_on(dev ? em_gpu() : em_cpu());
                em_quantize(w, 64, bits, &q[dev][0], &q[dev][1], &q[dev][2]);
            }
            vt_on(em_cpu());
            snprintf(what, sizeof what, "quantize %s bits %d", em_dtype_name(t), bits);
            vt_compare(what, q[0][0], q[1][0], 0);
            vt_compare(what, q[0][1], q[1][1], 0);
            vt_compare(what, q[0][2], q[1][2], 0);
            em_array *wq = q[0][0], *s = q[0][1], *b = q[0][2];
            snprintf(what, sizeof what, "dequantize %s bits %d", em_dtype_name(t), bits);
            CMP(what, 0, em_dequantize(wq, s, b, 64, bits));
            double tol = t == EM_FLOAT32 ? 1e-10 : 1e-4;
            for (int m = 1; m <= 20; m += 9) {
                em_array *x = vt_rand(t, 2, (int64_t[]){m, 128}, -1, 1, 111 + m);
                snprintf(what, sizeof what, "quantized_matmul %s bits %d M %d", em_dtype_name(t), bits, m);
                CMP(what, tol, em_quantized_matmul(x, wq, s, b, true, 64, bits));
                em_array *x2 = vt_rand(t, 2, (int64_t[]){m, 24}, -1, 1, 121 + m);
                CMP(what, tol, em_quantized_matmul(x2, wq, s, b, false, 64, bits));
            }
        }
    /* decoding's shape: one row of x against long rows (many 16-byte chunks
     * per lane), groups of 32 and 128, a column count off the workgroup's 16,
     * and x at an offset not a multiple of 4 elements */
    for (int k = 0; k < 3; k++)
        for (int bits = 4; bits <= 8; bits *= 2)
            for (int gs = 32; gs <= 128; gs *= 4) EM_SCOPE {
                em_dtype t = ts[k];
                em_array *w = vt_rand(t, 2, (int64_t[]){40, 2048}, -1, 1, 131 + bits + gs);
                em_array *wq, *s, *b;
                vt_on(em_cpu());
                em_quantize(w, gs, bits, &wq, &s, &b);
                em_array *xs = vt_rand(t, 2, (int64_t[]){1, 2051}, -1, 1, 141 + gs);
                em_array *x = em_slice(xs, (int64_t[]){0, 3}, (int64_t[]){1, 2051}, (int64_t[]){1, 1});
                char what[80];
                snprintf(what, sizeof what, "quantized_matmul decode %s bits %d gs %d", em_dtype_name(t), bits,
                         gs);
                CMP(what, t == EM_FLOAT32 ? 1e-10 : 1e-4, em_quantized_matmul(x, wq, s, b, true, gs, bits));
                snprintf(what, sizeof what, "quantized_matmul decode aligned %s bits %d gs %d",
                         em_dtype_name(t), bits, gs);
                em_array *xa = vt_rand(t, 2, (int64_t[]){1, 2048}, -1, 1, 151 + gs);
                CMP(what, t == EM_FLOAT32 ? 1e-10 : 1e-4, em_quantized_matmul(xa, wq, s, b, true, gs, bits));
            }
}

static int gelu_fn(void *payload, em_array *const *in, int n_in, em_array **out, int max_out)
{
    int which = *(int *)payload;
    em_array *x = in[0];
    if (which == 0)
        out[0] = em_gelu(x);
    else if (which == 1)
        out[0] = em_gelu_approx(x);
    else /* comparisons, where, astype, rounding in half types */
        out[0] = em_where(em_greater(x, em_scalar(0.25, EM_FLOAT32)),
                          em_maximum(em_exp(x), em_astype(in[1], em_array_dtype(x))),
                          em_multiply(em_sigmoid(x), in[1]));
    return out[0] ? 1 : -1;
}

static void fused(void)
{
    static int which[3] = {0, 1, 2};
    const em_dtype ts[] = {EM_FLOAT32, EM_FLOAT16, EM_BFLOAT16};
    for (int w = 0; w < 3; w++)
        for (int k = 0; k < 3; k++) EM_SCOPE {
            em_dtype t = ts[k];
            em_compiled *c = em_compile((em_closure){gelu_fn, &which[w], NULL}, 0);
            em_array *x = vt_rand(t, 2, (int64_t[]){37, 19}, -3, 3, 131 + w);
            em_array *y = vt_rand(t, 2, (int64_t[]){37, 19}, -3, 3, 132 + w);
            em_array *r[2][2] = {{0}};
            for (int dev = 0; dev < 2; dev++) {
                vt_on(dev ? em_gpu() : em_cpu());
                em_compiled_call(c, (em_array *[]){x, y}, 2, r[dev], 1);
                /* a broadcast input too */
                em_compiled_call(c, (em_array *[]){x, em_broadcast_to(em_slice(y, NULL, (int64_t[]){1, 19}, NULL), 2, (int64_t[]){37, 19})}, 2, r[dev] + 1, 1);
            }
            vt_on(em_cpu());
            char what[64];
            snprintf(what, sizeof what, "compiled %s %s", w == 0 ? "gelu" : w == 1 ? "gelu_approx" : "where chain", em_dtype_name(t));
            vt_compare(what, r[0][0], r[1][0], t == EM_FLOAT32 ? 1e-10 : 1e-5);
            vt_compare(what, r[0][1], r[1][1], t == EM_FLOAT32 ? 1e-10 : 1e-5);
            em_compiled_free(c);
        }
    vt_checks++;
    if (em__vk_fallbacks(EM_P_FUSED) != 0) {
        printf("FAIL compiled programs ran on the cpu\n");
        vt_failures++;
    }
}


int main(void)
{
    vt_require_gpu();
    scans();
    sorts();
    indexing();
    linear();
    random_bits();
    fast();
    quant();
    fused();
    uint64_t nd = 0;
    em__vk_stats(&nd, NULL, NULL);
    uint64_t fb = 0;
    for (int p = 0; p < 200; p++)
        fb += em__vk_fallbacks(p);
    printf("%llu dispatches, %llu cpu fallbacks\n", (unsigned long long)nd, (unsigned long long)fb);
    printf("%d checks, %d failed\n", vt_checks, vt_failures);
    return vt_failures != 0;
}
