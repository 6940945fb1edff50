"""Quantized matvec (decode) against the memory bandwidth: runs bench-qmatmul
(which measures both in one process) and prints numpy's float32 matvec of the
same shape beside it, as the dense peer."""
import os
import subprocess
import sys
import time

import numpy as np

build = sys.argv[1]
smoke = os.environ.get("EMBER_BENCH_SMOKE", "0") not in ("", "0")
r = subprocess.run([os.path.join(build, "tests", "bench", "bench-qmatmul")], capture_output=True, text=True)
sys.stdout.write(r.stdout)
sys.stderr.write(r.stderr)
n = 256 if smoke else 4096
w = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
x = np.ones(n, np.float32)
best = 1e9
for _ in range(3 if smoke else 20):
    t = time.perf_counter()
    w @ x
    best = min(best, time.perf_counter() - t)
print(f"numpy float32 matvec {n}x{n}: {best * 1e6:.1f} us, {w.nbytes / best / 1e9:.1f} GB/s of weights")
sys.exit(r.returncode)
