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
#define R 2 // columns per 32 invocations when decoding
layout(local_size_x = 256) in;
layout(constant_id = 0) const int BITS = 4;
layout(set = 0, binding = 0) readonly buffer BX { A_ST x[]; };
#if DT_A == DT_F32
layout(set = 0, binding = 0) readonly buffer BX4 { vec4 x4[]; }; // the same x, 16 bytes at a time
#endif
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
        // one row of x (decoding). Each group of 32 invocations takes R
        // columns: a lane's 16-byte chunk of each column's packed row shares
        // one read of x (its 4 * per values, as vec4 where x is float32) and
        // one group (gs >= 32 covers a whole chunk), so the bias term needs
        // the sum of x once per chunk, not per column. The host dispatches
        // (N + 8R - 1) / 8R workgroups for this case.
        const uint VPC = 4u * per; // values per chunk
        uint n0 = (gl_WorkGroupID.x * 8u + col) * uint(R);
        float a[R];
        [[unroll]] for (int r = 0; r < R; r++)
            a[r] = 0.0;
        for (uint c = lane; c < w4; c += 32u) {
            uint k0 = c * VPC;
            float xv[32];
#if DT_A == DT_F32
            if ((pc.x_off & 3u) == 0u) {
                [[unroll]] for (uint v = 0; v < VPC / 4u; v++) {
                    vec4 t = x4[(pc.x_off + k0) / 4u + v];
                    xv[4 * v] = t.x; xv[4 * v + 1] = t.y; xv[4 * v + 2] = t.z; xv[4 * v + 3] = t.w;
                }
            } else
#endif
            {
                [[unroll]] for (uint v = 0; v < VPC; v++)
                    xv[v] = A_LD(x[pc.x_off + k0 + v]);
            }
            float xs = 0.0;
            [[unroll]] for (uint v = 0; v < VPC; v++)
                xs += xv[v];
            uint g = k0 / pc.gs;
            [[unroll]] for (int r = 0; r < R; r++) {
                uint nn2 = n0 + uint(r);
                if (nn2 < pc.N) {
                    uvec4 q4 = qw[pc.q_off4 + nn2 * w4 + c];
                    float d = 0.0;
                    [[unroll]] for (int wi = 0; wi < 4; wi++)
                        [[unroll]] for (uint j = 0; j < per; j++)
                            d += float((q4[wi] >> (uint(BITS) * j)) & mask) * xv[uint(wi) * per + j];
                    a[r] += A_LD(sc[pc.s_off + nn2 * ng + g]) * d + A_LD(bi[pc.b_off + nn2 * ng + g]) * xs;
                }
            }
        }
        [[unroll]] for (int r = 0; r < R; r++)
            red[r][lid] = a[r];
        barrier();
        for (uint st = 16u; st > 0u; st >>= 1) {
            if (lane < st)
                [[unroll]] for (int r = 0; r < R; r++)
                    red[r][lid] += red[r][lid + st];
            barrier();
        }
        if (lane < uint(R) && n0 + lane < pc.N)
            o[pc.o_off + n0 + lane] = A_STORE(red[lane][lid - lane]);
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
