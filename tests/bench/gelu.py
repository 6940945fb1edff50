#!/usr/bin/python3
"""gelu, erf form, on 16M float32: Ember compiled (one fused kernel) and
uncompiled, beside PyTorch eager (F.gelu and the expression written out), one
thread per core for both, in the same run.

usage: gelu.py BUILD"""
import json
import os
import subprocess
import sys
import time

build = sys.argv[1]
smoke = os.environ.get("EMBER_BENCH_SMOKE", "0") not in ("", "0")
threads = os.cpu_count()
env = dict(os.environ, EMBER_NUM_THREADS=str(threads))
em = json.loads(subprocess.run([os.path.join(build, "tests/bench/bench-gelu")], check=True,
                               capture_output=True, text=True, env=env).stdout)
line = (f"gelu (erf) on {em['n']} float32, {em['threads']} threads: ember compiled "
        f"{em['compiled_ms']:.2f} ms, uncompiled {em['uncompiled_ms']:.2f} ms "
        f"(uncompiled/compiled {em['uncompiled_ms'] / em['compiled_ms']:.2f}x)")
try:
    import torch
except ImportError:
    print(line + "; PyTorch not installed")
    sys.exit(0)
torch.set_num_threads(threads)
x = (torch.arange(em["n"], dtype=torch.float32) % 20000) * 0.0005 - 5.0


def best(f):
    f()
    b = 1e30
    for _ in range(2 if smoke else 10):
        t = time.perf_counter()
        f()
        b = min(b, time.perf_counter() - t)
    return b * 1e3


t_gelu = best(lambda: torch.nn.functional.gelu(x))
t_expr = best(lambda: 0.5 * x * (1 + torch.erf(x * 0.7071067811865476)))
print(line)
print(f"  PyTorch eager: F.gelu {t_gelu:.2f} ms, written out {t_expr:.2f} ms; "
      f"F.gelu/ember compiled {t_gelu / em['compiled_ms']:.2f}x, "
      f"written out/ember compiled {t_expr / em['compiled_ms']:.2f}x")
