#!/bin/sh
# run.sh BUILD: every benchmark, each printing Ember's figures beside its peer's.
# EMBER_BENCH_SMOKE=1: tiny sizes, seconds in all (what CI runs).
set -u
build=$1
here=$(cd "$(dirname "$0")" && pwd)
status=0
for b in "$here"/*.py; do
    echo "== $(basename "$b" .py)"
    /usr/bin/python3 "$b" "$build" || status=1
done
echo "== llm_decode on the gpu device"
EMBER_BENCH_LLM_DEVICE=gpu /usr/bin/python3 "$here/llm_decode.py" "$build" || status=1
exit $status
