"""Reductions and scans against numpy: every dtype, axis sets (all, single,
several, negative), keepdims, non-contiguous inputs (transposed, strided),
scalars, empty arrays, accumulation types (MLX's: small ints sum to 32 bits)
and errors."""
import numpy as np
from gen import bf16, bf16_to_f32

rng = np.random.default_rng(4321)
FLOATS = ["float16", "bfloat16", "float32", "float64"]
INTS = ["uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64"]
ALL = ["bool"] + INTS + FLOATS
SUM_T = {"bool": "int32", "int8": "int32", "int16": "int32", "int32": "int32",
         "uint8": "uint32", "uint16": "uint32", "uint32": "uint32"}


def make(dt, shape, lo=-3, hi=4):
    """(stored input, its float64 value)."""
    if dt == "bool":
        a = rng.integers(0, 2, size=shape).astype(bool)
        return a, a.astype(np.float64)
    if dt in INTS:
        l = 0 if dt.startswith("u") else lo
        a = rng.integers(l, hi, size=shape).astype(dt)
        return a, a.astype(np.float64)
    x = rng.uniform(lo, hi, size=shape)
    if dt == "bfloat16":
        raw = bf16(x.astype(np.float32))
        return raw, bf16_to_f32(raw).astype(np.float64)
    a = x.astype(dt)
    return a, a.astype(np.float64)


def out_as(ref, dt):
    ref = np.asarray(ref)
    if dt == "bfloat16":
        return bf16(ref.astype(np.float32)).reshape(ref.shape)
    return ref.astype(dt)


def tol(dt):
    return {"float16": (2e-3, 2e-3), "bfloat16": (1.6e-2, 1.6e-2), "float32": (2e-6, 1e-5),
            "float64": (1e-12, 1e-12)}.get(dt, (0, 0))


def view(x, transpose, slice_):
    if transpose:
        x = np.transpose(x)
    if slice_ and x.ndim:
        x = x[..., ::2]
    return x


def ax(axes):
    return None if axes is None else tuple(axes)


# (shape, axes) combinations
COMBOS = [((3, 4, 5), None), ((3, 4, 5), [0]), ((3, 4, 5), [1]), ((3, 4, 5), [2]), ((3, 4, 5), [-1]),
          ((3, 4, 5), [0, 2]), ((3, 4, 5), [0, 1]), ((3, 4, 5), [-2, -1]), ((), None), ((7,), [0]),
          ((1, 6, 1), [0, 2]), ((2, 3, 4, 5), [1, 3])]
EMPTY = [((0, 3), [0]), ((0, 3), [1]), ((4, 0), None), ((4, 0), [1])]


def reduce_ref(op, x64, axes, keepdims):
    f = {"sum": np.sum, "prod": np.prod, "max": np.max, "min": np.min, "all": np.all, "any": np.any}[op]
    return f(x64, axis=ax(axes), keepdims=keepdims)


def out_dtype(op, dt):
    if op in ("sum", "prod"):
        return SUM_T.get(dt, dt)
    if op in ("all", "any"):
        return "bool"
    return dt


def cases(w):
    # ---- sum, prod, max, min, all, any over every dtype ----
    for op in ["sum", "prod", "max", "min", "all", "any"]:
        for dt in ALL:
            combos = COMBOS + (EMPTY if op not in ("max", "min") else [((0, 3), [1])])
            for ci, (shape, axes) in enumerate(combos):
                for keepdims in ([False, True] if ci in (0, 5, 12) else [False]):
                    lo, hi = (0.5, 1.5) if op == "prod" and dt in FLOATS else (-3, 4)
                    if op == "prod" and dt not in FLOATS:
                        lo, hi = -1, 3
                    a, a64 = make(dt, shape, lo, hi)
                    ref = reduce_ref(op, a64, axes, keepdims)
                    rt, at = tol(dt)
                    if op == "prod" and dt in FLOATS:
                        rt *= 4
                    w.case(f"{op}_{dt}_{ci}_{int(keepdims)}", op, [a], [out_as(ref, out_dtype(op, dt))],
                           rt, at, axes=axes, keepdims=keepdims)
        # non-contiguous inputs
        for dt in ["int32", "float32", "float16", "bool"]:
            for ti, (transpose, slice_) in enumerate([(True, False), (False, True), (True, True)]):
                for axes in [None, [0], [1], [0, 2], [-1]]:
                    lo, hi = (0.5, 1.5) if op == "prod" else (-3, 4)
                    a, a64 = make(dt, (4, 6, 8), lo, hi)
                    v = view(a64, transpose, slice_)
                    ref = reduce_ref(op, v, axes, False)
                    rt, at = tol(dt)
                    w.case(f"{op}_view_{dt}_{ti}_{axes and '_'.join(map(str, axes))}", op, [a],
                           [out_as(ref, out_dtype(op, dt))], rt * 4, at, axes=axes, transpose=transpose,
                           slice=slice_)
    # max/min: NaN propagates; empty is an error
    x = rng.standard_normal((4, 9)).astype(np.float32)
    x[1, 3] = np.nan
    x[2, 0] = np.nan
    for op, f in [("max", np.max), ("min", np.min)]:
        for axes in [None, [0], [1]]:
            w.case(f"{op}_nan_{axes and axes[0]}", op, [x], [f(x, axis=ax(axes))], axes=axes)
        w.error(f"{op}_empty_all", op, [np.zeros((0, 3), np.float32)])
        w.error(f"{op}_empty_axis", op, [np.zeros((2, 0), np.float32)], axes=[1])
        w.error(f"{op}_empty_axis0", op, [np.zeros((0, 3), np.int32)], axes=[0])
    for op in ["sum", "max", "all", "mean", "var", "logsumexp"]:
        w.error(f"{op}_bad_axis", op, [np.zeros((2, 3), np.float32)], axes=[2])
        w.error(f"{op}_repeated_axis", op, [np.zeros((2, 3), np.float32)], axes=[1, -1])
    # overflow wraps as MLX's int32 accumulator
    big = np.full((4,), 2 ** 30, np.int32)
    w.case("sum_int32_wrap", "sum", [big], [np.array(np.sum(big.astype(np.int64)) - 2 ** 32, np.int32)])
    w.case("sum_uint8_to_uint32", "sum", [np.full((300,), 255, np.uint8)], [np.array(300 * 255, np.uint32)])

    # ---- accuracy and the parallel paths: long rows, long columns, few outputs ----
    for name, shape, axes in [("row_1m", (1 << 20,), None), ("rows", (64, 4096), [1]),
                              ("cols", (4096, 64), [0]), ("cols_few", (1 << 16, 4), [0]),
                              ("mid", (16, 512, 8), [1]), ("mix", (8, 64, 8, 64), [0, 2]),
                              ("wide", (3, 1 << 17), [1])]:
        x = rng.uniform(0, 1, size=shape).astype(np.float32)
        x64 = x.astype(np.float64)
        w.case(f"sum_big_{name}", "sum", [x], [np.sum(x64, axis=ax(axes)).astype(np.float32)], 1e-6, 0,
               axes=axes)
        w.case(f"max_big_{name}", "max", [x], [np.max(x, axis=ax(axes))], 0, 0, axes=axes)
        w.case(f"argmax_big_{name}", "argmax", [x],
               [np.argmax(x, axis=None if axes is None else axes[0]).astype(np.uint32)],
               0, 0, axis=None if axes is None else axes[0])
    xi = rng.integers(-100, 100, size=(1 << 20,)).astype(np.int32)
    w.case("sum_big_int32", "sum", [xi], [np.array(xi.astype(np.int64).sum(), np.int32)], 0, 0)
    xt = rng.uniform(0, 1, size=(512, 1024)).astype(np.float32)
    w.case("sum_big_transposed", "sum", [xt], [np.sum(xt.T.astype(np.float64), axis=1).astype(np.float32)],
           1e-6, 0, axes=[1], transpose=True)
    w.case("sum_big_transposed_all", "sum", [xt], [np.array(np.sum(xt.astype(np.float64)), np.float32)],
           1e-6, 0, transpose=True)

    # ---- mean, var, std, logsumexp ----
    for dt in ["int32", "uint8", "bool", "float16", "bfloat16", "float32", "float64"]:
        for ci, (shape, axes) in enumerate(COMBOS):
            a, a64 = make(dt, shape)
            ot = dt if dt in FLOATS else "float32"
            rt, at = tol(ot)
            rt, at = max(rt, 1e-6), max(at, 1e-6)
            keep = ci % 3 == 0
            w.case(f"mean_{dt}_{ci}", "mean", [a], [out_as(np.mean(a64, axis=ax(axes), keepdims=keep), ot)],
                   rt, at, axes=axes, keepdims=keep)
            if dt == "bool":
                continue
            for ddof in [0, 1]:
                n = a64.size if axes is None else int(np.prod([shape[i] for i in axes]))
                if n - ddof <= 0:
                    continue
                v = np.var(a64, axis=ax(axes), keepdims=keep, ddof=ddof)
                w.case(f"var_{dt}_{ci}_{ddof}", "var", [a], [out_as(v, ot)], rt * 4, at * 4, axes=axes,
                       keepdims=keep, ddof=ddof)
                w.case(f"std_{dt}_{ci}_{ddof}", "std", [a], [out_as(np.sqrt(v), ot)], rt * 4, at * 4,
                       axes=axes, keepdims=keep, ddof=ddof)
            if dt not in FLOATS and dt != "int32":
                continue
            m = np.max(a64, axis=ax(axes), keepdims=True)
            lse = np.log(np.sum(np.exp(a64 - m), axis=ax(axes), keepdims=True)) + m
            if not keep:
                lse = np.squeeze(lse, axis=ax(axes)) if axes is not None else lse.reshape(())
            w.case(f"logsumexp_{dt}_{ci}", "logsumexp", [a], [out_as(lse, ot)], rt * 2, at * 2, axes=axes,
                   keepdims=keep)
    # statistics of views; mean of empty is nan
    x = rng.standard_normal((5, 6, 7)).astype(np.float32)
    for axes in [None, [0], [2], [0, 1]]:
        v = view(x.astype(np.float64), True, True)
        w.case(f"mean_view_{axes and len(axes)}{axes and axes[0]}", "mean", [x], [np.mean(v, axis=ax(axes)).astype(np.float32)], 1e-6, 1e-6,
               axes=axes, transpose=True, slice=True)
        w.case(f"var_view_{axes and len(axes)}{axes and axes[0]}", "var", [x], [np.var(v, axis=ax(axes)).astype(np.float32)], 1e-5, 1e-6,
               axes=axes, transpose=True, slice=True)
    w.case("var_ddof_too_big", "var", [np.ones((3,), np.float32)], [np.array(np.nan, np.float32)], ddof=3)
    w.case("var_ddof_too_big2", "var", [np.arange(3, dtype=np.float32)], [np.array(np.inf, np.float32)],
           ddof=3)
    # logsumexp: large values stay finite, -inf rows give -inf, inf gives inf
    big = np.array([[1000.0, 1000.0, 999.0], [-np.inf, -np.inf, -np.inf], [np.inf, 1.0, 2.0],
                    [-1000.0, -1001.0, -np.inf]], np.float32)
    with np.errstate(invalid="ignore"):
        ref = np.array([1000 + np.log(2 + np.exp(-1.0)), -np.inf, np.inf, -1000 + np.log(1 + np.exp(-1.0))])
    w.case("logsumexp_stable", "logsumexp", [big], [ref.astype(np.float32)], 1e-6, 1e-6, axes=[1])
    w.case("logsumexp_empty", "logsumexp", [np.zeros((2, 0), np.float32)],
           [np.full((2,), -np.inf, np.float32)], axes=[1])
    w.case("mean_empty", "mean", [np.zeros((0, 3), np.float32)], [np.full((3,), np.nan, np.float32)], axes=[0])
    w.case("sum_of_max", "sum_of_max", [x], [np.array(np.sum(np.max(x.astype(np.float64), axis=0)), np.float32)],
           1e-6, 1e-6)

    # ---- argmax, argmin ----
    for op, f in [("argmax", np.argmax), ("argmin", np.argmin)]:
        for dt in ALL:
            for si, (shape, axis) in enumerate([((3, 4, 5), None), ((3, 4, 5), 0), ((3, 4, 5), 1),
                                                 ((3, 4, 5), 2), ((3, 4, 5), -1), ((), None), ((7,), 0),
                                                 ((0, 3), 1), ((6, 1), 1)]):
                for keepdims in ([False, True] if si in (0, 1) else [False]):
                    a, a64 = make(dt, shape, -2, 3)  # small range: ties (first wins)
                    ref = f(a64, axis=axis, keepdims=keepdims)
                    w.case(f"{op}_{dt}_{si}_{int(keepdims)}", op, [a], [np.asarray(ref).astype(np.uint32)], 0, 0,
                           axis=axis, keepdims=keepdims)
        for dt in ["float32", "int16", "bool"]:
            for transpose, slice_ in [(True, False), (False, True), (True, True)]:
                for axis in [None, 0, 1, 2]:
                    a, a64 = make(dt, (4, 6, 8), -2, 3)
                    v = view(a64, transpose, slice_)
                    w.case(f"{op}_view_{dt}_{int(transpose)}{int(slice_)}_{axis}", op, [a],
                           [np.asarray(f(v, axis=axis)).astype(np.uint32)], 0, 0, axis=axis,
                           transpose=transpose, slice=slice_)
        x = rng.standard_normal((5, 7)).astype(np.float32)
        x[1, 2] = np.nan
        x[1, 5] = np.nan
        x[3, 0] = np.nan
        for axis in [None, 0, 1]:
            w.case(f"{op}_nan_{axis}", op, [x], [np.asarray(f(x, axis=axis)).astype(np.uint32)], 0, 0, axis=axis)
        w.error(f"{op}_empty", op, [np.zeros((0,), np.float32)])
        w.error(f"{op}_empty_axis", op, [np.zeros((3, 0), np.float32)], axis=1)
        w.error(f"{op}_bad_axis", op, [np.zeros((3, 2), np.float32)], axis=2)

    # ---- scans ----
    def scan_ref(op, x64, axis, reverse, inclusive):
        f = {"cumsum": np.add.accumulate, "cumprod": np.multiply.accumulate, "cummax": np.maximum.accumulate,
             "cummin": np.minimum.accumulate}[op]
        if axis is None:
            x64 = x64.reshape(-1)
            axis = 0
        if reverse:
            x64 = np.flip(x64, axis)
        if x64.shape[axis] == 0:
            r = x64.copy()
        else:
            r = f(x64, axis=axis)
        if not inclusive:
            ident = {"cumsum": 0, "cumprod": 1}[op]
            r = np.concatenate([np.full_like(np.take(r, [0], axis=axis), ident) if r.shape[axis] else
                                np.take(r, [], axis=axis), np.take(r, range(r.shape[axis] - 1), axis=axis)],
                               axis=axis) if r.shape[axis] else r
        if reverse:
            r = np.flip(r, axis)
        return r

    for op in ["cumsum", "cumprod", "cummax", "cummin"]:
        for dt in ALL:
            if dt == "bool" and op in ("cummax", "cummin"):
                pass
            for si, (shape, axis) in enumerate([((3, 4, 5), 0), ((3, 4, 5), 1), ((3, 4, 5), 2), ((3, 4, 5), -1),
                                                 ((3, 4, 5), None), ((7,), 0), ((), None), ((0, 3), 0),
                                                 ((2, 0), 1)]):
                for reverse in [False, True]:
                    for inclusive in ([True, False] if op in ("cumsum", "cumprod") else [True]):
                        lo, hi = (0.5, 1.5) if op == "cumprod" and dt in FLOATS else (-2, 3)
                        if op == "cumprod" and dt not in FLOATS:
                            lo, hi = -1, 3
                        a, a64 = make(dt, shape, lo, hi)
                        ref = scan_ref(op, a64, axis, reverse, inclusive)
                        ot = SUM_T.get(dt, dt) if op in ("cumsum", "cumprod") else dt
                        rt, at = tol(dt)
                        w.case(f"{op}_{dt}_{si}_{int(reverse)}{int(inclusive)}", op, [a], [out_as(ref, ot)],
                               rt * 2, at * 2, axis=axis, reverse=reverse, inclusive=inclusive)
        for transpose, slice_ in [(True, False), (False, True)]:
            for axis in [0, 1, 2]:
                a, a64 = make("float32", (4, 6, 8), 0.5, 1.5)
                v = view(a64, transpose, slice_)
                w.case(f"{op}_view_{int(transpose)}{int(slice_)}_{axis}", op, [a],
                       [scan_ref(op, v, axis, False, True).astype(np.float32)], 1e-5, 1e-6, axis=axis,
                       transpose=transpose, slice=slice_)
        w.error(f"{op}_bad_axis", op, [np.zeros((3, 2), np.float32)], axis=-3)
    x = rng.standard_normal((4, 6)).astype(np.float32)
    x[1, 2] = np.nan
    w.case("cummax_nan", "cummax", [x], [np.maximum.accumulate(x, axis=1)], axis=1)
    w.case("cummin_nan", "cummin", [x], [np.minimum.accumulate(x, axis=0)], axis=0)
    x = rng.uniform(0, 1, size=(1 << 16,)).astype(np.float32)
    w.case("cumsum_long", "cumsum", [x], [np.cumsum(x.astype(np.float64)).astype(np.float32)], 1e-5, 1e-5, axis=0)

    # ---- allclose, array_equal ----
    a = rng.standard_normal((3, 4)).astype(np.float32)
    b = a + 1e-7
    c = a.copy()
    c[1, 1] += 1e-2
    n = a.copy()
    n[0, 0] = np.nan
    for name, (x, y) in {"same": (a, a), "close": (a, b), "far": (a, c), "nan": (n, n),
                         "bcast": (a, a[0:1]), "int": (np.arange(4, dtype=np.int32), np.arange(4.0))}.items():
        for en in [False, True]:
            w.case(f"allclose_{name}_{int(en)}", "allclose", [x, y],
                   [np.array(np.allclose(x, y, equal_nan=en))], equal_nan=en)
            w.case(f"array_equal_{name}_{int(en)}", "array_equal", [x, y],
                   [np.array(np.array_equal(x, y, equal_nan=en))], equal_nan=en)
    w.case("allclose_tol", "allclose", [a, c], [np.array(np.allclose(a, c, rtol=0.1, atol=0.1))],
           rtol_arg=0.1, atol_arg=0.1)
    w.case("array_equal_shapes", "array_equal", [a, a.reshape(4, 3)], [np.array(False)])
    w.case("allclose_empty", "allclose", [np.zeros((0,), np.float32), np.zeros((0,), np.float32)],
           [np.array(True)])
    w.error("allclose_bad_shapes", "allclose", [a, np.zeros((5,), np.float32)])
