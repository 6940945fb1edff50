#!/usr/bin/python3
"""ref_nn.py OUTDIR: PyTorch's forwards and gradients for the nn tests.

Each case is OUTDIR/<name>.npz holding the inputs (in0, in1, ...), the
parameters under their Ember names (p.<name>, channels-last layouts), a
cotangent `cot` of the output's shape, the output `out`, and the gradients of
sum(out * cot): g.in<k> for float inputs and g.p.<name> per parameter.
Optional: rs.<name> (buffers after one training forward)."""
import math
import os
import sys

import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
warnings.simplefilter("ignore")
rng = np.random.default_rng(0)
OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)
torch.set_default_dtype(torch.float32)


def t(a, grad=True):
    x = torch.tensor(np.asarray(a))
    if grad and x.is_floating_point():
        x.requires_grad_(True)
    return x


def randn(*s):
    return rng.standard_normal(s).astype(np.float32)


def save(name, inputs, params, fn, no_grad_inputs=(), extra=None):
    """inputs: list of numpy arrays; params: dict ember name -> (torch leaf,
    to_ember(tensor) -> numpy); fn(*torch inputs) -> torch output."""
    tin = [t(a, k not in no_grad_inputs) for k, a in enumerate(inputs)]
    for leaf, _ in params.values():
        leaf.grad = None
    out = fn(*tin)
    cot = randn(*out.shape) if out.dim() else np.array(rng.standard_normal(), np.float32)
    (out * torch.tensor(cot)).sum().backward()
    d = {"out": out.detach().numpy(), "cot": cot}
    for k, a in enumerate(inputs):
        d["in%d" % k] = a
        if tin[k].requires_grad and tin[k].grad is not None:
            d["g.in%d" % k] = tin[k].grad.numpy()
    for pname, (leaf, conv) in params.items():
        d["p." + pname] = conv(leaf.detach())
        if leaf.grad is not None:
            d["g.p." + pname] = conv(leaf.grad)
    if extra:
        d.update(extra)
    np.savez(os.path.join(OUT, name + ".npz"), **d)


ident = lambda x: x.numpy()


def mod_params(m, rename=None, conv=None):
    out = {}
    for n, p in m.named_parameters():
        out[(rename or {}).get(n, n)] = (p, (conv or {}).get(n, ident))
    return out


def nhwc(f):
    """Wraps a channels-first torch function for channels-last arrays."""
    return lambda x, *a: f(x.permute(0, 3, 1, 2), *a).permute(0, 2, 3, 1)


# ---------- layers ----------
lin = nn.Linear(5, 4)
save("linear", [randn(3, 5)], mod_params(lin), lin)
save("linear_3d", [randn(2, 3, 5)], mod_params(lin), lin)
lin_nb = nn.Linear(6, 3, bias=False)
save("linear_nobias", [randn(4, 6)], mod_params(lin_nb), lin_nb)

emb = nn.Embedding(10, 4)
save("embedding", [np.array([[1, 2, 9], [0, 2, 2]], np.int32)], mod_params(emb),
     lambda i: emb(i.long()))

c1 = nn.Conv1d(3, 4, 3, stride=2, padding=1)
save("conv1d", [randn(2, 7, 3)], mod_params(c1, conv={"weight": lambda w: w.permute(0, 2, 1).numpy()}),
     lambda x: c1(x.permute(0, 2, 1)).permute(0, 2, 1))

w4 = {"weight": lambda w: w.permute(0, 2, 3, 1).numpy()}
c2 = nn.Conv2d(3, 4, 3, padding=1)
save("conv2d", [randn(2, 5, 6, 3)], mod_params(c2, conv=w4), nhwc(c2))
c2g = nn.Conv2d(4, 6, (3, 2), stride=2, padding=(1, 0), dilation=(1, 2), groups=2)
save("conv2d_groups", [randn(2, 7, 8, 4)], mod_params(c2g, conv=w4), nhwc(c2g))

ct = nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1)
save("conv_transpose2d", [randn(2, 4, 5, 3)],
     mod_params(ct, conv={"weight": lambda w: w.permute(1, 2, 3, 0).numpy()}), nhwc(ct))

save("max_pool2d", [randn(2, 6, 8, 3)], {}, nhwc(lambda x: F.max_pool2d(x, 2)))
save("max_pool2d_pad", [randn(2, 7, 6, 3)], {}, nhwc(lambda x: F.max_pool2d(x, 3, 2, 1)))
save("avg_pool2d", [randn(2, 6, 8, 3)], {}, nhwc(lambda x: F.avg_pool2d(x, 2)))
save("avg_pool2d_pad", [randn(2, 7, 6, 3)], {}, nhwc(lambda x: F.avg_pool2d(x, 3, 1, 1)))
save("upsample_nearest", [randn(2, 3, 4, 2)], {},
     nhwc(lambda x: F.interpolate(x, scale_factor=2, mode="nearest")))
save("upsample_bilinear", [randn(2, 3, 4, 2)], {},
     nhwc(lambda x: F.interpolate(x, scale_factor=(2, 3), mode="bilinear", align_corners=False)))
save("upsample_bilinear_ac", [randn(2, 3, 4, 2)], {},
     nhwc(lambda x: F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)))

ln = nn.LayerNorm(6)
with torch.no_grad():
    ln.weight.copy_(torch.randn(6))
    ln.bias.copy_(torch.randn(6))
save("layer_norm", [randn(2, 3, 6)], mod_params(ln), ln)

rmsw = t(randn(6))
save("rms_norm", [randn(2, 3, 6)], {"weight": (rmsw, ident)},
     lambda x: x * torch.rsqrt((x * x).mean(-1, keepdim=True) + 1e-5) * rmsw)

gn = nn.GroupNorm(2, 6)
with torch.no_grad():
    gn.weight.copy_(torch.randn(6))
    gn.bias.copy_(torch.randn(6))
save("group_norm", [randn(2, 4, 3, 6)], mod_params(gn), nhwc(gn))

bn = nn.BatchNorm2d(3, momentum=0.1)
with torch.no_grad():
    bn.weight.copy_(torch.randn(3))
    bn.bias.copy_(torch.randn(3))
bn.train()
bn_rm0, bn_rv0 = bn.running_mean.clone().numpy(), bn.running_var.clone().numpy()
x_bn = randn(4, 3, 5, 3)
save("batch_norm_train", [x_bn], mod_params(bn), nhwc(bn))
# the training forward above moved the running statistics once
extra = {"rs.running_mean": bn.running_mean.numpy().copy(), "rs.running_var": bn.running_var.numpy().copy()}
np.savez(os.path.join(OUT, "batch_norm_train.npz"), **dict(np.load(os.path.join(OUT, "batch_norm_train.npz"))), **extra)
bn.eval()
with torch.no_grad():
    bn.running_mean.copy_(torch.randn(3))
    bn.running_var.copy_(torch.rand(3) + 0.5)
params = mod_params(bn)
save("batch_norm_eval", [randn(4, 3, 5, 3)], params, nhwc(bn),
     extra={"p.running_mean": bn.running_mean.numpy(), "p.running_var": bn.running_var.numpy()})


def rope_ref(x, dims, traditional, base, scale):
    L = x.shape[-2]
    half = dims // 2
    inv = base ** (-torch.arange(half, dtype=torch.float32) * 2 / dims)
    theta = (torch.arange(L, dtype=torch.float32) * scale)[:, None] * inv[None, :]
    c, s = torch.cos(theta), torch.sin(theta)
    xr, rest = x[..., :dims], x[..., dims:]
    if traditional:
        a, b = xr[..., 0::2], xr[..., 1::2]
        ra, rb = a * c - b * s, a * s + b * c
        y = torch.stack([ra, rb], -1).reshape(xr.shape)
    else:
        a, b = xr[..., :half], xr[..., half:]
        y = torch.cat([a * c - b * s, a * s + b * c], -1)
    return torch.cat([y, rest], -1)


save("rope", [randn(2, 2, 5, 8)], {}, lambda x: rope_ref(x, 8, False, 10000.0, 1.0))
save("rope_traditional", [randn(2, 5, 8)], {}, lambda x: rope_ref(x, 6, True, 100.0, 0.5))

seq = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))
save("sequential", [randn(4, 6)], mod_params(seq), seq)


def mha_params(att, prefix, d, with_bias):
    """torch's packed in_proj -> query_proj/key_proj/value_proj."""
    out = {}
    for i, n in enumerate(["query_proj", "key_proj", "value_proj"]):
        out[prefix + n + ".weight"] = (att.in_proj_weight, lambda w, i=i: w[i * d:(i + 1) * d].numpy())
    out[prefix + "out_proj.weight"] = (att.out_proj.weight, ident)
    return out


d = 8
att = nn.MultiheadAttention(d, 2, bias=False, batch_first=True)
mask = np.triu(np.full((5, 6), -np.inf, np.float32), 2)
save("mha", [randn(2, 5, d), randn(2, 6, d), randn(2, 6, d), mask], mha_params(att, "", d, False),
     lambda q, k, v, m: att(q, k, v, attn_mask=m, need_weights=False)[0], no_grad_inputs=(3,))


def zero_attn_bias(att):
    with torch.no_grad():
        att.in_proj_bias.zero_()
        att.out_proj.bias.zero_()
    att.in_proj_bias.requires_grad_(False)
    att.out_proj.bias.requires_grad_(False)


def block_params(layer, attn_names):
    out = {}
    for tname, ename in attn_names:
        out.update(mha_params(getattr(layer, tname), ename + ".", d, False))
    for tn, en in [("linear1", "linear1"), ("linear2", "linear2"), ("norm1", "ln1"),
                   ("norm2", "ln2"), ("norm3", "ln3")]:
        if hasattr(layer, tn):
            m = getattr(layer, tn)
            out[en + ".weight"] = (m.weight, ident)
            out[en + ".bias"] = (m.bias, ident)
    return out


causal = np.triu(np.full((5, 5), -np.inf, np.float32), 1)
for nf in (False, True):
    enc = nn.TransformerEncoderLayer(d, 2, 16, dropout=0.0, batch_first=True, norm_first=nf)
    zero_attn_bias(enc.self_attn)
    with torch.no_grad():
        for ln_ in (enc.norm1, enc.norm2):
            ln_.weight.copy_(torch.randn(d))
            ln_.bias.copy_(torch.randn(d))
    enc.train()
    save("encoder" + ("_prenorm" if nf else ""), [randn(2, 5, d), causal],
         block_params(enc, [("self_attn", "attention")]), lambda x, m: enc(x, src_mask=m),
         no_grad_inputs=(1,))
    dec = nn.TransformerDecoderLayer(d, 2, 16, dropout=0.0, batch_first=True, norm_first=nf,
                                     activation="gelu")
    zero_attn_bias(dec.self_attn)
    zero_attn_bias(dec.multihead_attn)
    dec.train()
    save("decoder" + ("_prenorm" if nf else ""), [randn(2, 5, d), randn(2, 4, d), causal],
         block_params(dec, [("self_attn", "self_attention"), ("multihead_attn", "cross_attention")]),
         lambda x, mem, m: dec(x, mem, tgt_mask=m), no_grad_inputs=(2,))

# ---------- activations ----------
xa = (randn(3, 7) * 3).astype(np.float32)
acts = {
    "relu": F.relu, "gelu": F.gelu, "gelu_approx": lambda x: F.gelu(x, approximate="tanh"),
    "silu": F.silu, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "softplus": F.softplus,
    "mish": F.mish, "leaky_relu": lambda x: F.leaky_relu(x, 0.01), "elu": F.elu,
    "softmax": lambda x: F.softmax(x, -1), "relu6": F.relu6, "log_sigmoid": F.logsigmoid,
}
for n, fn in acts.items():
    save("act_" + n, [xa], {}, fn)

# ---------- losses ----------
logits = randn(6, 5)
ids = rng.integers(0, 5, 6).astype(np.int32)
probs = np.exp(randn(6, 5))
probs = (probs / probs.sum(-1, keepdims=True)).astype(np.float32)
for red in ("none", "mean", "sum"):
    save("ce_ids_" + red, [logits, ids], {}, lambda x, y: F.cross_entropy(x, y.long(), reduction=red))
save("ce_ids_smooth", [logits, ids], {},
     lambda x, y: F.cross_entropy(x, y.long(), label_smoothing=0.1, reduction="mean"))
save("ce_probs", [logits, probs], {}, lambda x, y: F.cross_entropy(x, y, reduction="mean"),
     no_grad_inputs=(1,))
save("ce_probs_smooth", [logits, probs], {},
     lambda x, y: F.cross_entropy(x, y, label_smoothing=0.2, reduction="sum"), no_grad_inputs=(1,))
logits3 = randn(2, 5, 4)  # classes on axis 1, as PyTorch's (N, C, d)
ids3 = rng.integers(0, 5, (2, 4)).astype(np.int32)
save("ce_axis1", [logits3, ids3], {}, lambda x, y: F.cross_entropy(x, y.long(), reduction="mean"))
save("nll", [np.log(probs), ids], {}, lambda x, y: F.nll_loss(x, y.long(), reduction="mean"))
tb = rng.integers(0, 2, (4, 3)).astype(np.float32)
save("bce_logits", [randn(4, 3), tb], {},
     lambda x, y: F.binary_cross_entropy_with_logits(x, y, reduction="mean"), no_grad_inputs=(1,))
pb = rng.uniform(0.05, 0.95, (4, 3)).astype(np.float32)
save("bce_probs", [pb, tb], {}, lambda x, y: F.binary_cross_entropy(x, y, reduction="sum"),
     no_grad_inputs=(1,))
a, b = randn(4, 3), randn(4, 3)
save("mse", [a, b], {}, lambda x, y: F.mse_loss(x, y, reduction="mean"), no_grad_inputs=(1,))
save("l1", [a, b], {}, lambda x, y: F.l1_loss(x, y, reduction="none"), no_grad_inputs=(1,))
save("smooth_l1", [a * 2, b], {}, lambda x, y: F.smooth_l1_loss(x, y, beta=1.0, reduction="mean"),
     no_grad_inputs=(1,))
save("smooth_l1_beta", [a * 2, b], {}, lambda x, y: F.smooth_l1_loss(x, y, beta=0.5, reduction="sum"),
     no_grad_inputs=(1,))
tp = probs.copy()
tp[0, 0] = 0  # a zero target contributes nothing
save("kl_div", [np.log(probs[::-1].copy()), tp], {},
     lambda x, y: F.kl_div(x, y, reduction="mean"), no_grad_inputs=(1,))
save("kl_div_log", [np.log(probs[::-1].copy()), np.log(probs)], {},
     lambda x, y: F.kl_div(x, y, reduction="sum", log_target=True), no_grad_inputs=(1,))
print("wrote", len(os.listdir(OUT)), "cases to", OUT)
