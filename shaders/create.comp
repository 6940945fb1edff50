#version 450
// arange, linspace and tri into a contiguous DT_O array.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "ops.glsl.h"

layout(local_size_x = 256) in;
layout(constant_id = 0) const int OP = 0;
layout(set = 0, binding = 0) writeonly buffer BO { O_ST o[]; };
layout(push_constant) uniform PC {
    uint n, o_off;
    uint m;      // tri: columns
    int k;       // tri: diagonal
    uint eye;    // tri: only the diagonal
    int i0, i1;  // integer arange: start, step
    float f0, f1, f2; // start, step, stop
} pc;

O_CT value(uint i)
{
    if (OP == COP_TRI) {
        int r = int(i / pc.m), c = int(i % pc.m);
        bool on = pc.eye != 0u ? c == r + pc.k : c <= r + pc.k;
        return on ? O_CT(1) : O_CT(0);
    }
#if O_FLOAT
    if (OP == COP_LINSPACE && pc.n > 1u && i == pc.n - 1u)
        return pc.f2;
    return pc.f0 + float(i) * pc.f1;
#else
    return O_CT(pc.i0 + int(i) * pc.i1);
#endif
}

void main()
{
    uint step = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint i = gl_GlobalInvocationID.x; i < pc.n; i += step)
        o[pc.o_off + i] = O_STORE(value(i));
}
