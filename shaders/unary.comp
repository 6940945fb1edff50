#version 450
// out[i] = op(a[i]) over a strided input; the output is contiguous.
// Built per dtype (DT_A = DT_O), and with -DPRED for the predicates (bool out).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "mathf.glsl"
#include "ops.glsl.h"

layout(local_size_x = 256) in;
layout(constant_id = 0) const int OP = 0;
layout(constant_id = 1) const int ND = 1;

layout(set = 0, binding = 0) readonly buffer BA { A_ST a[]; };
layout(set = 0, binding = 1) writeonly buffer BO { O_ST o[]; };
layout(push_constant) uniform PC {
    uint n, a_off, o_off;
    float f0;
    uint shape[MAXD];
    int sa[MAXD];
} pc;

#if defined(PRED)
uint op(A_CT x)
{
#if A_FLOAT
    switch (OP) {
    case UOP_ISNAN: return uint(isnan(x));
    case UOP_ISINF: return uint(isinf(x));
    case UOP_ISFINITE: return uint(!isnan(x) && !isinf(x));
    case UOP_ISPOSINF: return uint(isinf(x) && x > 0.0);
    case UOP_ISNEGINF: return uint(isinf(x) && x < 0.0);
    default: return uint(x == 0.0); // logical_not
    }
#else
    switch (OP) {
    case UOP_ISFINITE: return 1u;
    case UOP_LNOT: return uint(x == A_CT(0));
    default: return 0u;
    }
#endif
}
#elif A_FLOAT
float op(float x)
{
    switch (OP) {
    case UOP_ABS: return abs(x);
    case UOP_NEG: return -x;
    case UOP_SIGN: return isnan(x) ? x : sign(x);
    case UOP_SQUARE: return x * x;
    case UOP_SQRT: return sqrt(x);
    case UOP_RSQRT: return 1.0 / sqrt(x);
    case UOP_RECIP: return 1.0 / x;
    case UOP_EXP: return exp(x);
    case UOP_EXPM1: return expm1_f(x);
    case UOP_LOG: return log(x);
    case UOP_LOG1P: return log1p_f(x);
    case UOP_LOG2: return log2(x);
    case UOP_LOG10: return log2(x) * 0.30102999566398120;
    case UOP_SIN: return sin(x);
    case UOP_COS: return cos(x);
    case UOP_TAN: return tan(x);
    case UOP_ASIN: return atan(x, sqrt((1.0 - x) * (1.0 + x)));
    case UOP_ACOS: return atan(sqrt((1.0 - x) * (1.0 + x)), x);
    case UOP_ATAN: return atan(x);
    case UOP_SINH: return sinh(x);
    case UOP_COSH: return cosh(x);
    case UOP_TANH: return tanh_f(x);
    case UOP_ASINH: return asinh(x);
    case UOP_ACOSH: return acosh(x);
    case UOP_ATANH: return atanh(x);
    case UOP_SIGMOID: return sigmoid_f(x);
    case UOP_ERF: return erf_f(x);
    case UOP_ERFINV: return erfinv_f(x);
    case UOP_FLOOR: return floor(x);
    case UOP_CEIL: return ceil(x);
    case UOP_ROUND: return pc.f0 == 1.0 ? roundEven(x) : roundEven(x * pc.f0) / pc.f0;
    default: return x;
    }
}
#elif DT_A == DT_BOOL
uint op(uint x) { return OP == UOP_INVERT ? uint(x == 0u) : x; }
#else
A_CT op(A_CT x)
{
    const A_CT zero = A_CT(0), one = A_CT(1);
    switch (OP) {
#if A_SIGNED
    case UOP_ABS: return x < zero ? -x : x;
    case UOP_SIGN: return (x > zero ? one : zero) - (x < zero ? one : zero);
#else
    case UOP_ABS: return x;
    case UOP_SIGN: return x > zero ? one : zero;
#endif
    case UOP_NEG: return zero - x;
    case UOP_SQUARE: return x * x;
    case UOP_INVERT: return ~x;
    default: return x;
    }
}
#endif

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
        o[pc.o_off + i] = O_STORE(op(A_LD(a[int(pc.a_off) + ia])));
    }
}
