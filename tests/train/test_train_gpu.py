#!/usr/bin/python3
"""`ember-cli train fortunes --model gpt --device gpu` (lavapipe where no GPU is
present): a small GPT trains for 30 steps; its loss falls, its first steps'
losses are the CPU run's (same seed, same batches) within 2e-3, and its matrix
products ran on the gpu (no matmul fell back to the CPU). Exit 77 (skip) when
no Vulkan device exists at all, a failure with EMBER_REQUIRE_GPU=1."""
import os
import re
import subprocess
import sys

cli = sys.argv[1]
args = [cli, "train", "fortunes", "--model", "gpt", "--layers", "1", "--heads", "2", "--width", "32",
        "--context", "16", "--batch-size", "8", "--max-steps", "30", "--warmup", "2", "--eval-every", "1000",
        "--eval-batches", "1", "--lr", "3e-3", "--seed", "1", "--verbose"]


def run(device):
    r = subprocess.run(args + ["--device", device], capture_output=True, text=True,
                       env=dict(os.environ, EMBER_VULKAN_TRACE_FALLBACK="1"))
    losses = [float(m.group(1)) for m in re.finditer(r"^step \d+  loss ([0-9.]+)", r.stderr, re.M)]
    return r, losses


gpu, lg = run("gpu")
if gpu.returncode != 0 and "no GPU" in gpu.stderr:
    print(gpu.stderr.strip())
    sys.exit(1 if os.environ.get("EMBER_REQUIRE_GPU") else 77)
cpu, lc = run("cpu")
failed = 0
if gpu.returncode != 0 or len(lg) != 30:
    print(f"FAIL gpu run: exit {gpu.returncode}, {len(lg)} steps\n{gpu.stderr[-2000:]}")
    failed += 1
if cpu.returncode != 0 or len(lc) != 30:
    print(f"FAIL cpu run: exit {cpu.returncode}, {len(lc)} steps\n{cpu.stderr[-2000:]}")
    failed += 1
if not failed:
    first, last = sum(lg[:3]) / 3, sum(lg[-5:]) / 5
    print(f"gpu loss: first 3 steps {first:.4f}, last 5 steps {last:.4f}; cpu: {sum(lc[:3]) / 3:.4f}, "
          f"{sum(lc[-5:]) / 5:.4f}")
    if not last < first - 0.3:
        print("FAIL the gpu run's loss did not fall:", lg)
        failed += 1
    d = max(abs(a - b) for a, b in zip(lg[:5], lc[:5]))
    if d > 2e-3:
        print(f"FAIL gpu and cpu losses of the first steps differ by {d}:\n  gpu {lg[:5]}\n  cpu {lc[:5]}")
        failed += 1
    fell = sorted(set(re.findall(r"^gpu: (\S+) runs on the cpu", gpu.stderr, re.M)))
    print("ops that ran on the cpu in the gpu run:", ", ".join(fell) or "none")
    if "matmul" in fell or "addmm" in fell or "scaled_dot_product_attention" in fell:
        print("FAIL matrix products fell back to the cpu")
        failed += 1
print("PASS" if not failed else f"FAIL: {failed} failures")
sys.exit(1 if failed else 0)
