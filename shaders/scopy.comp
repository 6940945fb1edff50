#version 450
// Strided copy of SZ-byte elements into a strided region of the output
// (slice_update, concatenate, the copy of an input before a scatter).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "sized.glsl"

layout(local_size_x = 256) in;
layout(constant_id = 1) const int ND = 1;
layout(set = 0, binding = 0) readonly buffer BA { E_ST a[]; };
layout(set = 0, binding = 1) buffer BO { E_ST o[]; };
layout(push_constant) uniform PC {
    uint n, a_off, o_off, pad;
    uint shape[MAXD];
    int sa[MAXD];
    int so[MAXD];
} pc;

void main()
{
    uint step = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint i = gl_GlobalInvocationID.x; i < pc.n; i += step) {
        uint r = i;
        int ia = 0, io = 0;
        for (int d = ND - 1; d >= 0; d--) {
            uint c = r % pc.shape[d];
            r /= pc.shape[d];
            ia += int(c) * pc.sa[d];
            io += int(c) * pc.so[d];
        }
        o[int(pc.o_off) + io] = a[int(pc.a_off) + ia];
    }
}
