#!/bin/sh
# run.sh SCRIPT TEST WORKDIR: PyTorch writes the reference files, the C test reads them.
set -eu
rm -rf "$3"
mkdir -p "$3/ref" "$3/work"
/usr/bin/python3 "$1" "$3/ref" >/dev/null
exec "$2" "$3/ref" "$3/work"
