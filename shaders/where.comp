#version 450
// where(c, a, b): c bool, a and b of SZ-byte elements, all strided.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "sized.glsl"
#define MAXT 6

layout(local_size_x = 256) in;
layout(constant_id = 1) const int ND = 1;
layout(set = 0, binding = 0) readonly buffer BC { uint8_t c[]; };
layout(set = 0, binding = 1) readonly buffer BA { E_ST a[]; };
layout(set = 0, binding = 2) readonly buffer BB { E_ST b[]; };
layout(set = 0, binding = 3) writeonly buffer BO { E_ST o[]; };
layout(push_constant) uniform PC {
    uint n, c_off, a_off, b_off, o_off;
    uint shape[MAXT];
    int sc[MAXT];
    int sa[MAXT];
    int sb[MAXT];
} pc;

void main()
{
    uint step = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint i = gl_GlobalInvocationID.x; i < pc.n; i += step) {
        int ic = 0, ia = 0, ib = 0;
        uint r = i;
        for (int d = ND - 1; d >= 0; d--) {
            uint k = r % pc.shape[d];
            r /= pc.shape[d];
            ic += int(k) * pc.sc[d];
            ia += int(k) * pc.sa[d];
            ib += int(k) * pc.sb[d];
        }
        o[pc.o_off + i] = uint(c[int(pc.c_off) + ic]) != 0u ? a[int(pc.a_off) + ia] : b[int(pc.b_off) + ib];
    }
}
