#!/bin/sh
# Installs the Debian packages of build-aux/debian-packages.txt that are missing.
# Through sudo when not root. Does nothing (and needs no network) when all are present.
set -eu
here=$(dirname "$0")
want=$(grep -v '^#' "$here/debian-packages.txt" | grep -v '^$')
missing=""
for p in $want; do
    case $p in nodejs|npm) command -v node >/dev/null 2>&1 && continue ;; esac
    st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$st" = installed ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends $missing
