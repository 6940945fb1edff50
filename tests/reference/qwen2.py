"""Qwen2ForCausalLM: Llama's blocks with q/k/v biases (loaded from the
tensors), sliding window only when use_sliding_window (layers from
max_window_layers on)."""
import llama


def forward(W, cfg, ids):
    assert not cfg.get("use_sliding_window")
    return llama.forward(W, cfg, ids)
