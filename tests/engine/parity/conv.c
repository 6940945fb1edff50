/* Runners of the convolution parity cases (cases_conv.py). */
#include "parity.h"

static void pair(const parity_args *a, const char *key, int *v, int def)
{
    if (parity_ints(a, key, v, 2) != 2)
        v[0] = v[1] = def;
}

static int run_conv2d(em_array **in, int n, const parity_args *a, em_array **out)
{
    int s[2], p[2], d[2];
    pair(a, "stride", s, 1);
    pair(a, "padding", p, 0);
    pair(a, "dilation", d, 1);
    em_array *x = in[0];
    if (parity_bool(a, "swap_hw", false)) {
        int perm[4] = {0, 2, 1, 3};
        x = em_transpose(x, perm);
    }
    out[0] = em_conv2d(x, in[1], s, p, d, (int)parity_int(a, "groups", 1));
    return out[0] ? 0 : -1;
}

static int run_conv1d(em_array **in, int n, const parity_args *a, em_array **out)
{
    out[0] = em_conv1d(in[0], in[1], (int)parity_int(a, "stride", 1),
                       (int)parity_int(a, "padding", 0), (int)parity_int(a, "dilation", 1),
                       (int)parity_int(a, "groups", 1));
    return out[0] ? 0 : -1;
}

static int run_conv_transpose2d(em_array **in, int n, const parity_args *a, em_array **out)
{
    int s[2], p[2], d[2], o[2];
    pair(a, "stride", s, 1);
    pair(a, "padding", p, 0);
    pair(a, "dilation", d, 1);
    pair(a, "output_padding", o, 0);
    out[0] = em_conv_transpose2d(in[0], in[1], s, p, d, o, (int)parity_int(a, "groups", 1));
    return out[0] ? 0 : -1;
}

const parity_op parity_ops_conv[] = {
    {"conv2d", run_conv2d},
    {"conv1d", run_conv1d},
    {"conv_transpose2d", run_conv_transpose2d},
    {NULL, NULL},
};
