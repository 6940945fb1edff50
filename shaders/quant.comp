#version 450
// MLX affine quantization, as engine/cpu/quantize.c. OP (a specialization
// constant): 0 quantize (one invocation per group: scale, bias, packed
// words), 1 dequantize (one invocation per value), 2 quantized matmul, one
// invocation per output (any M, transposed or not). Packed words hold values
// from the low bits up; w = scale * q + bias per group of GS along a row.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;
layout(constant_id = 0) const int OP = 0;
layout(set = 0, binding = 0) buffer BW { A_ST w[]; };       // quantize: in; dequantize: out; matmul: x
layout(set = 0, binding = 1) buffer BQ { uint qw[]; };
layout(set = 0, binding = 2) buffer BS { A_ST sc[]; };
layout(set = 0, binding = 3) buffer BB { A_ST bi[]; };
layout(set = 0, binding = 4) writeonly buffer BO { A_ST o[]; };  // matmul's output
layout(push_constant) uniform PC {
    uint n, K, gs, bits, w_off, q_off, s_off, b_off, o_off;
    uint M, N, tr;
} pc;

// a / b correctly rounded. GLSL lets "/" be approximate (NVIDIA computes
// a * rcp(b), off by an ulp or two), and quantization rounds quotients that
// are often exact ties (bf16 and f16 weights), so one ulp flips q. The exact
// residual a - y * b (Dekker's product; fma may not be fused in Vulkan, and
// "precise" keeps the compiler from contracting) corrects y to the rounded
// quotient, as the CPU's division gives it.
float pdiv(float a, float b)
{
    precise float y = a / b;
    precise float cy = 4097.0 * y, yh = cy - (cy - y), yl = y - yh;
    precise float cb = 4097.0 * b, bh = cb - (cb - b), bl = b - bh;
    precise float p = y * b;
    precise float e = ((yh * bh - p) + yh * bl + yl * bh) + yl * bl;
    precise float r = (a - p) - e;
    precise float q = y + r / b;
    return q;
}

void main()
{
    uint per = 32u / pc.bits, mask = (1u << pc.bits) - 1u;
    uint ng = pc.K / pc.gs, wpr = pc.K / per;
    uint step = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint e = gl_GlobalInvocationID.x; e < pc.n; e += step) {
        if (OP == 0) {
            uint r = e / ng, g = e % ng;
            uint base = pc.w_off + r * pc.K + g * pc.gs;
            float mx = -1.0 / 0.0, mn = 1.0 / 0.0;
            for (uint i = 0; i < pc.gs; i++) {
                float v = A_LD(w[base + i]);
                mx = max(mx, v);
                mn = min(mn, v);
            }
            float n_bins = float(mask);
            bool lo_edge = abs(mn) > abs(mx);
            float scale = max(pdiv(mx - mn, n_bins), 1e-7);
            scale = lo_edge ? scale : -scale;
            float edge = lo_edge ? mn : mx;
            float q0 = roundEven(pdiv(edge, scale));
            float bias = 0.0;
            if (q0 != 0.0) {
                scale = pdiv(edge, q0);
                bias = edge;
            }
            sc[pc.s_off + e] = A_STORE(scale);
            bi[pc.b_off + e] = A_STORE(bias);
            uint wbase = pc.q_off + r * wpr + g * pc.gs / per;
            for (uint wi = 0; wi < pc.gs / per; wi++) {
                uint word = 0u;
                for (uint j = 0; j < per; j++) {
                    float q = roundEven(pdiv(A_LD(w[base + wi * per + j]) - bias, scale));
                    q = clamp(q, 0.0, n_bins);
                    word |= uint(q) << (pc.bits * j);
                }
                qw[wbase + wi] = word;
            }
        } else if (OP == 1) {
            uint r = e / pc.K, k = e % pc.K;
            uint g = r * ng + k / pc.gs;
            float q = float((qw[pc.q_off + r * wpr + k / per] >> (pc.bits * (k % per))) & mask);
            // precise: a contracted fma rounds once where the CPU rounds twice
            precise float v = A_LD(sc[pc.s_off + g]) * q + A_LD(bi[pc.b_off + g]);
            w[pc.w_off + e] = A_STORE(v);
        } else {
            uint m = e / pc.N, nn = e % pc.N;
            uint xb = pc.w_off + m * pc.K;
            float acc = 0.0;
            if (pc.tr != 0u) {
                // w is (N, K / per): row nn
                for (uint g = 0; g < ng; g++) {
                    float d = 0.0, xs = 0.0;
                    for (uint i = 0; i < pc.gs; i++) {
                        uint k = g * pc.gs + i;
                        float xv = A_LD(w[xb + k]);
                        d += float((qw[pc.q_off + nn * wpr + k / per] >> (pc.bits * (k % per))) & mask) * xv;
                        xs += xv;
                    }
                    acc += A_LD(sc[pc.s_off + nn * ng + g]) * d + A_LD(bi[pc.b_off + nn * ng + g]) * xs;
                }
            } else {
                // w is (K, N / per), scales (K, N / gs)
                uint wpr2 = pc.N / per, ng2 = pc.N / pc.gs;
                for (uint k = 0; k < pc.K; k++) {
                    float q = float((qw[pc.q_off + k * wpr2 + nn / per] >> (pc.bits * (nn % per))) & mask);
                    uint g = k * ng2 + nn / pc.gs;
                    acc += A_LD(w[xb + k]) * (A_LD(sc[pc.s_off + g]) * q + A_LD(bi[pc.b_off + g]));
                }
            }
            o[pc.o_off + e] = A_STORE(acc);
        }
    }
}
