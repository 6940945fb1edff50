/* Kernels of the creation primitives. */
#include <string.h>
#include "convert.h"
#include "loops.h"

typedef struct {
    em_array *out;
    const em_params *p;
} fill_job;

static void fill_range(void *ctx, int64_t begin, int64_t end)
{
    fill_job *j = ctx;
    em_array *o = j->out;
    const em_params *p = j->p;
    size_t e = em_dtype_size((em_dtype)o->dtype);
    char *d = o->buf->data;
    switch (o->orig_prim) {
    case EM_P_FULL: {
        unsigned char v[8];
        em__store_f64(v, (em_dtype)o->dtype, p->f[0]);
        if (o->dtype == EM_INT64 || o->dtype == EM_UINT64)
            memcpy(v, &p->i[0], 8);
        /* typed stores by element size (a memcpy per element is ~10x slower) */
        switch (e) {
        case 1: memset(d + begin, v[0], (size_t)(end - begin)); break;
        case 2: {
            uint16_t x;
            memcpy(&x, v, 2);
            uint16_t *o16 = (uint16_t *)d;
            for (int64_t i = begin; i < end; i++)
                o16[i] = x;
            break;
        }
        case 4: {
            uint32_t x;
            memcpy(&x, v, 4);
            uint32_t *o32 = (uint32_t *)d;
            for (int64_t i = begin; i < end; i++)
                o32[i] = x;
            break;
        }
        case 8: {
            uint64_t x;
            memcpy(&x, v, 8);
            uint64_t *o64 = (uint64_t *)d;
            for (int64_t i = begin; i < end; i++)
                o64[i] = x;
            break;
        }
        default:
            for (int64_t i = begin; i < end; i++)
                memcpy(d + i * e, v, e);
        }
        break;
    }
    case EM_P_ARANGE:
        for (int64_t i = begin; i < end; i++)
            em__store_f64(d + i * e, (em_dtype)o->dtype, p->f[0] + (double)i * p->f[1]);
        break;
    case EM_P_LINSPACE: {
        int64_t n = o->size;
        double step = n > 1 ? (p->f[1] - p->f[0]) / (double)(n - 1) : 0;
        for (int64_t i = begin; i < end; i++)
            em__store_f64(d + i * e, (em_dtype)o->dtype,
                          i == n - 1 && n > 1 ? p->f[1] : p->f[0] + (double)i * step);
        break;
    }
    case EM_P_TRI: {
        int64_t m = o->shape[1];
        for (int64_t i = begin; i < end; i++) {
            int64_t r = i / m, c = i % m;
            bool on = p->i[1] ? c == r + p->i[0] : c <= r + p->i[0];
            em__store_f64(d + i * e, (em_dtype)o->dtype, on ? 1.0 : 0.0);
        }
        break;
    }
    default:
        break;
    }
}

static int creation_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                           const em_params *p)
{
    em_array *out = outs[0];
    if (em__alloc_output(out) < 0)
        return -1;
    fill_job j = {out, p};
    em__parallel_for(out->size, 1 << 16, fill_range, &j);
    return 0;
}

__attribute__((constructor)) static void register_creation(void)
{
    em__cpu_register(EM_P_FULL, creation_kernel);
    em__cpu_register(EM_P_ARANGE, creation_kernel);
    em__cpu_register(EM_P_LINSPACE, creation_kernel);
    em__cpu_register(EM_P_TRI, creation_kernel);
}
