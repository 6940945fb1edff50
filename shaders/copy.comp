#version 450
// Dense copy of a strided array of SZ-byte elements (contiguous, reshape that
// cannot be a view).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "sized.glsl"

layout(local_size_x = 256) in;
layout(constant_id = 1) const int ND = 1;
layout(set = 0, binding = 0) readonly buffer BA { E_ST a[]; };
layout(set = 0, binding = 1) writeonly buffer BO { E_ST o[]; };
layout(push_constant) uniform PC {
    uint n, a_off, o_off, pad;
    uint shape[MAXD];
    int sa[MAXD];
} pc;

void main()
{
    uint step = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint i = gl_GlobalInvocationID.x; i < pc.n; i += step) {
        int ia;
        if (ND == 1) {
            ia = int(i) * pc.sa[0];
        } else {
            uint r = i;
            ia = 0;
            for (int d = ND - 1; d >= 0; d--) {
                uint c = r % pc.shape[d];
                r /= pc.shape[d];
                ia += int(c) * pc.sa[d];
            }
        }
        o[pc.o_off + i] = a[int(pc.a_off) + ia];
    }
}
