#!/bin/sh
# run-tests.sh BUILD SANBUILD
# Runs every test of BUILD, then the engine suite again in an ASan+UBSan build
# (SANBUILD), and ends with one line "N passed, N failed". Exits non-zero on any
# failure. Test logs (and artifacts such as screenshots) stay in BUILD/meson-logs
# and BUILD/tests.
set -u
build=$1
san=$2
top=$(cd "$(dirname "$0")/.." && pwd)
status=0

meson test -C "$build" --print-errorlogs --num-processes 2 || status=1

if [ ! -f "$san/build.ninja" ]; then
    CC=clang meson setup "$san" -Dbuildtype=debugoptimized -Db_sanitize=address,undefined \
        -Db_lundef=false -Dgui=false >/dev/null || status=1
fi
if ninja -C "$san" >/dev/null; then
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        meson test -C "$san" --suite engine --print-errorlogs --num-processes 2 || status=1
else
    echo "sanitizer build failed"
    status=1
fi

# Count from meson's JSON logs: each line is one test's result.
summary=$(/usr/bin/python3 "$top/build-aux/count-tests.py" \
    "$build/meson-logs/testlog.json" "$san/meson-logs/testlog.json")
echo "$summary"
case "$summary" in
    *" 0 failed") ;;
    *) status=1 ;;
esac
exit $status
