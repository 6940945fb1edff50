#version 450
// cumsum, cumprod, cummax, cummin along one axis of a dense (pre, n, post)
// input: one invocation per line (pre, post), sequential along the axis, so
// neighbouring invocations read neighbouring columns. Sums and products in
// the output's compute type (floats in float), max/min NaN-propagating.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;
layout(constant_id = 0) const int OP = 1; // 1 sum, 2 prod, 3 max, 4 min
layout(set = 0, binding = 0) readonly buffer BA { A_ST a[]; };
layout(set = 0, binding = 1) writeonly buffer BO { O_ST o[]; };
layout(push_constant) uniform PC { uint lines, n, post, a_off, o_off, reverse, inclusive; } pc;

O_CT ident()
{
    if (OP == 1) return O_CT(0);
    if (OP == 2) return O_CT(1);
#if O_FLOAT
    return OP == 3 ? -1.0 / 0.0 : 1.0 / 0.0;
#elif DT_O == DT_BOOL
    return OP == 3 ? 0u : 1u;
#elif O_SIGNED
    O_CT lo = -(O_CT(1) << (O_BITS - 1)); // the most negative value
    return OP == 3 ? lo : ~lo;
#else
    return OP == 3 ? O_CT(0) : ~O_CT(0); // stores truncate to the type's maximum
#endif
}

O_CT combine(O_CT acc, O_CT v)
{
    if (OP == 1) return acc + v;
    if (OP == 2) return acc * v;
#if O_FLOAT
    if (OP == 3) return (v > acc || isnan(v)) ? v : acc;
    return (v < acc || isnan(v)) ? v : acc;
#else
    if (OP == 3) return v > acc ? v : acc;
    return v < acc ? v : acc;
#endif
}

void main()
{
    uint step = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint t = gl_GlobalInvocationID.x; t < pc.lines; t += step) {
        uint pre = t / pc.post, c = t % pc.post;
        uint base = pre * pc.n * pc.post + c;
        O_CT acc = ident();
        for (uint k = 0; k < pc.n; k++) {
            uint i = pc.reverse != 0u ? pc.n - 1u - k : k;
            uint e = base + i * pc.post;
            O_CT v = O_CT(A_LD(a[pc.a_off + e]));
            if (pc.inclusive != 0u) {
                acc = combine(acc, v);
                o[pc.o_off + e] = O_STORE(acc);
            } else {
                o[pc.o_off + e] = O_STORE(acc);
                acc = combine(acc, v);
            }
        }
    }
}
