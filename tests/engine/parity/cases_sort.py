"""Sorting against numpy: sort and stable argsort over every dtype and axis
(negative, flattened), non-contiguous inputs, NaN last, ties, long lines (the
radix path) and short ones (insertion), empty arrays; partition and
argpartition by their contract; topk; errors."""
import numpy as np
from gen import bf16, bf16_to_f32

rng = np.random.default_rng(777)
FLOATS = ["float16", "bfloat16", "float32", "float64"]
INTS = ["uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64"]
ALL = ["bool"] + INTS + FLOATS


def make(dt, shape, lo=-50, hi=50):
    if dt == "bool":
        a = rng.integers(0, 2, size=shape).astype(bool)
        return a, a.astype(np.float64)
    if dt in INTS:
        l = 0 if dt.startswith("u") else lo
        a = rng.integers(l, hi, size=shape).astype(dt)
        if dt in ("int64", "uint64", "int32", "uint32") and a.size:
            a.flat[0] = np.iinfo(dt).max  # full-width keys
            if dt.startswith("i") and a.size > 1:
                a.flat[-1] = np.iinfo(dt).min
        return a, a
    x = np.round(rng.uniform(lo, hi, size=shape), 1)
    x = np.where(x == 0, 0.5, x)  # -0 and +0 tie differently in stable order
    if dt == "bfloat16":
        raw = bf16(x.astype(np.float32))
        return raw, bf16_to_f32(raw).astype(np.float64)
    a = x.astype(dt)
    return a, a.astype(np.float64)


def out_as(ref, dt):
    if dt == "bfloat16":
        return bf16(np.asarray(ref).astype(np.float32)).reshape(np.shape(ref))
    return np.asarray(ref).astype(dt)


SHAPES = [((5, 7), 1), ((5, 7), 0), ((5, 7), -1), ((3, 4, 5), 1), ((3, 4, 5), None), ((100,), 0),
          ((3, 300), 1), ((300, 3), 0), ((0, 4), 1), ((4, 0), 1), ((), None), ((1,), 0)]


def cases(w):
    for dt in ALL:
        for si, (shape, axis) in enumerate(SHAPES):
            a, v = make(dt, shape)
            s = np.sort(v, axis=axis, kind="stable")
            w.case(f"sort_{dt}_{si}", "sort", [a], [out_as(s, dt)], 0, 0, axis=axis)
            i = np.argsort(v, axis=axis, kind="stable")
            w.case(f"argsort_{dt}_{si}", "argsort", [a], [i.astype(np.uint32)], 0, 0, axis=axis)
        # transposed
        for axis in [0, 1, 2, None]:
            a, v = make(dt, (4, 5, 6))
            vt = np.transpose(v)
            w.case(f"sort_view_{dt}_{axis}", "sort", [a], [out_as(np.sort(vt, axis=axis, kind="stable"), dt)],
                   0, 0, axis=axis, transpose=True)
            w.case(f"argsort_view_{dt}_{axis}", "argsort", [a],
                   [np.argsort(vt, axis=axis, kind="stable").astype(np.uint32)], 0, 0, axis=axis, transpose=True)
    # NaN and infinities: NaN last, stable among themselves
    for dt in ["float32", "float64", "float16"]:
        x = rng.standard_normal((4, 50)).astype(dt)
        x[0, 3] = np.nan
        x[0, 10] = -np.nan
        x[1, 0] = np.inf
        x[1, 1] = -np.inf
        x[2, :] = np.nan
        x[3, 5] = np.nan
        for n in [50, 20]:  # radix and insertion paths
            y = np.ascontiguousarray(x[:, :n])
            w.case(f"sort_nan_{dt}_{n}", "sort", [y], [np.sort(y, axis=1)], 0, 0, axis=1)
            w.case(f"argsort_nan_{dt}_{n}", "argsort", [y], [np.argsort(y, axis=1, kind="stable").astype(np.uint32)],
                   0, 0, axis=1)
    # long lines with many ties (stable order of equal keys)
    x = rng.integers(0, 10, size=(2, 5000)).astype(np.int32)
    w.case("argsort_ties_long", "argsort", [x], [np.argsort(x, axis=1, kind="stable").astype(np.uint32)], 0, 0, axis=1)
    x = rng.standard_normal((1 << 16,)).astype(np.float32)
    w.case("sort_long_f32", "sort", [x], [np.sort(x)], 0, 0, axis=0)
    w.case("argsort_long_f32", "argsort", [x], [np.argsort(x, kind="stable").astype(np.uint32)], 0, 0, axis=0)
    x = rng.standard_normal((256, 512)).astype(np.float32)
    w.case("sort_rows_f32", "sort", [x], [np.sort(x, axis=1)], 0, 0, axis=1)
    w.case("sort_cols_f32", "sort", [x], [np.sort(x, axis=0)], 0, 0, axis=0)

    # partition, argpartition: the sorted partition, the kth slice, the ordering
    for op in ["partition", "argpartition"]:
        for dt in ["int32", "float32", "float16", "uint8", "int64", "bool", "bfloat16"]:
            for si, (shape, axis, kth) in enumerate([((5, 7), 1, 3), ((5, 7), 0, 0), ((5, 7), -1, -1),
                                                      ((3, 4, 5), 1, 2), ((20,), 0, 10), ((3, 4, 5), None, 7),
                                                      ((2, 100), 1, 50)]):
                a, v = make(dt, shape)
                s = np.sort(v, axis=axis, kind="stable")
                ax = 0 if axis is None else axis
                k = np.take(s, [kth], axis=ax)
                w.case(f"{op}_{dt}_{si}", op, [a], [out_as(s, dt), out_as(k, dt), np.array(True)], 0, 0,
                       axis=axis, kth=kth)
        a, v = make("float32", (4, 5, 6))
        vt = np.transpose(v)
        s = np.sort(vt, axis=1)
        w.case(f"{op}_view", op, [a], [s.astype(np.float32), np.take(s, [2], axis=1).astype(np.float32),
                                        np.array(True)], 0, 0, axis=1, kth=2, transpose=True)
        w.error(f"{op}_kth_big", op, [np.zeros((3, 4), np.float32)], axis=1, kth=4)
        w.error(f"{op}_kth_neg", op, [np.zeros((3, 4), np.float32)], axis=1, kth=-5)
        w.error(f"{op}_bad_axis", op, [np.zeros((3, 4), np.float32)], axis=2, kth=0)
    # topk: the k largest (compared sorted)
    for dt in ["float32", "int32", "float16", "uint8", "bfloat16", "float64"]:
        for si, (shape, axis, k) in enumerate([((5, 7), 1, 3), ((5, 7), 0, 2), ((5, 7), -1, 7), ((20,), 0, 1),
                                                ((3, 4, 5), 1, 2), ((3, 4, 5), None, 5), ((5, 7), 1, 0)]):
            a, v = make(dt, shape)
            s = np.sort(v, axis=axis)
            ax = 0 if axis is None else axis
            n = s.shape[ax]
            t = np.take(s, range(n - k, n), axis=ax)
            w.case(f"topk_{dt}_{si}", "topk", [a], [out_as(t, dt)], 0, 0, axis=axis, k=k)
    w.error("topk_k_big", "topk", [np.zeros((3, 4), np.float32)], axis=1, k=5)
    w.error("topk_k_neg", "topk", [np.zeros((3, 4), np.float32)], axis=1, k=-1)
    w.error("sort_bad_axis", "sort", [np.zeros((3, 4), np.float32)], axis=-3)
    w.error("argsort_bad_axis", "argsort", [np.zeros((3, 4), np.float32)], axis=2)
    w.error("sort_scalar_axis", "sort", [np.zeros((), np.float32)], axis=0)
