/* CPU kernels of sort, argsort, partition, argpartition: each line along the
 * axis is turned into unsigned keys whose order is the values' order (floats:
 * sign-flipped bits, -0 as +0, every NaN as one NaN after +inf, as numpy),
 * then sorted by a stable LSD radix sort (bytes that are equal in every key
 * are skipped; short lines use insertion sort). Lines run in parallel.
 * A sorted line is also a valid partition for every kth. */
#include <stdlib.h>
#include <string.h>

#include "loops.h"

static inline uint64_t key_of(em_dtype t, const void *p)
{
    switch (t) {
    case EM_BOOL: case EM_UINT8: return *(const uint8_t *)p;
    case EM_UINT16: return *(const uint16_t *)p;
    case EM_UINT32: return *(const uint32_t *)p;
    case EM_UINT64: return *(const uint64_t *)p;
    case EM_INT8: return (uint8_t)(*(const int8_t *)p) ^ 0x80u;
    case EM_INT16: return (uint16_t)(*(const int16_t *)p) ^ 0x8000u;
    case EM_INT32: return (uint32_t)(*(const int32_t *)p) ^ 0x80000000u;
    case EM_INT64: return (uint64_t)(*(const int64_t *)p) ^ 0x8000000000000000ull;
    case EM_FLOAT16: case EM_BFLOAT16: {
        uint16_t h = *(const uint16_t *)p;
        uint16_t inf = t == EM_FLOAT16 ? 0x7c00 : 0x7f80;
        if ((h & 0x7fff) > inf)
            h = t == EM_FLOAT16 ? 0x7e00 : 0x7fc0;
        if (h == 0x8000)
            h = 0;
        return h & 0x8000 ? (uint16_t)~h : (uint16_t)(h | 0x8000);
    }
    case EM_FLOAT32: {
        uint32_t u;
        memcpy(&u, p, 4);
        if ((u & 0x7fffffffu) > 0x7f800000u)
            u = 0x7fc00000u;
        if (u == 0x80000000u)
            u = 0;
        return u & 0x80000000u ? (uint32_t)~u : (u | 0x80000000u);
    }
    default: { /* float64 */
        uint64_t u;
        memcpy(&u, p, 8);
        if ((u & 0x7fffffffffffffffull) > 0x7ff0000000000000ull)
            u = 0x7ff8000000000000ull;
        if (u == 0x8000000000000000ull)
            u = 0;
        return u & 0x8000000000000000ull ? ~u : (u | 0x8000000000000000ull);
    }
    }
}

static inline void value_of(em_dtype t, uint64_t k, void *p)
{
    switch (t) {
    case EM_BOOL: case EM_UINT8: *(uint8_t *)p = (uint8_t)k; break;
    case EM_UINT16: *(uint16_t *)p = (uint16_t)k; break;
    case EM_UINT32: *(uint32_t *)p = (uint32_t)k; break;
    case EM_UINT64: *(uint64_t *)p = k; break;
    case EM_INT8: *(uint8_t *)p = (uint8_t)(k ^ 0x80u); break;
    case EM_INT16: *(uint16_t *)p = (uint16_t)(k ^ 0x8000u); break;
    case EM_INT32: *(uint32_t *)p = (uint32_t)(k ^ 0x80000000u); break;
    case EM_INT64: *(uint64_t *)p = k ^ 0x8000000000000000ull; break;
    case EM_FLOAT16: case EM_BFLOAT16: {
        uint16_t h = (uint16_t)k;
        *(uint16_t *)p = h & 0x8000 ? (uint16_t)(h & 0x7fff) : (uint16_t)~h;
        break;
    }
    case EM_FLOAT32: {
        uint32_t u = (uint32_t)k;
        u = u & 0x80000000u ? u & 0x7fffffffu : ~u;
        memcpy(p, &u, 4);
        break;
    }
    default: {
        uint64_t u = k & 0x8000000000000000ull ? k & 0x7fffffffffffffffull : ~k;
        memcpy(p, &u, 8);
        break;
    }
    }
}

/* Stable sort of keys k[0..n) carrying idx (when not NULL); tk, ti scratch.
 * Returns 1 when the result ended up in the scratch arrays. */
static int radix_sort(uint64_t *k, uint32_t *idx, uint64_t *tk, uint32_t *ti, int64_t n, int bytes)
{
    if (n <= 32) {
        for (int64_t i = 1; i < n; i++) {
            uint64_t kv = k[i];
            uint32_t iv = idx ? idx[i] : 0;
            int64_t j = i;
            for (; j > 0 && k[j - 1] > kv; j--) {
                k[j] = k[j - 1];
                if (idx)
                    idx[j] = idx[j - 1];
            }
            k[j] = kv;
            if (idx)
                idx[j] = iv;
        }
        return 0;
    }
    static _Thread_local int64_t hist[8][256];
    memset(hist, 0, sizeof hist);
    for (int64_t i = 0; i < n; i++) {
        uint64_t v = k[i];
        for (int b = 0; b < bytes; b++)
            hist[b][(v >> (8 * b)) & 0xff]++;
    }
    int swapped = 0;
    for (int b = 0; b < bytes; b++) {
        int64_t *h = hist[b];
        if (h[(k[0] >> (8 * b)) & 0xff] == n)
            continue; /* this byte is the same in every key */
        int64_t sum = 0;
        for (int v = 0; v < 256; v++) {
            int64_t c = h[v];
            h[v] = sum;
            sum += c;
        }
        for (int64_t i = 0; i < n; i++) {
            int64_t d = h[(k[i] >> (8 * b)) & 0xff]++;
            tk[d] = k[i];
            if (idx)
                ti[d] = idx[i];
        }
        uint64_t *t = k; k = tk; tk = t;
        uint32_t *u = idx; idx = ti; ti = u;
        swapped ^= 1;
    }
    return swapped;
}

typedef struct {
    em_dtype t;
    const char *x;
    char *out;
    size_t esz;
    int64_t n, post;
    int arg;
} sort_job;

static void sort_lines(void *ctx, int64_t begin, int64_t end)
{
    const sort_job *j = ctx;
    int64_t n = j->n;
    size_t e = j->esz;
    int bytes = (int)(j->t == EM_BOOL ? 1 : e);
    uint64_t *k = malloc(2 * n * sizeof *k);
    uint32_t *idx = j->arg ? malloc(2 * n * sizeof *idx) : NULL;
    if (!k || (j->arg && !idx)) {
        free(k);
        free(idx);
        return; /* reported below by the kernel's check */
    }
    for (int64_t line = begin; line < end; line++) {
        int64_t pre = line / j->post, c = line % j->post;
        int64_t base = pre * n * j->post + c;
        for (int64_t i = 0; i < n; i++)
            k[i] = key_of(j->t, j->x + (base + i * j->post) * (int64_t)e);
        if (idx)
            for (int64_t i = 0; i < n; i++)
                idx[i] = (uint32_t)i;
        int sw = radix_sort(k, idx, k + n, idx ? idx + n : NULL, n, bytes);
        const uint64_t *ks = sw ? k + n : k;
        if (idx) {
            const uint32_t *is = sw ? idx + n : idx;
            uint32_t *o = (uint32_t *)j->out;
            for (int64_t i = 0; i < n; i++)
                o[base + i * j->post] = is[i];
        } else {
            for (int64_t i = 0; i < n; i++)
                value_of(j->t, ks[i], j->out + (base + i * j->post) * (int64_t)e);
        }
    }
    free(k);
    free(idx);
}

static int sort_kernel_impl(em_array *out, em_array *in, const em_params *p, int arg)
{
    if (em__alloc_output(out) < 0)
        return -1;
    if (out->size == 0)
        return 0;
    em_array *src = in;
    if (!em__is_row_contiguous(in)) {
        src = em__alloc_array((em_dtype)in->dtype, in->ndim, in->shape);
        if (!src || em__alloc_output(src) < 0) {
            em_release(src);
            return -1;
        }
        em__copy_strided(src, 0, src->strides, in);
    }
    int ax = (int)p->i[0];
    sort_job j = {.t = (em_dtype)in->dtype, .x = em__data(src), .out = em__data(out),
                  .esz = em_dtype_size((em_dtype)in->dtype), .n = in->shape[ax], .post = 1, .arg = arg};
    for (int d = ax + 1; d < in->ndim; d++)
        j.post *= in->shape[d];
    int64_t lines = out->size / j.n;
    /* scratch per task: fail early rather than silently inside the workers */
    void *probe = malloc(2 * j.n * (sizeof(uint64_t) + sizeof(uint32_t)));
    if (!probe) {
        if (src != in)
            em_release(src);
        return em__error("%s: out of memory for a line of %lld elements",
                         em_prims[out->orig_prim].name, (long long)j.n);
    }
    free(probe);
    em__parallel_for(lines, 1 + (1 << 14) / (j.n + 1), sort_lines, &j);
    if (src != in)
        em_release(src);
    return 0;
}

static int sort_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                       const em_params *p)
{
    return sort_kernel_impl(outs[0], ins[0], p, 0);
}

static int argsort_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                          const em_params *p)
{
    return sort_kernel_impl(outs[0], ins[0], p, 1);
}

__attribute__((constructor)) static void register_sort(void)
{
    em__cpu_register(EM_P_SORT, sort_kernel);
    em__cpu_register(EM_P_ARGSORT, argsort_kernel);
    em__cpu_register(EM_P_PARTITION, sort_kernel);
    em__cpu_register(EM_P_ARGPARTITION, argsort_kernel);
}
