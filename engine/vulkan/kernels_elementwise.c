/* GPU kernels of the elementwise primitives: every unary (astype and
 * stop_gradient included), every binary, where, and the dense copy. The
 * shaders read strided, broadcast inputs through push-constant shapes and
 * strides; large contiguous arrays beyond the binding range are split into
 * several dispatches. What the shaders cannot hold (float64, a dtype the
 * device lacks, an exotic layout beyond the binding range) runs on the CPU. */
#include <stdio.h>
#include <string.h>

#include "kernels.h"

#define PC_WORDS 32

int vk_elementwise(const char *shader, int32_t op, em_array *out, em_array *const *ins, int n_in,
                   int maxd, float f0)
{
    if (vk_alloc_output(out) < 0)
        return -1;
    if (out->size == 0)
        return 0;
    int64_t mshape[EM_MAX_DIMS], mstr[4][EM_MAX_DIMS];
    const int64_t *strides[4];
    for (int i = 0; i < n_in; i++) {
        /* broadcast inputs have the output's rank after the op; views may not */
        if (ins[i]->ndim != out->ndim)
            return VK_USE_CPU;
        strides[i] = ins[i]->strides;
    }
    strides[n_in] = out->strides;
    int nd = vk_merge_dims(out->ndim, out->shape, n_in + 1, strides, mshape, mstr);
    if (nd > maxd)
        return VK_USE_CPU;
    for (int d = 0; d < nd; d++)
        if (mshape[d] > UINT32_MAX)
            return VK_USE_CPU;

    int hdr = n_in + 2 > 4 ? n_in + 2 : 4;
    uint32_t pc[PC_WORDS] = {0};
    uint32_t pc_bytes = 4 * (uint32_t)(hdr + maxd * (1 + n_in));
    int32_t spec[2] = {op, nd};
    vk_pipeline *pipe = vk_pipeline_get(shader, n_in + 1, pc_bytes, spec, 2);
    if (!pipe)
        return -1;

    vk_operand ops[4];
    int n_ops = 0, rc = 0;
    bool fits = out->size <= INT32_MAX;
    for (int i = 0; i <= n_in && fits; i++) {
        em_array *a = i < n_in ? ins[i] : out;
        bool f = true;
        if (vk_operand_get(a, &ops[n_ops], &f) < 0) {
            if (f) { /* a real error, not a size */
                rc = -1;
                goto done;
            }
            fits = false;
            break;
        }
        n_ops++;
        if (!vk_fits_i32(nd, mshape, mstr[i], ops[i].elem_off))
            fits = false;
    }
    if (fits) {
        pc[0] = (uint32_t)out->size;
        for (int i = 0; i <= n_in; i++)
            pc[1 + i] = (uint32_t)ops[i].elem_off;
        if (n_in == 1)
            memcpy(&pc[3], &f0, 4);
        for (int d = 0; d < nd; d++) {
            pc[hdr + d] = (uint32_t)mshape[d];
            for (int i = 0; i < n_in; i++)
                pc[hdr + maxd * (1 + i) + d] = (uint32_t)(int32_t)mstr[i][d];
        }
        vk_binding b[4];
        for (int i = 0; i <= n_in; i++)
            b[i] = vk_bind(&ops[i], i == n_in);
        rc = vk_dispatch(pipe, b, n_in + 1, pc, vk_groups(out->size, 256), 1, 1);
        goto done;
    }
    for (int i = 0; i < n_ops; i++)
        vk_operand_done(&ops[i]);
    n_ops = 0;

    /* too large for one binding: split a linear walk into chunks */
    if (nd != 1)
        return VK_USE_CPU;
    for (int i = 0; i < n_in; i++)
        if (mstr[i][0] != 0 && mstr[i][0] != 1)
            return VK_USE_CPU;
    size_t esz = em_dtype_size((em_dtype)out->dtype);
    for (int i = 0; i < n_in; i++)
        if (em_dtype_size((em_dtype)ins[i]->dtype) > esz)
            esz = em_dtype_size((em_dtype)ins[i]->dtype);
    int64_t chunk = (int64_t)((vk.info.max_storage_buffer_range - 1024) / esz) & ~(int64_t)1023;
    if (chunk > ((int64_t)1 << 30))
        chunk = (int64_t)1 << 30;
    for (int64_t s = 0; s < out->size && rc == 0; s += chunk) {
        int64_t len = out->size - s < chunk ? out->size - s : chunk;
        n_ops = 0;
        for (int i = 0; i <= n_in && rc == 0; i++) {
            em_array *a = i < n_in ? ins[i] : out;
            if (i < n_in && mstr[i][0] == 0)
                rc = vk_operand_get(a, &ops[i], NULL);
            else
                rc = vk_operand_range(a, s, len, &ops[i]);
            if (rc == 0)
                n_ops++;
        }
        if (rc < 0)
            break;
        memset(pc, 0, sizeof pc);
        pc[0] = (uint32_t)len;
        for (int i = 0; i <= n_in; i++)
            pc[1 + i] = (uint32_t)ops[i].elem_off;
        if (n_in == 1)
            memcpy(&pc[3], &f0, 4);
        pc[hdr] = (uint32_t)len;
        for (int i = 0; i < n_in; i++)
            pc[hdr + maxd * (1 + i)] = (uint32_t)mstr[i][0];
        vk_binding b[4];
        for (int i = 0; i <= n_in; i++)
            b[i] = vk_bind(&ops[i], i == n_in);
        rc = vk_dispatch(pipe, b, n_in + 1, pc, vk_groups(len, 256), 1, 1);
        for (int i = 0; i < n_ops; i++)
            vk_operand_done(&ops[i]);
        n_ops = 0;
    }
done:
    for (int i = 0; i < n_ops; i++)
        vk_operand_done(&ops[i]);
    return rc;
}

static int run_or_cpu(const char *shader, int32_t op, em_array *const *outs, int n_out,
                      em_array *const *ins, int n_in, const em_params *p, int maxd, float f0)
{
    int rc = vk_elementwise(shader, op, outs[0], ins, n_in, maxd, f0);
    if (rc == VK_USE_CPU)
        return vk_cpu_fallback(outs, n_out, ins, n_in, p);
    return rc;
}

static const char *size_suffix(size_t esz)
{
    return esz == 1 ? "1" : esz == 2 ? "2" : esz == 4 ? "4" : "8";
}

/* ---- unary ---- */

static const int8_t uop[EM_P_COUNT] = {
    [EM_P_ABS] = UOP_ABS, [EM_P_NEGATIVE] = UOP_NEG, [EM_P_SIGN] = UOP_SIGN,
    [EM_P_SQUARE] = UOP_SQUARE, [EM_P_SQRT] = UOP_SQRT, [EM_P_RSQRT] = UOP_RSQRT,
    [EM_P_RECIPROCAL] = UOP_RECIP, [EM_P_EXP] = UOP_EXP, [EM_P_EXPM1] = UOP_EXPM1,
    [EM_P_LOG] = UOP_LOG, [EM_P_LOG1P] = UOP_LOG1P, [EM_P_LOG2] = UOP_LOG2,
    [EM_P_LOG10] = UOP_LOG10, [EM_P_SIN] = UOP_SIN, [EM_P_COS] = UOP_COS, [EM_P_TAN] = UOP_TAN,
    [EM_P_ARCSIN] = UOP_ASIN, [EM_P_ARCCOS] = UOP_ACOS, [EM_P_ARCTAN] = UOP_ATAN,
    [EM_P_SINH] = UOP_SINH, [EM_P_COSH] = UOP_COSH, [EM_P_TANH] = UOP_TANH,
    [EM_P_ARCSINH] = UOP_ASINH, [EM_P_ARCCOSH] = UOP_ACOSH, [EM_P_ARCTANH] = UOP_ATANH,
    [EM_P_SIGMOID] = UOP_SIGMOID, [EM_P_ERF] = UOP_ERF, [EM_P_ERFINV] = UOP_ERFINV,
    [EM_P_FLOOR] = UOP_FLOOR, [EM_P_CEIL] = UOP_CEIL, [EM_P_ROUND] = UOP_ROUND,
    [EM_P_ISNAN] = UOP_ISNAN, [EM_P_ISINF] = UOP_ISINF, [EM_P_ISFINITE] = UOP_ISFINITE,
    [EM_P_ISPOSINF] = UOP_ISPOSINF, [EM_P_ISNEGINF] = UOP_ISNEGINF,
    [EM_P_LOGICAL_NOT] = UOP_LNOT, [EM_P_BITWISE_INVERT] = UOP_INVERT,
};

static int unary_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                        const em_params *p)
{
    em_array *out = outs[0], *in = ins[0];
    em_prim_id prim = vk_prim_of(outs);
    em_dtype t = (em_dtype)in->dtype, ot = (em_dtype)out->dtype;
    if (!vk_dtype_ok(t) || !vk_dtype_ok(ot))
        return vk_cpu_fallback(outs, n_out, ins, n_in, p);
    char shader[64];
    if (prim == EM_P_ASTYPE || prim == EM_P_STOP_GRADIENT) {
        if (t == ot || (em_dtype_size(t) == em_dtype_size(ot) && em_dtype_is_int(t) &&
                        em_dtype_is_int(ot)))
            snprintf(shader, sizeof shader, "copy_%s", size_suffix(em_dtype_size(t)));
        else
            snprintf(shader, sizeof shader, "cast_%s_%s", vk_dtype_suffix(t), vk_dtype_suffix(ot));
        return run_or_cpu(shader, 0, outs, n_out, ins, n_in, p, EM_MAX_DIMS, 0.0f);
    }
    int op = uop[prim];
    bool is_float = em_dtype_is_float(t);
    bool pred = ot == EM_BOOL && op >= UOP_ISNAN && op <= UOP_LNOT;
    if (!pred && ot != t)
        return vk_cpu_fallback(outs, n_out, ins, n_in, p);
    if (!is_float && !pred) {
        if (op == UOP_FLOOR || op == UOP_CEIL || op == UOP_ROUND)
            op = UOP_COPY;
        else if (op > UOP_SQUARE && op != UOP_INVERT)
            return vk_cpu_fallback(outs, n_out, ins, n_in, p); /* float-only op */
        if (t == EM_BOOL && op == UOP_NEG)
            return vk_cpu_fallback(outs, n_out, ins, n_in, p);
    }
    if (is_float && op == UOP_INVERT)
        return vk_cpu_fallback(outs, n_out, ins, n_in, p);
    snprintf(shader, sizeof shader, pred ? "unary_pred_%s" : "unary_%s", vk_dtype_suffix(t));
    float f0 = op == UOP_ROUND && p && p->f[0] != 0 ? (float)p->f[0] : 1.0f;
    return run_or_cpu(shader, op, outs, n_out, ins, n_in, p, EM_MAX_DIMS, f0);
}

/* ---- binary ---- */

static const int8_t bop[EM_P_COUNT] = {
    [EM_P_ADD] = BOP_ADD, [EM_P_SUBTRACT] = BOP_SUB, [EM_P_MULTIPLY] = BOP_MUL,
    [EM_P_DIVIDE] = BOP_DIV, [EM_P_FLOOR_DIVIDE] = BOP_FLOORDIV, [EM_P_REMAINDER] = BOP_REM,
    [EM_P_POWER] = BOP_POW, [EM_P_MAXIMUM] = BOP_MAX, [EM_P_MINIMUM] = BOP_MIN,
    [EM_P_LOGADDEXP] = BOP_LOGADDEXP, [EM_P_ARCTAN2] = BOP_ATAN2, [EM_P_EQUAL] = BOP_EQ,
    [EM_P_NOT_EQUAL] = BOP_NE, [EM_P_LESS] = BOP_LT, [EM_P_LESS_EQUAL] = BOP_LE,
    [EM_P_GREATER] = BOP_GT, [EM_P_GREATER_EQUAL] = BOP_GE, [EM_P_LOGICAL_AND] = BOP_LAND,
    [EM_P_LOGICAL_OR] = BOP_LOR, [EM_P_BITWISE_AND] = BOP_BAND, [EM_P_BITWISE_OR] = BOP_BOR,
    [EM_P_BITWISE_XOR] = BOP_BXOR, [EM_P_LEFT_SHIFT] = BOP_SHL, [EM_P_RIGHT_SHIFT] = BOP_SHR,
};

static int binary_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                         const em_params *p)
{
    em_array *out = outs[0];
    em_dtype t = (em_dtype)ins[0]->dtype, ot = (em_dtype)out->dtype;
    int op = bop[vk_prim_of(outs)];
    if (ins[1]->dtype != t || !vk_dtype_ok(t) || !vk_dtype_ok(ot))
        return vk_cpu_fallback(outs, n_out, ins, n_in, p);
    bool cmp = op >= BOP_EQ && op <= BOP_LOR;
    bool ok;
    if (cmp)
        ok = ot == EM_BOOL;
    else if (ot != t)
        ok = false;
    else if (em_dtype_is_float(t))
        ok = op <= BOP_ATAN2;
    else if (t == EM_BOOL)
        ok = op == BOP_ADD || op == BOP_MUL || op == BOP_MAX || op == BOP_MIN ||
             (op >= BOP_BAND && op <= BOP_BXOR);
    else
        ok = op != BOP_DIV && op != BOP_LOGADDEXP && op != BOP_ATAN2;
    if (!ok)
        return vk_cpu_fallback(outs, n_out, ins, n_in, p);
    char shader[64];
    snprintf(shader, sizeof shader, cmp ? "binary_cmp_%s" : "binary_%s", vk_dtype_suffix(t));
    return run_or_cpu(shader, op, outs, n_out, ins, n_in, p, EM_MAX_DIMS, 0.0f);
}

/* ---- where ---- */

static int select_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                         const em_params *p)
{
    em_array *out = outs[0];
    if (ins[0]->dtype != EM_BOOL || !vk_dtype_ok(EM_BOOL) || !vk_dtype_ok((em_dtype)out->dtype) ||
        ins[1]->dtype != out->dtype || ins[2]->dtype != out->dtype)
        return vk_cpu_fallback(outs, n_out, ins, n_in, p);
    char shader[32];
    snprintf(shader, sizeof shader, "where_%s", size_suffix(em_dtype_size((em_dtype)out->dtype)));
    return run_or_cpu(shader, 0, outs, n_out, ins, n_in, p, 6, 0.0f);
}

/* ---- dense copy ---- */

static int copy_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                       const em_params *p)
{
    em_array *in = ins[0], *out = outs[0];
    if (in->size > 0 && in->buf && !vk_buffer_alloc(in->buf) && em__is_row_contiguous(in)) {
        /* a dense host array moved to the gpu: one copy into the mapped GPU
         * buffer, no shader, no binding limit (model weights of any size) */
        if (vk_alloc_output(out) < 0)
            return -1;
        size_t nbytes = (size_t)in->size * em_dtype_size((em_dtype)in->dtype);
        memcpy(out->buf->data, em__data(in), nbytes);
        vk_count_upload(nbytes);
        return 0;
    }
    char shader[32];
    snprintf(shader, sizeof shader, "copy_%s", size_suffix(em_dtype_size((em_dtype)ins[0]->dtype)));
    if (ins[0]->dtype == EM_FLOAT64 || (em_dtype_size((em_dtype)ins[0]->dtype) < 4 &&
                                        !vk_dtype_ok((em_dtype)ins[0]->dtype)))
        return vk_cpu_fallback(outs, n_out, ins, n_in, p);
    return run_or_cpu(shader, 0, outs, n_out, ins, n_in, p, EM_MAX_DIMS, 0.0f);
}

em_array *vk_contiguous(em_array *a)
{
    em_array *t = em__alloc_array((em_dtype)a->dtype, a->ndim, a->shape);
    if (!t)
        return NULL;
    t->orig_prim = EM_P_COPY;
    char shader[32];
    snprintf(shader, sizeof shader, "copy_%s", size_suffix(em_dtype_size((em_dtype)a->dtype)));
    int rc = vk_elementwise(shader, 0, t, &a, 1, EM_MAX_DIMS, 0.0f);
    if (rc == VK_USE_CPU)
        rc = em__error("gpu: %s is too large to copy on the gpu", em_prims[a->orig_prim].name);
    if (rc < 0) {
        em_release(t);
        return NULL;
    }
    t->flags |= EM_F_EVALUATED;
    return t;
}

__attribute__((constructor)) static void register_elementwise(void)
{
    for (int id = EM_P_ABS; id <= EM_P_STOP_GRADIENT; id++)
        em__vk_register((em_prim_id)id, unary_kernel);
    for (int id = EM_P_ADD; id <= EM_P_RIGHT_SHIFT; id++)
        em__vk_register((em_prim_id)id, binary_kernel);
    em__vk_register(EM_P_SELECT, select_kernel);
    em__vk_register(EM_P_COPY, copy_kernel);
}
