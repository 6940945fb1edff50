// The peer for tests/bench/tokenizer.py: Hugging Face tokenizers (npm) on one
// thread. Prints the same key=value line as `ember-cli tokenize --benchmark`.
// node tokenizer_hf.mjs TOKENIZER.json < lines
process.env.RAYON_NUM_THREADS = '1'; // read when the thread pool starts
process.env.TOKENIZERS_PARALLELISM = 'false';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
const require = createRequire(import.meta.url);
const { Tokenizer } = require(path.join(here, '..', 'node_modules', 'tokenizers'));
const input = readFileSync(0);
const lines = [];
let start = 0;
for (let i = 0; i <= input.length; i++)
  if (i === input.length || input[i] === 0x0a) {
    if (i > start || i < input.length) lines.push(input.subarray(start, i).toString('utf8'));
    start = i + 1;
  }
const bytes = lines.reduce((s, l) => s + Buffer.byteLength(l), 0);
let t0 = process.hrtime.bigint();
const tok = Tokenizer.fromFile(process.argv[2]);
const load = Number(process.hrtime.bigint() - t0) / 1e9;
t0 = process.hrtime.bigint();
let ids = 0;
for (let i = 0; i < lines.length; i += 8192) {
  const enc = await tok.encodeBatch(lines.slice(i, i + 8192), { addSpecialTokens: false });
  for (const e of enc) ids += e.getIds().length;
}
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(`load_s=${load.toFixed(4)} lines=${lines.length} bytes=${bytes} ids=${ids} encode_s=${secs.toFixed(4)} MBps=${(bytes / 1e6 / secs).toFixed(2)}`);
