"""Shape ops against numpy: the views (reshape, transpose, slice with negative
steps, broadcast_to, contiguous) on contiguous and non-contiguous inputs, and
flatten, squeeze, expand_dims, swapaxes, moveaxis, broadcast_arrays,
concatenate, stack, split, split_at, tile, repeat, pad, flip, roll; several
dtypes (bool, ints, f16, bf16), negative axes, empty arrays, scalars, errors.
All results are exact copies of input elements (rtol = atol = 0)."""
import numpy as np
from gen import bf16

rng = np.random.default_rng(77)
DTYPES = ["float32", "bool", "int64", "float16", "bfloat16", "uint8", "int32", "float64"]


def mk(shape, dt="float32"):
    if dt == "bool":
        return rng.integers(0, 2, size=shape).astype(bool)
    if dt == "bfloat16":
        return bf16(rng.uniform(-10, 10, size=shape).astype(np.float32)).reshape(shape)
    if dt in ("float16", "float32", "float64"):
        return rng.uniform(-10, 10, size=shape).astype(dt)
    return rng.integers(0, 100, size=shape).astype(dt)


def apply(fn, *xs):
    """fn on numpy arrays; bfloat16 (raw V2) goes through uint16 views."""
    if any(x.dtype.kind == "V" for x in xs):
        r = fn(*[x.view(np.uint16) for x in xs])
        if isinstance(r, (list, tuple)):
            return [np.ascontiguousarray(y).view("V2") for y in r]
        return np.ascontiguousarray(r).view("V2")
    return fn(*xs)


def C(w, name, op, inputs, outputs, **kw):
    if isinstance(outputs, (list, tuple)):
        outputs = [np.array(o, order="C") for o in outputs]
    else:
        outputs = np.array(outputs, order="C")
    w.case(name, op, inputs, outputs, 0, 0, **kw)


def cases(w):
    # ---- views ----
    for dt in DTYPES:
        x = mk((4, 6), dt)
        C(w, f"reshape_{dt}", "reshape", [x], apply(lambda a: a.reshape(3, 2, 4), x), shape=[3, 2, 4])
        C(w, f"reshape_infer_{dt}", "reshape", [x], apply(lambda a: a.reshape(-1, 8), x), shape=[-1, 8])
        # reshape of a transposed array must copy
        C(w, f"reshape_of_T_{dt}", "reshape", [x], apply(lambda a: a.T.reshape(3, 8), x), shape=[3, 8], t_rev=True)
        C(w, f"transpose_{dt}", "transpose", [x], apply(lambda a: a.T, x), perm=None)
        C(w, f"slice_neg_{dt}", "slice", [x], apply(lambda a: a[::-1, 5:0:-2], x), start=[3, 5], stop=[-100, 0], step=[-1, -2])
        C(w, f"contiguous_T_{dt}", "contiguous", [x], apply(lambda a: a.T, x), t_rev=True)
    x = mk((2, 3, 4))
    C(w, "reshape_scalar", "reshape", [np.array(5.0, np.float32)], np.array([[5.0]], np.float32), shape=[1, 1])
    C(w, "reshape_to_scalar", "reshape", [np.array([7], np.int32)], np.array(7, np.int32), shape=None)
    C(w, "reshape_empty", "reshape", [np.zeros((0, 3), np.float32)], np.zeros((3, 0, 2), np.float32), shape=[3, 0, 2])
    C(w, "reshape_view_merge", "reshape", [x], x.transpose(2, 0, 1).reshape(4, 6), shape=[4, 6], t_perm=[2, 0, 1])
    C(w, "reshape_view_split", "reshape", [x], x.transpose(2, 0, 1).reshape(2, 2, 6), shape=[2, 2, 6], t_perm=[2, 0, 1])
    C(w, "reshape_of_slice", "reshape", [x], x[:, ::2, 1:3].reshape(-1), shape=[-1], pre_start=[0, 0, 1], pre_stop=[2, 3, 3], pre_step=[1, 2, 1])
    w.error("reshape_bad", "reshape", [x], shape=[5, 5])
    w.error("reshape_two_infer", "reshape", [x], shape=[-1, -1])
    C(w, "transpose_perm", "transpose", [x], x.transpose(1, -1, 0), perm=[1, -1, 0])
    C(w, "transpose_scalar", "transpose", [np.array(3, np.int64)], np.array(3, np.int64), perm=None)
    w.error("transpose_repeat", "transpose", [x], perm=[0, 0, 1])
    w.error("transpose_badaxis", "transpose", [x], perm=[0, 1, 3])
    C(w, "slice_basic", "slice", [x], x[1:, -2:, ::3], start=[1, -2, 0], stop=[2, 3, 4], step=[1, 1, 3])
    C(w, "slice_negstep_full", "slice", [x], x[::-1, ::-1, ::-2], start=None, stop=None, step=[-1, -1, -2])
    C(w, "slice_empty", "slice", [x], x[1:1, :, :], start=[1, 0, 0], stop=[1, 3, 4])
    C(w, "slice_clamp", "slice", [x], x[-10:10, 5:, :], start=[-10, 5, 0], stop=[10, 10, 4])
    C(w, "slice_of_T", "slice", [x], x.T[1:3, ::-1, 1:], start=[1, 2, 1], stop=[3, -100, 2], step=[1, -1, 1], t_rev=True)
    # stop=[3,..] with step -1 means "down to index 3 exclusive"
    C(w, "slice_of_T_neg", "slice", [x], x.T[3:0:-2, ::-1, 1:], start=[3, 2, 1], stop=[0, -100, 2], step=[-2, -1, 1], t_rev=True)
    C(w, "slice_of_slice", "slice", [x], x[::-1][1:, ::2], start=[1, 0, 0], stop=[2, 3, 4], step=[1, 2, 1], pre_step=[-1, 1, 1])
    w.error("slice_zero_step", "slice", [x], start=[0, 0, 0], stop=[1, 1, 1], step=[0, 1, 1])
    b = mk((3, 1), "int32")
    C(w, "broadcast_to_basic", "broadcast_to", [b], np.broadcast_to(b, (2, 3, 4)), shape=[2, 3, 4])
    C(w, "broadcast_to_scalar", "broadcast_to", [np.array(2.5, np.float32)], np.full((2, 2), 2.5, np.float32), shape=[2, 2])
    C(w, "broadcast_to_empty", "broadcast_to", [b], np.zeros((0, 3, 5), np.int32), shape=[0, 3, 5])
    y = mk((1, 3))
    C(w, "broadcast_to_of_T", "broadcast_to", [y], np.broadcast_to(y.T, (2, 3, 4)), shape=[2, 3, 4], t_rev=True)
    C(w, "contiguous_broadcast_then_slice", "contiguous", [x], x[:, ::-1, 1::2], pre_start=[0, 2, 1], pre_stop=[2, -100, 4], pre_step=[1, -1, 2])
    C(w, "contiguous_plain", "contiguous", [x], x)
    C(w, "contiguous_empty", "contiguous", [np.zeros((2, 0), np.float32)], np.zeros((0, 2), np.float32), t_rev=True)
    w.error("broadcast_to_bad", "broadcast_to", [b], shape=[2, 2])
    w.error("broadcast_to_fewer", "broadcast_to", [x], shape=[3, 4])

    # ---- flatten, squeeze, expand_dims, swapaxes, moveaxis ----
    for dt in ["float32", "bool", "int64", "bfloat16"]:
        x = mk((2, 3, 4, 5), dt)
        C(w, f"flatten_{dt}", "flatten", [x], apply(lambda a: a.reshape(-1), x), start=0, end=-1)
        C(w, f"flatten_mid_{dt}", "flatten", [x], apply(lambda a: a.reshape(2, 12, 5), x), start=1, end=-2)
        C(w, f"flatten_T_{dt}", "flatten", [x], apply(lambda a: a.T.reshape(5, 4, 6), x), start=-2, end=3, t_rev=True)
        C(w, f"swapaxes_{dt}", "swapaxes", [x], apply(lambda a: np.swapaxes(a, 0, -1), x), a1=0, a2=-1)
        C(w, f"moveaxis_{dt}", "moveaxis", [x], apply(lambda a: np.moveaxis(a, 1, -1), x), src=1, dst=-1)
        C(w, f"moveaxis_back_{dt}", "moveaxis", [x], apply(lambda a: np.moveaxis(a, -1, 0), x), src=-1, dst=0)
    C(w, "flatten_scalar", "flatten", [np.array(4, np.int32)], np.array([4], np.int32), start=0, end=-1)
    C(w, "flatten_empty", "flatten", [np.zeros((2, 0, 3), np.float32)], np.zeros((0,), np.float32), start=0, end=-1)
    w.error("flatten_order", "flatten", [mk((2, 3, 4))], start=2, end=1)
    w.error("flatten_badaxis", "flatten", [mk((2, 3, 4))], start=0, end=3)
    s = mk((1, 3, 1, 2), "int64")
    C(w, "squeeze_all", "squeeze", [s], np.squeeze(s), all=True)
    C(w, "squeeze_axes", "squeeze", [s], np.squeeze(s, axis=(0, -2)), axes=[0, -2])
    C(w, "squeeze_one", "squeeze", [s], np.squeeze(s, axis=2), axes=[2])
    C(w, "squeeze_scalar", "squeeze", [np.array(1.5, np.float16)], np.array(1.5, np.float16), all=True)
    C(w, "squeeze_empty", "squeeze", [np.zeros((1, 0, 1), bool)], np.zeros((0,), bool), all=True)
    C(w, "squeeze_T", "squeeze", [s], np.squeeze(s.T, axis=1), axes=[1], t_rev=True)
    w.error("squeeze_not1", "squeeze", [s], axes=[1])
    w.error("squeeze_badaxis", "squeeze", [s], axes=[4])
    w.error("squeeze_repeat", "squeeze", [s], axes=[0, 0])
    e = mk((3, 4), "float16")
    C(w, "expand_dims_0", "expand_dims", [e], np.expand_dims(e, 0), axes=[0])
    C(w, "expand_dims_neg", "expand_dims", [e], np.expand_dims(e, -1), axes=[-1])
    C(w, "expand_dims_multi", "expand_dims", [e], np.expand_dims(e, (0, 2, -1)), axes=[0, 2, -1])
    C(w, "expand_dims_scalar", "expand_dims", [np.array(True)], np.array([[True]]), axes=[0, 1])
    C(w, "expand_dims_T", "expand_dims", [e], np.expand_dims(e.T, 1), axes=[1], t_rev=True)
    w.error("expand_dims_badaxis", "expand_dims", [e], axes=[3])
    w.error("expand_dims_repeat", "expand_dims", [e], axes=[1, 1])
    w.error("swapaxes_bad", "swapaxes", [e], a1=0, a2=2)
    w.error("moveaxis_bad", "moveaxis", [e], src=-3, dst=0)

    # ---- broadcast_arrays ----
    a, b, c = mk((3, 1), "int32"), mk((4,), "int32"), mk((2, 1, 1), "int32")
    C(w, "broadcast_arrays_3", "broadcast_arrays", [a, b, c], list(np.broadcast_arrays(a, b, c)))
    s0, m0 = np.array(1.0, np.float32), mk((2, 2))
    C(w, "broadcast_arrays_scalar", "broadcast_arrays", [s0, m0], list(np.broadcast_arrays(s0, m0)))
    b2 = mk((4, 1), "int32")
    C(w, "broadcast_arrays_T", "broadcast_arrays", [a, b2], list(np.broadcast_arrays(a.T, b2)), t_rev=True)
    w.error("broadcast_arrays_bad", "broadcast_arrays", [mk((3,)), mk((4,))])

    # ---- concatenate, stack ----
    for dt in DTYPES:
        p, q, r = mk((2, 3), dt), mk((2, 5), dt), mk((2, 1), dt)
        C(w, f"concatenate_ax1_{dt}", "concatenate", [p, q, r], apply(lambda *z: np.concatenate(z, axis=1), p, q, r), axis=1)
        C(w, f"concatenate_ax0_{dt}", "concatenate", [p, p], apply(lambda *z: np.concatenate(z, axis=0), p, p), axis=-2)
        C(w, f"stack_{dt}", "stack", [p, p, p], apply(lambda *z: np.stack(z, axis=1), p, p, p), axis=1)
        C(w, f"stack_neg_{dt}", "stack", [p, p], apply(lambda *z: np.stack(z, axis=-1), p, p), axis=-1)
    p, q = mk((3, 4)), mk((4, 2))
    C(w, "concatenate_T", "concatenate", [q, p], np.concatenate([q.T, p], axis=0), axis=0, t_rev=True)
    C(w, "concatenate_empty_part", "concatenate", [p, np.zeros((0, 4), np.float32), p], np.concatenate([p, p]), axis=0)
    C(w, "concatenate_all_empty", "concatenate", [np.zeros((0, 4), np.float32)] * 2, np.zeros((0, 4), np.float32), axis=0)
    C(w, "concatenate_one", "concatenate", [p], p, axis=0)
    C(w, "concatenate_promote", "concatenate", [np.array([1, 2], np.int32), np.array([0.5], np.float32)],
      np.array([1, 2, 0.5], np.float32), axis=0)
    u, v = mk((2, 3, 4), "int64"), mk((2, 3, 1), "int64")
    C(w, "concatenate_3d", "concatenate", [u, v], np.concatenate([u, v], axis=-1), axis=-1)
    C(w, "stack_scalars", "stack", [np.array(1, np.int32), np.array(2, np.int32)], np.array([1, 2], np.int32), axis=0)
    p2 = mk((2, 4))
    C(w, "stack_T", "stack", [q, p2], np.stack([q.T, p2], axis=1), axis=1, t_rev=True)
    w.error("concatenate_mismatch", "concatenate", [mk((2, 3)), mk((3, 3))], axis=1)
    w.error("concatenate_ndim", "concatenate", [mk((2, 3)), mk((2, 3, 1))], axis=0)
    w.error("concatenate_badaxis", "concatenate", [mk((2, 3)), mk((2, 3))], axis=2)
    w.error("concatenate_scalar", "concatenate", [np.array(1.0, np.float32)] * 2, axis=0)
    w.error("stack_mismatch", "stack", [mk((2, 3)), mk((3, 2))], axis=0)
    w.error("stack_badaxis", "stack", [mk((2, 3)), mk((2, 3))], axis=3)

    # ---- split, split_at ----
    for dt in ["float32", "bool", "int64", "bfloat16", "float16"]:
        x = mk((6, 4), dt)
        C(w, f"split_{dt}", "split", [x], apply(lambda a: np.split(a, 3, axis=0), x), sections=3, axis=0)
        C(w, f"split_neg_{dt}", "split", [x], apply(lambda a: np.split(a, 2, axis=-1), x), sections=2, axis=-1)
        C(w, f"split_at_{dt}", "split_at", [x], apply(lambda a: np.split(a, [1, 4], axis=0), x), indices=[1, 4], axis=0)
    x = mk((6, 4))
    C(w, "split_T", "split", [x], np.split(x.T, 2, axis=0), sections=2, axis=0, t_rev=True)
    C(w, "split_one", "split", [x], [x], sections=1, axis=1)
    C(w, "split_empty", "split", [np.zeros((0, 3), np.float32)], np.split(np.zeros((0, 3), np.float32), 2, axis=0), sections=2, axis=0)
    C(w, "split_at_unsorted", "split_at", [x], np.split(x, [3, 1, 10], axis=1), indices=[3, 1, 10], axis=1)
    C(w, "split_at_negative", "split_at", [x], np.split(x, [-2], axis=0), indices=[-2], axis=0)
    C(w, "split_at_none", "split_at", [x], [x], indices=None, axis=0)
    w.error("split_not_dividing", "split", [x], sections=4, axis=0)
    w.error("split_zero", "split", [x], sections=0, axis=0)
    w.error("split_badaxis", "split", [x], sections=2, axis=2)
    w.error("split_at_badaxis", "split_at", [x], indices=[1], axis=-3)

    # ---- tile, repeat ----
    for dt in ["float32", "bool", "int64", "bfloat16", "uint8"]:
        x = mk((2, 3), dt)
        C(w, f"tile_{dt}", "tile", [x], apply(lambda a: np.tile(a, (2, 3)), x), reps=[2, 3])
        C(w, f"tile_more_{dt}", "tile", [x], apply(lambda a: np.tile(a, (2, 1, 2)), x), reps=[2, 1, 2])
        C(w, f"repeat_{dt}", "repeat", [x], apply(lambda a: np.repeat(a, 3, axis=1), x), repeats=3, axis=1)
        C(w, f"repeat_flat_{dt}", "repeat", [x], apply(lambda a: np.repeat(a, 2), x), repeats=2, axis=None)
    x = mk((2, 3, 4), "int32")
    C(w, "tile_fewer", "tile", [x], np.tile(x, (3,)), reps=[3])
    C(w, "tile_zero", "tile", [x], np.tile(x, (0, 1)), reps=[0, 1])
    C(w, "tile_ones", "tile", [x], np.tile(x, (1, 1, 1)), reps=[1, 1, 1])
    C(w, "tile_scalar", "tile", [np.array(5, np.int32)], np.tile(np.array(5, np.int32), (2, 2)), reps=[2, 2])
    C(w, "tile_T", "tile", [x], np.tile(x.T, (2, 1, 2)), reps=[2, 1, 2], t_rev=True)
    big = mk((2, 1, 2, 1, 2, 1, 1, 2), "int32")
    C(w, "tile_8d", "tile", [big], np.tile(big, (2, 1, 1, 2, 1, 1, 1, 2)), reps=[2, 1, 1, 2, 1, 1, 1, 2])
    C(w, "repeat_neg_axis", "repeat", [x], np.repeat(x, 2, axis=-1), repeats=2, axis=-1)
    C(w, "repeat_zero", "repeat", [x], np.repeat(x, 0, axis=0), repeats=0, axis=0)
    C(w, "repeat_scalar", "repeat", [np.array(1.5, np.float32)], np.repeat(np.float32(1.5), 3), repeats=3, axis=None)
    C(w, "repeat_T", "repeat", [x], np.repeat(x.T, 2, axis=1), repeats=2, axis=1, t_rev=True)
    C(w, "repeat_empty", "repeat", [np.zeros((0, 2), np.float32)], np.zeros((0, 6), np.float32), repeats=3, axis=1)
    w.error("tile_negative", "tile", [x], reps=[-1])
    w.error("repeat_negative", "repeat", [x], repeats=-1, axis=0)
    w.error("repeat_badaxis", "repeat", [x], repeats=2, axis=3)

    # ---- pad ----
    for dt in DTYPES:
        x = mk((3, 4), dt)
        val = 0 if dt == "bool" else 7
        if dt == "bfloat16":
            ref = np.pad(x.view(np.uint16), ((1, 2), (0, 3)), constant_values=bf16(np.array([7.0], np.float32)).view(np.uint16)[0]).view("V2")
        elif dt == "bool":
            ref = np.pad(x, ((1, 2), (0, 3)), constant_values=False)
        else:
            ref = np.pad(x, ((1, 2), (0, 3)), constant_values=val)
        C(w, f"pad_const_{dt}", "pad", [x], ref, widths=[1, 2, 0, 3], mode="constant", value=val)
        C(w, f"pad_edge_{dt}", "pad", [x], apply(lambda a: np.pad(a, ((2, 1), (3, 2)), mode="edge"), x), widths=[2, 1, 3, 2], mode="edge")
    x = mk((2, 3, 4))
    C(w, "pad_const_3d", "pad", [x], np.pad(x, ((0, 1), (2, 0), (1, 1)), constant_values=-1.5), widths=[0, 1, 2, 0, 1, 1], mode="constant", value=-1.5)
    C(w, "pad_edge_3d", "pad", [x], np.pad(x, ((1, 1), (2, 0), (1, 3)), mode="edge"), widths=[1, 1, 2, 0, 1, 3], mode="edge")
    C(w, "pad_edge_T", "pad", [x], np.pad(x.T, ((1, 0), (0, 2), (1, 1)), mode="edge"), widths=[1, 0, 0, 2, 1, 1], mode="edge", t_rev=True)
    C(w, "pad_const_T", "pad", [x], np.pad(x.T, ((1, 0), (0, 2), (1, 1)), constant_values=2), widths=[1, 0, 0, 2, 1, 1], mode="constant", value=2, t_rev=True)
    C(w, "pad_zero_width", "pad", [x], x, widths=[0, 0, 0, 0, 0, 0], mode="edge")
    C(w, "pad_empty_const", "pad", [np.zeros((0, 2), np.float32)], np.pad(np.zeros((0, 2), np.float32), ((1, 1), (0, 1)), constant_values=3), widths=[1, 1, 0, 1], mode="constant", value=3)
    C(w, "pad_scalar", "pad", [np.array(2.0, np.float32)], np.array(2.0, np.float32), widths=None, mode="constant", value=1)
    w.error("pad_negative", "pad", [x], widths=[0, -1, 0, 0, 0, 0], mode="constant", value=0)
    w.error("pad_edge_empty", "pad", [np.zeros((0, 2), np.float32)], widths=[1, 0, 0, 0], mode="edge")
    w.error("pad_bad_mode", "pad", [x], widths=[0, 0, 0, 0, 0, 0], mode="bad")

    # ---- flip, roll ----
    for dt in ["float32", "bool", "int64", "bfloat16", "float16", "int8"]:
        x = mk((3, 4, 2), dt)
        C(w, f"flip_all_{dt}", "flip", [x], apply(lambda a: np.flip(a), x), all=True)
        C(w, f"flip_axes_{dt}", "flip", [x], apply(lambda a: np.flip(a, axis=(0, -1)), x), axes=[0, -1])
        C(w, f"roll_{dt}", "roll", [x], apply(lambda a: np.roll(a, 2, axis=1), x), shift=2, axis=1)
        C(w, f"roll_flat_{dt}", "roll", [x], apply(lambda a: np.roll(a, -5), x), shift=-5, axis=None)
    x = mk((3, 4), "int32")
    C(w, "flip_T", "flip", [x], np.flip(x.T, axis=0), axes=[0], t_rev=True)
    C(w, "flip_none", "flip", [x], x, axes=None)
    C(w, "flip_scalar", "flip", [np.array(3, np.int32)], np.array(3, np.int32), all=True)
    C(w, "flip_empty", "flip", [np.zeros((0, 3), np.float32)], np.zeros((0, 3), np.float32), all=True)
    C(w, "roll_big", "roll", [x], np.roll(x, 11, axis=-1), shift=11, axis=-1)
    C(w, "roll_neg", "roll", [x], np.roll(x, -1, axis=0), shift=-1, axis=0)
    C(w, "roll_zero", "roll", [x], x, shift=0, axis=0)
    C(w, "roll_full", "roll", [x], x, shift=4, axis=1)
    C(w, "roll_T", "roll", [x], np.roll(x.T, 1, axis=0), shift=1, axis=0, t_rev=True)
    C(w, "roll_T_flat", "roll", [x], np.roll(x.T, 3), shift=3, axis=None, t_rev=True)
    C(w, "roll_empty", "roll", [np.zeros((0, 3), np.float32)], np.zeros((0, 3), np.float32), shift=2, axis=0)
    C(w, "roll_scalar", "roll", [np.array(1.0, np.float32)], np.array(1.0, np.float32), shift=2, axis=None)
    w.error("flip_badaxis", "flip", [x], axes=[2])
    w.error("roll_badaxis", "roll", [x], shift=1, axis=-3)
