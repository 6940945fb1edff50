"""Pieces the reference forward passes share, written from the published
model definitions (Hugging Face transformers' modeling_*.py and
modeling_rope_utils.py) in plain torch, float32."""
import math

import torch


def rms_norm(x, w, eps, gemma=False):
    # LlamaRMSNorm / Gemma*RMSNorm (the latter scales by 1 + weight)
    v = x.pow(2).mean(-1, keepdim=True)
    y = x * torch.rsqrt(v + eps)
    return y * (1.0 + w) if gemma else w * y


def layer_norm(x, w, b, eps):
    return torch.nn.functional.layer_norm(x, (x.shape[-1],), w, b, eps)


def gelu_tanh(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def silu(x):
    return x * torch.sigmoid(x)


def inv_freq(cfg, dim, base, scaling):
    """modeling_rope_utils: default, linear, llama3, yarn. Returns (inv_freq,
    attention_factor)."""
    inv = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
    if not scaling:
        return inv, 1.0
    kind = scaling.get("rope_type", scaling.get("type", "default"))
    factor = scaling.get("factor", 1.0)
    if kind == "default":
        return inv, 1.0
    if kind == "linear":
        return inv / factor, 1.0
    if kind == "llama3":
        lo, hi = scaling["low_freq_factor"], scaling["high_freq_factor"]
        old = scaling["original_max_position_embeddings"]
        lo_wl, hi_wl = old / lo, old / hi
        wl = 2 * math.pi / inv
        out = torch.where(wl > lo_wl, inv / factor, inv)
        smooth = (old / wl - lo) / (hi - lo)
        smoothed = (1 - smooth) * out / factor + smooth * out
        medium = ~(wl < hi_wl) * ~(wl > lo_wl)
        return torch.where(medium, smoothed, out), 1.0
    if kind == "yarn":
        orig = scaling.get("original_max_position_embeddings") or cfg["max_position_embeddings"]
        af = scaling.get("attention_factor")

        def get_mscale(s, m=1):
            return 1.0 if s <= 1 else 0.1 * m * math.log(s) + 1.0

        if af is None:
            ms, msa = scaling.get("mscale"), scaling.get("mscale_all_dim")
            af = get_mscale(factor, ms) / get_mscale(factor, msa) if ms and msa else get_mscale(factor)
        bf, bs = scaling.get("beta_fast") or 32, scaling.get("beta_slow") or 1

        def corr_dim(rot):
            return (dim * math.log(orig / (rot * 2 * math.pi))) / (2 * math.log(base))

        low, high = math.floor(corr_dim(bf)), math.ceil(corr_dim(bs))
        low, high = max(low, 0), min(high, dim - 1)
        if low == high:
            high += 0.001
        ramp = torch.clamp((torch.arange(dim // 2, dtype=torch.float32) - low) / (high - low), 0, 1)
        pos = base ** (torch.arange(0, dim, 2).float() / dim)
        extra, inter = 1.0 / pos, 1.0 / (factor * pos)
        ef = 1 - ramp
        return inter * (1 - ef) + extra * ef, af
    raise ValueError(kind)


def rope(x, inv, af, rot_dim):
    """x (B, H, L, D); rotate_half on the first rot_dim features."""
    L = x.shape[2]
    t = torch.arange(L, dtype=torch.float32)
    freqs = torch.outer(t, inv)
    emb = torch.cat((freqs, freqs), -1)
    cos, sin = emb.cos() * af, emb.sin() * af
    xr, xp = x[..., :rot_dim], x[..., rot_dim:]
    h = rot_dim // 2
    rot = torch.cat((-xr[..., h:], xr[..., :h]), -1)
    return torch.cat((xr * cos + rot * sin, xp), -1)


def attention(q, k, v, scale, window=None, softcap=None):
    """q (B, Hq, L, D), k/v (B, Hkv, L, D): repeat_kv, causal (+ sliding) mask."""
    rep = q.shape[1] // k.shape[1]
    k = k.repeat_interleave(rep, dim=1)
    v = v.repeat_interleave(rep, dim=1)
    s = torch.matmul(q, k.transpose(2, 3)) * scale
    if softcap:
        s = torch.tanh(s / softcap) * softcap
    L = q.shape[2]
    i = torch.arange(L)[:, None]
    j = torch.arange(L)[None, :]
    allowed = j <= i
    if window:
        allowed = allowed & (i - j < window)
    s = s.masked_fill(~allowed, float("-inf"))
    return torch.matmul(torch.softmax(s, -1), v)


def split_heads(x, h, d):
    B, L, _ = x.shape
    return x.view(B, L, h, d).transpose(1, 2)


def merge_heads(x):
    B, H, L, D = x.shape
    return x.transpose(1, 2).reshape(B, L, H * D)
