"""CPU decoding of a model with Qwen2.5-0.5B's dimensions (random weights made
here) in bf16, 8-bit and 4-bit (ember-cli convert), each against the memory
bandwidth bound (weight bytes read per token / a stream read measured around
each of several runs; bench-llm-decode says how) and,
for bf16, against PyTorch eager running the same weights with a KV cache;
prefill tokens/s beside. EMBER_BENCH_SMOKE=1: a tiny model.

EMBER_BENCH_LLM_DEVICE=gpu: the same three models decoded on Ember's gpu
device (Vulkan), each against the GPU's read bandwidth (a sum over a 1 GiB GPU
array) and against PyTorch + CUDA on the same GPU (bf16, eager, the same KV
cache code) when torch.cuda.is_available(); without CUDA that comparison is
skipped, saying so."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "llm"))
sys.path.insert(0, os.path.join(here, "..", "reference"))
from make_models import st_write, write_tokenizer  # noqa: E402

build = sys.argv[1]
smoke = os.environ.get("EMBER_BENCH_SMOKE", "0") not in ("", "0")
device = os.environ.get("EMBER_BENCH_LLM_DEVICE", "cpu")
if device not in ("cpu", "gpu"):
    sys.exit(f"EMBER_BENCH_LLM_DEVICE is cpu or gpu, not {device!r}")
gpu = device == "gpu"
cli = os.path.join(build, "app", "cli", "ember-cli")
helper = os.path.join(build, "tests", "bench", "bench-llm-decode")
if smoke:
    cfg = dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
               intermediate_size=128, vocab_size=512)
else:  # Qwen2.5-0.5B
    cfg = dict(hidden_size=896, num_hidden_layers=24, num_attention_heads=14, num_key_value_heads=2,
               intermediate_size=4864, vocab_size=151936)
cfg.update(model_type="qwen2", architectures=["Qwen2ForCausalLM"], rms_norm_eps=1e-6, rope_theta=1000000.0,
           max_position_embeddings=32768, tie_word_embeddings=True, torch_dtype="bfloat16")
PROMPT, GEN = (16, 8) if smoke else (128, 32)

rng = np.random.default_rng(0)


def rnd(*shape, s=0.02):
    return (rng.standard_normal(shape, dtype=np.float32) * s)


H, I, L = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]
nh, nkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
D = H // nh
W = {"model.embed_tokens.weight": rnd(cfg["vocab_size"], H), "model.norm.weight": np.ones(H, np.float32)}
for i in range(L):
    p = f"model.layers.{i}."
    W.update({p + "self_attn.q_proj.weight": rnd(nh * D, H), p + "self_attn.q_proj.bias": rnd(nh * D),
              p + "self_attn.k_proj.weight": rnd(nkv * D, H), p + "self_attn.k_proj.bias": rnd(nkv * D),
              p + "self_attn.v_proj.weight": rnd(nkv * D, H), p + "self_attn.v_proj.bias": rnd(nkv * D),
              p + "self_attn.o_proj.weight": rnd(H, nh * D), p + "mlp.gate_proj.weight": rnd(I, H),
              p + "mlp.up_proj.weight": rnd(I, H), p + "mlp.down_proj.weight": rnd(H, I),
              p + "input_layernorm.weight": np.ones(H, np.float32),
              p + "post_attention_layernorm.weight": np.ones(H, np.float32)})

tmp = os.environ.get("EMBER_BENCH_LLM_DIR") or tempfile.mkdtemp(prefix="ember-bench-llm-")
os.makedirs(tmp, exist_ok=True)
try:
    d16 = os.path.join(tmp, "bf16")
    os.makedirs(d16, exist_ok=True)
    st_write(os.path.join(d16, "model.safetensors"), {k: (v, "BF16") for k, v in W.items()})
    write_tokenizer(d16)
    json.dump(cfg, open(os.path.join(d16, "config.json"), "w"))
    folders = [("bf16", d16)]
    for bits in (8, 4):
        d = os.path.join(tmp, f"q{bits}")
        subprocess.run([cli, "convert", "--model", d16, "--quantize", str(bits), "--group-size", "64", "--out", d],
                       check=True, capture_output=True)
        folders.append((f"{bits}-bit", d))
    results = {}
    if os.environ.get("EMBER_BENCH_LLM_ONLY_MAKE"):
        sys.exit(0)
    for name, d in folders:
        r = subprocess.run([helper, d, str(PROMPT), str(GEN)], capture_output=True, text=True)
        if r.returncode != 0:
            print(f"bench-llm-decode {name} failed: {r.stderr}")
            sys.exit(1)
        kv = dict(x.split("=", 1) for x in r.stdout.split())
        results[name] = kv
        print(f"ember {name:6s}: decode {float(kv['decode_tps']):7.2f} tok/s = {100 * float(kv['fraction']):5.1f}% of "
              f"the bandwidth bound {float(kv['bound_tps']):7.2f} tok/s ({int(kv['weight_bytes']) / 1e6:.0f} MB/token "
              f"at {kv['bandwidth_gbs']} GB/s; median of {kv['rounds']} rounds, "
              f"{100 * float(kv['fraction_min']):.0f}-{100 * float(kv['fraction_max']):.0f}%); "
              f"prefill {float(kv['prefill_tps']):8.1f} tok/s; "
              + (f"{kv['upload_per_token']} bytes uploaded per token; {kv['gpu_mb']} MB on the gpu"
                 if gpu else f"peak {kv['peak_mb']} MB"))
    if gpu:
        print(f"ember on the gpu: {results['bf16']['gpu'].replace('_', ' ')}")

    # PyTorch eager, bf16, the same weights, with a KV cache (on the CPU, or
    # with CUDA on the GPU in gpu mode)
    if gpu and not torch.cuda.is_available():
        print(f"torch  bf16  : CUDA is not available (torch {torch.__version__}): the PyTorch + CUDA "
              "comparison is skipped")
        sys.exit(0)
    tdev = torch.device("cuda" if gpu else "cpu")
    torch.set_num_threads(os.cpu_count())  # OpenMP here may default to 1: use every core, as Ember does
    T = {k: torch.from_numpy(v).to(torch.bfloat16).to(tdev) for k, v in W.items()}
    inv = (1.0 / (cfg["rope_theta"] ** (torch.arange(0, D, 2).float() / D))).to(tdev)

    def rms(x, w):
        xf = x.float()
        return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + 1e-6)).to(x.dtype) * w

    def rope(x, pos):
        f = torch.outer(pos.float(), inv)
        e = torch.cat((f, f), -1)
        c, s = e.cos().to(x.dtype), e.sin().to(x.dtype)
        h = D // 2
        return x * c + torch.cat((-x[..., h:], x[..., :h]), -1) * s

    def step(ids, cache, off):
        n = ids.shape[0]
        x = T["model.embed_tokens.weight"][ids][None]
        pos = torch.arange(off, off + n, device=tdev)
        for i in range(L):
            p = f"model.layers.{i}."
            h = rms(x, T[p + "input_layernorm.weight"])
            q = torch.nn.functional.linear(h, T[p + "self_attn.q_proj.weight"], T[p + "self_attn.q_proj.bias"])
            k = torch.nn.functional.linear(h, T[p + "self_attn.k_proj.weight"], T[p + "self_attn.k_proj.bias"])
            v = torch.nn.functional.linear(h, T[p + "self_attn.v_proj.weight"], T[p + "self_attn.v_proj.bias"])
            q = rope(q.view(1, n, nh, D).transpose(1, 2), pos)
            k = rope(k.view(1, n, nkv, D).transpose(1, 2), pos)
            v = v.view(1, n, nkv, D).transpose(1, 2)
            if cache[i] is not None:
                k = torch.cat((cache[i][0], k), 2)
                v = torch.cat((cache[i][1], v), 2)
            cache[i] = (k, v)
            kk, vv = k.repeat_interleave(nh // nkv, 1), v.repeat_interleave(nh // nkv, 1)
            sc = torch.matmul(q, kk.transpose(2, 3)) * D ** -0.5
            if n > 1:
                sc = sc + torch.triu(torch.full((n, n), float("-inf"), device=tdev), 1).to(sc.dtype)
            o = torch.matmul(torch.softmax(sc.float(), -1).to(vv.dtype), vv)
            x = x + torch.nn.functional.linear(o.transpose(1, 2).reshape(1, n, H), T[p + "self_attn.o_proj.weight"])
            h = rms(x, T[p + "post_attention_layernorm.weight"])
            g = torch.nn.functional.silu(torch.nn.functional.linear(h, T[p + "mlp.gate_proj.weight"]))
            x = x + torch.nn.functional.linear(g * torch.nn.functional.linear(h, T[p + "mlp.up_proj.weight"]),
                                               T[p + "mlp.down_proj.weight"])
        x = rms(x[:, -1:], T["model.norm.weight"])
        return torch.nn.functional.linear(x, T["model.embed_tokens.weight"])[0, -1]

    ids = torch.tensor([(i * 7919 + 13) % (cfg["vocab_size"] - 1) for i in range(PROMPT)], device=tdev)

    def sync():
        if gpu:
            torch.cuda.synchronize()

    best_dec = best_pre = 0
    with torch.no_grad():
        for r in range(3 if gpu else 2):  # on the GPU, the first run also warms CUDA up
            cache = [None] * L
            sync()
            t0 = time.perf_counter()
            logits = step(ids, cache, 0)
            sync()
            t1 = time.perf_counter()
            tok = int(torch.argmax(logits))  # read back each token, as Ember's sampler does
            for g in range(GEN):
                logits = step(torch.tensor([tok], device=tdev), cache, PROMPT + g)
                tok = int(torch.argmax(logits))
            t2 = time.perf_counter()
            best_pre = max(best_pre, PROMPT / (t1 - t0))
            best_dec = max(best_dec, GEN / (t2 - t1))
    e = float(results["bf16"]["decode_tps"])
    if gpu:
        print(f"torch  bf16  : decode {best_dec:7.2f} tok/s, prefill {best_pre:8.1f} tok/s (eager, CUDA, "
              f"{torch.cuda.get_device_name(0)}, torch {torch.__version__})")
        for name in ("bf16", "8-bit", "4-bit"):
            kv = results[name]
            print(f"ember {name:6s} on the gpu / torch bf16 on CUDA: decode {float(kv['decode_tps']) / best_dec:.2f}x, "
                  f"prefill {float(kv['prefill_tps']) / best_pre:.2f}x")
    else:
        print(f"torch  bf16  : decode {best_dec:7.2f} tok/s, prefill {best_pre:8.1f} tok/s "
              f"(eager, {torch.get_num_threads()} threads); ember bf16 decode is {e / best_dec:.2f}x, prefill "
              f"{float(results['bf16']['prefill_tps']) / best_pre:.2f}x")
finally:
    if not os.environ.get("EMBER_BENCH_LLM_DIR"):
        shutil.rmtree(tmp, ignore_errors=True)
