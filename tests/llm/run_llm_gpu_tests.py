#!/usr/bin/python3
"""Language models on the gpu device (lavapipe where no GPU is present): two
random-weight folders as make_models.py makes them (llama in bf16, and qwen3
8-bit quantized with bf16 scales; llama 4-bit with float32 scales too), with
their plain-torch references; llm-gpu-check on them (logits within 1e-3 of the
reference, 16 greedy tokens as the CPU's, no weight uploads per token); then
`ember-cli generate --device gpu --print-ids` against `--device cpu` and the
reference's tokens. Exit 77 (skip) when no Vulkan device exists at all, a
failure with EMBER_REQUIRE_GPU=1."""
import os
import shutil
import subprocess
import sys

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
import make_models as mm  # noqa: E402

build, out = sys.argv[1], sys.argv[2]
cli = os.path.join(build, "app", "cli", "ember-cli")
shutil.rmtree(out, ignore_errors=True)
os.makedirs(out)
archs = list(mm.CONFIGS)
folders = []
for name, arch, kw in (("llama-bf16", "llama", dict(dtype="BF16")),
                       ("qwen3-q8", "qwen3", dict(quant=(64, 8), dtype="BF16")),
                       ("llama-q4", "llama", dict(quant=(32, 4)))):
    cfg = mm.CONFIGS[arch]
    # the weights make_models.py's main() makes for this architecture
    W = mm.make_weights(arch, cfg, np.random.default_rng(100 + archs.index(arch)))
    folders.append(mm.write_model(out, name, arch, cfg, W, **kw))

r = subprocess.run([os.path.join(build, "tests", "llm", "llm-gpu-check")] + folders)
if r.returncode == 77:
    sys.exit(77)
status = r.returncode

failed = 0
n = 16
for d in folders:
    ref = mm.st_read(os.path.join(d, "reference.safetensors"))
    prompt = ",".join(str(int(i)) for i in ref["prompt"])
    want = [int(i) for i in ref["tokens"]][:n]
    got = {}
    for dev in ("cpu", "gpu"):
        p = subprocess.run([cli, "generate", "--model", d, "--prompt-ids", prompt, "--max-tokens", str(n),
                            "--temp", "0", "--print-ids", "--device", dev],
                           capture_output=True, text=True,
                           env=dict(os.environ, EMBER_VULKAN_TRACE_FALLBACK="1"))
        got[dev] = [int(t) for t in p.stdout.split()]
        if p.returncode != 0 or (dev == "gpu" and "runs on the cpu" in p.stderr):
            print(f"FAIL ember-cli generate --device {dev} {d}: {p.returncode} {p.stderr.strip()}")
            failed += 1
    if got["gpu"] != got["cpu"] or got["gpu"] != want:
        print(f"FAIL ember-cli generate {d}:\n  reference {want}\n  cpu       {got['cpu']}\n  gpu       {got['gpu']}")
        failed += 1
    else:
        print(f"ok ember-cli generate --device gpu {os.path.basename(d)}: {n} tokens as the cpu's and the reference's")
print(f"ember-cli --device gpu checks: {failed} failures")
sys.exit(1 if status or failed else 0)
