#!/usr/bin/python3
"""float32 GEMM at 1024 and 2048 with 1 and 2 threads: Ember's em_matmul beside
OpenBLAS's sgemm called directly (same library, same data) and numpy's
matmul (a subprocess per thread count, OPENBLAS_NUM_THREADS set, with the
OPENBLAS_CORETYPE Ember used so that both run the same kernels).

usage: gemm.py BUILD"""
import json
import os
import subprocess
import sys

build = sys.argv[1]
smoke = os.environ.get("EMBER_BENCH_SMOKE", "0") not in ("", "0")


def run_ember(env):
    out = subprocess.run([os.path.join(build, "tests/bench/bench-gemm")], check=True,
                         capture_output=True, text=True, env=env).stdout
    return json.loads(out)

NUMPY = r"""
import sys, time
import numpy as np
n, reps = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(0)
a = rng.standard_normal((n, n), dtype=np.float32)
b = rng.standard_normal((n, n), dtype=np.float32)
a @ b
best = 1e30
for _ in range(reps):
    t = time.perf_counter()
    a @ b
    best = min(best, time.perf_counter() - t)
print(2.0 * n * n * n / best / 1e9)
"""


def numpy_gflops(em, n, threads):
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    if em.get("coretype_env"):
        env["OPENBLAS_CORETYPE"] = em["coretype_env"]
    r = subprocess.run(["/usr/bin/python3", "-c", NUMPY, str(n), "2" if smoke else "5"],
                       env=env, check=True, capture_output=True, text=True)
    return float(r.stdout.strip())


# Two settings: the environment as given (a set OPENBLAS_CORETYPE is respected),
# and with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, where Ember chooses the
# core before OpenBLAS loads (what a user without the variable gets).
settings = [("as given", dict(os.environ))]
if "OPENBLAS_CORETYPE" in os.environ:
    unset = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    settings.append(("unset", unset))
for label, env in settings:
  em = run_ember(env)
  chooser = "chosen by Ember" if em.get("chosen_by_ember") else "from the environment"
  print(f"OPENBLAS_CORETYPE {label}: OpenBLAS core {em['core']} "
        f"(OPENBLAS_CORETYPE={em['coretype_env'] or 'unset'}, {chooser})")
  for r in em["results"]:
    n, t = r["n"], r["threads"]
    npg = numpy_gflops(em, n, t)
    print(f"  sgemm {n}x{n}x{n}, {t} thread{'s' if t > 1 else ''}: ember {r['ember_gflops']:.1f} GFLOP/s, "
          f"OpenBLAS direct {r['blas_gflops']:.1f}, numpy {npg:.1f}; "
          f"ember/OpenBLAS {r['ember_gflops'] / r['blas_gflops']:.3f}, "
          f"ember/numpy {r['ember_gflops'] / npg:.3f}")
