#version 450
// C = A @ B for float16 A and B (float accumulation) on tensor cores, through
// GL_NV_cooperative_matrix (16x16x16 f16 x f16 -> f32, subgroup scope). Only
// used where the device reports that shape and its subgroups have 32 lanes.
//
// A workgroup computes a BM x BN output tile with WM x WN subgroups, each of
// TM x TN 16x16 fragments (BM = WM*TM*16, BN = WN*TN*16). K advances BK at a
// time: A and B slices are read from global memory as uvec4 (8 halves) into
// registers while the tensor cores work on the slice in shared memory, then
// stored into the other half of a double buffer (one barrier per slice).
// Requirements (checked by the host): A's rows (or, with AT, its columns) and
// B's rows (or, with BT, its columns) contiguous; K, N, the strides and the
// offsets multiples of 8 elements; out dense. M, N and K edges are zero-filled
// on load and masked on store.
#extension GL_NV_cooperative_matrix : require
#extension GL_KHR_memory_scope_semantics : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#extension GL_EXT_shader_16bit_storage : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_EXT_control_flow_attributes : require

#ifndef WM
#define WM 2
#endif
#ifndef WN
#define WN 4
#endif
#ifndef TM
#define TM 4
#endif
#ifndef TN
#define TN 2
#endif
#ifndef BK
#define BK 32
#endif
#define NT (WM * WN * 32)
#define BM (WM * TM * 16)
#define BN (WN * TN * 16)
// shared rows padded by 8 halves (one uvec4) against bank conflicts
#define AK4 (BK / 8 + 1)   // uvec4 per row of the A slice stored [BM][BK] (m-major)
#define AM4 (BM / 8 + 1)   // uvec4 per row of the A slice stored [BK][BM] (AT)
#define BN4 (BN / 8 + 1)   // uvec4 per row of the B slice stored [BK][BN]
#define BK4 (BK / 8 + 1)   // uvec4 per row of the B slice stored [BN][BK] (BT)

layout(local_size_x = NT) in;
layout(constant_id = 0) const int AT = 0; // A's columns are contiguous (A is a transposed view)
layout(constant_id = 1) const int BT = 0; // B's columns are contiguous
layout(constant_id = 2) const int NB = 0; // batch dims (at most 3)

layout(set = 0, binding = 0) readonly buffer BA { uvec4 a[]; };
layout(set = 0, binding = 1) readonly buffer BB { uvec4 b[]; };
layout(set = 0, binding = 2) writeonly buffer BO { float16_t o[]; };
layout(push_constant) uniform PC {
    uint M, N, K, a_off, b_off, o_off;
    int sam, sak, sbk, sbn;
    uint bshape[3];
    int abs_[3];
    int bbs[3];
} pc;

#define A_SZ (AT != 0 ? BK * AM4 : BM * AK4)
#define B_SZ (BT != 0 ? BN * BK4 : BK * BN4)
#define A_MAX (BK * AM4 > BM * AK4 ? BK * AM4 : BM * AK4)
#define B_MAX (BN * BK4 > BK * BN4 ? BN * BK4 : BK * BN4)
shared uvec4 As[2 * A_MAX];
shared uvec4 Bs[2 * B_MAX];
shared uvec4 stage[WM * WN * 32];

// uvec4 loads per thread for each slice
#define LA ((BM * BK / 8 + NT - 1) / NT)
#define LB ((BN * BK / 8 + NT - 1) / NT)

void main()
{
    uint tid = gl_LocalInvocationID.x;
    uint warp = tid / 32, lane = tid % 32;
    uint wm = warp / WN, wn = warp % WN;
    uint m0 = gl_WorkGroupID.y * BM, n0 = gl_WorkGroupID.x * BN;
    uint batch = gl_WorkGroupID.z;
    int ab = int(pc.a_off), bb = int(pc.b_off);
    uint rb = batch;
    for (int d = NB - 1; d >= 0; d--) {
        int c = int(rb % pc.bshape[d]);
        rb /= pc.bshape[d];
        ab += c * pc.abs_[d];
        bb += c * pc.bbs[d];
    }
    uint M = pc.M, N = pc.N, K = pc.K;

    fcoopmatNV<32, gl_ScopeSubgroup, 16, 16> acc[TM][TN];
    [[unroll]] for (int i = 0; i < TM; i++)
        [[unroll]] for (int j = 0; j < TN; j++)
            acc[i][j] = fcoopmatNV<32, gl_ScopeSubgroup, 16, 16>(0.0);

    uvec4 ra[LA], rbv[LB];
    uint nk = (K + BK - 1) / BK;

    // global -> registers for slice kt
#define LOAD_SLICE(kt)                                                                    \
    {                                                                                     \
        uint k0 = (kt) * BK;                                                              \
        [[unroll]] for (int l = 0; l < LA; l++) {                                                    \
            uint e = tid + uint(l) * NT;                                                  \
            ra[l] = uvec4(0);                                                             \
            if (AT == 0) {                                                                \
                uint r = e / (BK / 8), c = e % (BK / 8);                                  \
                uint gm = m0 + r, gk = k0 + c * 8;                                        \
                if (e < BM * BK / 8 && gm < M && gk < K)                                  \
                    ra[l] = a[(ab + int(gm) * pc.sam + int(gk)) >> 3];                   \
            } else {                                                                      \
                uint r = e / (BM / 8), c = e % (BM / 8);                                  \
                uint gk = k0 + r, gm = m0 + c * 8;                                        \
                if (e < BM * BK / 8 && gk < K && gm < M)                                  \
                    ra[l] = a[(ab + int(gk) * pc.sak + int(gm)) >> 3];                   \
            }                                                                             \
        }                                                                                 \
        [[unroll]] for (int l = 0; l < LB; l++) {                                                    \
            uint e = tid + uint(l) * NT;                                                  \
            rbv[l] = uvec4(0);                                                            \
            if (BT == 0) {                                                                \
                uint r = e / (BN / 8), c = e % (BN / 8);                                  \
                uint gk = k0 + r, gn = n0 + c * 8;                                        \
                if (e < BN * BK / 8 && gk < K && gn < N)                                  \
                    rbv[l] = b[(bb + int(gk) * pc.sbk + int(gn)) >> 3];                  \
            } else {                                                                      \
                uint r = e / (BK / 8), c = e % (BK / 8);                                  \
                uint gn = n0 + r, gk = k0 + c * 8;                                        \
                if (e < BN * BK / 8 && gn < N && gk < K)                                  \
                    rbv[l] = b[(bb + int(gn) * pc.sbn + int(gk)) >> 3];                  \
            }                                                                             \
        }                                                                                 \
    }
    // registers -> shared buffer s
#define STORE_SLICE(s)                                                                    \
    {                                                                                     \
        [[unroll]] for (int l = 0; l < LA; l++) {                                                    \
            uint e = tid + uint(l) * NT;                                                  \
            if (e < BM * BK / 8) {                                                        \
                if (AT == 0)                                                              \
                    As[(s) * A_SZ + (e / (BK / 8)) * AK4 + e % (BK / 8)] = ra[l];         \
                else                                                                      \
                    As[(s) * A_SZ + (e / (BM / 8)) * AM4 + e % (BM / 8)] = ra[l];         \
            }                                                                             \
        }                                                                                 \
        [[unroll]] for (int l = 0; l < LB; l++) {                                                    \
            uint e = tid + uint(l) * NT;                                                  \
            if (e < BN * BK / 8) {                                                        \
                if (BT == 0)                                                              \
                    Bs[(s) * B_SZ + (e / (BN / 8)) * BN4 + e % (BN / 8)] = rbv[l];        \
                else                                                                      \
                    Bs[(s) * B_SZ + (e / (BK / 8)) * BK4 + e % (BK / 8)] = rbv[l];        \
            }                                                                             \
        }                                                                                 \
    }

    LOAD_SLICE(0u);
    STORE_SLICE(0u);
    barrier();
    for (uint kt = 0; kt < nk; kt++) {
        uint cur = kt & 1u;
        if (kt + 1 < nk)
            LOAD_SLICE(kt + 1);
        [[unroll]] for (uint kk = 0; kk < BK / 16; kk++) {
            fcoopmatNV<16, gl_ScopeSubgroup, 16, 16> fa[TM], fb[TN];
            [[unroll]] for (int i = 0; i < TM; i++) {
                uint mr = wm * (TM * 16) + uint(i) * 16;
                if (AT == 0)
                    coopMatLoadNV(fa[i], As, cur * A_SZ + mr * AK4 + kk * 2, AK4, false);
                else
                    coopMatLoadNV(fa[i], As, cur * A_SZ + kk * 16 * AM4 + mr / 8, AM4, true);
            }
            [[unroll]] for (int j = 0; j < TN; j++) {
                uint nc = wn * (TN * 16) + uint(j) * 16;
                if (BT == 0)
                    coopMatLoadNV(fb[j], Bs, cur * B_SZ + kk * 16 * BN4 + nc / 8, BN4, false);
                else
                    coopMatLoadNV(fb[j], Bs, cur * B_SZ + nc * BK4 + kk * 2, BK4, true);
            }
            [[unroll]] for (int i = 0; i < TM; i++)
                [[unroll]] for (int j = 0; j < TN; j++)
                    acc[i][j] = coopMatMulAddNV(fa[i], fb[j], acc[i][j]);
        }
        if (kt + 1 < nk)
            STORE_SLICE(cur ^ 1u);
        barrier();
    }

    uint ob = pc.o_off + batch * M * N;
    [[unroll]] for (int i = 0; i < TM; i++)
        [[unroll]] for (int j = 0; j < TN; j++) {
            uint gm = m0 + wm * (TM * 16) + uint(i) * 16;
            uint gn = n0 + wn * (TN * 16) + uint(j) * 16;
            fcoopmatNV<16, gl_ScopeSubgroup, 16, 16> h =
                fcoopmatNV<16, gl_ScopeSubgroup, 16, 16>(acc[i][j]);
            if (gm + 16 <= M && gn + 16 <= N) {
                coopMatStoreNV(h, o, ob + gm * N + gn, N, false);
            } else if (gm < M && gn < N) {
                // through this subgroup's 16x16 staging area, masked
                coopMatStoreNV(h, stage, warp * 32, 2, false);
                subgroupMemoryBarrierShared();
                subgroupBarrier();
                uint r = lane / 2, c = gn + (lane % 2) * 8;
                if (gm + r < M && c < N) {
                    uvec4 v = stage[warp * 32 + lane];
                    uint at = ob + (gm + r) * N + c;
                    f16vec2 p0 = unpackFloat2x16(v.x), p1 = unpackFloat2x16(v.y);
                    f16vec2 p2 = unpackFloat2x16(v.z), p3 = unpackFloat2x16(v.w);
                    o[at + 0] = p0.x; o[at + 1] = p0.y;
                    o[at + 2] = p1.x; o[at + 3] = p1.y;
                    o[at + 4] = p2.x; o[at + 5] = p2.y;
                    o[at + 6] = p3.x; o[at + 7] = p3.y;
                }
                subgroupBarrier();
            }
        }
}
