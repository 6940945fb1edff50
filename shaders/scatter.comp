#version 450
// scatter (set/add/prod/max/min) into out, which already holds a copy of the
// input: one invocation per slice position walks the batch in order (the last
// set wins, duplicates accumulate), which is race-free when the slices of
// different batch entries only meet through size-1 indexed axes; otherwise
// the host asks for one invocation in all (SERIAL).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

#define GD 6
#define M_SET 0
#define M_ADD 1
#define M_PROD 4
#define M_MAX 2
#define M_MIN 3
layout(local_size_x = 64) in;
layout(constant_id = 0) const int MODE = 0;
layout(constant_id = 1) const int ND = 1;
layout(set = 0, binding = 0) buffer BO { A_ST o[]; };
layout(set = 0, binding = 1) readonly buffer BU { A_ST u[]; };
layout(set = 0, binding = 2) readonly buffer I0 { int i0[]; };
layout(set = 0, binding = 3) readonly buffer I1 { int i1[]; };
layout(set = 0, binding = 4) readonly buffer I2 { int i2[]; };
layout(set = 0, binding = 5) readonly buffer I3 { int i3[]; };
layout(push_constant) uniform PC {
    uint slice, nbatch, u_off, o_off, nidx, serial;
    uint shape[GD];
    int so[GD];
    int axs[4];
    int axn[4];
    int axl[4];
} pc;

int fix(int v, int k)
{
    if (v < 0) v += pc.axn[k];
    return clamp(v, 0, max(pc.axl[k], 0));
}

A_CT apply(A_CT x, A_CT y)
{
#if DT_A == DT_BOOL
    x = uint(x != 0u);
    y = uint(y != 0u);
    if (MODE == M_SET) return y;
    if (MODE == M_ADD || MODE == M_MAX) return x | y;
    return x & y;
#elif A_FLOAT
    if (MODE == M_SET) return y;
    if (MODE == M_ADD) return x + y;
    if (MODE == M_PROD) return x * y;
    if (MODE == M_MAX) return (!isnan(x) && (isnan(y) || y > x)) ? y : x;
    return (!isnan(x) && (isnan(y) || y < x)) ? y : x;
#else
    if (MODE == M_SET) return y;
    if (MODE == M_ADD) return x + y;
    if (MODE == M_PROD) return x * y;
    if (MODE == M_MAX) return y > x ? y : x;
    return y < x ? y : x;
#endif
}

void main()
{
    uint first = gl_GlobalInvocationID.x, step = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    if (pc.serial != 0u) {
        if (first != 0u)
            return;
        step = 1u;
    }
    for (uint s = first; s < pc.slice; s += step) {
        uint r = s;
        int so = int(pc.o_off);
        for (int d = ND - 1; d >= 0; d--) {
            so += int(r % pc.shape[d]) * pc.so[d];
            r /= pc.shape[d];
        }
        for (uint b = 0; b < pc.nbatch; b++) {
            int dst = so;
            if (pc.nidx > 0u) dst += fix(i0[b], 0) * pc.axs[0];
            if (pc.nidx > 1u) dst += fix(i1[b], 1) * pc.axs[1];
            if (pc.nidx > 2u) dst += fix(i2[b], 2) * pc.axs[2];
            if (pc.nidx > 3u) dst += fix(i3[b], 3) * pc.axs[3];
            if (MODE == M_SET)
                o[dst] = u[pc.u_off + b * pc.slice + s];
            else
                o[dst] = A_STORE(apply(A_LD(o[dst]), A_LD(u[pc.u_off + b * pc.slice + s])));
        }
    }
}
