"""MistralForCausalLM: Llama's blocks with a sliding-window causal mask."""
import llama


def forward(W, cfg, ids):
    return llama.forward(W, cfg, ids, window=cfg.get("sliding_window"))
