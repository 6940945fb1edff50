#!/usr/bin/python3
"""Forward + backward of a 4-layer MLP (width 1024, batch 256, float32, relu,
mean squared output): Ember's value_and_grad beside PyTorch autograd on the
CPU, both with one thread per core (torch.set_num_threads), in the same run.

usage: mlp.py BUILD"""
import json
import os
import subprocess
import sys
import time

build = sys.argv[1]
smoke = os.environ.get("EMBER_BENCH_SMOKE", "0") not in ("", "0")
threads = os.cpu_count()
env = dict(os.environ, EMBER_NUM_THREADS=str(threads))
em = json.loads(subprocess.run([os.path.join(build, "tests/bench/bench-mlp")], check=True,
                               capture_output=True, text=True, env=env).stdout)
try:
    import torch
except ImportError:
    print(f"mlp fwd+bwd {em['layers']}x{em['width']}, batch {em['batch']}: ember {em['ms']:.2f} ms "
          "(PyTorch not installed)")
    sys.exit(0)
torch.set_num_threads(threads)
B, D, L = em["batch"], em["width"], em["layers"]
g = torch.Generator().manual_seed(0)
x = torch.randn(B, D, generator=g)
ws = [(torch.randn(D, D, generator=g) / 32).requires_grad_() for _ in range(L)]
bs = [torch.zeros(D, requires_grad=True) for _ in range(L)]


def step():
    h = x
    for i in range(L):
        h = h @ ws[i] + bs[i]
        if i < L - 1:
            h = torch.relu(h)
    loss = (h * h).mean()
    grads = torch.autograd.grad(loss, ws + bs)
    return loss, grads


step()
best = 1e30
for _ in range(2 if smoke else 10):
    t = time.perf_counter()
    step()
    best = min(best, time.perf_counter() - t)
pt = best * 1e3
print(f"mlp fwd+bwd {L} layers x {D}, batch {B}, float32, {threads} threads "
      f"(Ember {em['threads']}, torch {torch.get_num_threads()}): ember {em['ms']:.2f} ms, "
      f"PyTorch autograd {pt:.2f} ms; ember/PyTorch time {em['ms'] / pt:.3f}")
