#version 450
// scaled_dot_product_attention, flash-attention style: one workgroup per
// block of 64 queries of one (batch, head); each invocation owns one query
// row (q and the output accumulator in registers) and walks the keys in tiles
// of BK staged in shared memory, with an online softmax (running max and
// sum, the accumulator rescaled when the max grows). Grouped-query heads map
// to kv head h / (Hq / Hkv). Causal: query i sees keys t <= i + Lk - Lq.
// Masks (broadcast strides): bool (false hides the key) or float (added).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

#define BQ 64
#define BK 16
#define DMAX 128
layout(local_size_x = BQ) in;
layout(constant_id = 0) const int MASK = 0; // 0 none, 1 bool, 2 float
layout(set = 0, binding = 0) readonly buffer BQb { A_ST q[]; };
layout(set = 0, binding = 1) readonly buffer BKb { A_ST k[]; };
layout(set = 0, binding = 2) readonly buffer BVb { A_ST v[]; };
layout(set = 0, binding = 3) readonly buffer BMb { uint8_t mb[]; };
layout(set = 0, binding = 4) readonly buffer BMf { float mf[]; };
layout(set = 0, binding = 5) writeonly buffer BO { A_ST o[]; };
layout(push_constant) uniform PC {
    uint Hq, group, Lq, Lk, D, Dv, causal;
    float scale;
    uint q_off, k_off, v_off, m_off, o_off;
    int qs[4], ks[4], vs[4], ms[4];
} pc;

shared float Ks[BK][DMAX];
shared float Vs[BK][DMAX];

void main()
{
    uint lid = gl_LocalInvocationID.x;
    uint bh = gl_WorkGroupID.y;
    uint b = bh / pc.Hq, h = bh % pc.Hq, hk = h / pc.group;
    uint q0 = gl_WorkGroupID.x * BQ;
    uint i = q0 + lid;
    bool live = i < pc.Lq;
    float qv[DMAX], acc[DMAX];
    int qb = int(pc.q_off) + int(b) * pc.qs[0] + int(h) * pc.qs[1] + int(i) * pc.qs[2];
    for (uint e = 0; e < pc.D; e++)
        qv[e] = live ? A_LD(q[qb + int(e) * pc.qs[3]]) * pc.scale : 0.0;
    for (uint e = 0; e < pc.Dv; e++)
        acc[e] = 0.0;
    int kb = int(pc.k_off) + int(b) * pc.ks[0] + int(hk) * pc.ks[1];
    int vb = int(pc.v_off) + int(b) * pc.vs[0] + int(hk) * pc.vs[1];
    int mo = int(pc.m_off) + int(b) * pc.ms[0] + int(h) * pc.ms[1] + int(i) * pc.ms[2];
    // the last key any query of this block sees
    int shift = int(pc.Lk) - int(pc.Lq);
    int last = live ? (pc.causal != 0u ? min(int(i) + shift, int(pc.Lk) - 1) : int(pc.Lk) - 1) : -1;
    int block_last = pc.causal != 0u ? min(int(min(q0 + BQ, pc.Lq)) - 1 + shift, int(pc.Lk) - 1)
                                     : int(pc.Lk) - 1;
    float m = -1.0 / 0.0, l = 0.0;
    for (int t0 = 0; t0 <= block_last; t0 += BK) {
        uint nd = max(pc.D, pc.Dv);
        for (uint x = lid; x < BK * nd; x += BQ) {
            uint j = x / nd, e = x % nd;
            int t = t0 + int(j);
            bool ok = t < int(pc.Lk);
            if (e < pc.D)
                Ks[j][e] = ok ? A_LD(k[kb + t * pc.ks[2] + int(e) * pc.ks[3]]) : 0.0;
            if (e < pc.Dv)
                Vs[j][e] = ok ? A_LD(v[vb + t * pc.vs[2] + int(e) * pc.vs[3]]) : 0.0;
        }
        barrier();
        for (int j = 0; j < BK; j++) {
            int t = t0 + j;
            if (t > last)
                break;
            float s = 0.0;
            for (uint e = 0; e < pc.D; e++)
                s += qv[e] * Ks[j][e];
            if (MASK == 1) {
                if (uint(mb[mo + t * pc.ms[3]]) == 0u)
                    continue;
            } else if (MASK == 2) {
                s += mf[mo + t * pc.ms[3]];
            }
            if (isinf(s) && s < 0.0)
                continue;
            if (s > m) {
                float corr = exp(m - s);
                l *= corr;
                for (uint e = 0; e < pc.Dv; e++)
                    acc[e] *= corr;
                m = s;
            }
            float p = exp(s - m);
            l += p;
            for (uint e = 0; e < pc.Dv; e++)
                acc[e] += p * Vs[j][e];
        }
        barrier();
    }
    if (live) {
        float inv = l > 0.0 ? 1.0 / l : 0.0;
        uint ob = pc.o_off + ((b * pc.Hq + h) * pc.Lq + i) * pc.Dv;
        for (uint e = 0; e < pc.Dv; e++)
            o[ob + e] = A_STORE(acc[e] * inv);
    }
}
