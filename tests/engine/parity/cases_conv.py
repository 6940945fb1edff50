"""Convolution (channels last, as MLX) against PyTorch (NCHW, transposed here):
conv1d, conv2d (stride, padding, dilation, groups), conv_transpose2d
(output_padding), in float32, float64 and the half types."""
import numpy as np
import torch
from gen import bf16, bf16_to_f32

rng = np.random.default_rng(777)
F = torch.nn.functional


def t(a):
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float64))


def conv2d_ref(x, w, stride, padding, dilation, groups):
    # x N,H,W,C; w Cout,KH,KW,Cin/g
    y = F.conv2d(t(x.transpose(0, 3, 1, 2)), t(w.transpose(0, 3, 1, 2)), stride=stride,
                 padding=padding, dilation=dilation, groups=groups)
    return y.numpy().transpose(0, 2, 3, 1)


def conv_t_ref(x, w, stride, padding, dilation, output_padding, groups):
    co, kh, kw, cig = w.shape
    wt = w.reshape(groups, co // groups, kh, kw, cig).transpose(0, 4, 1, 2, 3)
    wt = wt.reshape(groups * cig, co // groups, kh, kw)
    y = F.conv_transpose2d(t(x.transpose(0, 3, 1, 2)), t(wt), stride=stride, padding=padding,
                           output_padding=output_padding, groups=groups, dilation=dilation)
    return y.numpy().transpose(0, 2, 3, 1)


CONV2D = [
    # N, H, W, C, Cout, KH, KW, stride, padding, dilation, groups
    (1, 5, 5, 1, 1, 3, 3, (1, 1), (0, 0), (1, 1), 1),
    (2, 8, 7, 3, 4, 3, 3, (1, 1), (1, 1), (1, 1), 1),
    (2, 9, 9, 4, 6, 3, 2, (2, 1), (1, 0), (1, 1), 1),
    (1, 10, 11, 4, 4, 3, 3, (1, 2), (2, 2), (2, 1), 2),
    (3, 6, 6, 6, 6, 3, 3, (1, 1), (1, 1), (1, 1), 6),
    (2, 5, 5, 8, 16, 1, 1, (1, 1), (0, 0), (1, 1), 1),
    (2, 5, 5, 8, 4, 1, 1, (1, 1), (0, 0), (1, 1), 2),
    (1, 7, 7, 3, 5, 1, 1, (2, 2), (0, 0), (1, 1), 1),
    (2, 16, 16, 16, 32, 3, 3, (1, 1), (1, 1), (1, 1), 1),
    (1, 4, 4, 2, 3, 5, 5, (1, 1), (2, 2), (1, 1), 1),
]

CONVT = [
    # N, H, W, Cin, Cout, KH, KW, stride, padding, dilation, output_padding, groups
    (1, 3, 3, 1, 1, 3, 3, (1, 1), (0, 0), (1, 1), (0, 0), 1),
    (2, 4, 5, 3, 2, 3, 3, (2, 2), (1, 1), (1, 1), (1, 1), 1),
    (1, 5, 4, 4, 6, 2, 3, (2, 1), (0, 1), (1, 2), (1, 0), 2),
    (2, 3, 3, 6, 3, 4, 4, (2, 2), (1, 1), (1, 1), (0, 0), 3),
    (1, 6, 6, 8, 4, 1, 1, (1, 1), (0, 0), (1, 1), (0, 0), 1),
    (1, 4, 4, 2, 3, 3, 3, (3, 3), (2, 0), (2, 1), (2, 1), 1),
]


def cases(w):
    for i, (n, h, wd, c, co, kh, kw, s, p, d, g) in enumerate(CONV2D):
        x = rng.standard_normal((n, h, wd, c))
        wt = rng.standard_normal((co, kh, kw, c // g))
        ref = conv2d_ref(x, wt, s, p, d, g)
        for dt in ["float32", "float64"]:
            tol = 1e-4 if dt == "float32" else 1e-10
            w.case(f"conv2d_{i}_{dt}", "conv2d", [x.astype(dt), wt.astype(dt)], ref.astype(dt),
                   rtol=tol, atol=tol, stride=s, padding=p, dilation=d, groups=g)
    x = rng.standard_normal((2, 6, 6, 4)).astype(np.float32)
    wt = rng.standard_normal((3, 3, 3, 4)).astype(np.float32)
    ref = conv2d_ref(x, wt, (1, 1), (1, 1), (1, 1), 1).astype(np.float32)
    w.case("conv2d_transposed_input", "conv2d", [x.transpose(0, 2, 1, 3).copy(), wt],
           conv2d_ref(x, wt, (1, 1), (1, 1), (1, 1), 1).astype(np.float32), rtol=1e-4, atol=1e-4,
           stride=(1, 1), padding=(1, 1), dilation=(1, 1), groups=1, swap_hw=True)
    xh, wh = x.astype(np.float16), wt.astype(np.float16)
    ref = conv2d_ref(xh.astype(np.float64), wh.astype(np.float64), (1, 1), (1, 1), (1, 1), 1)
    w.case("conv2d_float16", "conv2d", [xh, wh], ref.astype(np.float16), rtol=1e-2, atol=1e-2,
           stride=(1, 1), padding=(1, 1), dilation=(1, 1), groups=1)
    xb, wb = bf16(x), bf16(wt)
    ref = conv2d_ref(bf16_to_f32(xb).astype(np.float64), bf16_to_f32(wb).astype(np.float64),
                     (1, 1), (1, 1), (1, 1), 1)
    w.case("conv2d_bfloat16", "conv2d", [xb, wb], bf16(ref.astype(np.float32)), rtol=2e-2,
           atol=5e-2, stride=(1, 1), padding=(1, 1), dilation=(1, 1), groups=1)

    for i, (n, l, c, co, k, s, p, d, g) in enumerate([
            (2, 10, 3, 4, 3, 1, 0, 1, 1), (1, 12, 4, 6, 3, 2, 1, 2, 2), (3, 7, 5, 5, 1, 1, 0, 1, 5),
            (2, 9, 2, 3, 4, 3, 2, 1, 1)]):
        x = rng.standard_normal((n, l, c)).astype(np.float32)
        wt = rng.standard_normal((co, k, c // g)).astype(np.float32)
        ref = F.conv1d(t(x.transpose(0, 2, 1)), t(wt.transpose(0, 2, 1)), stride=s, padding=p,
                       dilation=d, groups=g).numpy().transpose(0, 2, 1)
        w.case(f"conv1d_{i}", "conv1d", [x, wt], ref.astype(np.float32), rtol=1e-4, atol=1e-4,
               stride=s, padding=p, dilation=d, groups=g)

    for i, (n, h, wd, c, co, kh, kw, s, p, d, op, g) in enumerate(CONVT):
        x = rng.standard_normal((n, h, wd, c))
        wt = rng.standard_normal((co, kh, kw, c // g))
        ref = conv_t_ref(x, wt, s, p, d, op, g)
        for dt in ["float32", "float64"]:
            tol = 1e-4 if dt == "float32" else 1e-10
            w.case(f"conv_t2d_{i}_{dt}", "conv_transpose2d", [x.astype(dt), wt.astype(dt)],
                   ref.astype(dt), rtol=tol, atol=tol, stride=s, padding=p, dilation=d,
                   output_padding=op, groups=g)

    w.error("conv2d_bad_channels", "conv2d", [rng.standard_normal((1, 5, 5, 3)).astype(np.float32),
            rng.standard_normal((2, 3, 3, 2)).astype(np.float32)], stride=(1, 1), padding=(0, 0),
            dilation=(1, 1), groups=1)
    w.error("conv2d_too_small", "conv2d", [rng.standard_normal((1, 2, 2, 1)).astype(np.float32),
            rng.standard_normal((1, 3, 3, 1)).astype(np.float32)], stride=(1, 1), padding=(0, 0),
            dilation=(1, 1), groups=1)
    w.error("conv2d_bad_groups", "conv2d", [rng.standard_normal((1, 5, 5, 4)).astype(np.float32),
            rng.standard_normal((3, 3, 3, 2)).astype(np.float32)], stride=(1, 1), padding=(0, 0),
            dilation=(1, 1), groups=2)
    w.error("conv1d_bad_ndim", "conv1d", [rng.standard_normal((5, 4)).astype(np.float32),
            rng.standard_normal((2, 3, 4)).astype(np.float32)], stride=1, padding=0, dilation=1,
            groups=1)
