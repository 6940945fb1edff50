"""GPT2LMHeadModel, after modeling_gpt2.py: learned positions, LayerNorm,
Conv1D weights stored (in, out), GELU (tanh, "gelu_new"), tied head."""
import math

from common import attention, gelu_tanh, layer_norm, merge_heads, split_heads


def forward(W, cfg, ids):
    H, nh = cfg["n_embd"], cfg["n_head"]
    D = H // nh
    eps = cfg["layer_norm_epsilon"]
    L = ids.shape[0]
    x = (W["wte.weight"][ids] + W["wpe.weight"][:L])[None]

    def conv1d(name, t):  # Conv1D: x @ W + b
        return t @ W[name + ".weight"] + W[name + ".bias"]

    for i in range(cfg["n_layer"]):
        p = f"h.{i}."
        h = layer_norm(x, W[p + "ln_1.weight"], W[p + "ln_1.bias"], eps)
        q, k, v = conv1d(p + "attn.c_attn", h).split(H, dim=2)
        o = attention(split_heads(q, nh, D), split_heads(k, nh, D), split_heads(v, nh, D), 1 / math.sqrt(D))
        x = x + conv1d(p + "attn.c_proj", merge_heads(o))
        h = layer_norm(x, W[p + "ln_2.weight"], W[p + "ln_2.bias"], eps)
        x = x + conv1d(p + "mlp.c_proj", gelu_tanh(conv1d(p + "mlp.c_fc", h)))
    x = layer_norm(x, W["ln_f.weight"], W["ln_f.bias"], eps)
    return (x @ W["wte.weight"].T)[0]
