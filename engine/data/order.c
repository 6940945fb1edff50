/* Reproducible data order: keys derived from (seed, stream, index). */
#include <stdlib.h>

#include "core/error_internal.h"
#include "ember/data.h"
#include "ember/ops.h"
#include "ember/random.h"

static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

em_array *em_data_key(uint64_t seed, uint64_t stream, uint64_t index)
{
    return em_random_key(mix64(mix64(mix64(seed) ^ stream) ^ index));
}

int em_data_epoch_order(uint64_t seed, int64_t epoch, int64_t n, int64_t *out)
{
    if (n < 0 || (n && !out) || epoch < 0)
        return em__error("data_epoch_order: bad arguments (n %lld, epoch %lld)", (long long)n,
                         (long long)epoch);
    if (n == 0)
        return 0;
    em_scope *s = em_scope_begin();
    em_array *p = em_random_permutation(n, em_data_key(seed, 1, (uint64_t)epoch));
    int64_t got = p ? em_array_read(p, EM_INT64, out, n) : -1;
    em_scope_end(s);
    return got == n ? 0 : -1;
}

/* Defined here so that text.c stays free of the random API. */
int em__data_randint(uint64_t seed, uint64_t stream, uint64_t index, int64_t high, int64_t n,
                     int64_t *out)
{
    if (n <= 0)
        return 0;
    em_scope *s = em_scope_begin();
    em_array *r = em_random_randint(1, &n, 0, high, EM_INT64, em_data_key(seed, stream, index));
    int64_t got = r ? em_array_read(r, EM_INT64, out, n) : -1;
    em_scope_end(s);
    return got == n ? 0 : -1;
}
