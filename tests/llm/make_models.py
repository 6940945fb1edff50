"""Random-weight model folders, one per architecture (small dimensions, Hugging
Face tensor names and config keys), and reference.safetensors beside each:
the prompt, 32 greedy tokens and the logits of prompt + those tokens from the
plain-torch forward passes in tests/reference/.

    make_models.py OUT            every folder
    make_models.py --reference DIR   (re)compute DIR's reference (a folder
                                     Ember converted, say); quantized weights
                                     are dequantized first."""
import json
import os
import struct
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))

VOCAB = 300
PROMPT_LEN = 8
GEN = 32

# ---- safetensors (8-byte header length, JSON, data) ----
NP_TO_ST = {np.float32: "F32", np.float16: "F16", np.int32: "I32", np.uint32: "U32", np.int64: "I64"}


def bf16_bits(a):
    u = np.ascontiguousarray(a, np.float32).view(np.uint32).astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def st_write(path, tensors):
    """tensors: name -> (array, dtype string) or array."""
    header, blobs, off = {}, [], 0
    for name, v in tensors.items():
        a, dt = v if isinstance(v, tuple) else (v, NP_TO_ST[v.dtype.type])
        if dt == "BF16":
            raw = bf16_bits(a).tobytes()
        else:
            raw = np.ascontiguousarray(a).tobytes()
        header[name] = {"dtype": dt, "shape": list(a.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def st_read(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, d in header.items():
        if name == "__metadata__":
            continue
        b, e = d["data_offsets"]
        raw = data[b:e]
        dt = d["dtype"]
        if dt == "BF16":
            a = (np.frombuffer(raw, np.uint16).astype(np.uint32) << 16).view(np.float32)
        else:
            a = np.frombuffer(raw, {"F32": np.float32, "F16": np.float16, "U32": np.uint32,
                                    "I32": np.int32, "F64": np.float64}[dt])
        out[name] = a.reshape(d["shape"])
    return out


# ---- MLX affine quantization ----
def quantize(w, gs, bits):
    N, K = w.shape
    g = w.reshape(N, K // gs, gs).astype(np.float32)
    lo, hi = g.min(-1), g.max(-1)
    levels = (1 << bits) - 1
    scale = np.maximum((hi - lo) / levels, 1e-8).astype(np.float32)
    q = np.clip(np.rint((g - lo[..., None]) / scale[..., None]), 0, levels).astype(np.uint64)
    q = q.reshape(N, K)
    per = 32 // bits
    q = q.reshape(N, K // per, per)
    packed = np.zeros((N, K // per), np.uint64)
    for j in range(per):
        packed |= q[..., j] << np.uint64(bits * j)
    return packed.astype(np.uint32), scale, lo.astype(np.float32)


def dequantize(wq, scales, biases, gs, bits):
    N = wq.shape[0]
    per = 32 // bits
    w = wq.astype(np.uint64)
    q = np.stack([(w >> np.uint64(bits * j)) & np.uint64((1 << bits) - 1) for j in range(per)], -1)
    q = q.reshape(N, -1).astype(np.float32)
    K = q.shape[1]
    s = np.repeat(scales.astype(np.float32), gs, axis=1)[:, :K]
    b = np.repeat(biases.astype(np.float32), gs, axis=1)[:, :K]
    return q * s + b


# ---- a tiny byte-level BPE tokenizer ----
def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def write_tokenizer(d):
    b2u = bytes_to_unicode()
    vocab = {b2u[b]: b for b in range(256)}
    merges = []
    for a, b in [("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("i", "n"), ("Ġ", "a"), ("e", "r"), ("o", "n")]:
        vocab[a + b] = len(vocab)
        merges.append(f"{a} {b}")
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    added = []
    for s in specials:
        added.append({"id": len(vocab), "content": s, "single_word": False, "lstrip": False,
                      "rstrip": False, "normalized": False, "special": True})
        vocab[s] = len(vocab)
    tok = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                  "vocab": vocab, "merges": merges},
    }
    with open(os.path.join(d, "tokenizer.json"), "w") as f:
        json.dump(tok, f, ensure_ascii=False)
    tmpl = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
            "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
    with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
        json.dump({"chat_template": tmpl, "eos_token": "<|im_end|>", "bos_token": None}, f)
    return vocab["<|im_end|>"]


# ---- models ----
def rand(rng, *shape, scale=None):
    fan_in = shape[-1]
    s = scale if scale is not None else 1.0 / np.sqrt(fan_in)
    return (rng.standard_normal(shape) * s).astype(np.float32)


def norm_w(rng, n, gemma=False):
    return ((rng.standard_normal(n) * 0.1) + (0.0 if gemma else 1.0)).astype(np.float32)


BASE = dict(hidden_size=64, num_attention_heads=4, num_key_value_heads=2, intermediate_size=128,
            num_hidden_layers=2, vocab_size=VOCAB, rms_norm_eps=1e-6, rope_theta=10000.0,
            max_position_embeddings=128, eos_token_id=VOCAB - 1, torch_dtype="float32")

CONFIGS = {
    "llama": dict(BASE, model_type="llama", architectures=["LlamaForCausalLM"], tie_word_embeddings=False,
                  rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                "high_freq_factor": 4.0, "original_max_position_embeddings": 16},
                  rope_theta=500000.0),
    "mistral": dict(BASE, model_type="mistral", architectures=["MistralForCausalLM"], tie_word_embeddings=False,
                    sliding_window=12, num_hidden_layers=2),
    "qwen2": dict(BASE, model_type="qwen2", architectures=["Qwen2ForCausalLM"], tie_word_embeddings=True,
                  use_sliding_window=False, sliding_window=4096, max_window_layers=2,
                  rope_scaling={"type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32},
                  rope_theta=1000000.0),
    "qwen3": dict(BASE, model_type="qwen3", architectures=["Qwen3ForCausalLM"], tie_word_embeddings=True,
                  head_dim=32, rope_scaling={"rope_type": "linear", "factor": 2.0}),
    "gemma2": dict(BASE, model_type="gemma2", architectures=["Gemma2ForCausalLM"], head_dim=32,
                   hidden_activation="gelu_pytorch_tanh", query_pre_attn_scalar=24, sliding_window=12,
                   attn_logit_softcapping=50.0, final_logit_softcapping=30.0, num_hidden_layers=2,
                   tie_word_embeddings=True),
    "gemma3": dict(BASE, model_type="gemma3_text", architectures=["Gemma3ForCausalLM"], head_dim=32,
                   hidden_activation="gelu_pytorch_tanh", query_pre_attn_scalar=32, sliding_window=12,
                   sliding_window_pattern=2, num_hidden_layers=3, rope_theta=1000000.0,
                   rope_local_base_freq=10000.0, rope_scaling={"rope_type": "linear", "factor": 8.0},
                   final_logit_softcapping=None, attn_logit_softcapping=None, tie_word_embeddings=True),
    "phi3": dict(BASE, model_type="phi3", architectures=["Phi3ForCausalLM"], num_key_value_heads=4,
                 partial_rotary_factor=0.5, sliding_window=20, tie_word_embeddings=False, rms_norm_eps=1e-5),
    "gpt2": dict(model_type="gpt2", architectures=["GPT2LMHeadModel"], n_embd=64, n_head=4, n_layer=2,
                 n_positions=64, vocab_size=VOCAB, layer_norm_epsilon=1e-5, activation_function="gelu_new",
                 eos_token_id=VOCAB - 1, n_inner=None),
}
REF = {"llama": "llama", "mistral": "mistral", "qwen2": "qwen2", "qwen3": "qwen3", "gemma2": "gemma2",
       "gemma3_text": "gemma3", "phi3": "phi3", "gpt2": "gpt2"}


def make_weights(arch, cfg, rng):
    W = {}
    if arch == "gpt2":
        H, I = cfg["n_embd"], 4 * cfg["n_embd"]
        W["wte.weight"] = rand(rng, VOCAB, H, scale=0.3)
        W["wpe.weight"] = rand(rng, cfg["n_positions"], H, scale=0.3)
        for i in range(cfg["n_layer"]):
            p = f"h.{i}."
            for n in ("ln_1", "ln_2"):
                W[p + n + ".weight"] = norm_w(rng, H)
                W[p + n + ".bias"] = rand(rng, H, scale=0.1)
            for n, (a, b) in {"attn.c_attn": (H, 3 * H), "attn.c_proj": (H, H), "mlp.c_fc": (H, I),
                              "mlp.c_proj": (I, H)}.items():
                W[p + n + ".weight"] = rand(rng, a, b, scale=(4 if n.endswith("c_proj") else 1) / np.sqrt(a))
                W[p + n + ".bias"] = rand(rng, b, scale=0.1)
        W["ln_f.weight"] = norm_w(rng, H)
        W["ln_f.bias"] = rand(rng, H, scale=0.1)
        return W
    H, I = cfg["hidden_size"], cfg["intermediate_size"]
    nh, nkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    D = cfg.get("head_dim") or H // nh
    gemma = arch.startswith("gemma")
    W["model.embed_tokens.weight"] = rand(rng, VOCAB, H, scale=0.05 if gemma else 0.5 if cfg.get("tie_word_embeddings") else 1.0)
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        if arch == "phi3":
            W[p + "self_attn.qkv_proj.weight"] = rand(rng, (nh + 2 * nkv) * D, H)
            W[p + "mlp.gate_up_proj.weight"] = rand(rng, 2 * I, H)
        else:
            W[p + "self_attn.q_proj.weight"] = rand(rng, nh * D, H)
            W[p + "self_attn.k_proj.weight"] = rand(rng, nkv * D, H)
            W[p + "self_attn.v_proj.weight"] = rand(rng, nkv * D, H)
            W[p + "mlp.gate_proj.weight"] = rand(rng, I, H)
            W[p + "mlp.up_proj.weight"] = rand(rng, I, H)
        if arch == "qwen2":
            for n, sz in (("q", nh * D), ("k", nkv * D), ("v", nkv * D)):
                W[p + f"self_attn.{n}_proj.bias"] = rand(rng, sz, scale=0.5)
        # strong block outputs, so that tied embeddings do not just echo the last token
        W[p + "self_attn.o_proj.weight"] = rand(rng, H, nh * D, scale=4 / np.sqrt(nh * D))
        W[p + "mlp.down_proj.weight"] = rand(rng, H, I, scale=4 / np.sqrt(I))
        W[p + "input_layernorm.weight"] = norm_w(rng, H, gemma)
        W[p + "post_attention_layernorm.weight"] = norm_w(rng, H, gemma)
        if gemma:
            W[p + "pre_feedforward_layernorm.weight"] = norm_w(rng, H, gemma)
            W[p + "post_feedforward_layernorm.weight"] = norm_w(rng, H, gemma)
        if arch in ("qwen3", "gemma3"):
            W[p + "self_attn.q_norm.weight"] = norm_w(rng, D, gemma)
            W[p + "self_attn.k_norm.weight"] = norm_w(rng, D, gemma)
    W["model.norm.weight"] = norm_w(rng, H, gemma)
    if not cfg.get("tie_word_embeddings"):
        W["lm_head.weight"] = rand(rng, VOCAB, H)
    return W


def load_folder(d):
    cfg = json.load(open(os.path.join(d, "config.json")))
    raw = {}
    for f in sorted(os.listdir(d)):
        if f.endswith(".safetensors") and f != "reference.safetensors":
            raw.update(st_read(os.path.join(d, f)))
    q = cfg.get("quantization")
    W = {}
    for name, a in raw.items():
        if name.endswith(".scales") or name.endswith(".biases"):
            continue
        base = name[: -len(".weight")]
        if name.endswith(".weight") and base + ".scales" in raw:
            w = dequantize(a, raw[base + ".scales"], raw[base + ".biases"], q["group_size"], q["bits"])
            if cfg["model_type"] == "gpt2" and not name.endswith("wte.weight"):
                w = w.T  # quantized matrices are kept (out, in); Conv1D wants (in, out)
            a = w
        W[name] = torch.from_numpy(np.ascontiguousarray(a.astype(np.float32)))
    return cfg, W


def make_reference(d, seed=0):
    import importlib
    cfg, W = load_folder(d)
    mod = importlib.import_module(REF[cfg["model_type"]])
    rng = np.random.default_rng(seed + 1)
    prompt = rng.integers(0, VOCAB - 1, PROMPT_LEN).tolist()
    ids = list(prompt)
    with torch.no_grad():
        for _ in range(GEN):
            logits = mod.forward(W, cfg, torch.tensor(ids))
            ids.append(int(torch.argmax(logits[-1])))
        logits = mod.forward(W, cfg, torch.tensor(ids))
    st_write(os.path.join(d, "reference.safetensors"), {
        "prompt": np.array(prompt, np.int32),
        "tokens": np.array(ids[PROMPT_LEN:], np.int32),
        "ids": np.array(ids, np.int32),
        "logits": logits.numpy().astype(np.float32),
    })


def write_model(out, name, arch, cfg, W, dtype="F32", quant=None, shards=1):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    cfg = dict(cfg)
    tensors = {}
    for k, v in W.items():
        base = k[: -len(".weight")]
        is_matrix = v.ndim == 2 and k.endswith(".weight") and not k.endswith("wpe.weight")
        if quant and is_matrix:
            gs, bits = quant
            w = v.T if arch == "gpt2" and not k.endswith("wte.weight") else v
            wq, s, b = quantize(np.ascontiguousarray(w), gs, bits)
            tensors[k] = wq
            tensors[base + ".scales"] = (s, dtype)
            tensors[base + ".biases"] = (b, dtype)
        else:
            tensors[k] = (v, dtype) if dtype != "F32" else v
            if dtype == "F16":
                tensors[k] = v.astype(np.float16)
    if quant:
        cfg["quantization"] = {"group_size": quant[0], "bits": quant[1]}
    cfg["eos_token_id"] = write_tokenizer(d)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)
    with open(os.path.join(d, "generation_config.json"), "w") as f:
        json.dump({"eos_token_id": [cfg["eos_token_id"]]}, f)
    names = list(tensors)
    if shards == 1:
        st_write(os.path.join(d, "model.safetensors"), tensors)
    else:
        wm = {}
        per = (len(names) + shards - 1) // shards
        for s in range(shards):
            fn = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
            part = {k: tensors[k] for k in names[s * per:(s + 1) * per]}
            wm.update({k: fn for k in part})
            st_write(os.path.join(d, fn), part)
        with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {}, "weight_map": wm}, f)
    make_reference(d)
    return d


def main():
    if sys.argv[1] == "--reference":
        make_reference(sys.argv[2])
        return
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    for i, (arch, cfg) in enumerate(CONFIGS.items()):
        W = make_weights(arch, cfg, np.random.default_rng(100 + i))
        write_model(out, arch, arch, cfg, W, shards=2 if arch == "llama" else 1)
        if arch == "llama":
            write_model(out, "llama-bf16", arch, cfg, W, dtype="BF16")
            write_model(out, "llama-q4", arch, cfg, W, quant=(32, 4))
        if arch == "qwen3":
            write_model(out, "qwen3-q8", arch, cfg, W, quant=(64, 8), dtype="BF16")
        if arch == "gemma2":
            write_model(out, "gemma2-f16", arch, cfg, W, dtype="F16")
        if arch == "gpt2":
            write_model(out, "gpt2-q4", arch, cfg, W, quant=(32, 4))


if __name__ == "__main__":
    main()
