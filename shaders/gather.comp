#version 450
// gather: out[b, s] = a[idx_0[b], ..., idx_{n-1}[b] + slice position s].
// Index arrays were converted to dense int32 of the batch shape; indices are
// wrapped once (negative) and clamped into range (the host checks them).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "sized.glsl"

#define GD 6
layout(local_size_x = 256) in;
layout(constant_id = 1) const int ND = 1;
layout(set = 0, binding = 0) readonly buffer BA { E_ST a[]; };
layout(set = 0, binding = 1) writeonly buffer BO { E_ST o[]; };
layout(set = 0, binding = 2) readonly buffer I0 { int i0[]; };
layout(set = 0, binding = 3) readonly buffer I1 { int i1[]; };
layout(set = 0, binding = 4) readonly buffer I2 { int i2[]; };
layout(set = 0, binding = 5) readonly buffer I3 { int i3[]; };
layout(push_constant) uniform PC {
    uint n, slice, a_off, o_off, nidx;
    uint shape[GD];
    int sa[GD];
    int axs[4];   // a's stride along each indexed axis
    int axn[4];   // that axis's size
    int axl[4];   // largest valid start: size - slice extent
} pc;

int fix(int v, int k)
{
    if (v < 0) v += pc.axn[k];
    return clamp(v, 0, max(pc.axl[k], 0));
}

void main()
{
    uint step = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint e = gl_GlobalInvocationID.x; e < pc.n; e += step) {
        uint b = e / pc.slice, r = e % pc.slice;
        int src = int(pc.a_off);
        if (pc.nidx > 0u) src += fix(i0[b], 0) * pc.axs[0];
        if (pc.nidx > 1u) src += fix(i1[b], 1) * pc.axs[1];
        if (pc.nidx > 2u) src += fix(i2[b], 2) * pc.axs[2];
        if (pc.nidx > 3u) src += fix(i3[b], 3) * pc.axs[3];
        for (int d = ND - 1; d >= 0; d--) {
            src += int(r % pc.shape[d]) * pc.sa[d];
            r /= pc.shape[d];
        }
        o[pc.o_off + e] = a[src];
    }
}
