/* Kernel of RANDOM_BITS: threefry-2x32 in counter mode over the output's words,
 * so the numbers depend only on the key and the shape, never on the thread
 * count. Input 0 is the key, uint32 (2). */
#include <string.h>

#include "loops.h"
#include "threefry.h"

typedef struct {
    uint32_t key[2];
    int64_t n;
    uint32_t *w;
} bits_job;

static void bits_range(void *ctx, int64_t begin, int64_t end)
{
    bits_job *j = ctx;
    em__threefry_words(j->key, j->n, begin, end, j->w);
}

static int random_bits_kernel(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                              const em_params *p)
{
    em_array *out = outs[0], *key = ins[0];
    if (em__alloc_output(out) < 0)
        return -1;
    const uint32_t *kd = em__data(key);
    bits_job j = {.key = {kd[0], kd[key->ndim ? key->strides[key->ndim - 1] : 0]}};
    size_t bytes = (size_t)out->size * em_dtype_size((em_dtype)out->dtype);
    if (bytes == 0)
        return 0;
    j.n = (int64_t)((bytes + 3) / 4);
    uint32_t *tmp = NULL;
    if (bytes % 4 == 0) {
        j.w = em__data(out);
    } else {
        tmp = em__host_alloc((size_t)j.n * 4);
        if (!tmp)
            return -1;
        j.w = tmp;
    }
    em__parallel_for(j.n / 2 + j.n % 2, 1 << 12, bits_range, &j);
    if (tmp) {
        memcpy(em__data(out), tmp, bytes);
        em__host_free(tmp, (size_t)j.n * 4);
    }
    return 0;
}

__attribute__((constructor)) static void register_random(void)
{
    em__cpu_register(EM_P_RANDOM_BITS, random_bits_kernel);
}
