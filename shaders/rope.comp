#version 450
// rope over the last axis of a dense x (rows of n, L positions): the first
// `dims` features rotate in pairs (traditional: (2i, 2i+1); else (i, i+half))
// by theta = (offset + l) * scale * inv_i, inv_i = base^(-i/half) or
// 1 / freqs[i]; the rest pass through.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 256) in;
layout(set = 0, binding = 0) readonly buffer BX { A_ST x[]; };
layout(set = 0, binding = 1) readonly buffer BF { A_ST f[]; };
layout(set = 0, binding = 2) writeonly buffer BO { A_ST o[]; };
layout(push_constant) uniform PC {
    uint total, n, L, dims, traditional, offset, has_freqs, x_off, f_off, o_off;
    int fs;
    float log_base, scale;
} pc;

void main()
{
    uint half_ = pc.dims / 2u;
    uint step = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint e = gl_GlobalInvocationID.x; e < pc.total; e += step) {
        uint row = e / pc.n, c = e % pc.n;
        uint rb = pc.x_off + row * pc.n;
        if (c >= 2u * half_) {
            o[pc.o_off + e] = x[rb + c];
            continue;
        }
        uint i, ia, ib;
        if (pc.traditional != 0u) {
            i = c >> 1;
            ia = 2u * i;
            ib = ia + 1u;
        } else {
            i = c < half_ ? c : c - half_;
            ia = i;
            ib = i + half_;
        }
        float inv = pc.has_freqs != 0u ? 1.0 / A_LD(f[int(pc.f_off) + int(i) * pc.fs])
                                       : exp(-float(i) * pc.log_base / float(half_));
        float th = float(pc.offset + row % pc.L) * pc.scale * inv;
        float cs = cos(th), sn = sin(th);
        float x1 = A_LD(x[rb + ia]), x2 = A_LD(x[rb + ib]);
        o[pc.o_off + e] = A_STORE(c == ia ? x1 * cs - x2 * sn : x1 * sn + x2 * cs);
    }
}
