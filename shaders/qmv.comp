#version 450
// Quantized matrix-vector products for decoding (x @ w.T with few rows of x):
// 32 invocations per output column stream that column's packed row of w in
// 16-byte loads (uvec4: 32 4-bit or 16 8-bit values), each word's values
// meeting x and the word's group scale and bias; a shared-memory reduction
// per column. 8 columns per workgroup; up to 8 rows of x at once.
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#include "common.glsl"

#define MR 8
layout(local_size_x = 256) in;
layout(constant_id = 0) const int BITS = 4;
layout(set = 0, binding = 0) readonly buffer BX { A_ST x[]; };
layout(set = 0, binding = 1) readonly buffer BQ { uvec4 qw[]; };
layout(set = 0, binding = 2) readonly buffer BS { A_ST sc[]; };
layout(set = 0, binding = 3) readonly buffer BB { A_ST bi[]; };
layout(set = 0, binding = 4) writeonly buffer BO { A_ST o[]; };
layout(push_constant) uniform PC { uint M, N, K, gs, x_off, q_off4, s_off, b_off, o_off; } pc;

shared float red[MR][256];

void main()
{
    const uint per = 32u / uint(BITS), mask = (1u << BITS) - 1u;
    uint lid = gl_LocalInvocationID.x, lane = lid & 31u, col = lid >> 5;
    uint nn = gl_WorkGroupID.x * 8u + col;
    uint ng = pc.K / pc.gs, w4 = pc.K / per / 4u; // uvec4s per row
    if (pc.M == 1u) {
        // one row of x (decoding): a scalar accumulator, loops unrolled
        float a1 = 0.0;
        if (nn < pc.N) {
            uint rb = pc.q_off4 + nn * w4;
            for (uint c = lane; c < w4; c += 32u) {
                uvec4 q4 = qw[rb + c];
                [[unroll]] for (int wi = 0; wi < 4; wi++) {
                    uint word = q4[wi];
                    uint k0 = (c * 4u + uint(wi)) * per;
                    uint g = nn * ng + k0 / pc.gs;
                    float s = A_LD(sc[pc.s_off + g]), bb = A_LD(bi[pc.b_off + g]);
                    uint xb = pc.x_off + k0;
                    float d = 0.0, xs = 0.0;
                    [[unroll]] for (uint j = 0; j < per; j++) {
                        float xv = A_LD(x[xb + j]);
                        d += float((word >> (uint(BITS) * j)) & mask) * xv;
                        xs += xv;
                    }
                    a1 += s * d + bb * xs;
                }
            }
        }
        red[0][lid] = a1;
        barrier();
        for (uint st = 16u; st > 0u; st >>= 1) {
            if (lane < st)
                red[0][lid] += red[0][lid + st];
            barrier();
        }
        if (lane == 0u && nn < pc.N)
            o[pc.o_off + nn] = A_STORE(red[0][lid]);
        return;
    }
    float acc[MR];
    for (int m = 0; m < MR; m++)
        acc[m] = 0.0;
    if (nn < pc.N) {
        uint rb = pc.q_off4 + nn * w4;
        for (uint c = lane; c < w4; c += 32u) {
            uvec4 q4 = qw[rb + c];
            for (int wi = 0; wi < 4; wi++) {
                uint word = q4[wi];
                uint k0 = (c * 4u + uint(wi)) * per;
                uint g = nn * ng + k0 / pc.gs;
                float s = A_LD(sc[pc.s_off + g]), bb = A_LD(bi[pc.b_off + g]);
                for (uint m = 0; m < pc.M; m++) {
                    uint xb = pc.x_off + m * pc.K + k0;
                    float d = 0.0, xs = 0.0;
                    for (uint j = 0; j < per; j++) {
                        float xv = A_LD(x[xb + j]);
                        d += float((word >> (uint(BITS) * j)) & mask) * xv;
                        xs += xv;
                    }
                    acc[m] += s * d + bb * xs;
                }
            }
        }
    }
    for (uint m = 0; m < pc.M; m++)
        red[m][lid] = acc[m];
    barrier();
    for (uint st = 16u; st > 0u; st >>= 1) {
        if (lane < st)
            for (uint m = 0; m < pc.M; m++)
                red[m][lid] += red[m][lid + st];
        barrier();
    }
    if (lane == 0u && nn < pc.N)
        for (uint m = 0; m < pc.M; m++)
            o[pc.o_off + m * pc.N + nn] = A_STORE(red[m][lid]);
}
