#!/usr/bin/python3
"""Character-level GPT training throughput (tokens/s): Ember (ember-cli train
fortunes) beside PyTorch CPU in the same run: 4 layers, 4 heads, width 256,
context 128, batch 32, AdamW, gradient clipping 1.0, float32, same threads.

usage: train_gpt.py BUILD   (EMBER_BENCH_SMOKE=1: a tiny model, 2 steps)"""
import json, os, subprocess, sys, time

build = sys.argv[1]
smoke = os.environ.get("EMBER_BENCH_SMOKE", "0") not in ("", "0")
if not os.path.exists("/usr/share/games/fortunes/fortunes") and not os.environ.get("EMBER_FORTUNES_DIR"):
    print("fortunes not installed (Debian package fortunes): skipped")
    sys.exit(0)
threads = int(os.environ.get("EMBER_NUM_THREADS") or os.cpu_count())
env = dict(os.environ, EMBER_NUM_THREADS=str(threads))
L, H, D, T, B = (1, 2, 32, 16, 4) if smoke else (4, 4, 256, 128, 32)
steps = 3 if smoke else 12
V = 112

cmd = [os.path.join(build, "app/cli/ember-cli"), "train", "fortunes", "--model", "gpt",
       "--layers", str(L), "--heads", str(H), "--width", str(D), "--context", str(T),
       "--batch-size", str(B), "--max-steps", str(steps), "--eval-every", str(steps),
       "--eval-batches", "1", "--json"]
out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
em = json.loads(out.strip().splitlines()[-1])


def torch_tps():
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    torch.set_num_threads(threads)
    torch.manual_seed(0)

    class Block(nn.Module):
        def __init__(s):
            super().__init__()
            s.ln1, s.ln2 = nn.LayerNorm(D), nn.LayerNorm(D)
            s.qkv, s.proj = nn.Linear(D, 3 * D), nn.Linear(D, D)
            s.fc, s.fc2 = nn.Linear(D, 4 * D), nn.Linear(4 * D, D)

        def forward(s, x):
            b, t, _ = x.shape
            q, k, v = s.qkv(s.ln1(x)).view(b, t, 3, H, D // H).permute(2, 0, 3, 1, 4)
            a = (q @ k.transpose(-1, -2)) / (D // H) ** 0.5
            a = a.masked_fill(torch.triu(torch.ones(t, t, dtype=torch.bool), 1), float("-inf"))
            x = x + s.proj((a.softmax(-1) @ v).transpose(1, 2).reshape(b, t, D))
            return x + s.fc2(F.gelu(s.fc(s.ln2(x)), approximate="tanh"))

    class GPT(nn.Module):
        def __init__(s):
            super().__init__()
            s.tok, s.pos = nn.Embedding(V, D), nn.Parameter(torch.zeros(T, D))
            s.blocks = nn.Sequential(*[Block() for _ in range(L)])
            s.ln = nn.LayerNorm(D)

        def forward(s, ids):
            x = s.ln(s.blocks(s.tok(ids) + s.pos[:ids.shape[1]]))
            return x @ s.tok.weight.T

    net = GPT()
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=0.01)
    data = torch.randint(0, V, (steps + 1, B, T + 1))

    def step(i):
        x, y = data[i, :, :-1], data[i, :, 1:]
        loss = F.cross_entropy(net(x).reshape(-1, V), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()

    t = time.perf_counter()
    for i in range(steps):
        step(i)
    return steps * B * T / (time.perf_counter() - t)


try:
    tt = torch_tps()
except ImportError:
    tt = float("nan")
te = em["tokens_per_second"]
print(f"gpt {L} layers, {H} heads, width {D}, context {T}, batch {B}, {threads} threads, "
      f"{steps} steps: ember {te:.0f} tokens/s ({B * T / te:.3f} s/step), torch {tt:.0f} tokens/s "
      f"({B * T / tt:.3f} s/step); ember/torch throughput ratio {te / tt:.2f}")
