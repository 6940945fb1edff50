#version 450
// conv2d / conv_transpose2d (channels last, float32), direct: one invocation
// per output element sums over the kernel window and its group's input
// channels. x (N,H,W,C), w (Cout,KH,KW,Cig), both dense.
layout(local_size_x = 64) in;
layout(constant_id = 0) const int TRANSPOSE = 0;
layout(set = 0, binding = 0) readonly buffer BX { float x[]; };
layout(set = 0, binding = 1) readonly buffer BW { float w[]; };
layout(set = 0, binding = 2) writeonly buffer BO { float o[]; };
layout(push_constant) uniform PC {
    uint total, H, W, C, OH, OW, Cout, KH, KW, Cig, Cog;
    int sh, sw, ph, pw, dh, dw;
    uint x_off, w_off, o_off;
} pc;

void main()
{
    uint step = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint e = gl_GlobalInvocationID.x; e < pc.total; e += step) {
        uint co = e % pc.Cout, r = e / pc.Cout;
        int ow = int(r % pc.OW);
        r /= pc.OW;
        int oh = int(r % pc.OH);
        uint n = r / pc.OH;
        uint gr = co / pc.Cog;
        float acc = 0.0;
        for (uint kh = 0; kh < pc.KH; kh++) {
            int ih;
            if (TRANSPOSE == 0) {
                ih = oh * pc.sh - pc.ph + int(kh) * pc.dh;
            } else {
                int t = oh + pc.ph - int(kh) * pc.dh;
                if (t < 0 || t % pc.sh != 0)
                    continue;
                ih = t / pc.sh;
            }
            if (ih < 0 || ih >= int(pc.H))
                continue;
            for (uint kw = 0; kw < pc.KW; kw++) {
                int iw;
                if (TRANSPOSE == 0) {
                    iw = ow * pc.sw - pc.pw + int(kw) * pc.dw;
                } else {
                    int t = ow + pc.pw - int(kw) * pc.dw;
                    if (t < 0 || t % pc.sw != 0)
                        continue;
                    iw = t / pc.sw;
                }
                if (iw < 0 || iw >= int(pc.W))
                    continue;
                uint xb = pc.x_off + ((n * pc.H + uint(ih)) * pc.W + uint(iw)) * pc.C + gr * pc.Cig;
                uint wb = pc.w_off + ((co * pc.KH + kh) * pc.KW + kw) * pc.Cig;
                for (uint c = 0; c < pc.Cig; c++)
                    acc += x[xb + c] * w[wb + c];
            }
        }
        o[pc.o_off + e] = acc;
    }
}
