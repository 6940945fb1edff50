#!/usr/bin/python3
"""ref_optim.py OUTDIR: torch.optim (or numpy, for Lion and Adafactor) over 10
steps on fixed parameters and gradients, learning-rate schedules from
torch.optim.lr_scheduler, and clip_grad_norm_.

optim_<case>.npz: p.<name> (initial), g<k>.<name> (gradient of step k),
e<k>.<name> (parameter after step k). sched_<case>.npz: lr (20 values)."""
import math
import os
import sys
import warnings

import numpy as np
import torch

warnings.simplefilter("ignore")
OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(1)
STEPS = 10
shapes = {"a": (4, 3), "b": (5,), "c": (2, 3, 4)}
init = {n: rng.standard_normal(s).astype(np.float32) for n, s in shapes.items()}
grads = [{n: rng.standard_normal(s).astype(np.float32) for n, s in shapes.items()}
         for _ in range(STEPS)]


def write(name, traj):
    d = {"p." + n: v for n, v in init.items()}
    for k in range(STEPS):
        for n in shapes:
            d["g%d.%s" % (k, n)] = grads[k][n]
            d["e%d.%s" % (k, n)] = traj[k][n]
    np.savez(os.path.join(OUT, "optim_" + name + ".npz"), **d)


def run_torch(name, make, sched=None):
    ps = {n: torch.tensor(v.copy(), requires_grad=True) for n, v in init.items()}
    opt = make(list(ps.values()))
    s = sched(opt) if sched else None
    traj = []
    for k in range(STEPS):
        for n, p in ps.items():
            p.grad = torch.tensor(grads[k][n])
        opt.step()
        if s:
            s.step()
        traj.append({n: p.detach().numpy().copy() for n, p in ps.items()})
    write(name, traj)


O = torch.optim
run_torch("sgd", lambda p: O.SGD(p, lr=0.1))
run_torch("sgd_momentum", lambda p: O.SGD(p, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01))
run_torch("sgd_nesterov", lambda p: O.SGD(p, lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.02))
run_torch("adam", lambda p: O.Adam(p, lr=0.01))
run_torch("adam_wd", lambda p: O.Adam(p, lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1))
run_torch("adamw", lambda p: O.AdamW(p, lr=0.01, weight_decay=0.05))
run_torch("rmsprop", lambda p: O.RMSprop(p, lr=0.01))
run_torch("rmsprop_momentum", lambda p: O.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.01, momentum=0.5))
run_torch("adagrad", lambda p: O.Adagrad(p, lr=0.1))
run_torch("adagrad_wd", lambda p: O.Adagrad(p, lr=0.1, eps=1e-8, weight_decay=0.05))
run_torch("adam_steplr", lambda p: O.Adam(p, lr=0.01), lambda o: O.lr_scheduler.StepLR(o, 3, 0.5))
run_torch("sgd_cosine", lambda p: O.SGD(p, lr=0.1, momentum=0.9),
          lambda o: O.lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=0.01))


def run_numpy(name, step_fn):
    ps = {n: v.astype(np.float64).copy() for n, v in init.items()}
    state = {n: {} for n in shapes}
    traj = []
    for k in range(STEPS):
        for n in shapes:
            ps[n] = step_fn(ps[n], grads[k][n].astype(np.float64), state[n], k + 1)
        traj.append({n: v.astype(np.float32) for n, v in ps.items()})
    write(name, traj)


def lion(lr, b1, b2, wd):
    def step(p, g, st, t):
        m = st.get("m", np.zeros_like(p))
        c = b1 * m + (1 - b1) * g
        p = p * (1 - lr * wd) - lr * np.sign(c)
        st["m"] = b2 * m + (1 - b2) * g
        return p
    return step


run_numpy("lion", lion(0.01, 0.9, 0.99, 0.0))
run_numpy("lion_wd", lion(0.02, 0.95, 0.98, 0.1))


def rms(x):
    return np.sqrt(np.mean(x * x))


def adafactor(lr, eps1=1e-30, eps2=1e-3, clip=1.0, decay=-0.8, beta1=None, wd=0.0,
              scale_parameter=True, relative_step=True, warmup_init=False):
    """The formulas of Shazeer & Stern (2018) as MLX's Adafactor applies them."""
    def step(p, g, st, t):
        if relative_step:
            rel = min(1e-6 * t if warmup_init else 1e-2, 1 / math.sqrt(t))
        else:
            rel = lr
        alr = rel * (max(eps2, rms(p)) if scale_parameter else 1.0)
        beta2 = 1 - t ** decay
        u = g * g + eps1
        if p.ndim >= 2:
            r = st.get("r", np.zeros(p.shape[:-1]))
            c = st.get("c", np.zeros(p.shape[:-2] + p.shape[-1:]))
            r = beta2 * r + (1 - beta2) * u.mean(-1)
            c = beta2 * c + (1 - beta2) * u.mean(-2)
            st["r"], st["c"] = r, c
            rf = 1 / np.sqrt(r / r.mean(-1, keepdims=True))
            cf = 1 / np.sqrt(c)
            u = rf[..., :, None] * cf[..., None, :] * g
        else:
            v = st.get("v", np.zeros_like(p))
            v = beta2 * v + (1 - beta2) * u
            st["v"] = v
            u = g / np.sqrt(v)
        u = u / max(1.0, rms(u) / clip)
        u = alr * u
        if beta1 is not None:
            m = st.get("m", np.zeros_like(p))
            u = beta1 * m + (1 - beta1) * u
            st["m"] = u
        if wd:
            p = p - p * wd * alr
        return p - u
    return step


run_numpy("adafactor", adafactor(None))
run_numpy("adafactor_lr", adafactor(0.05, beta1=0.9, wd=0.01, scale_parameter=False,
                                    relative_step=False, clip=0.5))
run_numpy("adafactor_warmup", adafactor(None, warmup_init=True, decay=-0.7))

# ---- schedules ----
def sched(name, make, n=20):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1)
    s = make(opt)
    lrs = []
    for _ in range(n):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        s.step()
    np.savez(os.path.join(OUT, "sched_" + name + ".npz"), lr=np.array(lrs, np.float64))


S = torch.optim.lr_scheduler
sched("step", lambda o: S.StepLR(o, 4, 0.5))
sched("exponential", lambda o: S.ExponentialLR(o, 0.9))
sched("cosine", lambda o: S.CosineAnnealingLR(o, T_max=12, eta_min=0.001))
sched("linear", lambda o: S.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=5))
sched("join", lambda o: S.SequentialLR(o, [S.LinearLR(o, 0.01, 1.0, total_iters=5),
                                           S.ExponentialLR(o, 0.8)], milestones=[5]))

# ---- clip_grad_norm_ ----
ps = [torch.tensor(init[n]).requires_grad_(True) for n in shapes]
for p, n in zip(ps, shapes):
    p.grad = torch.tensor(grads[0][n] * 3)
total = torch.nn.utils.clip_grad_norm_(ps, 2.0)
d = {"g." + n: grads[0][n] * 3 for n in shapes}
d.update({"e." + n: p.grad.numpy() for p, n in zip(ps, shapes)})
d["total"] = np.array(total.item(), np.float32)
np.savez(os.path.join(OUT, "clip.npz"), **d)
print("wrote", len(os.listdir(OUT)), "files to", OUT)
