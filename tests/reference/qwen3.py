"""Qwen3ForCausalLM: Llama's blocks with RMSNorm on each head of q and k
before rotary embedding, head_dim from the config."""
import llama


def forward(W, cfg, ids):
    return llama.forward(W, cfg, ids, qk_norm=True)
