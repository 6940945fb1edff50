/* Threefry-2x32 with 20 rounds (Salmon et al., "Parallel random numbers: as
 * easy as 1, 2, 3", SC'11), the counter-based generator behind Ember's keyed
 * random numbers. Pure arithmetic: usable by ops and kernels alike. */
#ifndef EMBER_CPU_THREEFRY_H
#define EMBER_CPU_THREEFRY_H

#include <stdint.h>

static inline uint32_t em__rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

/* Encrypts the counter (c[0], c[1]) under key (k[0], k[1]) into out. */
static inline void em__threefry2x32(const uint32_t k[2], uint32_t c0, uint32_t c1, uint32_t out[2])
{
    static const int rot[8] = {13, 15, 26, 6, 17, 29, 16, 24};
    uint32_t ks[3] = {k[0], k[1], 0x1BD11BDAu ^ k[0] ^ k[1]};
    uint32_t x0 = c0 + ks[0], x1 = c1 + ks[1];
    for (int blk = 0; blk < 5; blk++) {
        for (int j = 0; j < 4; j++) {
            x0 += x1;
            x1 = em__rotl32(x1, rot[(blk & 1) * 4 + j]);
            x1 ^= x0;
        }
        x0 += ks[(blk + 1) % 3];
        x1 += ks[(blk + 2) % 3] + (uint32_t)blk + 1;
    }
    out[0] = x0;
    out[1] = x1;
}

/* The n 32-bit words a key generates, in MLX's layout: with h = n / 2 and
 * odd = n % 2, word i and word h + odd + i (i < h) are the two halves of the
 * block with counter (i, h + odd + i); when n is odd the middle word h is the
 * first half of block (h, 0). Words [begin, end) of the block index space
 * [0, h + odd) are written (so the work can be split anywhere). */
static inline void em__threefry_words(const uint32_t k[2], int64_t n, int64_t begin, int64_t end,
                                      uint32_t *w)
{
    int64_t h = n / 2, odd = n % 2;
    for (int64_t i = begin; i < end; i++) {
        uint32_t r[2];
        if (i < h) {
            em__threefry2x32(k, (uint32_t)i, (uint32_t)(h + odd + i), r);
            w[i] = r[0];
            w[h + odd + i] = r[1];
        } else {
            em__threefry2x32(k, (uint32_t)h, 0, r);
            w[h] = r[0];
        }
    }
}

#endif
