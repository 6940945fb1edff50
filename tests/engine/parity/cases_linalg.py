"""Linear algebra against numpy: matmul (batched, broadcast, 1-d, transposed
views, every dtype), addmm, outer, inner, tensordot, einsum, the LAPACK ops
(compared through reconstructions where the result is unique only up to
signs) and norms."""
import numpy as np
from gen import bf16, bf16_to_f32

rng = np.random.default_rng(4321)


def rnd(*shape, dt="float32"):
    x = rng.standard_normal(shape)
    if dt in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"):
        return rng.integers(0, 5, size=shape).astype(dt)
    if dt == "bool":
        return rng.random(shape) < 0.5
    return x.astype(dt)


TOL = {"float32": (2e-5, 2e-5), "float64": (1e-12, 1e-12), "float16": (1e-2, 1e-2)}


def matmul_cases(w):
    shapes = [((3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,)),
              ((2, 3, 4), (4, 5)), ((3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2)),
              ((1, 3, 4), (6, 4, 2)), ((7, 1, 5), (5, 9)), ((0, 3), (3, 4)), ((3, 0), (0, 4)),
              ((2, 3, 4), (4,)), ((4,), (2, 4, 3)), ((64, 65), (65, 66)), ((130, 129), (129, 131)),
              ((33, 16, 16), (33, 16, 16))]
    for i, (sa, sb) in enumerate(shapes):
        for dt in ["float32", "float64"]:
            a, b = rnd(*sa, dt=dt), rnd(*sb, dt=dt)
            rt, at = TOL[dt]
            w.case(f"matmul_{i}_{dt}", "matmul", [a, b], np.matmul(a, b), rtol=rt, atol=at * max(1, sa[-1]))
    # transposed views: BLAS reads them as CblasTrans
    for dt in ["float32", "float64"]:
        a, b, b2 = rnd(5, 3, dt=dt), rnd(4, 5, dt=dt), rnd(5, 4, dt=dt)
        rt, at = TOL[dt]
        w.case(f"matmul_ta_{dt}", "matmul", [a, b2], a.T @ b2, rtol=rt, atol=at, transpose_a=True)
        w.case(f"matmul_tb_{dt}", "matmul", [a.T.copy(), b], a.T @ b.T, rtol=rt, atol=at, transpose_b=True)
        w.case(f"matmul_tab_{dt}", "matmul", [a, b], a.T @ b.T, rtol=rt, atol=at, transpose_a=True, transpose_b=True)
        c, d = rnd(2, 6, 3, dt=dt), rnd(2, 4, 6, dt=dt)
        w.case(f"matmul_batch_tab_{dt}", "matmul", [c, d],
               np.matmul(c.swapaxes(-1, -2), d.swapaxes(-1, -2)), rtol=rt, atol=at,
               transpose_a=True, transpose_b=True)
    # strided (every other column): copied into a dense scratch
    a, b = rnd(4, 10), rnd(5, 3)
    w.case("matmul_strided", "matmul", [a, b], a[:, ::2] @ b, rtol=2e-5, atol=2e-5, step_a=2)
    # half types: f32 accumulation
    a, b = rnd(6, 32).astype(np.float16), rnd(32, 7).astype(np.float16)
    ref = (a.astype(np.float32) @ b.astype(np.float32)).astype(np.float16)
    w.case("matmul_float16", "matmul", [a, b], ref, rtol=2e-3, atol=2e-3)
    a32, b32 = rnd(2, 5, 16), rnd(16, 3)
    ab, bb = bf16(a32), bf16(b32)
    ref = bf16(bf16_to_f32(ab).reshape(2, 5, 16) @ bf16_to_f32(bb).reshape(16, 3))
    w.case("matmul_bfloat16", "matmul", [ab.reshape(2, 5, 16), bb.reshape(16, 3)],
           ref.reshape(2, 5, 3), rtol=1e-2, atol=1e-2)
    for dt in ["int8", "uint8", "int16", "int32", "int64", "uint32", "uint64"]:
        a, b = rnd(2, 3, 6, dt=dt), rnd(6, 4, dt=dt)
        w.case(f"matmul_{dt}", "matmul", [a, b], np.matmul(a, b), rtol=0, atol=0)
    a, b = rnd(3, 6, dt="int32"), rnd(6, dt="int32")
    w.case("matmul_int32_vec", "matmul", [a, b], a @ b, rtol=0, atol=0)
    a, b = rnd(3, 4, dt="bool"), rnd(4, 2, dt="bool")
    w.case("matmul_bool", "matmul", [a, b], np.matmul(a, b), rtol=0, atol=0)
    a, b = rnd(3, 4, dt="int32"), rnd(4, 2)
    w.case("matmul_mixed", "matmul", [a, b], np.matmul(a.astype(np.float32), b), rtol=1e-5, atol=1e-5)
    w.error("matmul_bad_inner", "matmul", [rnd(3, 4), rnd(5, 2)])
    w.error("matmul_bad_batch", "matmul", [rnd(2, 3, 4), rnd(3, 4, 2)])
    w.error("matmul_scalar", "matmul", [np.float32(2.0), rnd(3)])


def misc_cases(w):
    for dt in ["float32", "float64"]:
        rt, at = TOL[dt]
        c, a, b = rnd(3, 5, dt=dt), rnd(3, 4, dt=dt), rnd(4, 5, dt=dt)
        w.case(f"addmm_{dt}", "addmm", [c, a, b], 0.5 * (a @ b) + 2.0 * c, rtol=rt, atol=at * 4,
               alpha=0.5, beta=2.0)
        c = rnd(5, dt=dt)
        a, b = rnd(2, 3, 4, dt=dt), rnd(4, 5, dt=dt)
        w.case(f"addmm_bcast_{dt}", "addmm", [c, a, b], 1.5 * (a @ b) - 1.0 * c, rtol=rt,
               atol=at * 4, alpha=1.5, beta=-1.0)
    c, a, b = rnd(3, 2, dt="int32"), rnd(3, 4, dt="int32"), rnd(4, 2, dt="int32")
    w.case("addmm_int32", "addmm", [c, a, b], (2 * (a @ b) + 3 * c).astype(np.float32),
           rtol=0, atol=0, alpha=2.0, beta=3.0, check_dtype=False)
    a, b = rnd(4), rnd(3)
    w.case("outer", "outer", [a, b], np.outer(a, b))
    a, b = rnd(2, 2), rnd(3, dt="int32")
    w.case("outer_flatten", "outer", [a, b], np.outer(a, b).astype(np.float32))
    a, b = rnd(5), rnd(5)
    w.case("inner_vec", "inner", [a, b], np.inner(a, b), rtol=1e-5, atol=1e-5)
    a, b = rnd(2, 3, 5), rnd(4, 5)
    w.case("inner_nd", "inner", [a, b], np.inner(a, b), rtol=1e-5, atol=1e-5)
    a, b = rnd(3, 4, 5), rnd(4, 3, 2)
    w.case("tensordot_2", "tensordot", [a, b], np.tensordot(a, b, axes=([1, 0], [0, 1])),
           rtol=1e-5, atol=1e-5, axes_a=[1, 0], axes_b=[0, 1])
    a, b = rnd(3, 4), rnd(2, 5)
    w.case("tensordot_0", "tensordot", [a, b], np.tensordot(a, b, axes=0), rtol=1e-6, atol=1e-6,
           axes_a=[], axes_b=[])
    a, b = rnd(2, 3, 4), rnd(4, 3, 6)
    w.case("tensordot_neg", "tensordot", [a, b], np.tensordot(a, b, axes=([-1], [0])),
           rtol=1e-5, atol=1e-5, axes_a=[-1], axes_b=[0])
    w.error("tensordot_bad", "tensordot", [rnd(3, 4), rnd(5, 2)], axes_a=[1], axes_b=[0])


EINSUM = [
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("ij,jk", [(3, 4), (4, 5)]),
    ("ij->ji", [(3, 4)]),
    ("ij->", [(3, 4)]),
    ("ij->j", [(3, 4)]),
    ("ii->i", [(4, 4)]),
    ("ii", [(4, 4)]),
    ("i,i->", [(5,), (5,)]),
    ("i,j->ij", [(3,), (4,)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("bhqd,bhkd->bhqk", [(2, 3, 4, 8), (2, 3, 5, 8)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (4, 5)]),
    ("...ij,...jk", [(2, 1, 3, 4), (5, 4, 2)]),
    ("i...->...", [(3, 2, 4)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("abc,cd,bd->a", [(2, 3, 4), (4, 5), (3, 5)]),
    ("ijk,ikj->i", [(2, 3, 4), (2, 4, 3)]),
    ("ba,ca->bc", [(3, 4), (5, 4)]),
    ("i,i,i->i", [(4,), (4,), (4,)]),
    ("ij,ij->ij", [(3, 4), (3, 4)]),
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
]


def einsum_cases(w):
    for i, (sub, shapes) in enumerate(EINSUM):
        ops = [rnd(*s) for s in shapes]
        w.case(f"einsum_{i}", "einsum", ops, np.einsum(sub, *ops).astype(np.float32),
               rtol=1e-5, atol=1e-5, subscripts=sub)
    a, b = rnd(3, 4, dt="float64"), rnd(4, 2, dt="float64")
    w.case("einsum_f64", "einsum", [a, b], np.einsum("ij,jk->ik", a, b), rtol=1e-12, atol=1e-12,
           subscripts="ij,jk->ik")
    a, b = rnd(3, 4, dt="int32"), rnd(4, 2, dt="int32")
    w.case("einsum_int32", "einsum", [a, b], np.einsum("ij,jk->ik", a, b), rtol=0, atol=0,
           subscripts="ij,jk->ik")
    w.error("einsum_bad_size", "einsum", [rnd(3, 4), rnd(5, 2)], subscripts="ij,jk->ik")
    w.error("einsum_bad_out", "einsum", [rnd(3, 4)], subscripts="ij->k")
    w.error("einsum_bad_count", "einsum", [rnd(3, 4)], subscripts="ij,jk->ik")


def spd(n, batch=(), dt="float64"):
    a = rng.standard_normal(batch + (n, n))
    return (a @ a.swapaxes(-1, -2) + n * np.eye(n)).astype(dt)


def lapack_cases(w):
    for dt in ["float32", "float64"]:
        rt, at = (2e-4, 2e-4) if dt == "float32" else (1e-10, 1e-10)
        a = spd(4, dt=dt)
        w.case(f"inv_{dt}", "inv", [a], np.linalg.inv(a), rtol=rt, atol=at)
        a = rnd(2, 3, 5, 5, dt=dt) + 5 * np.eye(5, dtype=dt)
        w.case(f"inv_batch_{dt}", "inv", [a], np.linalg.inv(a), rtol=rt, atol=at)
        w.case(f"inv_transposed_{dt}", "inv", [a], np.linalg.inv(a.swapaxes(-1, -2)), rtol=rt,
               atol=at, transpose_a=True)
        a, b = spd(5, dt=dt), rnd(5, 3, dt=dt)
        w.case(f"solve_{dt}", "solve", [a, b], np.linalg.solve(a, b), rtol=rt, atol=at)
        a, b = spd(4, (3,), dt=dt), rnd(4, dt=dt)
        w.case(f"solve_vec_{dt}", "solve", [a, b], np.linalg.solve(a, b[None, :, None])[..., 0],
               rtol=rt, atol=at)
        a, b = spd(4, (2, 1), dt=dt), rnd(1, 3, 4, 2, dt=dt)
        w.case(f"solve_bcast_{dt}", "solve", [a, b], np.linalg.solve(a, b), rtol=rt, atol=at)
        for upper in [False, True]:
            a = spd(5, (2,), dt=dt)
            l = np.linalg.cholesky(a)
            ref = l.swapaxes(-1, -2) if upper else l
            w.case(f"cholesky_{dt}_{int(upper)}", "cholesky", [a], ref, rtol=rt, atol=at, upper=upper)
        for shape in [(5, 3), (3, 5), (4, 4), (2, 6, 4)]:
            a = rnd(*shape, dt=dt)
            k = min(shape[-2:])
            eye = np.broadcast_to(np.eye(k, dtype=dt), shape[:-2] + (k, k))
            _, r = np.linalg.qr(a)
            sname = "x".join(map(str, shape))
            w.case(f"qr_{sname}_{dt}", "qr", [a], [a, eye, np.abs(r)], rtol=rt, atol=at * 10)
            for full in [False, True]:
                s = np.linalg.svd(a, compute_uv=False)
                m, n = shape[-2:]
                um = m if full else k
                vn = n if full else k
                ue = np.broadcast_to(np.eye(um, dtype=dt), shape[:-2] + (um, um))
                ve = np.broadcast_to(np.eye(vn, dtype=dt), shape[:-2] + (vn, vn))
                w.case(f"svd_{sname}_{dt}_{int(full)}", "svd", [a], [a, s, ue, ve], rtol=rt,
                       atol=at * 10, full=full)
        for uplo in ["L", "U"]:
            a = rnd(3, 5, 5, dt=dt)
            # only the named triangle is read
            sym = np.tril(a) + np.tril(a, -1).swapaxes(-1, -2) if uplo == "L" else \
                np.triu(a) + np.triu(a, 1).swapaxes(-1, -2)
            wv = np.linalg.eigvalsh(sym)
            w.case(f"eigh_{dt}_{uplo}", "eigh", [a], [wv, sym, np.broadcast_to(np.eye(5), a.shape).astype(dt)],
                   rtol=rt, atol=at * 10, uplo=uplo)
    a = np.array([[1.0, 2.0], [2.0, 4.0]], dtype=np.float32)
    w.error("inv_singular", "inv", [a])
    w.error("solve_singular", "solve", [a, rnd(2)])
    w.error("cholesky_not_pd", "cholesky", [np.array([[1.0, 2.0], [2.0, 1.0]])], upper=False)
    w.error("inv_not_square", "inv", [rnd(3, 4)])
    w.error("inv_vector", "inv", [rnd(3)])
    a = rnd(3, 3, dt="int32") + 4 * np.eye(3, dtype=np.int32)
    w.case("inv_int32", "inv", [a], np.linalg.inv(a).astype(np.float32), rtol=1e-4, atol=1e-5)


def norm_cases(w):
    x = rnd(3, 4, 5)
    w.case("norm_all", "norm", [x], np.linalg.norm(x.ravel()), rtol=1e-5, atol=1e-6)
    w.case("norm_axis", "norm", [x], np.linalg.norm(x, axis=1), rtol=1e-5, atol=1e-6, axes=[1])
    w.case("norm_axis_keep", "norm", [x], np.linalg.norm(x, axis=-1, keepdims=True), rtol=1e-5,
           atol=1e-6, axes=[-1], keepdims=True)
    w.case("norm_fro", "norm", [x], np.linalg.norm(x, "fro", axis=(1, 2)), rtol=1e-5, atol=1e-6,
           ord="fro")
    w.case("norm_fro_axes", "norm", [x], np.linalg.norm(x, "fro", axis=(0, 2)), rtol=1e-5,
           atol=1e-6, ord="fro", axes=[0, 2])
    w.case("norm_nuc", "norm", [x], np.linalg.norm(x, "nuc", axis=(1, 2)), rtol=1e-4, atol=1e-5,
           ord="nuc")
    w.case("norm_2", "norm", [x], np.linalg.norm(x, 2, axis=(1, 2)), rtol=1e-4, atol=1e-5, ord="2")
    w.case("norm_m2_keep", "norm", [x], np.linalg.norm(x, -2, axis=(2, 0), keepdims=True),
           rtol=1e-4, atol=1e-5, ord="-2", axes=[2, 0], keepdims=True)
    x64 = rnd(4, 6, dt="float64")
    w.case("norm_f64", "norm", [x64], np.linalg.norm(x64), rtol=1e-12, atol=1e-12)
    xi = rnd(4, 6, dt="int32")
    w.case("norm_int32", "norm", [xi], np.linalg.norm(xi).astype(np.float32), rtol=1e-6, atol=1e-6)
    for p in [1, 3, 0.5, 0, np.inf, -np.inf]:
        ref = np.linalg.norm(x, ord=p, axis=1).astype(np.float32)
        w.case(f"norm_p_{p}".replace("-inf", "minf"), "norm_p", [x], ref, rtol=1e-5, atol=1e-5, p=p, axes=[1])
    w.error("norm_fro_1axis", "norm", [x], ord="fro", axes=[0])


def cases(w):
    matmul_cases(w)
    misc_cases(w)
    einsum_cases(w)
    lapack_cases(w)
    norm_cases(w)
