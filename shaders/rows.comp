#version 450
// softmax, log_softmax, rms_norm and layer_norm over the last axis: one
// workgroup per row (looping over rows), float accumulation, shared-memory
// reductions. x strided (outer dims merged, at most 6), the output dense.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

#define R_SOFTMAX 1
#define R_LOGSOFTMAX 2
#define R_RMS 3
#define R_LN 4

layout(local_size_x = 256) in;
layout(constant_id = 0) const int OP = 1;
layout(constant_id = 1) const int ND = 1;

layout(set = 0, binding = 0) readonly buffer BX { A_ST x[]; };
layout(set = 0, binding = 1) readonly buffer BW { A_ST w[]; };
layout(set = 0, binding = 2) readonly buffer BB { A_ST b[]; };
layout(set = 0, binding = 3) writeonly buffer BO { A_ST o[]; };
layout(push_constant) uniform PC {
    uint rows, n, x_off, w_off, b_off, o_off;
    int xs, ws, bs;
    uint has_w, has_b;
    float eps;
    uint shape[6];
    int str[6];
} pc;

shared float red[256];

float reduce_sum(float v)
{
    uint lid = gl_LocalInvocationID.x;
    red[lid] = v;
    barrier();
    for (uint s = 128; s > 0; s >>= 1) {
        if (lid < s)
            red[lid] += red[lid + s];
        barrier();
    }
    float r = red[0];
    barrier();
    return r;
}

float reduce_max(float v)
{
    uint lid = gl_LocalInvocationID.x;
    red[lid] = v;
    barrier();
    for (uint s = 128; s > 0; s >>= 1) {
        if (lid < s)
            red[lid] = max(red[lid], red[lid + s]);
        barrier();
    }
    float r = red[0];
    barrier();
    return r;
}

void main()
{
    uint lid = gl_LocalInvocationID.x;
    for (uint row = gl_WorkGroupID.x; row < pc.rows; row += gl_NumWorkGroups.x) {
        int base = int(pc.x_off);
        uint rr = row;
        for (int d = ND - 1; d >= 0; d--) {
            base += int(rr % pc.shape[d]) * pc.str[d];
            rr /= pc.shape[d];
        }
        uint ob = pc.o_off + row * pc.n;
        if (OP == R_SOFTMAX || OP == R_LOGSOFTMAX) {
            float m = -1.0 / 0.0;
            for (uint i = lid; i < pc.n; i += 256)
                m = max(m, A_LD(x[base + int(i) * pc.xs]));
            m = reduce_max(m);
            float s = 0.0;
            for (uint i = lid; i < pc.n; i += 256)
                s += exp(A_LD(x[base + int(i) * pc.xs]) - m);
            s = reduce_sum(s);
            if (OP == R_SOFTMAX) {
                float inv = 1.0 / s;
                for (uint i = lid; i < pc.n; i += 256)
                    o[ob + i] = A_STORE(exp(A_LD(x[base + int(i) * pc.xs]) - m) * inv);
            } else {
                float ls = log(s);
                for (uint i = lid; i < pc.n; i += 256)
                    o[ob + i] = A_STORE(A_LD(x[base + int(i) * pc.xs]) - m - ls);
            }
        } else {
            float mu = 0.0;
            if (OP == R_LN) {
                float s = 0.0;
                for (uint i = lid; i < pc.n; i += 256)
                    s += A_LD(x[base + int(i) * pc.xs]);
                mu = reduce_sum(s) / float(pc.n);
            }
            float v = 0.0;
            for (uint i = lid; i < pc.n; i += 256) {
                float d = A_LD(x[base + int(i) * pc.xs]) - mu;
                v += d * d;
            }
            float k = 1.0 / sqrt(reduce_sum(v) / float(pc.n) + pc.eps);
            for (uint i = lid; i < pc.n; i += 256) {
                float y = (A_LD(x[base + int(i) * pc.xs]) - mu) * k;
                if (pc.has_w != 0u)
                    y *= A_LD(w[int(pc.w_off) + int(i) * pc.ws]);
                if (pc.has_b != 0u)
                    y += A_LD(b[int(pc.b_off) + int(i) * pc.bs]);
                o[ob + i] = A_STORE(y);
            }
        }
    }
}
