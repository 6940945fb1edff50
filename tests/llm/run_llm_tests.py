#!/usr/bin/python3
"""The language-model tests: random-weight folders of every architecture with
reference logits (make_models.py), a folder quantized by `ember-cli convert`
(its reference computed on the dequantized weights it wrote), llm-check on
every folder, and `ember-cli generate --print-ids` against the reference's
greedy tokens."""
import os
import shutil
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
build, out = sys.argv[1], sys.argv[2]
py = "/usr/bin/python3"
cli = os.path.join(build, "app", "cli", "ember-cli")
shutil.rmtree(out, ignore_errors=True)
subprocess.run([py, os.path.join(here, "make_models.py"), out], check=True)
# converted by Ember: 8-bit (phi3, its fused matrices) and 4-bit (gpt2: Conv1D transposed)
for src, bits, gs in (("phi3", 8, 64), ("gpt2", 4, 32), ("gemma3", 4, 64)):
    dst = os.path.join(out, f"{src}-convert-q{bits}")
    subprocess.run([cli, "convert", "--model", os.path.join(out, src), "--quantize", str(bits),
                    "--group-size", str(gs), "--out", dst], check=True)
    subprocess.run([py, os.path.join(here, "make_models.py"), "--reference", dst], check=True)
folders = sorted(os.path.join(out, d) for d in os.listdir(out))
status = subprocess.run([os.path.join(build, "tests", "llm", "llm-check")] + folders).returncode

sys.path.insert(0, here)
from make_models import st_read  # noqa: E402

failed = 0
for d in folders:
    ref = st_read(os.path.join(d, "reference.safetensors"))
    prompt = ",".join(str(int(i)) for i in ref["prompt"])
    want = [int(i) for i in ref["tokens"]]
    r = subprocess.run([cli, "generate", "--model", d, "--prompt-ids", prompt, "--max-tokens", str(len(want)),
                        "--print-ids"], capture_output=True, text=True)
    got = [int(t) for t in r.stdout.split()]
    if r.returncode != 0 or got != want[:len(got)] or not got:
        print(f"FAIL ember-cli generate {d}: {r.stderr.strip()}\n  want {want}\n  got  {got}")
        failed += 1
# text in, streamed text out, stats; chat template; errors name the problem
d = os.path.join(out, "qwen3")
r = subprocess.run([cli, "generate", "--model", d, "--prompt", "the cat", "--chat", "--system", "be brief",
                    "--max-tokens", "8", "--temp", "0.7", "--top-p", "0.9", "--seed", "3", "--stats"],
                   capture_output=True, text=True)
if r.returncode != 0 or "generation:" not in r.stderr or "time to first token" not in r.stderr:
    print("FAIL generate --prompt --chat --stats:", r.returncode, r.stderr)
    failed += 1
# stop strings: the text up to the first occurrence, nothing after it
d = os.path.join(out, "phi3")
base = [cli, "generate", "--model", d, "--prompt", "hello there", "--max-tokens", "20"]
full = subprocess.run(base, capture_output=True).stdout
stop = full[len(full) // 2: len(full) // 2 + 2]
r = subprocess.run(base + ["--stop", stop.decode("utf-8", "replace"), "--stats"], capture_output=True)
if stop.decode("utf-8", "replace").encode() == stop and (r.returncode != 0 or r.stdout.rstrip(b"\n") != full[:full.index(stop)].rstrip(b"\n")
                                                         or b"stop string" not in r.stderr):
    print("FAIL --stop:", full, stop, r.stdout, r.stderr)
    failed += 1
bad = os.path.join(out, "bad")
os.makedirs(bad, exist_ok=True)
with open(os.path.join(bad, "config.json"), "w") as f:
    f.write('{"model_type": "mamba"}')
r = subprocess.run([cli, "generate", "--model", bad, "--prompt-ids", "1"], capture_output=True, text=True)
if r.returncode == 0 or "mamba" not in r.stderr:
    print("FAIL unsupported architecture message:", r.stderr)
    failed += 1
shutil.copy(os.path.join(out, "llama", "config.json"), os.path.join(bad, "config.json"))
shutil.copy(os.path.join(out, "llama", "model-00001-of-00002.safetensors"), os.path.join(bad, "model.safetensors"))
r = subprocess.run([cli, "generate", "--model", bad, "--prompt-ids", "1"], capture_output=True, text=True)
if r.returncode == 0 or "missing tensor" not in r.stderr:
    print("FAIL missing tensor message:", r.stderr)
    failed += 1
print(f"ember-cli checks: {failed} failures")
sys.exit(1 if status or failed else 0)
