/* compile's FUSED primitive on the GPU: the program (a straight line of
 * elementwise ops over external inputs) becomes GLSL at run time, compiled by
 * libshaderc (or, where the distribution's libshaderc does not link, as on
 * Debian 12, by the glslc program found at build time) into one kernel; pipelines are cached by the program's text.
 * Covers programs over float32/float16/bfloat16/bool values (every other
 * dtype runs the CPU's fused kernel). Values compute in float and are rounded
 * to their op's type after each op, as the CPU stores each op's result. */
#include "vulkan/fused_config.h" /* the build directory's */
#ifdef EM_HAVE_SHADERC
#include <shaderc/shaderc.h>
#else
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
extern char **environ;
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../transforms/fused.h"
#include "glsl_text.h"
#include "kernels.h"

typedef struct { char *s; size_t n, cap; bool oom; } sbuf;

static void put(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#include <stdarg.h>
static void put(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int k = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (k < 0) {
            b->oom = true;
            return;
        }
        if (b->s && b->n + (size_t)k < b->cap) {
            b->n += (size_t)k;
            return;
        }
        size_t cap = (b->cap ? 2 * b->cap : 4096) + (size_t)k;
        char *t = realloc(b->s, cap);
        if (!t) {
            b->oom = true;
            return;
        }
        b->s = t;
        b->cap = cap;
    }
}

static bool type_ok(em_dtype t)
{
    return t == EM_FLOAT32 || t == EM_FLOAT16 || t == EM_BFLOAT16 || t == EM_BOOL;
}

/* GLSL of one op over operands a, b, c (names of float values); NULL when not
 * covered. */
static bool op_expr(sbuf *b, const em_fused_op *op, em_dtype in_t, const char *x, const char *y,
                    const char *z)
{
    em_dtype t = (em_dtype)op->dtype;
    switch ((em_prim_id)op->prim) {
#define U(P, FMT) case EM_P_##P: put(b, FMT, x, x, x); return true;
    U(ABS, "abs(%s)%.0s%.0s")
    U(NEGATIVE, "(-%s)%.0s%.0s")
    U(SIGN, "(isnan(%s) ? %s : sign(%s))")
    U(SQUARE, "(%s * %s)%.0s")
    U(SQRT, "sqrt(%s)%.0s%.0s")
    U(RSQRT, "(1.0 / sqrt(%s))%.0s%.0s")
    U(RECIPROCAL, "(1.0 / %s)%.0s%.0s")
    U(EXP, "exp(%s)%.0s%.0s")
    U(EXPM1, "expm1_f(%s)%.0s%.0s")
    U(LOG, "log(%s)%.0s%.0s")
    U(LOG1P, "log1p_f(%s)%.0s%.0s")
    U(LOG2, "log2(%s)%.0s%.0s")
    U(LOG10, "(log2(%s) * 0.30102999566398120)%.0s%.0s")
    U(SIN, "sin(%s)%.0s%.0s")
    U(COS, "cos(%s)%.0s%.0s")
    U(TAN, "tan(%s)%.0s%.0s")
    U(ARCTAN, "atan(%s)%.0s%.0s")
    U(SINH, "sinh(%s)%.0s%.0s")
    U(COSH, "cosh(%s)%.0s%.0s")
    U(TANH, "tanh_f(%s)%.0s%.0s")
    U(ARCSINH, "asinh(%s)%.0s%.0s")
    U(ARCCOSH, "acosh(%s)%.0s%.0s")
    U(ARCTANH, "atanh(%s)%.0s%.0s")
    U(SIGMOID, "sigmoid_f(%s)%.0s%.0s")
    U(ERF, "erf_f(%s)%.0s%.0s")
    U(ERFINV, "erfinv_f(%s)%.0s%.0s")
    U(FLOOR, "floor(%s)%.0s%.0s")
    U(CEIL, "ceil(%s)%.0s%.0s")
    U(ISNAN, "float(isnan(%s))%.0s%.0s")
    U(ISINF, "float(isinf(%s))%.0s%.0s")
    U(ISFINITE, "float(!isnan(%s) && !isinf(%s))%.0s")
    U(ISPOSINF, "float(isinf(%s) && %s > 0.0)%.0s")
    U(ISNEGINF, "float(isinf(%s) && %s < 0.0)%.0s")
    U(LOGICAL_NOT, "float(%s == 0.0)%.0s%.0s")
    U(STOP_GRADIENT, "%s%.0s%.0s")
#undef U
    case EM_P_ARCSIN: put(b, "atan(%s, sqrt((1.0 - %s) * (1.0 + %s)))", x, x, x); return true;
    case EM_P_ARCCOS: put(b, "atan(sqrt((1.0 - %s) * (1.0 + %s)), %s)", x, x, x); return true;
    case EM_P_ROUND:
        if (op->f0 == 1.0)
            put(b, "roundEven(%s)", x);
        else
            put(b, "(roundEven(%s * %.17g) / %.17g)", x, op->f0, op->f0);
        return true;
    case EM_P_ASTYPE:
        if (t == EM_BOOL)
            put(b, "float(%s != 0.0)", x);
        else
            put(b, "%s", x);
        return true;
#define B(P, FMT) case EM_P_##P: put(b, FMT, x, y, x, y); return true;
    B(ADD, "(%s + %s)%.0s%.0s")
    B(SUBTRACT, "(%s - %s)%.0s%.0s")
    B(MULTIPLY, "(%s * %s)%.0s%.0s")
    B(DIVIDE, "(%s / %s)%.0s%.0s")
    B(FLOOR_DIVIDE, "floor(%s / %s)%.0s%.0s")
    B(REMAINDER, "rem_f(%s, %s)%.0s%.0s")
    B(POWER, "pow_f(%s, %s)%.0s%.0s")
    B(LOGADDEXP, "logaddexp_f(%s, %s)%.0s%.0s")
    B(ARCTAN2, "atan2_f(%s, %s)%.0s%.0s")
    B(EQUAL, "float(%s == %s)%.0s%.0s")
    B(NOT_EQUAL, "float(%s != %s)%.0s%.0s")
    B(LESS, "float(%s < %s)%.0s%.0s")
    B(LESS_EQUAL, "float(%s <= %s)%.0s%.0s")
    B(GREATER, "float(%s > %s)%.0s%.0s")
    B(GREATER_EQUAL, "float(%s >= %s)%.0s%.0s")
    B(LOGICAL_AND, "float(%s != 0.0 && %s != 0.0)%.0s%.0s")
    B(LOGICAL_OR, "float(%s != 0.0 || %s != 0.0)%.0s%.0s")
#undef B
    case EM_P_MAXIMUM: put(b, "((isnan(%s) || %s > %s) ? %s : %s)", x, x, y, x, y); return true;
    case EM_P_MINIMUM: put(b, "((isnan(%s) || %s < %s) ? %s : %s)", x, x, y, x, y); return true;
    case EM_P_SELECT: put(b, "(%s != 0.0 ? %s : %s)", x, y, z); return true;
    default: (void)in_t; return false;
    }
}

/* rounding of a float value to type t (f16, bf16; bool values are 0/1) */
static const char *round_fn(em_dtype t)
{
    return t == EM_FLOAT16 ? "r16" : t == EM_BFLOAT16 ? "rbf" : "";
}

/* The program's GLSL (NULL when not covered). scalar[k]: input k is one value. */
static char *gen_glsl(const em_fused_program *prog, em_array *const *ins, const bool *scalar)
{
    sbuf b = {0};
    put(&b, "#version 450\n%s\n%s\n", em_glsl_common, em_glsl_mathf);
    put(&b, "float r16(float v) { return unpackHalf2x16(packHalf2x16(vec2(v, 0.0))).x; }\n"
            "float rbf(float v) { return bf16_to_f32(f32_to_bf16(v)); }\n"
            "layout(local_size_x = 256) in;\n");
    em_dtype ot = (em_dtype)prog->ops[prog->n_ops - 1].dtype;
    put(&b, "layout(set = 0, binding = 0) writeonly buffer BO { ST_%d o[]; };\n", (int)ot);
    for (int k = 0; k < prog->n_ext; k++)
        put(&b, "layout(set = 0, binding = %d) readonly buffer B%d { ST_%d e%d[]; };\n", k + 1, k,
            (int)ins[k]->dtype, k);
    put(&b, "layout(push_constant) uniform PC { uint n; uint off[%d]; } pc;\n", prog->n_ext + 1);
    put(&b, "void main()\n{\n    uint step = gl_NumWorkGroups.x * gl_WorkGroupSize.x;\n"
            "    for (uint i = gl_GlobalInvocationID.x; i < pc.n; i += step) {\n");
    for (int k = 0; k < prog->n_ext; k++) {
        em_dtype t = (em_dtype)ins[k]->dtype;
        const char *idx = scalar[k] ? "" : " + i";
        if (t == EM_BOOL)
            put(&b, "        float x%d = float(LD_0(e%d[pc.off[%d]%s]) != 0u);\n", k, k, k + 1, idx);
        else
            put(&b, "        float x%d = LD_%d(e%d[pc.off[%d]%s]);\n", k, (int)t, k, k + 1, idx);
    }
    bool ok = true;
    for (int j = 0; j < prog->n_ops && ok; j++) {
        const em_fused_op *op = &prog->ops[j];
        char nm[3][16];
        for (int q = 0; q < op->n_in; q++) {
            int r = op->in[q];
            if (r >= 0)
                snprintf(nm[q], sizeof nm[q], "v%d", r);
            else
                snprintf(nm[q], sizeof nm[q], "x%d", -r - 1);
        }
        int r0 = op->in[op->n_in == 3 ? 1 : 0];
        em_dtype in_t = r0 >= 0 ? (em_dtype)prog->ops[r0].dtype : (em_dtype)ins[-r0 - 1]->dtype;
        put(&b, "        float v%d = %s(", j, round_fn((em_dtype)op->dtype));
        ok = op_expr(&b, op, in_t, nm[0], op->n_in > 1 ? nm[1] : "", op->n_in > 2 ? nm[2] : "");
        put(&b, ");\n");
    }
    if (ot == EM_BOOL)
        put(&b, "        o[pc.off[0] + i] = uint8_t(v%d != 0.0);\n", prog->n_ops - 1);
    else
        put(&b, "        o[pc.off[0] + i] = STORE_%d(v%d);\n", (int)ot, prog->n_ops - 1);
    put(&b, "    }\n}\n");
    if (!ok || b.oom) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

/* text -> shader name, for the life of the process */
typedef struct fused_entry {
    char *text;
    char name[32];
    struct fused_entry *next;
} fused_entry;
static fused_entry *fused_cache;
static int fused_count;

/* SPIR-V of a compute shader's GLSL: 0 and *code (malloc'd), or -1 + error. */
static int compile_glsl(const char *text, uint32_t **code, size_t *size)
{
#ifdef EM_HAVE_SHADERC
    int rc = -1;
    shaderc_compiler_t c = shaderc_compiler_initialize();
    shaderc_compile_options_t o = shaderc_compile_options_initialize();
    if (c && o) {
        shaderc_compile_options_set_target_env(o, shaderc_target_env_vulkan, shaderc_env_version_vulkan_1_2);
        shaderc_compile_options_set_optimization_level(o, shaderc_optimization_level_performance);
        shaderc_compilation_result_t r =
            shaderc_compile_into_spv(c, text, strlen(text), shaderc_compute_shader, "fused.comp", "main", o);
        if (shaderc_result_get_compilation_status(r) == shaderc_compilation_status_success) {
            *size = shaderc_result_get_length(r);
            *code = malloc(*size);
            if (*code) {
                memcpy(*code, shaderc_result_get_bytes(r), *size);
                rc = 0;
            } else {
                em__error("out of memory");
            }
        } else {
            em__error("gpu: the fused kernel did not compile: %s", shaderc_result_get_error_message(r));
        }
        shaderc_result_release(r);
    } else {
        em__error("gpu: shaderc could not start");
    }
    if (o)
        shaderc_compile_options_release(o);
    if (c)
        shaderc_compiler_release(c);
    return rc;
#else
    const char *tmp = getenv("TMPDIR");
    char src[512], dst[520];
    snprintf(src, sizeof src, "%s/ember-fused-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemp(src);
    if (fd < 0)
        return em__error("gpu: no temporary file for a fused kernel");
    size_t n = strlen(text);
    bool wrote = write(fd, text, n) == (ssize_t)n;
    close(fd);
    snprintf(dst, sizeof dst, "%s.spv", src);
    int rc = -1;
    if (wrote) {
        char *argv[] = {(char *)EM_GLSLC, "--target-env=vulkan1.2", "-O", "-fshader-stage=compute",
                        "-x", "glsl", src, "-o", dst, NULL};
        pid_t pid;
        int st = 0;
        if (posix_spawn(&pid, EM_GLSLC, NULL, NULL, argv, environ) == 0 && waitpid(pid, &st, 0) == pid &&
            WIFEXITED(st) && WEXITSTATUS(st) == 0) {
            FILE *f = fopen(dst, "rb");
            if (f && fseek(f, 0, SEEK_END) == 0) {
                long len = ftell(f);
                rewind(f);
                *code = len > 0 ? malloc((size_t)len) : NULL;
                if (*code && fread(*code, 1, (size_t)len, f) == (size_t)len) {
                    *size = (size_t)len;
                    rc = 0;
                } else {
                    free(*code);
                }
            }
            if (f)
                fclose(f);
        }
        if (rc < 0)
            em__error("gpu: the fused kernel did not compile (%s)", EM_GLSLC);
    }
    unlink(src);
    unlink(dst);
    return rc;
#endif
}

static const char *shader_for(char *text)
{
    vk_lock();
    for (fused_entry *e = fused_cache; e; e = e->next)
        if (!strcmp(e->text, text)) {
            vk_unlock();
            free(text);
            return e->name;
        }
    const char *name = NULL;
    fused_entry *e = calloc(1, sizeof *e);
    uint32_t *code = NULL;
    size_t size = 0;
    if (e && compile_glsl(text, &code, &size) == 0) {
        snprintf(e->name, sizeof e->name, "fused_%d", fused_count++);
        if (vk_shader_register(e->name, code, size) == 0) {
            e->text = text;
            e->next = fused_cache;
            fused_cache = e;
            name = e->name;
            text = NULL;
            e = NULL;
        }
    }
    free(code);
    free(e);
    free(text);
    vk_unlock();
    return name;
}

static int fused_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                        const em_params *p)
{
    em_array *out = outs[0];
    const em_fused_program *prog = p->obj;
    bool ok = prog && prog->n_ext == n_in && n_in + 1 <= 8 && out->size <= INT32_MAX &&
              type_ok((em_dtype)out->dtype) && vk.storage8 && vk.storage16;
    for (int k = 0; ok && k < n_in; k++)
        ok = type_ok((em_dtype)ins[k]->dtype) && ins[k]->ndim == out->ndim;
    for (int j = 0; ok && prog && j < prog->n_ops; j++)
        ok = type_ok((em_dtype)prog->ops[j].dtype);
    if (!ok)
        return vk_cpu_fallback(outs, n_out, ins, n_in, p);
    /* inputs: dense (the output's layout) or one broadcast value */
    bool scalar[8] = {0};
    em_array *x[8] = {0};
    for (int k = 0; k < n_in; k++) {
        bool zero = true;
        for (int d = 0; d < ins[k]->ndim; d++)
            zero &= ins[k]->strides[d] == 0 || ins[k]->shape[d] == 1;
        scalar[k] = zero;
    }
    char *text = gen_glsl(prog, ins, scalar);
    if (!text)
        return vk_cpu_fallback(outs, n_out, ins, n_in, p);
    const char *shader = shader_for(text);
    if (!shader)
        return -1;
    if (vk_alloc_output(out) < 0)
        return -1;
    if (out->size == 0)
        return 0;
    int rc = 0;
    for (int k = 0; k < n_in && rc == 0; k++) {
        x[k] = scalar[k] || em__is_row_contiguous(ins[k]) ? em_retain(ins[k]) : vk_contiguous(ins[k]);
        if (!x[k])
            rc = -1;
    }
    if (rc == 0) {
        em_array *arr[8] = {out};
        for (int k = 0; k < n_in; k++)
            arr[k + 1] = x[k];
        vk_opset s;
        rc = vk_opset_get(&s, arr, n_in + 1, NULL);
        if (rc == 0) {
            uint32_t pc[16] = {(uint32_t)out->size};
            for (int k = 0; k <= n_in; k++)
                pc[1 + k] = (uint32_t)s.op[k].elem_off;
            rc = vk_run(shader, NULL, 0, &s, 1u, pc, 4 * (uint32_t)(n_in + 2),
                        vk_groups(out->size, 256), 1, 1);
            vk_opset_done(&s);
        }
    }
    for (int k = 0; k < n_in; k++)
        em_release(x[k]);
    return rc;
}

__attribute__((constructor)) static void register_fused(void)
{
    em__vk_register(EM_P_FUSED, fused_kernel);
}
