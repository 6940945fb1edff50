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
exit $status
