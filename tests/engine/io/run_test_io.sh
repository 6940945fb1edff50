#!/bin/sh
# run_test_io.sh TEST_IO WORKDIR: Python writes the reference files, the C test reads them.
set -eu
here=$(dirname "$0")
rm -rf "$2"
/usr/bin/python3 "$here/st_files.py" fixtures "$2"
"$1" "$2"
/usr/bin/python3 "$here/st_files.py" verify "$2"
