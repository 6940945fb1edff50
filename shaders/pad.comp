#version 450
// pad: each output element reads its input element (edge: the nearest one)
// or takes the fill pattern (constant). The output is dense.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "sized.glsl"

#define PD 6
layout(local_size_x = 256) in;
layout(constant_id = 1) const int ND = 1;
layout(set = 0, binding = 0) readonly buffer BA { E_ST a[]; };
layout(set = 0, binding = 1) writeonly buffer BO { E_ST o[]; };
layout(push_constant) uniform PC {
    uint n, a_off, o_off, edge, v0, v1;
    uint oshape[PD];
    int lo[PD];
    int ishape[PD];
    int sa[PD];
} pc;

void main()
{
    uint step = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint i = gl_GlobalInvocationID.x; i < pc.n; i += step) {
        uint r = i;
        int ia = 0;
        bool inside = true;
        for (int d = ND - 1; d >= 0; d--) {
            int c = int(r % pc.oshape[d]) - pc.lo[d];
            r /= pc.oshape[d];
            if (c < 0 || c >= pc.ishape[d]) {
                inside = false;
                c = clamp(c, 0, pc.ishape[d] - 1);
            }
            ia += c * pc.sa[d];
        }
        if (inside || pc.edge != 0u)
            o[pc.o_off + i] = a[int(pc.a_off) + ia];
        else
#if SZ == 8
            o[pc.o_off + i] = uvec2(pc.v0, pc.v1);
#else
            o[pc.o_off + i] = E_ST(pc.v0);
#endif
    }
}
