#version 450
// Reductions: each workgroup reduces whole output elements (looping over
// them); its threads stride over the reduced elements, then a shared-memory
// tree. Kept and reduced dims (at most 4 each, merged) address the input.
// Built per (DT_A, DT_O); -DARG builds argmax/argmin (DT_O = uint32).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "ops.glsl.h"

layout(local_size_x_id = 3) in;
layout(constant_id = 0) const int OP = 1;
layout(constant_id = 1) const int NK = 1;
layout(constant_id = 2) const int NR = 1;

layout(set = 0, binding = 0) readonly buffer BA { A_ST a[]; };
layout(set = 0, binding = 1) writeonly buffer BO { O_ST o[]; };
layout(push_constant) uniform PC {
    uint n_out, R, a_off, o_off;
    uint ks[4];
    int kst[4];
    uint rs[4];
    int rst[4];
} pc;

#if A_FLOAT
#define IS_NAN(v) isnan(v)
#define LOWEST (-1.0 / 0.0)
#define HIGHEST (1.0 / 0.0)
#elif A_BITS == 64 && A_SIGNED
#define IS_NAN(v) false
#define LOWEST int64_t(0x8000000000000000UL)
#define HIGHEST int64_t(0x7fffffffffffffffUL)
#elif A_BITS == 64
#define IS_NAN(v) false
#define LOWEST uint64_t(0)
#define HIGHEST uint64_t(0xffffffffffffffffUL)
#elif A_SIGNED
#define IS_NAN(v) false
#define LOWEST int(0x80000000u)
#define HIGHEST 0x7fffffff
#else
#define IS_NAN(v) false
#define LOWEST 0u
#define HIGHEST 0xffffffffu
#endif

int koff(uint i)
{
    int off = 0;
    for (int d = NK - 1; d >= 0; d--) {
        off += int(i % pc.ks[d]) * pc.kst[d];
        i /= pc.ks[d];
    }
    return off;
}

int roff(uint i)
{
    if (NR == 1)
        return int(i) * pc.rst[0];
    int off = 0;
    for (int d = NR - 1; d >= 0; d--) {
        off += int(i % pc.rs[d]) * pc.rst[d];
        i /= pc.rs[d];
    }
    return off;
}

#if defined(ARG)
shared A_CT sval[256];
shared uint sidx[256];
// (va, ia) vs (vb, ib): the first NaN, else the best value, else the first index
bool take_b(A_CT va, uint ia, A_CT vb, uint ib)
{
    if (ib == 0xffffffffu)
        return false;
    if (ia == 0xffffffffu)
        return true;
    bool na = IS_NAN(va), nb = IS_NAN(vb);
    if (na || nb)
        return nb && (!na || ib < ia);
    if (OP == ROP_ARGMAX ? vb > va : vb < va)
        return true;
    return vb == va && ib < ia;
}
#else
#if DT_O == DT_BOOL
#define ACC uint
#else
#define ACC O_CT
#endif
shared ACC sacc[256];
ACC identity()
{
    switch (OP) {
    case ROP_SUM: case ROP_ANY: return ACC(0);
    case ROP_PROD: case ROP_ALL: return ACC(1);
    case ROP_MAX: return ACC(LOWEST);
    default: return ACC(HIGHEST);
    }
}
ACC combine(ACC x, ACC v)
{
    switch (OP) {
    case ROP_SUM: return x + v;
    case ROP_PROD: return x * v;
#if A_FLOAT && DT_O != DT_BOOL
    case ROP_MAX: return (IS_NAN(v) || v > x) ? v : x;
    case ROP_MIN: return (IS_NAN(v) || v < x) ? v : x;
#else
    case ROP_MAX: return v > x ? v : x;
    case ROP_MIN: return v < x ? v : x;
#endif
#if DT_O == DT_BOOL
    case ROP_ALL: return x & v;
    case ROP_ANY: return x | v;
#endif
    default: return x;
    }
}
ACC load(int i)
{
#if DT_O == DT_BOOL
    return uint(A_LD(a[i]) != A_CT(0));
#else
    return ACC(A_LD(a[i]));
#endif
}
#endif

void main()
{
    uint lid = gl_LocalInvocationID.x, wg = gl_WorkGroupSize.x;
    for (uint row = gl_WorkGroupID.x; row < pc.n_out; row += gl_NumWorkGroups.x) {
        int base = int(pc.a_off) + koff(row);
#if defined(ARG)
        A_CT best = A_CT(0);
        uint bi = 0xffffffffu;
        for (uint r = lid; r < pc.R; r += wg) {
            A_CT v = A_LD(a[base + roff(r)]);
            if (take_b(best, bi, v, r)) {
                best = v;
                bi = r;
            }
        }
        sval[lid] = best;
        sidx[lid] = bi;
        barrier();
        for (uint s = wg / 2; s > 0; s >>= 1) {
            if (lid < s && take_b(sval[lid], sidx[lid], sval[lid + s], sidx[lid + s])) {
                sval[lid] = sval[lid + s];
                sidx[lid] = sidx[lid + s];
            }
            barrier();
        }
        if (lid == 0)
            o[pc.o_off + row] = sidx[0] == 0xffffffffu ? 0u : sidx[0];
#else
        ACC acc = identity();
        for (uint r = lid; r < pc.R; r += wg)
            acc = combine(acc, load(base + roff(r)));
        sacc[lid] = acc;
        barrier();
        for (uint s = wg / 2; s > 0; s >>= 1) {
            if (lid < s)
                sacc[lid] = combine(sacc[lid], sacc[lid + s]);
            barrier();
        }
        if (lid == 0)
            o[pc.o_off + row] = O_STORE(sacc[0]);
#endif
        barrier();
    }
}
