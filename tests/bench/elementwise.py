#!/usr/bin/python3
"""Elementwise add on 16M float32 and per-op overhead: Ember beside numpy and
PyTorch (CPU) in the same run, and beside the machine's measured bandwidth.

usage: elementwise.py BUILD"""
import json
import os
import subprocess
import sys
import time

import numpy as np

build = sys.argv[1]
smoke = os.environ.get("EMBER_BENCH_SMOKE", "0") not in ("", "0")
out = subprocess.run([os.path.join(build, "tests/bench/bench-elementwise")], check=True,
                     capture_output=True, text=True).stdout
em = json.loads(out)
n = em["n"]
reps = 2 if smoke else 10


def best(fn):
    fn()
    b = 1e30
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        b = min(b, time.perf_counter() - t)
    return b


a = np.ones(n, np.float32)
b = np.ones(n, np.float32)
t_np = best(lambda: a + b)
try:
    import torch
    ta, tb = torch.ones(n), torch.ones(n)
    t_torch = best(lambda: ta + tb)
except ImportError:
    t_torch = float("nan")
gb = 3 * 4 * n / 1e9
print(f"add {n} float32: ember {em['add_seconds']*1e3:.2f} ms ({em['add_gbs']:.1f} GB/s), "
      f"numpy {t_np*1e3:.2f} ms ({gb/t_np:.1f} GB/s), torch {t_torch*1e3:.2f} ms; "
      f"ember/numpy time ratio {em['add_seconds']/t_np:.2f}, "
      f"{em['add_gbs']/em['stream_1thread_gbs']*100:.0f}% of a one-thread a+b stream loop ({em['stream_1thread_gbs']:.1f} GB/s)")
print(f"graph overhead: {em['overhead_us_per_op']:.2f} us per op (build + evaluate, 16-element adds)")
