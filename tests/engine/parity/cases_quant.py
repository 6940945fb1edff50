"""MLX's affine quantization against numpy: quantize (MLX's formula in float32:
the edge of larger magnitude is exact, zero stays zero), dequantize and
quantized_matmul (transpose true/false, decode and prefill shapes, bits 2/4/8,
group sizes 32/64/128). dequantize and quantized_matmul also run as their
fallbacks of basic ops (op NAME_fallback)."""
import numpy as np
from gen import bf16, bf16_to_f32

rng = np.random.default_rng(4242)


def quantize_ref(w, gs, bits):
    """w float array (..., K) -> (wq uint32, scales f32, biases f32) as MLX."""
    w32 = np.asarray(w, dtype=np.float32)
    shp = w32.shape
    g = w32.reshape(-1, shp[-1] // gs, gs)
    n_bins = np.float32((1 << bits) - 1)
    mx = g.max(-1, keepdims=True)
    mn = g.min(-1, keepdims=True)
    mask = np.abs(mn) > np.abs(mx)
    scales = np.maximum((mx - mn) / n_bins, np.float32(1e-7)).astype(np.float32)
    scales = np.where(mask, scales, -scales).astype(np.float32)
    edge = np.where(mask, mn, mx).astype(np.float32)
    q0 = np.round(edge / scales).astype(np.float32)
    nz = q0 != 0
    scales = np.where(nz, edge / np.where(nz, q0, 1), scales).astype(np.float32)
    biases = np.where(nz, edge, np.float32(0)).astype(np.float32)
    q = np.clip(np.round((g - biases) / scales), 0, n_bins).astype(np.uint32)
    per = 32 // bits
    q = q.reshape(-1, shp[-1] // per, per)
    packed = np.zeros(q.shape[:2], np.uint32)
    for i in range(per):
        packed |= q[..., i] << np.uint32(i * bits)
    return (packed.reshape(shp[:-1] + (shp[-1] * bits // 32,)),
            scales.reshape(shp[:-1] + (shp[-1] // gs,)), biases.reshape(shp[:-1] + (shp[-1] // gs,)))


def unpack(wq, bits):
    per = 32 // bits
    parts = [(wq >> np.uint32(i * bits)) & np.uint32((1 << bits) - 1) for i in range(per)]
    return np.stack(parts, -1).reshape(wq.shape[:-1] + (wq.shape[-1] * per,))


def dequant_ref(wq, s, b, gs, bits):
    q = unpack(wq, bits).astype(np.float64)
    K = q.shape[-1]
    qg = q.reshape(q.shape[:-1] + (K // gs, gs))
    return (qg * s.astype(np.float64)[..., None] + b.astype(np.float64)[..., None]).reshape(q.shape)


def as_dtype(x, dt):
    if dt == "bfloat16":
        raw = bf16(np.asarray(x, np.float32))
        return raw, bf16_to_f32(raw)
    a = np.asarray(x).astype(dt)
    return a, a.astype(np.float32)


def cases(w):
    # quantize: every group size and width, three float types, edge cases
    for dt in ["float32", "float16", "bfloat16"]:
        for gs in (32, 64, 128):
            for bits in (2, 4, 8):
                x, x32 = as_dtype(rng.normal(0, 0.5, size=(8, 256)), dt)
                wq, s, b = quantize_ref(x32, gs, bits)
                so, bo = (bf16(s), bf16(b)) if dt == "bfloat16" else (s.astype(dt), b.astype(dt))
                w.case(f"quantize_{dt}_g{gs}_b{bits}", "quantize", [x], [wq, so, bo], 1e-7, 0, gs=gs, bits=bits)
    x = rng.normal(size=(4, 128)).astype(np.float32)
    x[0, :32] = 0.25          # constant group
    x[1, :32] = 0.0           # zero group
    x[2, :64] = np.abs(x[2, :64])  # one-signed groups
    x[3, :32] = -np.abs(x[3, :32])
    for bits in (4, 8):
        w.case(f"quantize_edges_b{bits}", "quantize", [x], list(quantize_ref(x, 32, bits)), 1e-7, 0, gs=32, bits=bits)
    x = rng.normal(size=(2, 3, 64)).astype(np.float32)
    w.case("quantize_batched", "quantize", [x], list(quantize_ref(x, 32, 4)), 1e-7, 0, gs=32, bits=4)
    w.error("quantize_bad_group", "quantize", [np.zeros((2, 48), np.float32)], gs=32, bits=4)
    w.error("quantize_bad_bits", "quantize", [np.zeros((2, 64), np.float32)], gs=32, bits=3)
    w.error("quantize_int", "quantize", [np.zeros((2, 64), np.int32)], gs=32, bits=4)

    # dequantize: random packed values, scales and biases
    for dt in ["float32", "float16", "bfloat16"]:
        for gs, bits in [(32, 4), (64, 8), (128, 2), (64, 4)]:
            N, K = 6, 256
            wq = rng.integers(0, 2**32, size=(N, K * bits // 32), dtype=np.uint64).astype(np.uint32)
            s, s32 = as_dtype(rng.uniform(0.01, 0.1, size=(N, K // gs)), dt)
            b, b32 = as_dtype(rng.uniform(-1, 1, size=(N, K // gs)), dt)
            ref = dequant_ref(wq, s32, b32, gs, bits)
            out = bf16(ref.astype(np.float32)) if dt == "bfloat16" else ref.astype(dt)
            tol = {"float32": 1e-6, "float16": 1e-3, "bfloat16": 8e-3}[dt]
            for op in ("dequantize", "dequantize_fallback"):
                w.case(f"{op}_{dt}_g{gs}_b{bits}", op, [wq, s, b], [out], tol, tol, gs=gs, bits=bits)
    w.error("dequantize_mismatch", "dequantize", [np.zeros((2, 8), np.uint32), np.ones((2, 3), np.float32),
                                                  np.ones((2, 3), np.float32)], gs=32, bits=4)

    # quantized_matmul
    for dt in ["float32", "float16", "bfloat16"]:
        for gs, bits in [(64, 4), (32, 4), (128, 4), (64, 8), (32, 2), (128, 8)]:
            for xshape in [(1,), (3,), (24,), (2, 3)]:
                for tr in (True, False):
                    if not tr and xshape not in [(1,), (24,)]:
                        continue
                    if dt != "float32" and (gs, bits) not in [(64, 4), (64, 8)]:
                        continue
                    N, K = 128, 256
                    wshape = (N, K) if tr else (K, N)
                    wf, wf32 = as_dtype(rng.normal(0, 0.2, size=wshape), dt)
                    wq, s, b = quantize_ref(wf32, gs, bits)
                    s, s32 = as_dtype(s, dt)
                    b, b32 = as_dtype(b, dt)
                    deq = dequant_ref(wq, s32, b32, gs, bits)
                    x, x32 = as_dtype(rng.normal(size=xshape + (K,)), dt)
                    ref = x32.astype(np.float64) @ (deq.T if tr else deq)
                    out = bf16(ref.astype(np.float32)) if dt == "bfloat16" else ref.astype(dt)
                    rt, at = {"float32": (1e-4, 1e-4), "float16": (5e-3, 5e-3), "bfloat16": (3e-2, 3e-2)}[dt]
                    name = f"{dt}_g{gs}_b{bits}_m{'x'.join(map(str, xshape))}_t{int(tr)}"
                    for op in ("quantized_matmul", "quantized_matmul_fallback"):
                        w.case(f"{op}_{name}", op, [x, wq, s, b], [out], rt, at, gs=gs, bits=bits, transpose=tr)
    # a large decode shape exercises the threaded SIMD row path
    N, K = 512, 2048
    wf = rng.normal(0, 0.05, size=(N, K)).astype(np.float32)
    wq, s, b = quantize_ref(wf, 64, 4)
    x = rng.normal(size=(1, K)).astype(np.float32)
    ref = x.astype(np.float64) @ dequant_ref(wq, s, b, 64, 4).T
    w.case("quantized_matmul_decode_large", "quantized_matmul", [x, wq, s, b], [ref.astype(np.float32)], 1e-4, 1e-4,
           gs=64, bits=4, transpose=True)
    # strided x: a transposed view
    xt = rng.normal(size=(256, 2)).astype(np.float32)
    wq, s, b = quantize_ref(rng.normal(0, 0.2, size=(32, 256)).astype(np.float32), 64, 4)
    ref = xt.T.astype(np.float64) @ dequant_ref(wq, s, b, 64, 4).T
    w.case("quantized_matmul_strided_x", "quantized_matmul", [xt, wq, s, b], [ref.astype(np.float32)], 1e-4, 1e-4,
           gs=64, bits=4, transpose=True, transpose_x=True)
    w.error("quantized_matmul_bad_k", "quantized_matmul", [np.zeros((1, 128), np.float32), wq, s, b], gs=64, bits=4,
            transpose=True)
