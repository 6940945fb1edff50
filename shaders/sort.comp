#version 450
// sort / argsort (and partition / argpartition, which a full sort satisfies)
// of lines of at most 2048 elements: one workgroup per line, a bitonic sort in
// shared memory of (key, index) pairs. Keys order as the CPU's (floats: -0 as
// +0, every NaN last); ties go by index, so the order is the stable one.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#if A_BITS == 8
#define SZ 1
#elif A_BITS == 16
#define SZ 2
#elif A_BITS == 32
#define SZ 4
#else
#define SZ 8
#endif
#include "sized.glsl"

#define MAXN 2048
layout(local_size_x = 256) in;
layout(constant_id = 0) const int ARG = 0;
layout(set = 0, binding = 0) readonly buffer BA { E_ST a[]; };
layout(set = 0, binding = 1) writeonly buffer BO { E_ST o[]; };
layout(set = 0, binding = 2) writeonly buffer BI { uint oi[]; };
layout(push_constant) uniform PC { uint lines, n, n2, post, a_off, o_off; } pc;

shared uint kh[MAXN], kl[MAXN], ki[MAXN];

#if SZ == 8
#define KT uvec2
#define TOK(v) (v)
#else
#define KT uint
#define TOK(v) uint(v)
#endif
void key_of(KT v, out uint hi, out uint lo)
{
    hi = 0u;
#if DT_A == DT_F32
    uint u = v;
    if ((u & 0x7fffffffu) > 0x7f800000u) u = 0x7fc00000u;
    if (u == 0x80000000u) u = 0u;
    lo = (u & 0x80000000u) != 0u ? ~u : (u | 0x80000000u);
#elif DT_A == DT_F16 || DT_A == DT_BF16
    uint h = uint(v);
    uint inf = DT_A == DT_F16 ? 0x7c00u : 0x7f80u;
    if ((h & 0x7fffu) > inf) h = DT_A == DT_F16 ? 0x7e00u : 0x7fc0u;
    if (h == 0x8000u) h = 0u;
    lo = (h & 0x8000u) != 0u ? (~h & 0xffffu) : (h | 0x8000u);
#elif DT_A == DT_I8
    lo = (uint(v) & 0xffu) ^ 0x80u;
#elif DT_A == DT_I16
    lo = (uint(v) & 0xffffu) ^ 0x8000u;
#elif DT_A == DT_I32
    lo = v ^ 0x80000000u;
#elif DT_A == DT_I64
    lo = v.x;
    hi = v.y ^ 0x80000000u;
#elif DT_A == DT_U64
    lo = v.x;
    hi = v.y;
#else
    lo = uint(v);
#endif
}

bool greater(uint i, uint j)
{
    if (kh[i] != kh[j]) return kh[i] > kh[j];
    if (kl[i] != kl[j]) return kl[i] > kl[j];
    return ki[i] > ki[j];
}

void main()
{
    uint lid = gl_LocalInvocationID.x;
    for (uint line = gl_WorkGroupID.x; line < pc.lines; line += gl_NumWorkGroups.x) {
        uint pre = line / pc.post, c = line % pc.post;
        uint base = pre * pc.n * pc.post + c;
        for (uint i = lid; i < pc.n2; i += 256) {
            if (i < pc.n) {
                uint h, l;
                key_of(TOK(a[pc.a_off + base + i * pc.post]), h, l);
                kh[i] = h;
                kl[i] = l;
                ki[i] = i;
            } else {
                kh[i] = 0xffffffffu;
                kl[i] = 0xffffffffu;
                ki[i] = 0xffffffffu;
            }
        }
        barrier();
        for (uint k = 2; k <= pc.n2; k <<= 1) {
            for (uint j = k >> 1; j > 0; j >>= 1) {
                for (uint i = lid; i < pc.n2; i += 256) {
                    uint p = i ^ j;
                    if (p > i) {
                        bool up = (i & k) == 0u;
                        if (greater(i, p) == up) {
                            uint t = kh[i]; kh[i] = kh[p]; kh[p] = t;
                            t = kl[i]; kl[i] = kl[p]; kl[p] = t;
                            t = ki[i]; ki[i] = ki[p]; ki[p] = t;
                        }
                    }
                }
                barrier();
            }
        }
        for (uint i = lid; i < pc.n; i += 256) {
            if (ARG != 0)
                oi[pc.o_off + base + i * pc.post] = ki[i];
            else
                o[pc.o_off + base + i * pc.post] = a[pc.a_off + base + ki[i] * pc.post];
        }
        barrier();
    }
}
