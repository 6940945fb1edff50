"""LlamaForCausalLM (and MistralForCausalLM: the same, with the sliding window
when the config sets one), after transformers' modeling_llama.py."""
import torch

from common import attention, inv_freq, merge_heads, rms_norm, rope, silu, split_heads


def lin(W, name, x):
    y = x @ W[name + ".weight"].T
    b = W.get(name + ".bias")
    return y + b if b is not None else y


def forward(W, cfg, ids, qk_norm=False, window=None):
    H, nh = cfg["hidden_size"], cfg["num_attention_heads"]
    nkv = cfg.get("num_key_value_heads", nh)
    D = cfg.get("head_dim") or H // nh
    eps = cfg["rms_norm_eps"]
    inv, af = inv_freq(cfg, D, cfg.get("rope_theta", 10000.0), cfg.get("rope_scaling"))
    x = W["model.embed_tokens.weight"][ids][None]
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        h = rms_norm(x, W[p + "input_layernorm.weight"], eps)
        q = split_heads(lin(W, p + "self_attn.q_proj", h), nh, D)
        k = split_heads(lin(W, p + "self_attn.k_proj", h), nkv, D)
        v = split_heads(lin(W, p + "self_attn.v_proj", h), nkv, D)
        if qk_norm:  # Qwen3
            q = rms_norm(q, W[p + "self_attn.q_norm.weight"], eps)
            k = rms_norm(k, W[p + "self_attn.k_norm.weight"], eps)
        q, k = rope(q, inv, af, D), rope(k, inv, af, D)
        o = merge_heads(attention(q, k, v, D ** -0.5, window=window))
        x = x + lin(W, p + "self_attn.o_proj", o)
        h = rms_norm(x, W[p + "post_attention_layernorm.weight"], eps)
        g = silu(lin(W, p + "mlp.gate_proj", h)) * lin(W, p + "mlp.up_proj", h)
        x = x + lin(W, p + "mlp.down_proj", g)
    x = rms_norm(x, W["model.norm.weight"], eps)
    head = W.get("lm_head.weight", W["model.embed_tokens.weight"])
    return (x @ head.T)[0]
