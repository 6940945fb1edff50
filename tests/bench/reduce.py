#!/usr/bin/python3
"""Reductions, softmax and a transposing copy of a 4096 x 4096 float32 array:
Ember beside numpy and PyTorch (CPU) in the same run. PyTorch gets Ember's
thread count; numpy's reductions run on one thread (it has no other mode).
Ratios are peer time / Ember time (above 1: Ember is faster).

usage: reduce.py BUILD"""
import json
import os
import subprocess
import sys
import time

import numpy as np

build = sys.argv[1]
smoke = os.environ.get("EMBER_BENCH_SMOKE", "0") not in ("", "0")
out = subprocess.run([os.path.join(build, "tests/bench/bench-reduce")], check=True,
                     capture_output=True, text=True).stdout
em = json.loads(out)
n, threads = em["n"], em["threads"]
reps = 2 if smoke else 20


def best(fn):
    fn()
    b = 1e30
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        b = min(b, time.perf_counter() - t)
    return b


a = np.random.default_rng(0).uniform(-2, 2, size=(n, n)).astype(np.float32)


def np_softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


cases = {
    "sum_all": (lambda: a.sum(), "x.sum()"),
    "sum_axis0": (lambda: a.sum(axis=0), "x.sum(0)"),
    "sum_axis1": (lambda: a.sum(axis=1), "x.sum(1)"),
    "max_axis1": (lambda: a.max(axis=1), "x.max(1)"),
    "softmax": (lambda: np_softmax(a), "softmax(x, -1)"),
    "transpose_copy": (lambda: np.ascontiguousarray(a.T), "x.T copy"),
}
try:
    import torch
    torch.set_num_threads(threads)
    ta = torch.from_numpy(a)
    tcases = {
        "sum_all": lambda: ta.sum(),
        "sum_axis0": lambda: ta.sum(0),
        "sum_axis1": lambda: ta.sum(1),
        "max_axis1": lambda: ta.max(1),
        "softmax": lambda: torch.softmax(ta, -1),
        "transpose_copy": lambda: ta.t().contiguous(),
    }
except ImportError:
    torch = None
print(f"{n}x{n} float32, ember and torch on {threads} threads, numpy on 1; times in ms (best of {reps})")
for k, (fn, label) in cases.items():
    t_np = best(fn)
    t_t = best(tcases[k]) if torch else float("nan")
    t_e = em[k]
    print(f"{label:16s} ember {t_e*1e3:7.2f}  numpy {t_np*1e3:7.2f} (x{t_np/t_e:.2f})  "
          f"torch {t_t*1e3:7.2f} (x{t_t/t_e:.2f})  [{4*n*n/t_e/1e9:.1f} GB/s read]")
