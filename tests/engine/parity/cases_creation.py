"""Creation ops against numpy: every dtype, empty and scalar shapes."""
import numpy as np

DTYPES = ["bool", "uint8", "int32", "int64", "float16", "float32", "float64"]


def cases(w):
    x = np.zeros((1,), np.float32)  # runners need no input; a dummy keeps the format
    for dt in DTYPES:
        for shape in [(2, 3), (), (0, 4)]:
            tag = "x".join(map(str, shape)) or "scalar"
            w.case(f"zeros_{dt}_{tag}", "zeros", [x], [np.zeros(shape, dt)], shape=list(shape) or None, dtype=dt)
            w.case(f"ones_{dt}_{tag}", "ones", [x], [np.ones(shape, dt)], shape=list(shape) or None, dtype=dt)
        if dt != "bool":
            w.case(f"full_{dt}", "full", [x], [np.full((3, 2), 7, dt)], shape=[3, 2], value=7, dtype=dt)
    w.case("full_f32_frac", "full", [x], [np.full((4,), 2.5, np.float32)], shape=[4], value=2.5, dtype="float32")
    w.case("full_int64_big", "full", [x], [np.full((2,), 2**40 + 1, np.int64)], shape=[2], value=2**40 + 1, dtype="int64")
    for (a, b, s, dt) in [(0, 10, 1, "int32"), (0, 1, 0.1, "float32"), (5, -3, -2, "int64"), (3, 3, 1, "float32"),
                          (0.5, 4.25, 0.75, "float64"), (-2, 2, 0.5, "float16")]:
        w.case(f"arange_{a}_{b}_{s}_{dt}".replace(".", "p").replace("-", "m"), "arange", [x],
               [np.arange(a, b, s, dtype=np.float64).astype(dt)], 1e-3 if dt == "float16" else 1e-6, 0,
               start=a, stop=b, step=s, dtype=dt)
    w.error("arange_zero_step", "arange", [x], start=0, stop=1, step=0, dtype="float32")
    for (a, b, n, dt) in [(0, 1, 5, "float32"), (-3, 7, 11, "float64"), (2, 2, 1, "float32"), (0, 1, 0, "float32"),
                          (0, 100, 7, "int32")]:
        w.case(f"linspace_{a}_{b}_{n}_{dt}".replace("-", "m"), "linspace", [x],
               [np.linspace(a, b, n).astype(dt)], 1e-6, 1e-6, start=a, stop=b, num=n, dtype=dt)
    for (n, m, k) in [(3, 3, 0), (3, 5, 1), (4, 2, -1), (0, 3, 0), (3, 3, 5)]:
        w.case(f"eye_{n}_{m}_{k}".replace("-", "m"), "eye", [x], [np.eye(n, m, k, dtype=np.float32)], n=n, m=m, k=k, dtype="float32")
        w.case(f"tri_{n}_{m}_{k}".replace("-", "m"), "tri", [x], [np.tri(n, m, k, dtype=np.int32)], n=n, m=m, k=k, dtype="int32")
    w.case("identity_4", "identity", [x], [np.identity(4, dtype=np.float64)], n=4, dtype="float64")
    rng = np.random.default_rng(5)
    a = rng.standard_normal((2, 4, 5)).astype(np.float32)
    for k in [0, 1, -2, 7]:
        w.case(f"tril_{k}".replace("-", "m"), "tril", [a], [np.tril(a, k)], k=k)
        w.case(f"triu_{k}".replace("-", "m"), "triu", [a], [np.triu(a, k)], k=k)
    w.error("tril_1d", "tril", [np.zeros(3, np.float32)], k=0)
    i = rng.integers(-5, 5, size=(3, 2)).astype(np.int16)
    w.case("zeros_like", "zeros_like", [i], [np.zeros_like(i)])
    w.case("ones_like", "ones_like", [i], [np.ones_like(i)])
    w.case("full_like", "full_like", [a], [np.full_like(a, -1.5)], value=-1.5)
    p = np.arange(3, dtype=np.float32)
    q = np.arange(4, dtype=np.int32) * 10
    r = np.arange(2, dtype=np.float64)
    for idx in ["xy", "ij"]:
        for sparse in [False, True]:
            outs = np.meshgrid(p, q, r, indexing=idx, sparse=sparse)
            w.case(f"meshgrid_{idx}_{int(sparse)}", "meshgrid", [p, q, r], outs, indexing=idx, sparse=sparse)
