#!/usr/bin/python3
"""Counts passed and failed tests in meson testlog.json files (one JSON per line).

A skipped test counts as failed: nothing is passed by not running."""
import json
import sys

passed = failed = 0
for path in sys.argv[1:]:
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError:
        failed += 1  # a suite that did not run at all
        continue
    for line in lines:
        if not line.strip():
            continue
        r = json.loads(line)
        if r.get("result") in ("OK", "EXPECTEDFAIL"):
            passed += 1
        else:
            failed += 1
print(f"{passed} passed, {failed} failed")
