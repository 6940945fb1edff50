"""Unary, binary and ternary elementwise ops against numpy: every dtype an op
accepts, broadcasting, non-contiguous inputs, scalars and empty arrays."""
import numpy as np
from gen import bf16, bf16_to_f32

rng = np.random.default_rng(1234)
FLOATS = ["float16", "bfloat16", "float32", "float64"]
INTS = ["uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64"]

# name: (numpy function, domain (lo, hi), rtol for f32)
UNARY_FLOAT = {
    "sqrt": (np.sqrt, (0.01, 10), 1e-6), "rsqrt": (lambda x: 1 / np.sqrt(x), (0.01, 10), 1e-6),
    "reciprocal": (np.reciprocal, (0.1, 10), 1e-6), "exp": (np.exp, (-10, 10), 1e-6),
    "expm1": (np.expm1, (-5, 5), 1e-6), "log": (np.log, (0.01, 10), 1e-6),
    "log1p": (np.log1p, (-0.9, 10), 1e-6), "log2": (np.log2, (0.01, 10), 1e-6),
    "log10": (np.log10, (0.01, 10), 1e-6), "sin": (np.sin, (-6, 6), 1e-5),
    "cos": (np.cos, (-6, 6), 1e-5), "tan": (np.tan, (-1.4, 1.4), 1e-5),
    "arcsin": (np.arcsin, (-0.99, 0.99), 1e-6), "arccos": (np.arccos, (-0.99, 0.99), 1e-6),
    "arctan": (np.arctan, (-10, 10), 1e-6), "sinh": (np.sinh, (-5, 5), 1e-6),
    "cosh": (np.cosh, (-5, 5), 1e-6), "tanh": (np.tanh, (-5, 5), 1e-6),
    "arcsinh": (np.arcsinh, (-10, 10), 1e-6), "arccosh": (np.arccosh, (1.01, 10), 1e-6),
    "arctanh": (np.arctanh, (-0.99, 0.99), 1e-6), "sigmoid": (lambda x: 1 / (1 + np.exp(-x)), (-10, 10), 1e-6),
    "erf": (None, (-3, 3), 1e-6), "erfinv": (None, (-0.99, 0.99), 1e-5),
}


def erf_ref(x):
    import math
    return np.vectorize(math.erf, otypes=[np.float64])(x.astype(np.float64))


def erfinv_ref(y):
    # bisection on math.erf: an independent inverse
    import math
    y = y.astype(np.float64)
    lo = np.full_like(y, -6.0); hi = np.full_like(y, 6.0)
    f = np.vectorize(math.erf, otypes=[np.float64])
    for _ in range(200):
        mid = (lo + hi) / 2
        m = f(mid) < y
        lo = np.where(m, mid, lo); hi = np.where(m, hi, mid)
    return (lo + hi) / 2


def as_dtype(x, dt):
    """Input array of dtype dt (bfloat16 as raw V2) and its float64 value."""
    if dt == "bfloat16":
        raw = bf16(x.astype(np.float32))
        return raw, bf16_to_f32(raw).astype(np.float64)
    a = x.astype(dt)
    return a, a.astype(np.float64)


def out_as(ref64, dt):
    if dt == "bfloat16":
        return bf16(ref64.astype(np.float32))
    return ref64.astype(dt)


def tol(dt, r32):
    return {"float16": (2e-3, 2e-3), "bfloat16": (1.6e-2, 1.6e-2), "float32": (r32, 1e-6), "float64": (1e-12, 1e-12)}[dt]


def cases(w):
    shapes = [(3, 4), (), (0, 3), (2, 3, 5)]
    for name, (fn, (lo, hi), r32) in UNARY_FLOAT.items():
        for dt in FLOATS:
            for si, shape in enumerate(shapes):
                x = rng.uniform(lo, hi, size=shape)
                a, a64 = as_dtype(x, dt)
                if name == "erf":
                    ref = erf_ref(a64)
                elif name == "erfinv":
                    ref = erfinv_ref(a64)
                else:
                    ref = fn(a64)
                rt, at = tol(dt, r32)
                w.case(f"{name}_{dt}_{si}", name, [a], [out_as(ref, dt)], rt, at)
        # integers are computed in float32
        x = rng.integers(1, 5, size=(4,)).astype(np.int32)
        ref = (erf_ref(x) if name == "erf" else fn(x.astype(np.float64))) if name != "erfinv" else None
        if ref is not None and np.all(np.isfinite(ref)) and lo <= 1 and hi >= 4:
            w.case(f"{name}_int32", name, [x], [ref.astype(np.float32)], 1e-5, 1e-6)
    # non-contiguous input: a transposed view
    x = rng.uniform(-2, 2, size=(5, 7)).astype(np.float32)
    w.case("exp_transposed", "exp", [x], [np.exp(x.T.astype(np.float64)).astype(np.float32)], 1e-6, 1e-6, transpose=True)

    # ops on every type
    for dt in INTS + FLOATS + ["bool"]:
        if dt == "bool":
            x = rng.integers(0, 2, size=(3, 5)).astype(bool)
            x64 = x.astype(np.float64); a = x
        elif dt in INTS:
            info = np.iinfo(dt)
            x = rng.integers(max(info.min, -100), min(info.max, 100), size=(3, 5))
            a = x.astype(dt); x64 = a.astype(np.float64)
        else:
            a, x64 = as_dtype(rng.uniform(-5, 5, size=(3, 5)), dt)
        def same(v):
            return out_as(v, dt) if dt in FLOATS else (v.astype(dt) if dt != "bool" else v.astype(bool))
        if dt != "bool":
            w.case(f"abs_{dt}", "abs", [a], [same(np.abs(a).astype(np.float64) if dt in INTS else np.abs(x64))])
            w.case(f"negative_{dt}", "negative", [a], [same(-x64) if dt in FLOATS else np.negative(a)])
            w.case(f"sign_{dt}", "sign", [a], [same(np.sign(x64))])
            w.case(f"square_{dt}", "square", [a], [np.square(a) if dt in INTS else same(x64 * x64)], *tol(dt, 1e-6) if dt in FLOATS else (0, 0))
            w.case(f"floor_{dt}", "floor", [a], [same(np.floor(x64))])
            w.case(f"ceil_{dt}", "ceil", [a], [same(np.ceil(x64))])
            w.case(f"round_{dt}", "round", [a], [same(np.round(x64))], decimals=0)
        for pname, pfn in [("isnan", np.isnan), ("isinf", np.isinf), ("isfinite", np.isfinite), ("logical_not", np.logical_not)]:
            w.case(f"{pname}_{dt}", pname, [a], [pfn(x64)])
        if dt in INTS or dt == "bool":
            w.case(f"bitwise_invert_{dt}", "bitwise_invert", [a], [np.invert(a)])
    w.error("negative_bool", "negative", [np.array([True, False])])
    w.error("bitwise_invert_float", "bitwise_invert", [np.array([1.0], np.float32)])
    # special values
    sv = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.5, -2.5, 2.5], np.float32)
    for pname, pfn in [("isnan", np.isnan), ("isinf", np.isinf), ("isfinite", np.isfinite)]:
        w.case(f"{pname}_special", pname, [sv], [pfn(sv)])
    w.case("isposinf_special", "isposinf", [sv], [np.isposinf(sv)])
    w.case("isneginf_special", "isneginf", [sv], [np.isneginf(sv)])
    w.case("round_half_even", "round", [sv], [np.round(sv)], decimals=0)
    x = rng.uniform(-100, 100, size=(10,))
    w.case("round_2", "round", [x], [np.round(x, 2)], 1e-12, 1e-12, decimals=2)

    # astype: every pair
    src = {"bool": np.array([True, False, True]), **{d: np.array([0, 1, 7, 100], d) for d in INTS},
           **{d: np.array([-1.5, 0.25, 3.0, 100.75], d) for d in ["float16", "float32", "float64"]}}
    for s, x in src.items():
        for d in INTS + ["float16", "float32", "float64", "bool"]:
            if s in ("float16", "float32", "float64") and d in INTS and d.startswith("u"):
                x = np.abs(x)
            w.case(f"astype_{s}_{d}", "astype", [x], [x.astype(d)], 1e-3 if d == "float16" else 1e-7, 0, dtype=d)
        xs = x.astype(np.float32) if s != "bool" else x.astype(np.float32)
        w.case(f"astype_{s}_bfloat16", "astype", [x], [bf16(xs)], 1e-2, 0, dtype="bfloat16", check_dtype=True)

    # binary: promotion and broadcasting
    BIN = {"add": np.add, "subtract": np.subtract, "multiply": np.multiply, "maximum": np.maximum,
           "minimum": np.minimum, "equal": np.equal, "not_equal": np.not_equal, "less": np.less,
           "less_equal": np.less_equal, "greater": np.greater, "greater_equal": np.greater_equal,
           "logical_and": np.logical_and, "logical_or": np.logical_or}
    for name, fn in BIN.items():
        for dt in INTS + ["float16", "float32", "float64"]:
            a = rng.integers(1, 20, size=(4, 1, 3)).astype(dt)
            b = rng.integers(1, 20, size=(5, 1)).astype(dt)
            w.case(f"{name}_{dt}_bcast", name, [a, b], [fn(a, b)], 1e-3 if dt == "float16" else 1e-7, 0)
        a = rng.integers(0, 2, size=(6,)).astype(bool); b = rng.integers(0, 2, size=(6,)).astype(bool)
        if name not in ("subtract",):
            w.case(f"{name}_bool", name, [a, b], [fn(a, b)])
    a = rng.uniform(1, 5, size=(3, 4)).astype(np.float32)
    b = rng.uniform(1, 5, size=(4,)).astype(np.float32)
    for name, fn in [("divide", np.divide), ("power", np.power), ("logaddexp", np.logaddexp), ("arctan2", np.arctan2),
                     ("floor_divide", np.floor_divide), ("remainder", np.remainder)]:
        w.case(f"{name}_f32", name, [a, b], [fn(a.astype(np.float64), b).astype(np.float32)], 1e-5, 1e-6)
        w.case(f"{name}_f32_neg", name, [-a, b], [fn(-a.astype(np.float64), b).astype(np.float32)], 1e-5, 1e-6)
        w.case(f"{name}_f64", name, [a.astype(np.float64), b.astype(np.float64)], [fn(a.astype(np.float64), b.astype(np.float64))], 1e-12, 1e-12)
    ia = rng.integers(-50, 50, size=(20,)).astype(np.int32)
    ib = rng.integers(1, 9, size=(20,)).astype(np.int32) * rng.choice([-1, 1], size=20).astype(np.int32)
    w.case("floor_divide_i32", "floor_divide", [ia, ib], [np.floor_divide(ia, ib)])
    w.case("remainder_i32", "remainder", [ia, ib], [np.remainder(ia, ib)])
    w.case("divide_i32", "divide", [ia, ib], [(ia / ib).astype(np.float32)], 1e-6, 0, check_dtype=True)
    pa = rng.integers(-5, 5, size=(10,)).astype(np.int64); pb = rng.integers(0, 6, size=(10,)).astype(np.int64)
    w.case("power_i64", "power", [pa, pb], [np.power(pa, pb)])
    # promotion between kinds
    w.case("add_i8_u8", "add", [np.array([1, -2], np.int8), np.array([3, 250], np.uint8)], [np.array([1, -2], np.int8).astype(np.int16) + np.array([3, 250], np.uint8)])
    w.case("add_i32_f16", "add", [np.array([1, 2], np.int32), np.array([0.5, 1.5], np.float16)], [np.array([1.5, 3.5], np.float16)])
    w.case("add_f32_f64", "add", [np.array([1, 2], np.float32), np.array([0.5, 1.5], np.float64)], [np.array([1.5, 3.5], np.float64)])
    w.case("add_bf16", "add", [bf16(np.array([1, 2], np.float32)), bf16(np.array([0.5, 1.5], np.float32))], [bf16(np.array([1.5, 3.5], np.float32))])
    w.error("add_bad_broadcast", "add", [np.zeros((2, 3), np.float32), np.zeros((4,), np.float32)])
    # weak scalars keep the array's type
    h = np.array([1, 2, 3], np.float16)
    w.case("add_scalar_f16", "add_scalar", [h], [h + np.float16(2.5)], 1e-3, 0, value=2.5)
    i8 = np.array([1, 2, 3], np.int8)
    w.case("add_scalar_i8", "add_scalar", [i8], [i8 + np.int8(2)], value=2, integer=True)
    w.case("mul_scalar_i8_float", "multiply_scalar", [i8], [(i8 * 2.5).astype(np.float32)], 1e-6, 0, value=2.5)
    # bitwise and shifts
    for dt in INTS:
        a = rng.integers(0, 100, size=(7,)).astype(dt); b = rng.integers(0, 7, size=(7,)).astype(dt)
        for name, fn in [("bitwise_and", np.bitwise_and), ("bitwise_or", np.bitwise_or), ("bitwise_xor", np.bitwise_xor),
                         ("left_shift", np.left_shift), ("right_shift", np.right_shift)]:
            w.case(f"{name}_{dt}", name, [a, b], [fn(a, b)])
    w.error("bitwise_and_float", "bitwise_and", [np.zeros(2, np.float32), np.zeros(2, np.float32)])
    # where, clip, isclose, non-contiguous
    c = rng.integers(0, 2, size=(3, 1)).astype(bool)
    x = rng.standard_normal((3, 4)).astype(np.float32); y = rng.standard_normal((4,)).astype(np.float32)
    w.case("where_bcast", "where", [c, x, y], [np.where(c, x, y)])
    w.case("where_i64", "where", [c, x.astype(np.int64), y.astype(np.int64)], [np.where(c, x.astype(np.int64), y.astype(np.int64))])
    w.case("clip_f32", "clip", [x, np.float32(-0.5), np.float32(0.5)], [np.clip(x, -0.5, 0.5)])
    a = np.array([1.0, 1.0, np.nan, np.inf, 1.0], np.float32); b = np.array([1.0 + 1e-6, 1.1, np.nan, np.inf, -np.inf], np.float32)
    w.case("isclose", "isclose", [a, b], [np.isclose(a, b)], rtol_arg=1e-5, atol_arg=1e-8, equal_nan=False)
    w.case("isclose_nan", "isclose", [a, b], [np.isclose(a, b, equal_nan=True)], rtol_arg=1e-5, atol_arg=1e-8, equal_nan=True)
    x = rng.standard_normal((4, 6)).astype(np.float32); y = rng.standard_normal((6, 4)).astype(np.float32)
    w.case("add_transposed", "add", [x, y], [x + y.T], transpose_b=True)
