#!/usr/bin/python3
"""Runs test-data, then checks the Fashion-MNIST batches it dumped against numpy
reading the same gzip IDX files."""
import gzip, os, subprocess, sys, tempfile
import numpy as np

exe = sys.argv[1]
d = os.environ.get("EMBER_FASHION_MNIST_DIR") or "/usr/share/datasets/fashion-mnist"
with tempfile.TemporaryDirectory() as tmp:
    r = subprocess.run([exe, tmp])
    if r.returncode:
        sys.exit(r.returncode)
    if not os.path.exists(os.path.join(d, "train-images-idx3-ubyte.gz")):
        print("Fashion-MNIST not installed: skipped the numpy comparison")
        sys.exit(0)
    for split, prefix, idx in (("train", "train", [0, 1, 2, 59999, 12345]),
                               ("test", "t10k", [0, 1, 2, 9999, 5000])):
        with gzip.open(os.path.join(d, prefix + "-images-idx3-ubyte.gz")) as f:
            imgs = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)
        with gzip.open(os.path.join(d, prefix + "-labels-idx1-ubyte.gz")) as f:
            labs = np.frombuffer(f.read(), np.uint8, offset=8)
        got_x = np.load(os.path.join(tmp, split + "_images.npy"))
        got_y = np.load(os.path.join(tmp, split + "_labels.npy"))
        want_x = imgs[idx].astype(np.float32) / np.float32(255)
        assert got_x.shape == (5, 784) and got_x.dtype == np.float32, got_x.shape
        assert np.allclose(got_x, want_x, rtol=0, atol=1e-7), split
        assert (got_y == labs[idx]).all(), (split, got_y, labs[idx])
        print(split, "images and labels match numpy:", list(got_y))
print("ok")
