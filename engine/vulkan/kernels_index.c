/* GPU kernels of indexing and assembly: gather, scatter (every mode),
 * take_along_axis, put_along_axis, slice_update, concatenate, pad. Index
 * arrays become dense int32 on the GPU first; indices are checked on the host
 * when that needs no wait for the GPU (the shaders clamp them in any case). */
#include <stdio.h>
#include <string.h>

#include "../core/convert.h"
#include "ember/ops.h"
#include "kernels.h"

#define MAX_IDX 4

static bool all_ok(em_array *const *a, int n)
{
    for (int i = 0; i < n; i++)
        if (!vk_dtype_ok((em_dtype)a[i]->dtype))
            return false;
    return true;
}

/* out = a, densely on the GPU */
static int copy_input(em_array *out, em_array *a)
{
    if (vk_alloc_output(out) < 0)
        return -1;
    return vk_scopy(out, 0, out->strides, a);
}

static int slice_update_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                               const em_params *p)
{
    em_array *out = outs[0], *a = ins[0], *upd = ins[1];
    if (!all_ok(ins, 2) || out->size > INT32_MAX)
        return vk_cpu_fallback(outs, n_out, ins, n_in, p);
    if (copy_input(out, a) < 0)
        return -1;
    int64_t offset = 0, strides[EM_MAX_DIMS];
    for (int d = 0; d < out->ndim; d++) {
        offset += p->i[d] * out->strides[d];
        strides[d] = out->strides[d] * p->i[EM_MAX_DIMS + d];
    }
    return vk_scopy(out, offset, strides, upd);
}

static int concatenate_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                              const em_params *p)
{
    em_array *out = outs[0];
    if (!all_ok(ins, n_in) || out->size > INT32_MAX)
        return vk_cpu_fallback(outs, n_out, ins, n_in, p);
    if (vk_alloc_output(out) < 0)
        return -1;
    int ax = (int)p->i[0];
    int64_t pos = 0;
    for (int i = 0; i < n_in; i++) {
        if (vk_scopy(out, pos * out->strides[ax], out->strides, ins[i]) < 0)
            return -1;
        pos += ins[i]->shape[ax];
    }
    return 0;
}

static int pad_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                      const em_params *p)
{
    em_array *out = outs[0], *in = ins[0];
    int nd = out->ndim;
    if (!all_ok(ins, 1) || nd > 6 || out->size > INT32_MAX ||
        (in->size == 0 && p->i[2 * EM_MAX_DIMS] == EM_PAD_EDGE && out->size))
        return vk_cpu_fallback(outs, n_out, ins, n_in, p);
    if (vk_alloc_output(out) < 0)
        return -1;
    if (out->size == 0)
        return 0;
    struct {
        uint32_t n, a_off, o_off, edge, v0, v1;
        uint32_t oshape[6];
        int32_t lo[6], ishape[6], sa[6];
    } pc = {0};
    uint64_t pattern = 0;
    em__store_f64(&pattern, (em_dtype)out->dtype, p->f[0]);
    pc.n = (uint32_t)out->size;
    pc.edge = p->i[2 * EM_MAX_DIMS] == EM_PAD_EDGE;
    pc.v0 = (uint32_t)pattern;
    pc.v1 = (uint32_t)(pattern >> 32);
    for (int d = 0; d < nd; d++) {
        pc.oshape[d] = (uint32_t)out->shape[d];
        pc.lo[d] = (int32_t)p->i[2 * d];
        pc.ishape[d] = (int32_t)in->shape[d];
        pc.sa[d] = (int32_t)in->strides[d];
    }
    if (nd == 0) {
        pc.oshape[0] = 1;
        pc.ishape[0] = 1;
    }
    vk_opset s;
    em_array *arr[2] = {in, out};
    if (vk_opset_get(&s, arr, 2, NULL) < 0)
        return -1;
    pc.a_off = (uint32_t)s.op[0].elem_off;
    pc.o_off = (uint32_t)s.op[1].elem_off;
    char shader[32];
    snprintf(shader, sizeof shader, "pad_%s", vk_size_suffix(em_dtype_size((em_dtype)out->dtype)));
    int32_t spec[2] = {0, nd ? nd : 1};
    int rc = vk_run(shader, spec, 2, &s, 2u, &pc, sizeof pc, vk_groups(out->size, 256), 1, 1);
    vk_opset_done(&s);
    return rc;
}

/* The push-constant tail shared by gather and scatter. */
typedef struct {
    int32_t axs[4], axn[4], axl[4];
} idx_pc;

static int gather_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                         const em_params *p)
{
    em_array *out = outs[0], *a = ins[0];
    int n = (int)p->i[0];
    const int64_t *axes = &p->i[1];
    int nb = out->ndim - a->ndim;
    if (!all_ok(ins, 1) || n > MAX_IDX || out->size > INT32_MAX)
        return vk_cpu_fallback(outs, n_out, ins, n_in, p);
    const int64_t *slice = out->shape + nb;
    int64_t ms[EM_MAX_DIMS], mst[1][EM_MAX_DIMS];
    const int64_t *st[1] = {a->strides};
    int nd = vk_merge_dims(a->ndim, slice, 1, st, ms, mst);
    if (nd > 6)
        return vk_cpu_fallback(outs, n_out, ins, n_in, p);
    for (int i = 0; i < n; i++)
        if (vk_check_index("gather", ins[1 + i], (int)axes[i], a->shape[axes[i]], slice[axes[i]]) < 0)
            return -1;
    if (vk_alloc_output(out) < 0)
        return -1;
    if (out->size == 0)
        return 0;
    struct {
        uint32_t n, slice, a_off, o_off, nidx;
        uint32_t shape[6];
        int32_t sa[6];
        idx_pc x;
    } pc = {0};
    em_array *arr[6] = {a, out, NULL, NULL, NULL, NULL};
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        arr[2 + i] = vk_index_i32(ins[1 + i]);
        if (!arr[2 + i])
            rc = -1;
        pc.x.axs[i] = (int32_t)a->strides[axes[i]];
        pc.x.axn[i] = (int32_t)a->shape[axes[i]];
        pc.x.axl[i] = (int32_t)(a->shape[axes[i]] - slice[axes[i]]);
    }
    vk_opset s;
    bool fits = true;
    if (rc == 0 && (rc = vk_opset_get(&s, arr, 6, &fits)) < 0 && !fits) {
        /* beyond the device's binding range (a large embedding table on
         * lavapipe's 128 MiB): the CPU gathers from the mapped buffer */
        for (int i = 0; i < n; i++)
            em_release(arr[2 + i]);
        return vk_cpu_fallback(outs, n_out, ins, n_in, p);
    }
    if (rc == 0) {
        pc.n = (uint32_t)out->size;
        pc.slice = (uint32_t)em__shape_size(a->ndim, slice);
        pc.a_off = (uint32_t)s.op[0].elem_off;
        pc.o_off = (uint32_t)s.op[1].elem_off;
        pc.nidx = (uint32_t)n;
        for (int d = 0; d < nd; d++) {
            pc.shape[d] = (uint32_t)ms[d];
            pc.sa[d] = (int32_t)mst[0][d];
        }
        char shader[32];
        snprintf(shader, sizeof shader, "gather_%s", vk_size_suffix(em_dtype_size((em_dtype)a->dtype)));
        int32_t spec[2] = {0, nd};
        rc = vk_run(shader, spec, 2, &s, 2u, &pc, sizeof pc, vk_groups(out->size, 256), 1, 1);
        vk_opset_done(&s);
    }
    for (int i = 0; i < n; i++)
        em_release(arr[2 + i]);
    return rc;
}

static int scatter_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                          const em_params *p)
{
    em_array *out = outs[0], *a = ins[0], *upd = ins[1];
    int n = (int)p->i[0], mode = (int)p->i[1];
    const int64_t *axes = &p->i[2];
    int nb = upd->ndim - a->ndim;
    if (!all_ok(ins, 2) || n > MAX_IDX || out->size > INT32_MAX || upd->size > INT32_MAX)
        return vk_cpu_fallback(outs, n_out, ins, n_in, p);
    const int64_t *slice = upd->shape + nb;
    int64_t nbatch = em__shape_size(nb, upd->shape), slice_size = em__shape_size(a->ndim, slice);
    int64_t rs[EM_MAX_DIMS], ms[EM_MAX_DIMS], mst[1][EM_MAX_DIMS];
    em__row_strides(a->ndim, a->shape, rs); /* the output's strides */
    const int64_t *st[1] = {rs};
    int nd = vk_merge_dims(a->ndim, slice, 1, st, ms, mst);
    if (nd > 6)
        return vk_cpu_fallback(outs, n_out, ins, n_in, p);
    for (int i = 0; i < n; i++)
        if (vk_check_index("scatter", ins[2 + i], (int)axes[i], a->shape[axes[i]], slice[axes[i]]) < 0)
            return -1;
    if (copy_input(out, a) < 0)
        return -1;
    if (nbatch == 0 || slice_size == 0)
        return 0;
    struct {
        uint32_t slice, nbatch, u_off, o_off, nidx, serial;
        uint32_t shape[6];
        int32_t so[6];
        idx_pc x;
    } pc = {0};
    bool disjoint = true;
    em_array *u = vk_dense(upd);
    em_array *arr[6] = {out, u, NULL, NULL, NULL, NULL};
    int rc = u ? 0 : -1;
    for (int i = 0; i < n && rc == 0; i++) {
        arr[2 + i] = vk_index_i32(ins[2 + i]);
        if (!arr[2 + i])
            rc = -1;
        pc.x.axs[i] = (int32_t)rs[axes[i]];
        pc.x.axn[i] = (int32_t)a->shape[axes[i]];
        pc.x.axl[i] = (int32_t)(a->shape[axes[i]] - slice[axes[i]]);
        disjoint &= slice[axes[i]] == 1;
    }
    vk_opset s;
    if (rc == 0 && (rc = vk_opset_get(&s, arr, 6, NULL)) == 0) {
        pc.slice = (uint32_t)slice_size;
        pc.nbatch = (uint32_t)nbatch;
        pc.u_off = (uint32_t)s.op[1].elem_off;
        pc.o_off = (uint32_t)s.op[0].elem_off;
        pc.nidx = (uint32_t)n;
        pc.serial = !disjoint;
        for (int d = 0; d < nd; d++) {
            pc.shape[d] = (uint32_t)ms[d];
            pc.so[d] = (int32_t)mst[0][d];
        }
        char shader[32];
        snprintf(shader, sizeof shader, "scatter_%s", vk_dtype_suffix((em_dtype)a->dtype));
        int32_t spec[2] = {mode, nd};
        rc = vk_run(shader, spec, 2, &s, 1u, &pc, sizeof pc,
                    disjoint ? vk_groups(slice_size, 64) : 1, 1, 1);
        vk_opset_done(&s);
    }
    em_release(u);
    for (int i = 0; i < n; i++)
        em_release(arr[2 + i]);
    return rc;
}

typedef struct {
    uint32_t n, a_off, o_off, axis, axn, L, post;
    uint32_t shape[8];
    int32_t sa[8];
} along_pc;

static int take_along_axis_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                                  const em_params *p)
{
    em_array *out = outs[0], *a = ins[0], *ix = ins[1];
    int ax = (int)p->i[0];
    if (!all_ok(ins, 1) || out->size > INT32_MAX || out->ndim == 0)
        return vk_cpu_fallback(outs, n_out, ins, n_in, p);
    if (vk_check_index("take_along_axis", ix, ax, a->shape[ax], 1) < 0)
        return -1;
    if (vk_alloc_output(out) < 0)
        return -1;
    if (out->size == 0)
        return 0;
    if (a->shape[ax] == 0)
        return em__error("take_along_axis: index out of range for axis %d of size 0", ax);
    em_array *ii = vk_index_i32(ix);
    if (!ii)
        return -1;
    along_pc pc = {.n = (uint32_t)out->size, .axis = (uint32_t)ax, .axn = (uint32_t)a->shape[ax]};
    for (int d = 0; d < out->ndim; d++) {
        pc.shape[d] = (uint32_t)out->shape[d];
        pc.sa[d] = (int32_t)a->strides[d];
    }
    vk_opset s;
    em_array *arr[3] = {a, out, ii};
    int rc = vk_opset_get(&s, arr, 3, NULL);
    if (rc == 0) {
        pc.a_off = (uint32_t)s.op[0].elem_off;
        pc.o_off = (uint32_t)s.op[1].elem_off;
        char shader[32];
        snprintf(shader, sizeof shader, "along_%s", vk_size_suffix(em_dtype_size((em_dtype)a->dtype)));
        int32_t spec[2] = {0, out->ndim};
        rc = vk_run(shader, spec, 2, &s, 2u, &pc, sizeof pc, vk_groups(out->size, 64), 1, 1);
        vk_opset_done(&s);
    }
    em_release(ii);
    return rc;
}

static int put_along_axis_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                                 const em_params *p)
{
    em_array *out = outs[0], *a = ins[0], *ix = ins[1], *val = ins[2];
    int ax = (int)p->i[0];
    if (!all_ok(ins, 1) || out->size > INT32_MAX || out->ndim == 0 || ix->ndim != out->ndim)
        return vk_cpu_fallback(outs, n_out, ins, n_in, p);
    if (vk_check_index("put_along_axis", ix, ax, out->shape[ax], 1) < 0)
        return -1;
    if (copy_input(out, a) < 0)
        return -1;
    if (ix->size == 0)
        return 0;
    em_array *ii = vk_index_i32(ix), *vv = NULL;
    if (ii) {
        /* the values broadcast to the index shape, dense */
        em_array *tmp = em__alloc_array((em_dtype)val->dtype, ix->ndim, ix->shape);
        if (tmp) {
            tmp->orig_prim = EM_P_COPY;
            int64_t bst[EM_MAX_DIMS];
            for (int d = 0; d < ix->ndim; d++) {
                int j = d - (ix->ndim - val->ndim);
                bst[d] = j < 0 || val->shape[j] == 1 ? 0 : val->strides[j];
            }
            em_array view = *val;
            view.ndim = ix->ndim;
            memcpy(view.shape, ix->shape, sizeof view.shape);
            memcpy(view.strides, bst, sizeof view.strides);
            view.size = ix->size;
            if (vk_alloc_output(tmp) == 0 && vk_scopy(tmp, 0, tmp->strides, &view) == 0)
                vv = tmp;
            else
                em_release(tmp);
        }
    }
    int rc = -1;
    if (ii && vv) {
        along_pc pc = {.axis = (uint32_t)ax, .axn = (uint32_t)out->shape[ax],
                       .L = (uint32_t)ix->shape[ax], .post = 1};
        pc.n = (uint32_t)(ix->size / ix->shape[ax]);
        for (int d = ax + 1; d < ix->ndim; d++)
            pc.post *= (uint32_t)ix->shape[d];
        for (int d = 0; d < out->ndim; d++) {
            pc.shape[d] = d == ax ? 1 : (uint32_t)ix->shape[d];
            pc.sa[d] = (int32_t)out->strides[d];
        }
        vk_opset s;
        em_array *arr[3] = {out, vv, ii};
        rc = vk_opset_get(&s, arr, 3, NULL);
        if (rc == 0) {
            pc.a_off = (uint32_t)s.op[0].elem_off;
            pc.o_off = (uint32_t)s.op[1].elem_off;
            char shader[32];
            snprintf(shader, sizeof shader, "along_%s", vk_size_suffix(em_dtype_size((em_dtype)a->dtype)));
            int32_t spec[2] = {1, out->ndim};
            rc = vk_run(shader, spec, 2, &s, 1u, &pc, sizeof pc, vk_groups(pc.n, 64), 1, 1);
            vk_opset_done(&s);
        }
    }
    em_release(ii);
    em_release(vv);
    return rc;
}

__attribute__((constructor)) static void register_index(void)
{
    em__vk_register(EM_P_GATHER, gather_kernel);
    em__vk_register(EM_P_SCATTER, scatter_kernel);
    em__vk_register(EM_P_TAKE_ALONG_AXIS, take_along_axis_kernel);
    em__vk_register(EM_P_PUT_ALONG_AXIS, put_along_axis_kernel);
    em__vk_register(EM_P_SLICE_UPDATE, slice_update_kernel);
    em__vk_register(EM_P_CONCATENATE, concatenate_kernel);
    em__vk_register(EM_P_PAD, pad_kernel);
}
