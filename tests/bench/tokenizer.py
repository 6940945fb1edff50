#!/usr/bin/env python3
"""Tokenizer benchmark: Ember against Hugging Face `tokenizers` (npm, one
thread) in the same run, on the fortunes corpus encoded line by line, and the
time to load each tokenizer.json.

    tokenizer.py BUILD        (EMBER_BENCH_SMOKE=1: 2000 lines, one tokenizer)
"""
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
top = os.path.dirname(os.path.dirname(here))
build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(top, 'build')
cli = os.path.join(build, 'app', 'cli', 'ember-cli')
smoke = os.environ.get('EMBER_BENCH_SMOKE') == '1'
models = os.path.join(top, 'tests', 'node_modules', '@lenml')
fortunes = '/usr/share/games/fortunes'

if not os.path.isdir(models):
    print('tokenizer: tests/node_modules is missing; run build-aux/setup-npm.sh')
    sys.exit(1)

corpus = b''
for f in sorted(os.listdir(fortunes)):
    p = os.path.join(fortunes, f)
    if f.endswith(('.dat', '.u8')) or os.path.islink(p) or not os.path.isfile(p):
        continue
    with open(p, 'rb') as fh:
        corpus += fh.read()
if smoke:
    corpus = b'\n'.join(corpus.split(b'\n')[:2000]) + b'\n'


def run(argv):
    r = subprocess.run(argv, input=corpus, capture_output=True, check=False)
    if r.returncode != 0:
        print(f'tokenizer: {" ".join(argv)} failed: {r.stderr.decode(errors="replace")}')
        sys.exit(1)
    return dict(kv.split('=') for kv in r.stdout.decode().split())


status = 0
print(f'{"tokenizer":<10} {"json MB":>7} {"ember load s":>12} {"hf load s":>9} '
      f'{"ember MB/s":>10} {"hf MB/s":>8} {"speed-up":>8}')
for name in ['qwen3'] if smoke else ['qwen3', 'llama3', 'gemma3']:
    d = os.path.join(models, 'tokenizer-' + name, 'models')
    j = os.path.join(d, 'tokenizer.json')
    ours = run([cli, 'tokenize', '--benchmark', '--tokenizer', d])
    peer = run(['node', os.path.join(here, 'tokenizer_hf.mjs'), j])
    if ours['ids'] != peer['ids']:
        print(f'{name}: id counts differ: ember {ours["ids"]}, hf {peer["ids"]}')
        status = 1
    mb = os.path.getsize(j) / 1e6
    print(f'{name:<10} {mb:7.1f} {float(ours["load_s"]):12.3f} {float(peer["load_s"]):9.3f} '
          f'{float(ours["MBps"]):10.2f} {float(peer["MBps"]):8.2f} '
          f'{float(ours["MBps"]) / float(peer["MBps"]):7.1f}x')
import json
version = json.load(open(os.path.join(top, 'tests', 'node_modules', 'tokenizers', 'package.json')))['version']
nlines = corpus.count(b'\n')
print(f'({len(corpus) / 1e6:.2f} MB of fortunes, {nlines} lines, one thread each; hf = npm tokenizers {version})')
sys.exit(status)
