#!/bin/sh
# check-mime.sh MIME_XML DESKTOP_FILE SAFETENSORS_FILE
# The shared-mime-info XML installs into a MIME database where a .safetensors
# file, and the same bytes under another name (by the magic), are
# application/x-safetensors; the desktop file names that type and validates.
set -eu
xml=$1 desktop=$2 sample=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/mime/packages"
cp /usr/share/mime/packages/freedesktop.org.xml "$tmp/mime/packages/"
cp "$xml" "$tmp/mime/packages/"
update-mime-database "$tmp/mime"
cp "$sample" "$tmp/weights.safetensors"
cp "$sample" "$tmp/weights.bin"

export XDG_DATA_HOME="$tmp" XDG_DATA_DIRS="$tmp"
for f in "$tmp/weights.safetensors" "$tmp/weights.bin"; do
  type=$(gio info -a standard::content-type "$f" | sed -n 's/^ *standard::content-type: //p')
  echo "$f: $type"
  [ "$type" = application/x-safetensors ] || { echo "FAIL: $f is $type"; exit 1; }
done

grep -q '^MimeType=.*application/x-safetensors;' "$desktop" || { echo "FAIL: desktop file names no MIME type"; exit 1; }
grep -q '^Exec=ember %F' "$desktop" || { echo "FAIL: desktop file does not pass files"; exit 1; }
desktop-file-validate "$desktop"
echo PASSED
