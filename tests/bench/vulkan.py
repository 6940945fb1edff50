"""Ember on the GPU (Vulkan) beside PyTorch+CUDA on the same GPU, in one run:
elementwise add (GB/s, and the copy bandwidth), sum, float32 and float16
matmul 4096^3 (TFLOP/s), softmax 4096x4096 float32 over the last axis, and a
4-bit quantized matvec 4096x4096 (GB/s of weights read; PyTorch's peer is a
float16 matvec of the same shape, the bandwidth it reaches). Ember's figures
come from bench-vulkan; PyTorch's are timed here as bench-vulkan times
Ember's: a warm-up, then N iterations ended by torch.cuda.synchronize, best of
several. EMBER_BENCH_SMOKE=1: tiny sizes."""
import os
import subprocess
import sys
import time

build = sys.argv[1]
smoke = os.environ.get("EMBER_BENCH_SMOKE", "0") not in ("", "0")
exe = os.path.join(build, "tests", "bench", "bench-vulkan")
r = subprocess.run([exe], capture_output=True, text=True)
sys.stderr.write(r.stderr)
ember = {}
for line in r.stdout.splitlines():
    if line.startswith("RESULT "):
        _, name, value, unit, detail = line.split(" ", 4)
        ember[name] = (float(value), unit, detail)
    else:
        print(line)
if r.returncode != 0:
    print(f"bench-vulkan failed (exit {r.returncode})")
    sys.exit(1)

peer = {}
try:
    import torch

    have_cuda = torch.cuda.is_available()
except Exception:  # torch missing altogether
    have_cuda = False
if not have_cuda:
    print("peer: PyTorch CUDA unavailable")
else:
    dev = torch.device("cuda")
    print(f"peer: PyTorch {torch.__version__} on {torch.cuda.get_device_name(0)}")
    reps = 1 if smoke else 5

    def timed(fn, iters):
        fn()
        torch.cuda.synchronize()
        best = 1e30
        for _ in range(reps):
            t = time.perf_counter()
            for _ in range(iters):
                fn()
            torch.cuda.synchronize()
            best = min(best, time.perf_counter() - t)
        return best / iters

    n = 1 << 12 if smoke else 1 << 26
    a = torch.rand(n, device=dev) * 2 - 1
    b = torch.rand(n, device=dev) * 2 - 1
    out = torch.empty_like(a)
    it = 2 if smoke else 10
    t = timed(lambda: torch.add(a, b, out=out), it)
    peer["add"] = 3 * n * 4 / t / 1e9
    t = timed(lambda: out.copy_(a), it)
    peer["copy"] = 2 * n * 4 / t / 1e9
    t = timed(lambda: a.sum(), it)
    peer["sum"] = n * 4 / t / 1e9
    del a, b, out
    m = 128 if smoke else 4096
    x = torch.rand(m, m, device=dev) * 2 - 1
    y = torch.rand(m, m, device=dev) * 2 - 1
    it = 2 if smoke else 10
    # float32 as torch runs it by default (full float32, no TF32)
    torch.backends.cuda.matmul.allow_tf32 = False
    t = timed(lambda: x @ y, it)
    peer["matmul_f32"] = 2 * m**3 / t / 1e12
    xh, yh = x.half(), y.half()
    t = timed(lambda: xh @ yh, it)
    peer["matmul_f16"] = 2 * m**3 / t / 1e12
    t = timed(lambda: xh @ yh.t(), it)
    peer["matmul_f16_nt"] = 2 * m**3 / t / 1e12
    t = timed(lambda: torch.softmax(x, -1), it)
    peer["softmax"] = 2 * m * m * 4 / t / 1e9
    nq = 2 if smoke else 16
    ws = [(torch.rand(m, m, device=dev) * 2 - 1).half() for _ in range(nq)]
    v = (torch.rand(m, device=dev) * 2 - 1).half()
    k = [0]

    def mv():
        k[0] += 1
        return ws[k[0] % nq] @ v

    t = timed(mv, 2 if smoke else 48)
    peer["qmv4"] = m * m * 2 / t / 1e9

names = {
    "add": "elementwise add float32 (GB/s)",
    "copy": "copy bandwidth (Ember: negative; torch: copy_) (GB/s)",
    "sum": "sum float32 (GB/s)",
    "matmul_f32": "matmul float32 (TFLOP/s)",
    "matmul_f16": "matmul float16 (TFLOP/s)",
    "matmul_f16_nt": "matmul float16 a @ b.T (TFLOP/s)",
    "softmax": "softmax float32 last axis (GB/s)",
    "qmv4": "4-bit matvec, GB/s of weights (torch: float16 matvec)",
}
print(f"{'case':56} {'Ember':>10} {'PyTorch':>10} {'ratio':>7}")
for key, label in names.items():
    if key not in ember:
        print(f"{label:56} {'missing':>10}")
        continue
    e = ember[key][0]
    p = peer.get(key)
    ps = f"{p:10.1f}" if p else f"{'-':>10}"
    rs = f"{e / p:7.2f}" if p else f"{'-':>7}"
    print(f"{label:56} {e:10.1f} {ps} {rs}   {ember[key][2]}")
if "add" in ember and "copy" in peer:
    print(f"Ember add vs PyTorch copy bandwidth: {ember['add'][0] / peer['copy']:.2f}")
