#version 450
// random_bits: threefry-2x32 (20 rounds) in counter mode, in the CPU's word
// layout (engine/cpu/threefry.h): with h = n / 2, block i < h gives words i
// and h + odd + i; when n is odd, block (h, 0) gives word h.
layout(local_size_x = 256) in;
layout(set = 0, binding = 0) readonly buffer BK { uint key[]; };
layout(set = 0, binding = 1) writeonly buffer BO { uint o[]; };
layout(push_constant) uniform PC { uint h, odd, k_off, k_stride, o_off; } pc;

uint rotl(uint x, int r) { return (x << r) | (x >> (32 - r)); }

uvec2 threefry(uvec2 k, uint c0, uint c1)
{
    const int rot[8] = int[8](13, 15, 26, 6, 17, 29, 16, 24);
    uint ks[3] = uint[3](k.x, k.y, 0x1BD11BDAu ^ k.x ^ k.y);
    uint x0 = c0 + ks[0], x1 = c1 + ks[1];
    for (int blk = 0; blk < 5; blk++) {
        for (int j = 0; j < 4; j++) {
            x0 += x1;
            x1 = rotl(x1, rot[(blk & 1) * 4 + j]);
            x1 ^= x0;
        }
        x0 += ks[(blk + 1) % 3];
        x1 += ks[(blk + 2) % 3] + uint(blk) + 1u;
    }
    return uvec2(x0, x1);
}

void main()
{
    uvec2 k = uvec2(key[pc.k_off], key[pc.k_off + pc.k_stride]);
    uint step = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint i = gl_GlobalInvocationID.x; i < pc.h + pc.odd; i += step) {
        if (i < pc.h) {
            uvec2 r = threefry(k, i, pc.h + pc.odd + i);
            o[pc.o_off + i] = r.x;
            o[pc.o_off + pc.h + pc.odd + i] = r.y;
        } else {
            o[pc.o_off + pc.h] = threefry(k, pc.h, 0u).x;
        }
    }
}
