#version 450
// C = A @ B, batched: 64x64 output tiles, 16-deep k slices staged in shared
// memory, each of 256 threads accumulating a 4x4 block in float. A and B are
// read through strides (transposed views need no copy); batch dims (at most 3)
// broadcast by zero strides. The output is dense.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

#define BM 64
#define BN 64
#define BK 16

layout(local_size_x = 16, local_size_y = 16) in;
layout(constant_id = 0) const int ADDMM = 0; // out = alpha * A @ B + beta * C
layout(constant_id = 1) const int NB = 0;

layout(set = 0, binding = 0) readonly buffer BA { A_ST a[]; };
layout(set = 0, binding = 1) readonly buffer BB { A_ST b[]; };
layout(set = 0, binding = 2) writeonly buffer BO { A_ST o[]; };
layout(set = 0, binding = 3) readonly buffer BC { A_ST cm[]; };
layout(push_constant) uniform PC {
    uint M, N, K, a_off, b_off, o_off;
    int sam, sak, sbk, sbn;
    uint bshape[3];
    int abs_[3];
    int bbs[3];
    uint c_off;
    int scm, scn;
    int cbs[3];
    float alpha, beta;
} pc;

shared float As[BK][BM + 1];
shared float Bs[BK][BN + 1];

void main()
{
    uint tx = gl_LocalInvocationID.x, ty = gl_LocalInvocationID.y;
    uint tid = ty * 16 + tx;
    uint m0 = gl_WorkGroupID.y * BM, n0 = gl_WorkGroupID.x * BN;
    uint batch = gl_WorkGroupID.z;
    int ab = int(pc.a_off), bb = int(pc.b_off), cb = int(pc.c_off);
    uint rb = batch;
    for (int d = NB - 1; d >= 0; d--) {
        int c = int(rb % pc.bshape[d]);
        rb /= pc.bshape[d];
        ab += c * pc.abs_[d];
        bb += c * pc.bbs[d];
        cb += c * pc.cbs[d];
    }
    float acc[4][4];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            acc[i][j] = 0.0;
    for (uint k0 = 0; k0 < pc.K; k0 += BK) {
        // 1024 elements of each tile, 4 per thread
        for (uint e = tid; e < BM * BK; e += 256) {
            uint mm = e / BK, kk = e % BK;
            uint gm = m0 + mm, gk = k0 + kk;
            As[kk][mm] = (gm < pc.M && gk < pc.K) ? A_LD(a[ab + int(gm) * pc.sam + int(gk) * pc.sak]) : 0.0;
            uint kb = e / BN, nn = e % BN;
            uint gk2 = k0 + kb, gn = n0 + nn;
            Bs[kb][nn] = (gk2 < pc.K && gn < pc.N) ? A_LD(b[bb + int(gk2) * pc.sbk + int(gn) * pc.sbn]) : 0.0;
        }
        barrier();
        for (uint kk = 0; kk < BK; kk++) {
            float av[4], bv[4];
            for (int i = 0; i < 4; i++)
                av[i] = As[kk][ty + 16 * i];
            for (int j = 0; j < 4; j++)
                bv[j] = Bs[kk][tx + 16 * j];
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++)
                    acc[i][j] += av[i] * bv[j];
        }
        barrier();
    }
    uint ob = pc.o_off + batch * pc.M * pc.N;
    for (int i = 0; i < 4; i++) {
        uint gm = m0 + ty + 16 * i;
        if (gm >= pc.M)
            continue;
        for (int j = 0; j < 4; j++) {
            uint gn = n0 + tx + 16 * j;
            if (gn < pc.N) {
                float r = acc[i][j];
                if (ADDMM != 0)
                    r = pc.alpha * r + pc.beta * A_LD(cm[cb + int(gm) * pc.scm + int(gn) * pc.scn]);
                o[ob + gm * pc.N + gn] = A_STORE(r);
            }
        }
    }
}
