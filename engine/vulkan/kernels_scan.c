/* GPU kernels of the scans (cumsum, cumprod, cummax, cummin) and of sort,
 * argsort, partition, argpartition (a full sort satisfies a partition). The
 * input is made dense and viewed as (pre, n, post) along the axis. */
#include <stdio.h>
#include <string.h>

#include "kernels.h"

static void layout(const em_array *in, int ax, int64_t *n, int64_t *post)
{
    *n = in->ndim ? in->shape[ax] : 1;
    *post = 1;
    for (int d = ax + 1; d < in->ndim; d++)
        *post *= in->shape[d];
}

static int scan_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                       const em_params *p)
{
    em_array *out = outs[0], *in = ins[0];
    em_prim_id prim = vk_prim_of(outs);
    if (!vk_dtype_ok((em_dtype)in->dtype) || !vk_dtype_ok((em_dtype)out->dtype) ||
        out->size > INT32_MAX)
        return vk_cpu_fallback(outs, n_out, ins, n_in, p);
    if (vk_alloc_output(out) < 0)
        return -1;
    if (out->size == 0)
        return 0;
    int ax = (int)p->i[0];
    int64_t n, post;
    layout(in, ax, &n, &post);
    char shader[32];
    snprintf(shader, sizeof shader, "scan_%s_%s", vk_dtype_suffix((em_dtype)in->dtype),
             vk_dtype_suffix((em_dtype)out->dtype));
    if (!vk_shader_exists(shader))
        return vk_cpu_fallback(outs, n_out, ins, n_in, p);
    em_array *x = vk_dense(in);
    if (!x)
        return -1;
    struct { uint32_t lines, n, post, a_off, o_off, reverse, inclusive; } pc = {
        .lines = (uint32_t)(out->size / n), .n = (uint32_t)n, .post = (uint32_t)post,
        .reverse = (uint32_t)p->i[1], .inclusive = (uint32_t)p->i[2]};
    vk_opset s;
    em_array *arr[2] = {x, out};
    int rc = vk_opset_get(&s, arr, 2, NULL);
    if (rc == 0) {
        pc.a_off = (uint32_t)s.op[0].elem_off;
        pc.o_off = (uint32_t)s.op[1].elem_off;
        int32_t op = prim == EM_P_SCAN_SUM ? 1 : prim == EM_P_SCAN_PROD ? 2 : prim == EM_P_SCAN_MAX ? 3 : 4;
        rc = vk_run(shader, &op, 1, &s, 2u, &pc, sizeof pc, vk_groups(pc.lines, 64), 1, 1);
        vk_opset_done(&s);
    }
    em_release(x);
    return rc;
}

static int sort_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                       const em_params *p)
{
    em_array *out = outs[0], *in = ins[0];
    em_prim_id prim = vk_prim_of(outs);
    bool arg = prim == EM_P_ARGSORT || prim == EM_P_ARGPARTITION;
    int ax = (int)p->i[0];
    int64_t n, post;
    layout(in, ax, &n, &post);
    /* lines beyond 2048 elements: the CPU's radix sort */
    if (!vk_dtype_ok((em_dtype)in->dtype) || !vk.int64 || n > 2048 || out->size > INT32_MAX ||
        (arg && out->dtype != EM_UINT32))
        return vk_cpu_fallback(outs, n_out, ins, n_in, p);
    if (vk_alloc_output(out) < 0)
        return -1;
    if (out->size == 0)
        return 0;
    em_array *x = vk_dense(in);
    if (!x)
        return -1;
    uint32_t n2 = 1;
    while (n2 < n)
        n2 <<= 1;
    struct { uint32_t lines, n, n2, post, a_off, o_off; } pc = {
        .lines = (uint32_t)(out->size / n), .n = (uint32_t)n, .n2 = n2, .post = (uint32_t)post};
    vk_opset s;
    em_array *arr[3] = {x, arg ? NULL : out, arg ? out : NULL};
    int rc = vk_opset_get(&s, arr, 3, NULL);
    if (rc == 0) {
        pc.a_off = (uint32_t)s.op[0].elem_off;
        pc.o_off = (uint32_t)s.op[arg ? 2 : 1].elem_off;
        char shader[32];
        snprintf(shader, sizeof shader, "sort_%s", vk_dtype_suffix((em_dtype)in->dtype));
        int32_t spec = arg;
        rc = vk_run(shader, &spec, 1, &s, 6u, &pc, sizeof pc,
                    pc.lines < 65535 ? pc.lines : 65535, 1, 1);
        vk_opset_done(&s);
    }
    em_release(x);
    return rc;
}

__attribute__((constructor)) static void register_scan(void)
{
    em__vk_register(EM_P_SCAN_SUM, scan_kernel);
    em__vk_register(EM_P_SCAN_PROD, scan_kernel);
    em__vk_register(EM_P_SCAN_MAX, scan_kernel);
    em__vk_register(EM_P_SCAN_MIN, scan_kernel);
    em__vk_register(EM_P_SORT, sort_kernel);
    em__vk_register(EM_P_ARGSORT, sort_kernel);
    em__vk_register(EM_P_PARTITION, sort_kernel);
    em__vk_register(EM_P_ARGPARTITION, sort_kernel);
}
