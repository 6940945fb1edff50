#!/usr/bin/python3
"""Safetensors files for Ember's IO tests, written from the format's spec
(8-byte little-endian header length, JSON header padded with spaces, data).

  st_files.py fixtures DIR   good files + numpy-saved .npz (for test_io)
  st_files.py hostile DIR    malformed files (for test_cli_info.py)
"""
import json
import os
import struct
import sys

import numpy as np

DTYPES = {  # safetensors name -> numpy dtype (BF16 as raw uint16)
    "BOOL": np.bool_, "U8": np.uint8, "I8": np.int8, "U16": np.uint16, "I16": np.int16,
    "U32": np.uint32, "I32": np.int32, "U64": np.uint64, "I64": np.int64,
    "F16": np.float16, "BF16": np.uint16, "F32": np.float32, "F64": np.float64,
}


def raw_file(header_bytes, data=b""):
    return struct.pack("<Q", len(header_bytes)) + header_bytes + data


def header_file(header, data=b"", pad=True):
    h = json.dumps(header).encode()
    if pad:
        h += b" " * (-len(h) % 8)
    return raw_file(h, data)


def write_safetensors(path, tensors, metadata=None, order=None):
    """tensors: list of (name, st_dtype, shape, raw bytes) in data order;
    `order`, if given, is the order of names in the header."""
    header, data, off = {}, b"", 0
    if metadata is not None:
        header["__metadata__"] = metadata
    entries = {}
    for name, dt, shape, raw in tensors:
        entries[name] = {"dtype": dt, "shape": list(shape), "data_offsets": [off, off + len(raw)]}
        data += raw
        off += len(raw)
    for name in order or [t[0] for t in tensors]:
        header[name] = entries[name]
    with open(path, "wb") as f:
        f.write(header_file(header, data))


def sample(dt, shape, seed):
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    if dt == "BOOL":
        return (rng.integers(0, 2, n) == 1).reshape(shape)
    if dt in ("F16", "F32", "F64"):
        return rng.standard_normal(n).astype(DTYPES[dt]).reshape(shape)
    if dt == "BF16":
        f = rng.standard_normal(n).astype(np.float32)
        return (f.view(np.uint32) >> 16).astype(np.uint16).reshape(shape)
    info = np.iinfo(DTYPES[dt])
    return rng.integers(info.min, info.max, n, dtype=DTYPES[dt], endpoint=True).reshape(shape)


def fixtures(d):
    os.makedirs(d, exist_ok=True)
    arrays, tensors = {}, []
    shapes = [(3, 4), (5,), (2, 3, 2), (), (0, 3)]
    for k, dt in enumerate(DTYPES):
        a = sample(dt, shapes[k % len(shapes)], k)
        arrays[dt.lower()] = a
        tensors.append((dt.lower(), dt, a.shape, np.ascontiguousarray(a).tobytes()))
    meta = {"format": "pt", "note": "quotes \" and / slashes", "ünï": "código"}
    # header in reverse alphabetical order, data in dtype order
    write_safetensors(os.path.join(d, "io_ref.safetensors"), tensors, meta,
                      order=sorted(arrays, reverse=True))
    np.savez(os.path.join(d, "io_ref.npz"), **arrays)
    np.savez_compressed(os.path.join(d, "io_ref_compressed.npz"), **arrays)
    # unaligned: a 1-byte tensor, then an F32 at offset 1 and an I64 at offset 5
    f = np.arange(6, dtype=np.float32) * 1.5
    i = np.arange(-3, 3, dtype=np.int64)
    write_safetensors(os.path.join(d, "io_unaligned.safetensors"),
                      [("pad", "U8", (1,), b"\x07"), ("f", "F32", (2, 3), f.tobytes()),
                       ("i", "I64", (6,), i.tobytes())])
    # F8 tensors list but do not load; bool bytes other than 0/1 are normalised
    write_safetensors(os.path.join(d, "io_f8.safetensors"),
                      [("ok", "F32", (2,), np.ones(2, np.float32).tobytes()),
                       ("q", "F8_E4M3", (4,), b"\x01\x02\x03\x04"),
                       ("b", "BOOL", (3,), b"\x00\x05\x01")])
    write_safetensors(os.path.join(d, "io_empty.safetensors"), [], {"only": "metadata"})
    write_safetensors(os.path.join(d, "io_names.safetensors"),
                      [("layers.0.attn/q_proj", "F16", (2, 2), np.zeros(4, np.float16).tobytes()),
                       ("日本語", "I8", (1, 1, 1, 1, 1, 1, 1, 1), b"\x7f"),
                       ("tab\there \"quoted\"", "U8", (0,), b"")])


def hostile():
    """(name, bytes) of files that must be refused."""
    ok = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}
    d8 = b"\0" * 8

    def t(entry, data=d8, name="x"):
        return header_file({name: entry}, data)

    def mod(**kw):
        e = dict(ok)
        for k, v in kw.items():
            if v is None:
                del e[k]
            else:
                e[k] = v
        return t(e)

    cases = [
        ("empty", b""),
        ("short", b"\x02\0\0"),
        ("seven-bytes", b"\x02\0\0\0\0\0\0"),
        ("hlen-past-end", struct.pack("<Q", 1000) + b"{}"),
        ("hlen-huge", struct.pack("<Q", 2**63 + 7) + b"{}"),
        ("hlen-zero", struct.pack("<Q", 0) + d8),
        ("not-json", raw_file(b"{\"x\": ")),
        ("not-json-garbage", raw_file(b"\xff\xfe\x00garbage")),
        ("trailing-garbage", raw_file(b"{} xyz  ")),
        ("root-array", raw_file(b"[1, 2]  ")),
        ("root-string", raw_file(b"\"abc\"   ")),
        ("root-number", raw_file(b"12345678")),
        ("entry-number", t(5)),
        ("entry-array", t([1, 2])),
        ("no-dtype", mod(dtype=None)),
        ("no-shape", mod(shape=None)),
        ("no-offsets", mod(data_offsets=None)),
        ("dtype-number", mod(dtype=3)),
        ("dtype-unknown", mod(dtype="Q7")),
        ("dtype-lowercase", mod(dtype="f32")),
        ("shape-number", mod(shape=2)),
        ("shape-float", mod(shape=[2.0])),
        ("shape-negative", mod(shape=[-2])),
        ("shape-string", mod(shape=["2"])),
        ("shape-null", mod(shape=[None])),
        ("shape-nine-dims", mod(shape=[1] * 9, data_offsets=[0, 4])),
        ("shape-overflow", mod(shape=[2**40, 2**40, 2**40], data_offsets=[0, 8])),
        ("shape-overflow-wrap", mod(shape=[2**32, 2**32, 2], data_offsets=[0, 0])),
        ("shape-huge-number", mod(shape=[2**70])),
        ("offsets-number", mod(data_offsets=8)),
        ("offsets-one", mod(data_offsets=[8])),
        ("offsets-three", mod(data_offsets=[0, 8, 9])),
        ("offsets-float", mod(data_offsets=[0, 8.0])),
        ("offsets-negative", mod(data_offsets=[-8, 0])),
        ("offsets-string", mod(data_offsets=["0", "8"])),
        ("offsets-past-end", mod(data_offsets=[8, 16])),
        ("offsets-huge", mod(data_offsets=[0, 2**64 + 8])),
        ("begin-after-end", mod(data_offsets=[8, 0])),
        ("length-mismatch", mod(data_offsets=[0, 4])),
        ("overlap", header_file({"a": ok, "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, d8)),
        ("duplicate-name", raw_file(b'{"x": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}, '
                                    b'"x": {"dtype": "U8", "shape": [1], "data_offsets": [1, 2]}}', b"ab")),
        ("duplicate-escaped", raw_file(b'{"x": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}, '
                                       b'"\\u0078": {"dtype": "U8", "shape": [1], "data_offsets": [1, 2]}}', b"ab")),
        ("metadata-array", header_file({"__metadata__": [1]})),
        ("metadata-value-number", header_file({"__metadata__": {"a": 1}})),
        ("metadata-value-object", header_file({"__metadata__": {"a": {"b": "c"}}})),
        ("metadata-value-null", header_file({"__metadata__": {"a": None}})),
        ("deep-nesting", raw_file(b"[" * 100000 + b"]" * 100000)),
    ]
    return cases


def verify(d):
    """Files the C test wrote with Ember, read by numpy and by the spec."""
    a, c = np.load(os.path.join(d, "rt.npz")), np.load(os.path.join(d, "rt_c.npz"))
    assert sorted(a.files) == sorted(c.files) and len(a.files) == 13, a.files
    for k in a.files:
        x, y = a[k], c[k]
        assert x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes(), k
        if k not in ("bfloat16",):
            assert x.dtype == np.dtype(k if k != "bool" else np.bool_), (k, x.dtype)
    with open(os.path.join(d, "rt.safetensors"), "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    assert n % 8 == 0
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__")
    assert meta == {"format": "pt", "ünï \"q\"": "valeur / \\ ok"}, meta
    off = 0
    for name, e in header.items():  # tensors in the order given, back to back
        size = int(np.prod(e["shape"])) * {"BOOL": 1, "BF16": 2}.get(e["dtype"], np.dtype(DTYPES[e["dtype"]]).itemsize)
        assert e["data_offsets"] == [off, off + size], (name, e)
        off += size
    assert 8 + n + off == len(raw)
    print(f"verify: numpy read {len(a.files)} arrays from Ember's .npz files; rt.safetensors matches the spec")


def main():
    what, d = sys.argv[1], sys.argv[2]
    os.makedirs(d, exist_ok=True)
    if what == "fixtures":
        fixtures(d)
    elif what == "verify":
        verify(d)
    else:
        for name, data in hostile():
            with open(os.path.join(d, name + ".safetensors"), "wb") as f:
                f.write(data)
        os.makedirs(os.path.join(d, "a-directory.safetensors"), exist_ok=True)


if __name__ == "__main__":
    main()
