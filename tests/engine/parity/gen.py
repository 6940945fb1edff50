#!/usr/bin/python3
"""Writes parity cases: numpy computes the expected outputs.

usage: gen.py FAMILY OUTDIR

Each cases_FAMILY.py defines cases(w) and calls
    w.case(name, op, inputs, outputs, rtol=..., atol=..., **args)
with numpy arrays; args become key=value in the manifest (lists -> "0,1",
None -> "none"). Use w.error(name, op, inputs, **args) for inputs that must be
refused with a message."""
import importlib
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def bf16(x):
    """float32 array -> bfloat16 (round to nearest even) as a raw '|V2' array."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    u = x.view(np.uint32).astype(np.uint64)
    r = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    return r.view("V2")


def bf16_to_f32(v):
    """raw '|V2' bfloat16 -> float32."""
    u = np.ascontiguousarray(v).view(np.uint16).astype(np.uint32) << 16
    return u.view(np.float32)


def fmt(v):
    if v is None:
        return "none"
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, (list, tuple)):
        return ",".join(str(int(x)) for x in v) if v else "none"
    if isinstance(v, np.dtype) or (isinstance(v, type) and issubclass(v, np.generic)):
        return np.dtype(v).name
    return str(v)


class Writer:
    def __init__(self, outdir):
        self.outdir = outdir
        self.lines = []
        self.names = set()

    def case(self, name, op, inputs, outputs, rtol=1e-6, atol=1e-6, **args):
        assert name not in self.names, name
        assert " " not in name
        self.names.add(name)
        if not isinstance(outputs, (list, tuple)):
            outputs = [outputs]
        for i, a in enumerate(inputs):
            np.save(os.path.join(self.outdir, f"{name}.in{i}.npy"), np.asarray(a), allow_pickle=False)
        for i, a in enumerate(outputs):
            np.save(os.path.join(self.outdir, f"{name}.out{i}.npy"), np.asarray(a), allow_pickle=False)
        extra = " ".join(f"{k}={fmt(v)}" for k, v in args.items())
        self.lines.append(f"{name} {op} {len(inputs)} {len(outputs)} {rtol} {atol} {extra}".rstrip())

    def error(self, name, op, inputs, **args):
        self.case(name, op, inputs, [], error=True, **args)

    def finish(self):
        with open(os.path.join(self.outdir, "manifest.txt"), "w") as f:
            f.write("\n".join(self.lines) + "\n")


def main():
    family, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    for old in os.listdir(outdir):
        os.remove(os.path.join(outdir, old))
    w = Writer(outdir)
    importlib.import_module(f"cases_{family}").cases(w)
    w.finish()
    print(f"{len(w.lines)} cases for {family}")


if __name__ == "__main__":
    main()
