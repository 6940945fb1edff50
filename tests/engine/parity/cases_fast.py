"""Fused primitives against numpy (computed in float64 from the definitions):
softmax, log_softmax, rms_norm, layer_norm, rope (MLX's fast.rope semantics),
scaled_dot_product_attention. Every case runs twice: the fused kernel (op NAME)
and the fallback made of basic ops (op NAME_fallback)."""
import numpy as np
from gen import bf16, bf16_to_f32

rng = np.random.default_rng(777)
FLOATS = ["float16", "bfloat16", "float32", "float64"]


def as_dtype(x, dt):
    if dt == "bfloat16":
        raw = bf16(x.astype(np.float32))
        return raw, bf16_to_f32(raw).astype(np.float64)
    a = x.astype(dt)
    return a, a.astype(np.float64)


def out_as(ref, dt):
    return bf16(ref.astype(np.float32)) if dt == "bfloat16" else ref.astype(dt)


def tol(dt):
    return {"float16": (4e-3, 4e-3), "bfloat16": (2e-2, 2e-2), "float32": (2e-5, 2e-6),
            "float64": (1e-12, 1e-13)}[dt]


def both(w, name, op, inputs, outputs, rtol, atol, **args):
    w.case(name, op, inputs, outputs, rtol, atol, **args)
    w.case(name + "_fb", op + "_fallback", inputs, outputs, rtol, atol, **args)


def softmax(x, axis):
    m = x.max(axis=axis, keepdims=True, initial=-np.inf)
    e = np.exp(x - m)
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x, axis):
    m = x.max(axis=axis, keepdims=True, initial=-np.inf)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def rms_norm(x, w, eps):
    r = x / np.sqrt((x * x).mean(-1, keepdims=True) + eps)
    return r * w if w is not None else r


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    r = (x - mu) / np.sqrt(((x - mu) ** 2).mean(-1, keepdims=True) + eps)
    if w is not None:
        r = r * w
    if b is not None:
        r = r + b
    return r


def rope(x, dims, traditional, base, scale, offset, freqs=None):
    L = x.shape[-2]
    half = dims // 2
    pos = (offset + np.arange(L, dtype=np.float64)) * scale
    inv = 1.0 / freqs.astype(np.float64) if freqs is not None else base ** (-np.arange(half, dtype=np.float64) * 2 / dims)
    th = pos[:, None] * inv[None, :]
    c, s = np.cos(th), np.sin(th)
    out = x.copy()
    if traditional:
        x1, x2 = x[..., 0:dims:2], x[..., 1:dims:2]
        out[..., 0:dims:2] = x1 * c - x2 * s
        out[..., 1:dims:2] = x1 * s + x2 * c
    else:
        x1, x2 = x[..., :half], x[..., half:dims]
        out[..., :half] = x1 * c - x2 * s
        out[..., half:dims] = x1 * s + x2 * c
    return out


def sdpa(q, k, v, scale, mask, causal):
    B, Hq, Lq, D = q.shape
    Hkv, Lk = k.shape[1], k.shape[2]
    G = Hq // Hkv
    k = np.repeat(k, G, axis=1)
    v = np.repeat(v, G, axis=1)
    s = q @ np.swapaxes(k, -1, -2) * scale
    if mask is not None:
        m = np.broadcast_to(mask, s.shape)
        s = np.where(m, s, -np.inf) if mask.dtype == bool else s + m
    if causal:
        keep = np.arange(Lk)[None, :] <= np.arange(Lq)[:, None] + (Lk - Lq)
        s = np.where(keep, s, -np.inf)
    return softmax(s, -1) @ v


def cases(w):
    # softmax / log_softmax: axes, dtypes, non-contiguous, integers, large values
    for fname, fn in [("softmax", softmax), ("log_softmax", log_softmax)]:
        for dt in FLOATS:
            for si, (shape, axis) in enumerate([((4, 7), -1), ((3, 5, 6), 1), ((2, 3, 4), 0), ((1000,), 0), ((2, 0), -1)]):
                a, a64 = as_dtype(rng.normal(0, 3, size=shape), dt)
                both(w, f"{fname}_{dt}_{si}", fname, [a], [out_as(fn(a64, axis), dt)], *tol(dt), axis=axis)
        x = rng.normal(0, 2, size=(6, 9)).astype(np.float32)
        both(w, f"{fname}_transposed", fname, [x], [fn(x.T.astype(np.float64), -1).astype(np.float32)], 2e-5, 2e-6,
             axis=-1, transpose=True)
        x = np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1002.0, -1001.0]], np.float32)
        both(w, f"{fname}_large", fname, [x], [fn(x.astype(np.float64), -1).astype(np.float32)], 2e-5, 2e-6, axis=-1)
        xi = rng.integers(-3, 4, size=(3, 4)).astype(np.int32)
        both(w, f"{fname}_int32", fname, [xi], [fn(xi.astype(np.float64), -1).astype(np.float32)], 2e-5, 2e-6, axis=-1)
        x = rng.normal(size=(300, 513)).astype(np.float32)
        both(w, f"{fname}_big", fname, [x], [fn(x.astype(np.float64), -1).astype(np.float32)], 2e-5, 2e-6, axis=-1)
    w.error("softmax_bad_axis", "softmax", [np.zeros((2, 3), np.float32)], axis=2)

    # rms_norm / layer_norm
    for dt in FLOATS:
        for si, shape in enumerate([(4, 16), (2, 3, 33), (1, 4096)]):
            a, a64 = as_dtype(rng.normal(0, 2, size=shape), dt)
            wt, w64 = as_dtype(rng.uniform(0.5, 1.5, size=shape[-1:]), dt)
            bs, b64 = as_dtype(rng.normal(0, 1, size=shape[-1:]), dt)
            rt, at = tol(dt)
            both(w, f"rms_norm_{dt}_{si}", "rms_norm", [a, wt], [out_as(rms_norm(a64, w64, 1e-5), dt)], rt, at, eps=1e-5)
            both(w, f"rms_norm_{dt}_{si}_noweight", "rms_norm", [a], [out_as(rms_norm(a64, None, 1e-6), dt)], rt, at, eps=1e-6)
            both(w, f"layer_norm_{dt}_{si}", "layer_norm", [a, wt, bs], [out_as(layer_norm(a64, w64, b64, 1e-5), dt)], rt, at,
                 eps=1e-5, weight=True, bias=True)
            both(w, f"layer_norm_{dt}_{si}_none", "layer_norm", [a], [out_as(layer_norm(a64, None, None, 1e-5), dt)], rt, at,
                 eps=1e-5, weight=False, bias=False)
            both(w, f"layer_norm_{dt}_{si}_weightonly", "layer_norm", [a, wt], [out_as(layer_norm(a64, w64, None, 1e-5), dt)],
                 rt, at, eps=1e-5, weight=True, bias=False)
            both(w, f"layer_norm_{dt}_{si}_biasonly", "layer_norm", [a, bs], [out_as(layer_norm(a64, None, b64, 1e-5), dt)],
                 rt, at, eps=1e-5, weight=False, bias=True)
    # mixed types: f16 x with f32 weight gives f32
    x = rng.normal(size=(3, 8)).astype(np.float16)
    wt = rng.uniform(0.5, 1.5, size=(8,)).astype(np.float32)
    both(w, "rms_norm_mixed", "rms_norm", [x, wt], [rms_norm(x.astype(np.float64), wt.astype(np.float64), 1e-5).astype(np.float32)],
         2e-5, 2e-6, eps=1e-5)
    x = rng.normal(size=(5, 8)).astype(np.float32)
    both(w, "rms_norm_transposed", "rms_norm", [x], [rms_norm(x.T.astype(np.float64), None, 1e-5).astype(np.float32)],
         2e-5, 2e-6, eps=1e-5, transpose=True)
    w.error("rms_norm_bad_weight", "rms_norm", [np.zeros((2, 3), np.float32), np.ones(4, np.float32)], eps=1e-5)

    # rope
    for dt in FLOATS:
        rt, at = tol(dt)
        if dt == "float32":
            rt, at = 1e-5, 1e-5
        for trad in (False, True):
            for si, (shape, dims, base, scale, offset) in enumerate([
                    ((2, 3, 5, 8), 8, 10000.0, 1.0, 0), ((1, 7, 16), 16, 10000.0, 1.0, 3),
                    ((2, 4, 12), 8, 500000.0, 0.5, 11), ((6, 64), 32, 10000.0, 1.0, 100)]):
                a, a64 = as_dtype(rng.normal(size=shape), dt)
                ref = rope(a64, dims, trad, base, scale, offset)
                both(w, f"rope_{dt}_{int(trad)}_{si}", "rope", [a], [out_as(ref, dt)], rt, at, dims=dims,
                     traditional=trad, base=base, scale=scale, offset=offset)
    freqs = (10000.0 ** (np.arange(0, 8, 2) / 8) * np.array([1, 2, 4, 8])).astype(np.float32)
    x = rng.normal(size=(2, 5, 8)).astype(np.float32)
    for trad in (False, True):
        both(w, f"rope_freqs_{int(trad)}", "rope", [x, freqs], [rope(x.astype(np.float64), 8, trad, None, 1.0, 2, freqs).astype(np.float32)],
             1e-5, 1e-5, dims=8, traditional=trad, base="none", scale=1.0, offset=2, freqs=True)
    x = rng.normal(size=(2, 6, 5, 8)).astype(np.float32)  # (B, L, H, D) viewed as (B, H, L, D)
    both(w, "rope_strided", "rope", [x], [rope(np.swapaxes(x, 1, 2).astype(np.float64), 8, False, 10000.0, 1.0, 0).astype(np.float32)],
         1e-5, 1e-5, dims=8, traditional=False, base=10000.0, scale=1.0, offset=0, swap12=True)
    w.error("rope_odd_dims", "rope", [np.zeros((2, 4, 8), np.float32)], dims=7, traditional=False, base=10000.0, scale=1.0, offset=0)

    # scaled dot-product attention
    for dt in ["float32", "float16", "bfloat16", "float64"]:
        rt, at = {"float32": (1e-4, 1e-5), "float16": (1e-2, 1e-2), "bfloat16": (5e-2, 5e-2), "float64": (1e-4, 1e-5)}[dt]
        for si, (B, Hq, Hkv, Lq, Lk, D, Dv, causal, mk) in enumerate([
                (1, 2, 2, 4, 4, 8, 8, False, None), (2, 4, 2, 5, 5, 16, 16, True, None),
                (1, 8, 2, 1, 9, 32, 32, False, None), (1, 4, 1, 3, 7, 8, 12, True, None),
                (2, 2, 2, 4, 6, 8, 8, False, "add"), (1, 4, 2, 5, 5, 8, 8, False, "bool"),
                (1, 2, 1, 3, 5, 16, 16, True, "add"), (1, 2, 2, 64, 64, 64, 64, True, None),
                (1, 14, 2, 1, 37, 64, 64, True, None), (1, 8, 2, 1, 23, 128, 128, False, None)]):
            q, q64 = as_dtype(rng.normal(size=(B, Hq, Lq, D)), dt)
            k, k64 = as_dtype(rng.normal(size=(B, Hkv, Lk, D)), dt)
            v, v64 = as_dtype(rng.normal(size=(B, Hkv, Lk, Dv)), dt)
            ins = [q, k, v]
            mask = None
            if mk == "add":
                mask = rng.normal(size=(Lq, Lk)).astype(np.float32)
                ins.append(mask)
            elif mk == "bool":
                mask = rng.uniform(size=(B, 1, Lq, Lk)) < 0.7
                mask[..., 0] = True
                ins.append(mask)
            scale = 1.0 / np.sqrt(D)
            ref = sdpa(q64, k64, v64, scale, mask, causal)
            both(w, f"sdpa_{dt}_{si}", "sdpa", ins, [out_as(ref, dt)], rt, at, scale=scale, causal=causal,
                 mask=mask is not None)
    # q, k, v as transposed views of (B, L, H, D)
    q = rng.normal(size=(2, 5, 4, 8)).astype(np.float32)
    k = rng.normal(size=(2, 7, 2, 8)).astype(np.float32)
    v = rng.normal(size=(2, 7, 2, 8)).astype(np.float32)
    ref = sdpa(*(np.swapaxes(t, 1, 2).astype(np.float64) for t in (q, k, v)), 0.3, None, True)
    both(w, "sdpa_strided", "sdpa", [q, k, v], [ref.astype(np.float32)], 1e-4, 1e-5, scale=0.3, causal=True,
         mask=False, swap12=True)
    w.error("sdpa_bad_heads", "sdpa", [np.zeros((1, 3, 2, 4), np.float32), np.zeros((1, 2, 2, 4), np.float32),
                                       np.zeros((1, 2, 2, 4), np.float32)], scale=1.0, causal=False, mask=False)
