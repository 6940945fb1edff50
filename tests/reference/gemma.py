"""Gemma2ForCausalLM and Gemma3ForCausalLM (text), after modeling_gemma2.py
and modeling_gemma3.py: (1 + w) RMSNorm, embeddings times sqrt(hidden), four
norms per block, query_pre_attn_scalar, GELU-tanh MLP, sliding-window layers,
attention and final logit soft-capping (gemma2), q/k norms and local rope
base (gemma3)."""
import torch

from common import attention, gelu_tanh, inv_freq, merge_heads, rms_norm, rope, split_heads


def forward(W, cfg, ids, version):
    H, nh = cfg["hidden_size"], cfg["num_attention_heads"]
    nkv = cfg["num_key_value_heads"]
    D = cfg["head_dim"]
    eps = cfg["rms_norm_eps"]
    scale = cfg["query_pre_attn_scalar"] ** -0.5
    x = W["model.embed_tokens.weight"][ids][None]
    x = x * torch.tensor(H ** 0.5, dtype=x.dtype)
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        if version == 2:
            sliding = i % 2 == 0
            inv, af = inv_freq(cfg, D, cfg["rope_theta"], None)
        else:
            sliding = (i + 1) % cfg["sliding_window_pattern"] != 0
            if sliding:
                inv, af = inv_freq(cfg, D, cfg["rope_local_base_freq"], None)
            else:
                inv, af = inv_freq(cfg, D, cfg["rope_theta"], cfg.get("rope_scaling"))
        res = x
        h = rms_norm(x, W[p + "input_layernorm.weight"], eps, gemma=True)
        q = split_heads(h @ W[p + "self_attn.q_proj.weight"].T, nh, D)
        k = split_heads(h @ W[p + "self_attn.k_proj.weight"].T, nkv, D)
        v = split_heads(h @ W[p + "self_attn.v_proj.weight"].T, nkv, D)
        if version == 3:
            q = rms_norm(q, W[p + "self_attn.q_norm.weight"], eps, gemma=True)
            k = rms_norm(k, W[p + "self_attn.k_norm.weight"], eps, gemma=True)
        q, k = rope(q, inv, af, D), rope(k, inv, af, D)
        o = attention(q, k, v, scale, window=cfg["sliding_window"] if sliding else None,
                      softcap=cfg.get("attn_logit_softcapping") if version == 2 else None)
        h = merge_heads(o) @ W[p + "self_attn.o_proj.weight"].T
        h = rms_norm(h, W[p + "post_attention_layernorm.weight"], eps, gemma=True)
        x = res + h
        res = x
        h = rms_norm(x, W[p + "pre_feedforward_layernorm.weight"], eps, gemma=True)
        g = gelu_tanh(h @ W[p + "mlp.gate_proj.weight"].T) * (h @ W[p + "mlp.up_proj.weight"].T)
        h = g @ W[p + "mlp.down_proj.weight"].T
        h = rms_norm(h, W[p + "post_feedforward_layernorm.weight"], eps, gemma=True)
        x = res + h
    x = rms_norm(x, W["model.norm.weight"], eps, gemma=True)
    logits = x @ W["model.embed_tokens.weight"].T
    cap = cfg.get("final_logit_softcapping")
    if cap:
        logits = torch.tanh(logits / cap) * cap
    return logits[0]
