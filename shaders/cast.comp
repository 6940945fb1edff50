#version 450
// astype: DT_A -> DT_O over a strided input, as the CPU converts: float to
// integer saturates (NaN -> 0), integers wrap, anything to bool is != 0.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 256) in;
layout(constant_id = 1) const int ND = 1;
layout(set = 0, binding = 0) readonly buffer BA { A_ST a[]; };
layout(set = 0, binding = 1) writeonly buffer BO { O_ST o[]; };
layout(push_constant) uniform PC {
    uint n, a_off, o_off, pad;
    uint shape[MAXD];
    int sa[MAXD];
} pc;

#if DT_O == DT_U8
#define LO 0.0
#define HI 255.0
#elif DT_O == DT_U16
#define LO 0.0
#define HI 65535.0
#elif DT_O == DT_U32
#define LO 0.0
#define HI 4294967295.0
#elif DT_O == DT_U64
#define LO 0.0
#define HI 18446744073709549568.0
#elif DT_O == DT_I8
#define LO -128.0
#define HI 127.0
#elif DT_O == DT_I16
#define LO -32768.0
#define HI 32767.0
#elif DT_O == DT_I32
#define LO -2147483648.0
#define HI 2147483647.0
#else
#define LO -9223372036854775808.0
#define HI 9223372036854774784.0
#endif

O_CT conv(A_CT x)
{
#if DT_O == DT_BOOL
    return uint(x != A_CT(0));
#elif O_FLOAT
    return float(x);
#elif A_FLOAT
    if (isnan(x))
        return O_CT(0);
#if DT_O == DT_U64
    if (x >= HI) return uint64_t(18446744073709549568UL); // as the CPU: the largest double below 2^64
#elif DT_O == DT_I64
    if (x >= HI) return int64_t(9223372036854774784L); // the largest double below 2^63
    if (x <= LO) return int64_t(0x8000000000000000UL);
#elif DT_O == DT_U32
    if (x >= HI) return 0xffffffffu;
#elif DT_O == DT_I32
    if (x >= HI) return 0x7fffffff;
    if (x <= LO) return int(0x80000000u);
#else
    if (x >= HI) return O_CT(HI);
#endif
    if (x <= LO) return O_CT(LO);
    return O_CT(x);
#else
    return O_CT(x);
#endif
}

void main()
{
    uint step = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint i = gl_GlobalInvocationID.x; i < pc.n; i += step) {
        int ia;
        if (ND == 1) {
            ia = int(i) * pc.sa[0];
        } else {
            uint r = i;
            ia = 0;
            for (int d = ND - 1; d >= 0; d--) {
                uint c = r % pc.shape[d];
                r /= pc.shape[d];
                ia += int(c) * pc.sa[d];
            }
        }
        o[pc.o_off + i] = O_STORE(conv(A_LD(a[int(pc.a_off) + ia])));
    }
}
