"""Phi3ForCausalLM, after modeling_phi3.py: fused qkv_proj and gate_up_proj
(gate first), partial rotary embedding, sliding-window mask."""
from common import attention, inv_freq, merge_heads, rms_norm, rope, silu, split_heads


def forward(W, cfg, ids):
    H, nh = cfg["hidden_size"], cfg["num_attention_heads"]
    nkv = cfg.get("num_key_value_heads", nh)
    D = H // nh
    eps = cfg["rms_norm_eps"]
    rot = int(D * cfg.get("partial_rotary_factor", 1.0))
    inv, af = inv_freq(cfg, rot, cfg.get("rope_theta", 10000.0), cfg.get("rope_scaling"))
    x = W["model.embed_tokens.weight"][ids][None]
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        h = rms_norm(x, W[p + "input_layernorm.weight"], eps)
        qkv = h @ W[p + "self_attn.qkv_proj.weight"].T
        q = split_heads(qkv[..., : nh * D], nh, D)
        k = split_heads(qkv[..., nh * D: nh * D + nkv * D], nkv, D)
        v = split_heads(qkv[..., nh * D + nkv * D:], nkv, D)
        q, k = rope(q, inv, af, rot), rope(k, inv, af, rot)
        o = merge_heads(attention(q, k, v, D ** -0.5, window=cfg.get("sliding_window")))
        x = x + o @ W[p + "self_attn.o_proj.weight"].T
        h = rms_norm(x, W[p + "post_attention_layernorm.weight"], eps)
        gu = h @ W[p + "mlp.gate_up_proj.weight"].T
        gate, up = gu.chunk(2, dim=-1)
        x = x + (up * silu(gate)) @ W[p + "mlp.down_proj.weight"].T
    x = rms_norm(x, W["model.norm.weight"], eps)
    return (x @ W["lm_head.weight"].T)[0]
