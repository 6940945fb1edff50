#!/bin/sh
# run.sh FAMILY RUNNER WORKDIR: numpy writes the cases, Ember's runner checks them.
set -eu
here=$(dirname "$0")
/usr/bin/python3 "$here/gen.py" "$1" "$3/$1"
exec "$2" "$3/$1"
