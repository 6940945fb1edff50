#!/bin/sh
# check-version.sh EMBER VERSION: `ember --version` prints "ember VERSION" and
# exits 0 with no display to talk to.
set -u
out=$(env -u DISPLAY -u WAYLAND_DISPLAY "$1" --version 2>&1)
rc=$?
if [ $rc -ne 0 ] || [ "$out" != "ember $2" ]; then
    echo "FAIL: '$1 --version' exited $rc and printed: $out"
    exit 1
fi
echo "ok: $out"
