/* Key-based random numbers, as MLX/JAX (threefry 2x32): the same key gives the
 * same numbers on every run and at every thread count. A key is a uint32 array
 * of shape (2). `key == NULL` uses (and advances) the global key, seeded by
 * em_random_seed. */
#ifndef EMBER_RANDOM_H
#define EMBER_RANDOM_H

#include "ember/array.h"

#ifdef __cplusplus
extern "C" {
#endif

void em_random_seed(uint64_t seed);
em_array *em_random_key(uint64_t seed);
/* n new keys, shape (n, 2). */
em_array *em_random_split(em_array *key, int n);
/* Raw bits: width bytes per element (1, 2 or 4) -> uint8/16/32. */
em_array *em_random_bits(int ndim, const int64_t *shape, int width, em_array *key);
em_array *em_random_uniform(int ndim, const int64_t *shape, double low, double high,
                            em_dtype dtype, em_array *key);
em_array *em_random_normal(int ndim, const int64_t *shape, double loc, double scale,
                           em_dtype dtype, em_array *key);
/* Integers in [low, high). */
em_array *em_random_randint(int ndim, const int64_t *shape, int64_t low, int64_t high,
                            em_dtype dtype, em_array *key);
/* p: an array broadcast to shape (or a scalar). */
em_array *em_random_bernoulli(em_array *p, int ndim, const int64_t *shape, em_array *key);
/* Samples along `axis` of unnormalised log-probabilities. */
em_array *em_random_categorical(em_array *logits, int axis, em_array *key);
/* Normal truncated to [lower, upper] (standard units). */
em_array *em_random_truncated_normal(int ndim, const int64_t *shape, double lower, double upper,
                                     em_dtype dtype, em_array *key);
em_array *em_random_gumbel(int ndim, const int64_t *shape, em_dtype dtype, em_array *key);
/* A permutation of arange(n), int32. */
em_array *em_random_permutation(int64_t n, em_array *key);
/* A random permutation of a along axis. */
em_array *em_random_permutation_of(em_array *a, int axis, em_array *key);

#ifdef __cplusplus
}
#endif
#endif
