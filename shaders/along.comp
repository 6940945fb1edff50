#version 450
// take_along_axis (PUT == 0): one invocation per output element;
// put_along_axis (PUT == 1): one invocation per line along the axis of the
// index array, in order (the last write to an element wins). Indices are
// dense int32 of the index shape, wrapped and clamped (the host checks them).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "sized.glsl"

layout(local_size_x = 64) in;
layout(constant_id = 0) const int PUT = 0;
layout(constant_id = 1) const int ND = 1;
layout(set = 0, binding = 0) buffer BA { E_ST a[]; };   // take: the source; put: the output
layout(set = 0, binding = 1) buffer BO { E_ST o[]; };   // take: the output; put: the values (dense)
layout(set = 0, binding = 2) readonly buffer BI { int ix[]; };
layout(push_constant) uniform PC {
    uint n, a_off, o_off, axis, axn, L, post;
    uint shape[MAXD]; // take: the output's shape; put: the index shape with the axis as 1
    int sa[MAXD];     // a's strides (take), the output's strides (put)
} pc;

void main()
{
    uint step = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint e = gl_GlobalInvocationID.x; e < pc.n; e += step) {
        uint r = e;
        int off = 0;
        for (int d = ND - 1; d >= 0; d--) {
            uint c = r % pc.shape[d];
            r /= pc.shape[d];
            if (d != int(pc.axis))
                off += int(c) * pc.sa[d];
        }
        int as_ = pc.sa[pc.axis];
        if (PUT == 0) {
            int v = ix[e];
            if (v < 0) v += int(pc.axn);
            v = clamp(v, 0, int(pc.axn) - 1);
            o[pc.o_off + e] = a[int(pc.a_off) + off + v * as_];
        } else {
            // line e: dense index/value elements (pre, j, post)
            uint pre = e / pc.post, c = e % pc.post;
            uint base = pre * pc.L * pc.post + c;
            for (uint j = 0; j < pc.L; j++) {
                int v = ix[base + j * pc.post];
                if (v < 0) v += int(pc.axn);
                if (v < 0 || v >= int(pc.axn))
                    continue;
                a[int(pc.a_off) + off + v * as_] = o[pc.o_off + base + j * pc.post];
            }
        }
    }
}
