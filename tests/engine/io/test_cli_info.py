#!/usr/bin/python3
"""ember-cli info on malformed files (exit 1, exactly one stderr line naming the
file) and on good files (--json equals Python's own parse of the header).

  test_cli_info.py EMBER_CLI WORKDIR
"""
import json
import os
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st_files  # noqa: E402


def expected(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n).decode(), object_pairs_hook=lambda p: dict(p))
    meta = header.pop("__metadata__", {})
    tensors = [{"name": k, "dtype": v["dtype"], "shape": v["shape"], "data_offsets": v["data_offsets"]}
               for k, v in header.items()]
    tensors.sort(key=lambda t: tuple(t["data_offsets"]))  # stable: header order on ties
    return {"metadata": meta, "tensors": tensors}


def main():
    cli, work = sys.argv[1], sys.argv[2]
    hdir, gdir = os.path.join(work, "hostile"), os.path.join(work, "good")
    failures = 0
    count = 0
    os.makedirs(hdir, exist_ok=True)
    cases = st_files.hostile() + [("a-directory", None), ("missing", None)]
    for name, data in cases:
        path = os.path.join(hdir, name + ".safetensors")
        if name == "a-directory":
            os.makedirs(path, exist_ok=True)
        elif data is not None:
            with open(path, "wb") as f:
                f.write(data)
        for extra in ([], ["--json"]):
            count += 1
            r = subprocess.run([cli, "info", path] + extra, capture_output=True, timeout=60)
            err = r.stderr.decode(errors="replace")
            lines = err.splitlines()
            if r.returncode != 1 or len(lines) != 1 or not err.endswith("\n") or path not in err or r.stdout:
                failures += 1
                print(f"FAIL hostile {name} {extra}: rc={r.returncode} stderr={err!r} stdout={r.stdout[:200]!r}")
            elif not extra:
                print(f"ok hostile {name}: {lines[0]}")
    st_files.fixtures(gdir)
    for name in sorted(os.listdir(gdir)):
        if not name.endswith(".safetensors"):
            continue
        path = os.path.join(gdir, name)
        count += 2
        r = subprocess.run([cli, "info", path, "--json"], capture_output=True, timeout=60)
        try:
            got = json.loads(r.stdout.decode())
        except ValueError:
            got = None
        want = expected(path)
        if r.returncode != 0 or r.stderr or got != want or r.stdout.decode().count("\n") != 1:
            failures += 1
            print(f"FAIL good {name}: rc={r.returncode} stderr={r.stderr!r}\n got  {got}\n want {want}")
        else:
            print(f"ok good {name}: {len(want['tensors'])} tensors")
        r = subprocess.run([cli, "info", path], capture_output=True, timeout=60)
        out = r.stdout.decode()
        if r.returncode != 0 or r.stderr or any(t["name"].split("\t")[0] not in out for t in want["tensors"]):
            failures += 1
            print(f"FAIL text {name}: rc={r.returncode} {r.stderr!r}\n{out}")
    print(f"{count - failures}/{count} passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
