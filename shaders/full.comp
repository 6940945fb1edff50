#version 450
// Fills a contiguous array of SZ-byte elements with one bit pattern.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "sized.glsl"

layout(local_size_x = 256) in;
layout(set = 0, binding = 0) writeonly buffer BO { E_ST o[]; };
layout(push_constant) uniform PC { uint n, o_off, v0, v1; } pc;

void main()
{
    uint step = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint i = gl_GlobalInvocationID.x; i < pc.n; i += step)
        #if SZ == 8
        o[pc.o_off + i] = uvec2(pc.v0, pc.v1);
#else
        o[pc.o_off + i] = E_ST(pc.v0);
#endif
}
