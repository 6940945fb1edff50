#version 450
// Fills a buffer of 32-bit words with one value: the smallest kernel, and the
// one the backend's own self-test dispatches.
layout(local_size_x = 256) in;
layout(std430, binding = 0) writeonly buffer Out { uint data[]; } dst;
layout(push_constant) uniform Params { uint n; uint value; } p;
void main()
{
    uint i = gl_GlobalInvocationID.x;
    if (i < p.n)
        dst.data[i] = p.value;
}
