#!/usr/bin/python3
"""Fashion-MNIST training epoch time: Ember (ember-cli train) beside PyTorch CPU in
the same run, same model, batch (256), optimizer (Adam), dtype (float32) and
thread count. MLP 784-512-512-10 and the CNN (conv 3x3 32, pool, conv 3x3 64,
pool, 128, 10).

usage: train_fashion.py BUILD   (EMBER_BENCH_SMOKE=1: a few steps only)"""
import gzip, json, os, subprocess, sys, time

import numpy as np

build = sys.argv[1]
smoke = os.environ.get("EMBER_BENCH_SMOKE", "0") not in ("", "0")
d = os.environ.get("EMBER_FASHION_MNIST_DIR") or "/usr/share/datasets/fashion-mnist"
if not os.path.exists(os.path.join(d, "train-images-idx3-ubyte.gz")):
    print("Fashion-MNIST not installed (Debian package dataset-fashion-mnist): skipped")
    sys.exit(0)
threads = int(os.environ.get("EMBER_NUM_THREADS") or os.cpu_count())
env = dict(os.environ, EMBER_NUM_THREADS=str(threads))
B = 256
N = 60000
steps = 4 if smoke else (N + B - 1) // B


def ember_epoch(model):
    cmd = [os.path.join(build, "app/cli/ember-cli"), "train", "fashion-mnist", "--model", model,
           "--epochs", "1", "--batch-size", str(B), "--optimizer", "adam", "--json"]
    if smoke:
        cmd += ["--max-steps", str(steps)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    r = json.loads(out.strip().splitlines()[-1])
    return r["seconds"], r["test_accuracy"]


def torch_epoch(model):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    with gzip.open(os.path.join(d, "train-images-idx3-ubyte.gz")) as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)
    with gzip.open(os.path.join(d, "train-labels-idx1-ubyte.gz")) as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
    x = torch.from_numpy(x.astype(np.float32) / 255)
    y = torch.from_numpy(y)
    if model == "mlp":
        net = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                            nn.Linear(512, 10))
    else:
        net = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                            nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))
        x = x.reshape(-1, 1, 28, 28)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    perm = torch.randperm(N)
    t = time.perf_counter()
    for s in range(steps):
        idx = perm[s * B:(s + 1) * B]
        loss = F.cross_entropy(net(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return time.perf_counter() - t


for model in ("mlp", "cnn"):
    te, acc = ember_epoch(model)
    try:
        tt = torch_epoch(model)
    except ImportError:
        tt = float("nan")
    what = f"{steps} steps" if smoke else "epoch"
    print(f"fashion-mnist {model} batch {B}, {threads} threads, {what}: ember {te:.2f} s, "
          f"torch {tt:.2f} s, ember/torch time ratio {te / tt:.2f} (ember test accuracy "
          f"after it {acc * 100:.1f}%)")
