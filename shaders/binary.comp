#version 450
// out[i] = op(a[i], b[i]) over strided (broadcast) inputs of one dtype; the
// output is contiguous, of the same dtype, or bool with -DCMP.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "mathf.glsl"
#include "ops.glsl.h"

layout(local_size_x = 256) in;
layout(constant_id = 0) const int OP = 0;
layout(constant_id = 1) const int ND = 1;

layout(set = 0, binding = 0) readonly buffer BA { A_ST a[]; };
layout(set = 0, binding = 1) readonly buffer BB { A_ST b[]; };
layout(set = 0, binding = 2) writeonly buffer BO { O_ST o[]; };
#if DT_A == DT_F32 && !defined(CMP)
// the same buffers 16 bytes at a time: dense float32 operands take vec4 steps
layout(set = 0, binding = 0) readonly buffer BA4 { vec4 a4[]; };
layout(set = 0, binding = 1) readonly buffer BB4 { vec4 b4[]; };
layout(set = 0, binding = 2) writeonly buffer BO4 { vec4 o4[]; };
#endif
layout(push_constant) uniform PC {
    uint n, a_off, b_off, o_off;
    uint shape[MAXD];
    int sa[MAXD];
    int sb[MAXD];
} pc;

#if defined(CMP)
uint op(A_CT x, A_CT y)
{
    const A_CT zero = A_CT(0);
    switch (OP) {
    case BOP_EQ: return uint(x == y);
    case BOP_NE: return uint(x != y);
    case BOP_LT: return uint(x < y);
    case BOP_LE: return uint(x <= y);
    case BOP_GT: return uint(x > y);
    case BOP_GE: return uint(x >= y);
    case BOP_LAND: return uint(x != zero && y != zero);
    default: return uint(x != zero || y != zero); // logical_or
    }
}
#elif A_FLOAT
float op(float x, float y)
{
    switch (OP) {
    case BOP_ADD: return x + y;
    case BOP_SUB: return x - y;
    case BOP_MUL: return x * y;
    case BOP_DIV: return x / y;
    case BOP_FLOORDIV: return floor(x / y);
    case BOP_REM: return rem_f(x, y);
    case BOP_POW: return pow_f(x, y);
    case BOP_MAX: return (isnan(x) || x > y) ? x : y;
    case BOP_MIN: return (isnan(x) || x < y) ? x : y;
    case BOP_LOGADDEXP: return logaddexp_f(x, y);
    default: return atan2_f(x, y);
    }
}
#elif DT_A == DT_BOOL
uint op(uint x, uint y)
{
    switch (OP) {
    case BOP_ADD: case BOP_MAX: case BOP_BOR: return x | y;
    case BOP_MUL: case BOP_MIN: case BOP_BAND: return x & y;
    default: return x ^ y; // bitwise_xor
    }
}
#else
A_CT op(A_CT x, A_CT y)
{
    const A_CT zero = A_CT(0), one = A_CT(1);
    switch (OP) {
    case BOP_ADD: return x + y;
    case BOP_SUB: return x - y;
    case BOP_MUL: return x * y;
    case BOP_FLOORDIV: {
        if (y == zero)
            return zero;
#if A_SIGNED
        if (y == zero - one)
            return zero - x;
        A_CT q = x / y;
        if (q * y != x && ((x < zero) != (y < zero)))
            q -= one;
        return q;
#else
        return x / y;
#endif
    }
    case BOP_REM: {
        if (y == zero)
            return zero;
#if A_SIGNED
        if (y == zero - one)
            return zero;
        A_CT r = x - (x / y) * y;
        if (r != zero && ((r < zero) != (y < zero)))
            r += y;
        return r;
#else
        return x - (x / y) * y;
#endif
    }
    case BOP_POW: {
#if A_SIGNED
        if (y < zero)
            return x == one ? one : (x == zero - one ? ((y & one) != zero ? zero - one : one) : zero);
#endif
        A_CT r = one, base = x, e = y;
        while (e != zero) {
            if ((e & one) != zero)
                r *= base;
            base *= base;
            e >>= 1;
        }
        return r;
    }
    case BOP_MAX: return x > y ? x : y;
    case BOP_MIN: return x < y ? x : y;
    case BOP_BAND: return x & y;
    case BOP_BOR: return x | y;
    case BOP_BXOR: return x ^ y;
#if A_SIGNED
    case BOP_SHL: return (y < zero || y >= A_CT(A_BITS)) ? zero : (x << y);
    case BOP_SHR: return (y < zero || y >= A_CT(A_BITS)) ? (x < zero ? zero - one : zero) : (x >> y);
#else
    case BOP_SHL: return y >= A_CT(A_BITS) ? zero : (x << y);
    case BOP_SHR: return y >= A_CT(A_BITS) ? zero : (x >> y);
#endif
    default: return x;
    }
}
#endif

void main()
{
    uint step = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
#if DT_A == DT_F32 && !defined(CMP)
    if (ND == 1 && pc.sa[0] == 1 && pc.sb[0] == 1 && ((pc.a_off | pc.b_off | pc.o_off) & 3u) == 0u) {
        uint n4 = pc.n / 4u, a4o = pc.a_off / 4u, b4o = pc.b_off / 4u, o4o = pc.o_off / 4u;
        for (uint i = gl_GlobalInvocationID.x; i < n4; i += step) {
            vec4 x = a4[a4o + i], y = b4[b4o + i];
            o4[o4o + i] = vec4(op(x.x, y.x), op(x.y, y.y), op(x.z, y.z), op(x.w, y.w));
        }
        for (uint i = n4 * 4u + gl_GlobalInvocationID.x; i < pc.n; i += step)
            o[pc.o_off + i] = op(a[pc.a_off + i], b[pc.b_off + i]);
        return;
    }
#endif
    for (uint i = gl_GlobalInvocationID.x; i < pc.n; i += step) {
        int ia, ib;
        if (ND == 1) {
            ia = int(i) * pc.sa[0];
            ib = int(i) * pc.sb[0];
        } else {
            uint r = i;
            ia = 0;
            ib = 0;
            for (int d = ND - 1; d >= 0; d--) {
                uint c = r % pc.shape[d];
                r /= pc.shape[d];
                ia += int(c) * pc.sa[d];
                ib += int(c) * pc.sb[d];
            }
        }
        o[pc.o_off + i] = O_STORE(op(A_LD(a[int(pc.a_off) + ia]), A_LD(b[int(pc.b_off) + ib])));
    }
}
