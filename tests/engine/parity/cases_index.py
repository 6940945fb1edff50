"""Indexing ops against numpy: take, take_along_axis, put_along_axis, gather
and scatter (MLX semantics; references written as explicit loops, scatter-add
cross-checked with np.add.at), slice_update. Several dtypes (bool, ints, f16,
bf16), index dtypes, negative indices and axes, empty arrays, scalars, errors
(out-of-range indices are errors at evaluation)."""
import numpy as np
from gen import bf16, bf16_to_f32

rng = np.random.default_rng(4321)
DTYPES = ["float32", "bool", "int64", "float16", "bfloat16", "int32", "uint8", "float64"]


def mk(shape, dt="float32"):
    if dt == "bool":
        return rng.integers(0, 2, size=shape).astype(bool)
    if dt == "bfloat16":
        return bf16(rng.uniform(-10, 10, size=shape).astype(np.float32)).reshape(shape)
    if dt in ("float16", "float32", "float64"):
        return rng.uniform(-10, 10, size=shape).astype(dt)
    return rng.integers(0, 20, size=shape).astype(dt)


def u16(x):
    return x.view(np.uint16) if x.dtype.kind == "V" else x


def v2(x, like):
    return np.array(x, order="C").view("V2") if like.dtype.kind == "V" else np.array(x, order="C")


def C(w, name, op, inputs, output, rtol=0, atol=0, **kw):
    w.case(name, op, inputs, [np.array(output, order="C")], rtol, atol, **kw)


def gather_ref(a, idxs, axes, sizes):
    B = np.broadcast_shapes(*[i.shape for i in idxs]) if idxs else ()
    bi = [np.broadcast_to(i, B) for i in idxs]
    au = u16(a)
    out = np.zeros(tuple(B) + tuple(sizes), au.dtype)
    for pos in np.ndindex(*B):
        starts = [0] * a.ndim
        for i, ax in zip(bi, axes):
            v = int(i[pos])
            starts[ax] = v + a.shape[ax] if v < 0 else v
        out[pos] = au[tuple(slice(s, s + z) for s, z in zip(starts, sizes))]
    return v2(out, a)


def scatter_ref(a, idxs, upd, axes, mode):
    B = np.broadcast_shapes(*[i.shape for i in idxs]) if idxs else ()
    bi = [np.broadcast_to(i, B) for i in idxs]
    isbf = a.dtype.kind == "V"
    out = bf16_to_f32(a).reshape(a.shape).copy() if isbf else a.copy()
    up = bf16_to_f32(upd).reshape(upd.shape) if isbf else upd
    up = np.broadcast_to(up, tuple(B) + up.shape[len(B):])
    U = up.shape[len(B):]
    for pos in np.ndindex(*B):
        starts = [0] * a.ndim
        for i, ax in zip(bi, axes):
            v = int(i[pos])
            starts[ax] = v + a.shape[ax] if v < 0 else v
        sl = tuple(slice(s, s + z) for s, z in zip(starts, U))
        u = up[pos]
        if out.dtype == bool:
            cur = out[sl]
            out[sl] = {"set": u, "add": cur | u, "max": cur | u, "min": cur & u, "prod": cur & u}[mode]
        elif mode == "set":
            out[sl] = u
        elif mode == "add":
            out[sl] = out[sl] + u
        elif mode == "prod":
            out[sl] = out[sl] * u
        elif mode == "max":
            out[sl] = np.maximum(out[sl], u)
        else:
            out[sl] = np.minimum(out[sl], u)
        if isbf:
            out[sl] = bf16_to_f32(bf16(out[sl])).reshape(out[sl].shape)
    return bf16(out).reshape(a.shape) if isbf else out


def cases(w):
    # ---- take ----
    for dt in DTYPES:
        a = mk((5, 4), dt)
        i = np.array([[0, 4, -1], [2, -5, 1]], np.int32)
        C(w, f"take_ax0_{dt}", "take", [a, i], v2(np.take(u16(a), i, axis=0), a), axis=0)
        j = np.array([3, 0, -2, 3], np.int64)
        C(w, f"take_ax1_{dt}", "take", [a, j], v2(np.take(u16(a), j, axis=-1), a), axis=-1)
        C(w, f"take_flat_{dt}", "take", [a, i], v2(np.take(u16(a), i), a), axis=None)
    a = mk((3, 4, 5))
    for idt in ["int8", "uint8", "int16", "uint16", "uint32", "uint64"]:
        i = np.array([[1, 0], [2, 2]], idt)
        C(w, f"take_idx_{idt}", "take", [a, i], np.take(a, i.astype(np.int64), axis=1), axis=1)
    C(w, "take_mid_axis", "take", [a, np.array([[4, 0, 1]], np.int32)], np.take(a, [[4, 0, 1]], axis=2), axis=2)
    C(w, "take_scalar_index", "take", [a, np.array(-1, np.int32)], np.take(a, -1, axis=1), axis=1)
    C(w, "take_empty_index", "take", [a, np.zeros((0,), np.int32)], np.take(a, np.zeros((0,), np.int32), axis=0), axis=0)
    C(w, "take_from_empty", "take", [np.zeros((3, 0), np.float32), np.array([2, 0], np.int32)], np.zeros((2, 0), np.float32), axis=0)
    C(w, "take_T", "take", [a, np.array([0, 3, 3], np.int32)], np.take(a.T, [0, 3, 3], axis=1), axis=1, t_rev=True)
    C(w, "take_scalar_array", "take", [np.array(2.5, np.float32), np.array([0, 0], np.int32)], np.array([2.5, 2.5], np.float32), axis=None)
    emb = mk((50, 16))
    ids = rng.integers(-50, 50, size=(4, 7)).astype(np.int32)
    C(w, "take_embedding", "take", [emb, ids], np.take(emb, ids, axis=0), axis=0)
    w.error("take_float_index", "take", [a, np.array([0.0], np.float32)], axis=0)
    w.error("take_bool_index", "take", [a, np.array([True])], axis=0)
    w.error("take_badaxis", "take", [a, np.array([0], np.int32)], axis=3)
    w.error("take_out_of_range", "take", [a, np.array([0, 3], np.int32)], axis=0)
    w.error("take_out_of_range_neg", "take", [a, np.array([-4], np.int32)], axis=0)

    # ---- take_along_axis ----
    for dt in DTYPES:
        a = mk((4, 5), dt)
        i = rng.integers(-5, 5, size=(4, 3)).astype(np.int64)
        C(w, f"take_along_ax1_{dt}", "take_along_axis", [a, i], v2(np.take_along_axis(u16(a), i, axis=1), a), axis=1)
        k = rng.integers(0, 4, size=(6, 5)).astype(np.int32)
        C(w, f"take_along_ax0_{dt}", "take_along_axis", [a, k], v2(np.take_along_axis(u16(a), k, axis=-2), a), axis=-2)
    a = mk((3, 4, 5))
    i = rng.integers(0, 4, size=(1, 2, 5)).astype(np.int32)
    C(w, "take_along_broadcast", "take_along_axis", [a, i], np.take_along_axis(a, i, axis=1), axis=1)
    a1 = mk((3, 1, 5))
    i2 = rng.integers(0, 5, size=(3, 4, 2)).astype(np.int32)
    C(w, "take_along_broadcast_a", "take_along_axis", [a1, i2], np.take_along_axis(a1, i2, axis=2), axis=2)
    i3 = rng.integers(0, 3, size=(5, 4, 2)).astype(np.int32)
    C(w, "take_along_T", "take_along_axis", [a, i3], np.take_along_axis(a.T, i3, axis=2), axis=2, t_rev=True)
    f = np.array([5, -1, 0], np.int64)
    C(w, "take_along_flat", "take_along_axis", [a, f], np.take_along_axis(a.reshape(-1), f, axis=0), axis=None)
    C(w, "take_along_empty", "take_along_axis", [a, np.zeros((3, 0, 5), np.int32)], np.zeros((3, 0, 5), np.float32), axis=1)
    s = mk((6, 3))
    C(w, "take_along_argsort", "take_along_axis", [s, np.argsort(s, axis=0)], np.sort(s, axis=0), axis=0)
    w.error("take_along_ndim", "take_along_axis", [a, np.zeros((3, 4), np.int32)], axis=1)
    w.error("take_along_float", "take_along_axis", [a, np.zeros((3, 4, 5), np.float32)], axis=1)
    w.error("take_along_badaxis", "take_along_axis", [a, np.zeros((3, 4, 5), np.int32)], axis=3)
    w.error("take_along_nobroadcast", "take_along_axis", [a, np.zeros((2, 4, 5), np.int32)], axis=1)
    w.error("take_along_range", "take_along_axis", [a, np.full((3, 1, 5), 4, np.int32)], axis=1)

    # ---- put_along_axis ----
    for dt in DTYPES:
        a = mk((4, 5), dt)
        i = np.array([[0, 3], [4, -1], [2, 1], [-5, 3]], np.int64)  # distinct per row
        v = mk((4, 2), dt)
        r = u16(a).copy()
        np.put_along_axis(r, i, u16(v), axis=1)
        C(w, f"put_along_{dt}", "put_along_axis", [a, i, v], v2(r, a), axis=1)
    a = mk((3, 4))
    i = np.array([[2, 0, 1, 0]], np.int32)
    r = a.copy(); np.put_along_axis(r, i, np.float32(9), axis=0)
    C(w, "put_along_broadcast_scalar", "put_along_axis", [a, i, np.array(9, np.float32)], r, axis=0)
    vi = np.array([[1], [2], [3]], np.int32)
    r = a.copy(); np.put_along_axis(r, np.array([[3], [1], [0]]), vi.astype(np.float32), axis=1)
    C(w, "put_along_cast", "put_along_axis", [a, np.array([[3], [1], [0]], np.int32), vi], r, axis=1)
    r = a.T.copy(); np.put_along_axis(r, np.array([[0, 2, 1]]), np.float32(-1), axis=0)
    C(w, "put_along_T", "put_along_axis", [a, np.array([[0, 2, 1]], np.int32), np.array(-1, np.float32)], r, axis=0, t_rev=True)
    r = a.reshape(-1).copy(); np.put_along_axis(r, np.array([11, 0]), np.array([5.0, 6.0], np.float32), axis=0)
    C(w, "put_along_flat", "put_along_axis", [a, np.array([11, 0], np.int32), np.array([5.0, 6.0], np.float32)], r.reshape(3, 4), axis=None)
    C(w, "put_along_empty", "put_along_axis", [a, np.zeros((3, 0), np.int32), np.zeros((3, 0), np.float32)], a, axis=1)
    w.error("put_along_range", "put_along_axis", [a, np.array([[4]], np.int32), np.array(1, np.float32)], axis=1)
    w.error("put_along_values", "put_along_axis", [a, np.zeros((3, 2), np.int32), np.zeros((3, 3), np.float32)], axis=1)
    w.error("put_along_ndim", "put_along_axis", [a, np.zeros((2,), np.int32), np.zeros((2,), np.float32)], axis=1)

    # ---- gather (MLX semantics) ----
    for dt in DTYPES:
        a = mk((5, 6, 4), dt)
        i0 = rng.integers(-5, 5, size=(3,)).astype(np.int32)
        i1 = rng.integers(0, 4, size=(2, 1)).astype(np.int64)
        C(w, f"gather_2idx_{dt}", "gather", [a, i0, i1], gather_ref(a, [i0, i1], [0, 1], [1, 3, 4]), axes=[0, 1], slice_sizes=[1, 3, 4])
        C(w, f"gather_last_{dt}", "gather", [a, i0 % 4], gather_ref(a, [i0 % 4], [-1], [5, 2, 1]), axes=[-1], slice_sizes=[5, 2, 1])
    a = mk((5, 6, 4))
    C(w, "gather_none", "gather", [a], gather_ref(a, [], [], [2, 3, 1]), axes=None, slice_sizes=[2, 3, 1])
    i = np.array([[1, 0], [2, 4]], np.int32)
    C(w, "gather_rows", "gather", [a, i], gather_ref(a, [i], [0], [1, 6, 4]), axes=[0], slice_sizes=[1, 6, 4])
    ia, ib = np.array([0, 2, 4], np.int32), np.array([1, 1, 3], np.int32)
    C(w, "gather_swapped_axes", "gather", [a, ia, ib], gather_ref(a, [ia, ib], [1, 0], [2, 1, 4]), axes=[1, 0], slice_sizes=[2, 1, 4])
    C(w, "gather_T", "gather", [a, np.array([3, 0], np.int32)], gather_ref(a.T, [np.array([3, 0])], [0], [1, 6, 5]), axes=[0], slice_sizes=[1, 6, 5], t_rev=True)
    C(w, "gather_empty_idx", "gather", [a, np.zeros((0, 2), np.int32)], np.zeros((0, 2, 1, 6, 4), np.float32), axes=[0], slice_sizes=[1, 6, 4])
    C(w, "gather_scalar_idx", "gather", [a, np.array(-2, np.int32)], gather_ref(a, [np.array(-2)], [0], [1, 2, 2]), axes=[0], slice_sizes=[1, 2, 2])
    w.error("gather_slice_too_big", "gather", [a, np.array([0], np.int32)], axes=[0], slice_sizes=[1, 7, 4])
    w.error("gather_badaxis", "gather", [a, np.array([0], np.int32)], axes=[3], slice_sizes=[1, 6, 4])
    w.error("gather_repeat_axis", "gather", [a, np.array([0], np.int32), np.array([0], np.int32)], axes=[0, 0], slice_sizes=[1, 6, 4])
    w.error("gather_nobroadcast", "gather", [a, np.array([0, 1], np.int32), np.array([0, 1, 2], np.int32)], axes=[0, 1], slice_sizes=[1, 1, 4])
    w.error("gather_float", "gather", [a, np.array([0.0], np.float32)], axes=[0], slice_sizes=[1, 6, 4])
    w.error("gather_range", "gather", [a, np.array([4], np.int32)], axes=[0], slice_sizes=[2, 6, 4])

    # ---- scatter (MLX semantics) ----
    for dt in DTYPES:
        a = mk((6, 4), dt)
        i = np.array([1, -1, 3, 1, 0, 1], np.int32)   # repeats: add/prod/max/min accumulate
        u = mk((6, 1, 4), dt)
        if dt in ("int32", "int64", "uint8"):
            a = (a % 4).astype(dt); u = (u % 4).astype(dt)
        for mode in ["set", "add", "max", "min", "prod"]:
            if mode == "set":
                ii = np.array([1, -1, 3, 0, 2, 4], np.int32)  # distinct for set
            else:
                ii = i
            tol = {"float16": 2e-3, "bfloat16": 1e-2}.get(dt, 0) if mode in ("add", "prod") else 0
            C(w, f"scatter_{mode}_{dt}", "scatter", [a, ii, u], scatter_ref(a, [ii], u, [0], mode), rtol=tol, atol=tol,
              axes=[0], mode=mode)
    # scatter-add with repeated indices == np.add.at
    base = np.zeros(10, np.float32)
    idx = rng.integers(0, 10, size=200).astype(np.int64)
    vals = rng.uniform(-1, 1, size=200).astype(np.float32)
    ref = base.copy(); np.add.at(ref, idx, vals)
    C(w, "scatter_add_at_1d", "scatter", [base, idx, vals.reshape(200, 1)], ref, rtol=1e-5, atol=1e-5, axes=[0], mode="add")
    m = mk((5, 7))
    r0, r1 = rng.integers(0, 5, size=40), rng.integers(-7, 7, size=40)
    uv = rng.uniform(-1, 1, size=40).astype(np.float32)
    ref = m.copy(); np.add.at(ref, (r0, r1), uv)
    C(w, "scatter_add_at_2d", "scatter", [m, r0.astype(np.int32), r1.astype(np.int32), uv.reshape(40, 1, 1)], ref,
      rtol=1e-5, atol=1e-5, axes=[0, 1], mode="add")
    ir = rng.integers(0, 5, size=(3, 2)).astype(np.int32)
    rows = mk((3, 2, 1, 7))
    ref = m.copy(); np.add.at(ref, ir.reshape(-1), rows.reshape(6, 7))
    C(w, "scatter_add_at_rows", "scatter", [m, ir, rows], ref, rtol=1e-5, atol=1e-5, axes=[0], mode="add")
    # overlapping windows along the indexed axis (serial path)
    wu = mk((3, 2, 7))
    wi = np.array([0, 1, 3], np.int32)
    C(w, "scatter_add_windows", "scatter", [m, wi, wu], scatter_ref(m, [wi], wu, [0], "add"), rtol=1e-6, atol=1e-6, axes=[0], mode="add")
    C(w, "scatter_set_windows", "scatter", [m, wi, wu], scatter_ref(m, [wi], wu, [0], "set"), axes=[0], mode="set")
    pu = mk((3, 1, 4))
    C(w, "scatter_partial_slice", "scatter", [m, wi, pu], scatter_ref(m, [wi], pu, [0], "set"), axes=[0], mode="set")
    bu = np.array(2.5, np.float32).reshape(1, 1, 1)
    C(w, "scatter_broadcast_updates", "scatter", [m, wi, bu], scatter_ref(m, [wi], np.broadcast_to(bu, (3, 1, 1)), [0], "set"), axes=[0], mode="set")
    tu = mk((3, 1, 5))
    C(w, "scatter_T", "scatter", [m, wi, tu], scatter_ref(np.ascontiguousarray(m.T), [wi], tu, [0], "add"), rtol=1e-6, atol=1e-6,
      axes=[0], mode="add", t_rev=True)
    C(w, "scatter_int_updates_cast", "scatter", [m, wi, np.ones((3, 1, 7), np.int32)],
      scatter_ref(m, [wi], np.ones((3, 1, 7), np.float32), [0], "add"), rtol=1e-6, atol=1e-6, axes=[0], mode="add")
    C(w, "scatter_empty_idx", "scatter", [m, np.zeros((0,), np.int32), np.zeros((0, 1, 7), np.float32)], m, axes=[0], mode="add")
    big = np.zeros((64, 256), np.float32)
    bi = rng.integers(0, 64, size=500).astype(np.int32)
    bv = rng.uniform(-1, 1, size=(500, 1, 256)).astype(np.float32)
    ref = big.copy(); np.add.at(ref, bi, bv[:, 0, :])
    C(w, "scatter_add_big", "scatter", [big, bi, bv], ref, rtol=1e-5, atol=1e-5, axes=[0], mode="add")
    w.error("scatter_bad_updates", "scatter", [m, wi, mk((3, 7))], axes=[0], mode="set")
    w.error("scatter_updates_too_big", "scatter", [m, wi, mk((3, 1, 8))], axes=[0], mode="set")
    w.error("scatter_range", "scatter", [m, np.array([5], np.int32), mk((1, 1, 7))], axes=[0], mode="set")
    w.error("scatter_window_range", "scatter", [m, np.array([4], np.int32), mk((1, 2, 7))], axes=[0], mode="add")
    w.error("scatter_bad_mode", "scatter", [m, wi, mk((3, 1, 7))], axes=[0], mode="bogus")
    w.error("scatter_float_idx", "scatter", [m, wi.astype(np.float32), mk((3, 1, 7))], axes=[0], mode="set")

    # ---- slice_update ----
    for dt in DTYPES:
        a = mk((5, 6), dt)
        u = mk((2, 3), dt)
        r = u16(a).copy(); r[1:5:2, ::-2] = u16(u)
        C(w, f"slice_update_{dt}", "slice_update", [a, u], v2(r, a), start=[1, 5], stop=[5, -100], step=[2, -2])
    a = mk((4, 5, 3), "int32")
    r = a.copy(); r[:, 1:3, :] = 7
    C(w, "slice_update_scalar", "slice_update", [a, np.array(7, np.int32)], r, start=[0, 1, 0], stop=[4, 3, 3], step=None)
    row = mk((3,), "int32")
    r = a.copy(); r[::-1, 2:, :] = row
    C(w, "slice_update_broadcast", "slice_update", [a, row], r, start=[3, 2, 0], stop=[-100, 5, 3], step=[-1, 1, 1])
    r = a.T.copy(); r[1:2] = np.int32(-3)
    C(w, "slice_update_T", "slice_update", [a, np.array([[[-3]]], np.int32)], r, start=[1, 0, 0], stop=[2, 5, 4], t_rev=True)
    fl = mk((2, 2))
    r = fl.copy(); r[:, :] = np.array([1, 2], np.int64).astype(np.float32)
    C(w, "slice_update_cast", "slice_update", [fl, np.array([1, 2], np.int64)], r, start=None, stop=None, step=None)
    C(w, "slice_update_empty", "slice_update", [fl, np.zeros((0, 2), np.float32)], fl, start=[1, 0], stop=[1, 2])
    w.error("slice_update_shape", "slice_update", [fl, np.zeros((3,), np.float32)], start=None, stop=None)
    w.error("slice_update_ndim", "slice_update", [fl, np.zeros((1, 2, 2), np.float32)], start=None, stop=None)
    w.error("slice_update_zero_step", "slice_update", [fl, np.zeros((1,), np.float32)], start=None, stop=None, step=[0, 1])

