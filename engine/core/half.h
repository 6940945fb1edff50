/* Branch-free half-precision conversions, inline so that the kernels' loops
 * vectorise (the public em_f16_to_f32 and friends call these). */
#ifndef EMBER_HALF_H
#define EMBER_HALF_H

#include <stdint.h>
#include <string.h>

static inline float em__bits_f32(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static inline uint32_t em__f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

/* Shift exponent and mantissa into place, rebias the exponent, then fix up
 * the two special exponents: all ones (inf/nan) and zero (subnormals, made
 * exact by subtracting the implicit one in float arithmetic). */
static inline float em__half_to_float(uint16_t h)
{
    uint32_t shifted = (uint32_t)(h & 0x7fffu) << 13;
    uint32_t exp = shifted & 0x0f800000u;
    uint32_t o = shifted + ((127u - 15u) << 23);
    o = exp == 0x0f800000u ? o + ((128u - 16u) << 23) : o;
    float sub = em__bits_f32(o + (1u << 23)) - em__bits_f32(113u << 23);
    uint32_t r = exp == 0 ? em__f32_bits(sub) : o;
    return em__bits_f32(r | ((uint32_t)(h & 0x8000u) << 16));
}

/* Round to nearest even. Normal results round through an integer add on the
 * mantissa; subnormal results through a float add that lets the FPU round;
 * overflow goes to inf, nan stays a quiet nan. */
static inline uint16_t em__float_to_half(float f)
{
    uint32_t x = em__f32_bits(f);
    uint32_t sign = (x >> 16) & 0x8000u;
    uint32_t ax = x & 0x7fffffffu;
    uint32_t nan_inf = ax > 0x7f800000u ? 0x7e00u : 0x7c00u;
    /* subnormal halves: add 0.5 so the mantissa lands in the low bits */
    uint32_t sub = em__f32_bits(em__bits_f32(ax) + 0.5f) - 0x3f000000u;
    uint32_t mant_odd = (ax >> 13) & 1u;
    uint32_t norm = (ax + ((uint32_t)(15 - 127) << 23) + 0xfffu + mant_odd) >> 13;
    uint32_t r = ax >= 0x47800000u ? nan_inf : ax < 0x38800000u ? sub : norm;
    return (uint16_t)(r | sign);
}

static inline float em__bf16_to_float(uint16_t b) { return em__bits_f32((uint32_t)b << 16); }

static inline uint16_t em__float_to_bf16(float f)
{
    uint32_t x = em__f32_bits(f);
    uint32_t rounded = (x + 0x7fffu + ((x >> 16) & 1u)) >> 16;
    return (uint16_t)((x & 0x7fffffffu) > 0x7f800000u ? (x >> 16) | 0x40u : rounded);
}

#endif
