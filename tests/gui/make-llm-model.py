"""Model folders for the Generate panel's GUI test, made with tests/llm's
generator (random weights, real tensor names and config keys, a small
byte-level BPE tokenizer with a chat template):

    make-llm-model.py OUT     OUT/qwen3 (a model that loads and generates),
                              OUT/unsupported (model_type "mamba"),
                              OUT/missing-tensor (a llama without
                              model.norm.weight),
                              OUT/qwen3-hi.txt (the greedy continuation
                              of "Hi", 32 tokens, by the plain-torch
                              reference forward pass; "\n<eos>" ends it
                              when the end-of-sequence token came first)"""
import json
import os
import shutil
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "llm"))
import make_models as mm  # noqa: E402


def bpe_word(word, vocab, merges):
    """Byte-level BPE of one pre-tokenized word: the lowest-ranked merge first."""
    b2u = mm.bytes_to_unicode()
    parts = [b2u[b] for b in word.encode()]
    rank = {tuple(m.split(" ")): i for i, m in enumerate(merges)}
    while len(parts) > 1:
        pairs = [(rank.get((a, b), 1 << 30), i) for i, (a, b) in enumerate(zip(parts, parts[1:]))]
        r, i = min(pairs)
        if r == 1 << 30:
            break
        parts[i:i + 2] = [parts[i] + parts[i + 1]]
    return [vocab[p] for p in parts]


def reference_text(d, word, n):
    tok = json.load(open(os.path.join(d, "tokenizer.json")))
    vocab, merges = tok["model"]["vocab"], tok["model"]["merges"]
    special = {a["id"] for a in tok["added_tokens"] if a["special"]}
    by_id = {i: t for t, i in vocab.items()}
    u2b = {u: b for b, u in mm.bytes_to_unicode().items()}
    cfg, W = mm.load_folder(d)
    sys.path.insert(0, os.path.join(HERE, "..", "reference"))
    import importlib
    mod = importlib.import_module(mm.REF[cfg["model_type"]])
    ids = bpe_word(word, vocab, merges)
    out, eos = [], False
    with torch.no_grad():
        for _ in range(n):
            nxt = int(torch.argmax(mod.forward(W, cfg, torch.tensor(ids))[-1]))
            if nxt == cfg["eos_token_id"]:
                eos = True
                break
            ids.append(nxt)
            out.append(nxt)
    raw = b"".join(bytes(u2b[c] for c in by_id[i]) for i in out if i in by_id and i not in special)
    return raw.decode("utf-8", errors="replace") + ("\n<eos>" if eos else "")


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    cfg = mm.CONFIGS["qwen3"]
    W = mm.make_weights("qwen3", cfg, np.random.default_rng(7))
    good = mm.write_model(out, "qwen3", "qwen3", cfg, W)
    with open(os.path.join(out, "qwen3-hi.txt"), "w", encoding="utf-8") as f:
        f.write(reference_text(good, "Hi", 32))

    bad = os.path.join(out, "unsupported")
    shutil.rmtree(bad, ignore_errors=True)
    shutil.copytree(good, bad)
    with open(os.path.join(bad, "config.json")) as f:
        c = json.load(f)
    c["model_type"] = "mamba"
    c["architectures"] = ["MambaForCausalLM"]
    with open(os.path.join(bad, "config.json"), "w") as f:
        json.dump(c, f)

    lcfg = mm.CONFIGS["llama"]
    LW = mm.make_weights("llama", lcfg, np.random.default_rng(8))
    del LW["model.norm.weight"]
    d = os.path.join(out, "missing-tensor")
    os.makedirs(d, exist_ok=True)
    mm.st_write(os.path.join(d, "model.safetensors"), LW)
    lcfg = dict(lcfg)
    lcfg["eos_token_id"] = mm.write_tokenizer(d)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(lcfg, f)


if __name__ == "__main__":
    main()
