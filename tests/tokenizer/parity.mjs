// Id parity with Hugging Face `tokenizers` (npm), line by line.
//
// node parity.mjs EMBER_CLI TOKENIZER_DIR [--add-special-tokens] [--min-lines N] FILE...
//
// Every line of every FILE (without its newline) is encoded by HF tokenizers
// here and by `ember-cli tokenize`; the ids must be identical. Then the HF ids
// are decoded by both (`--decode`); texts must be identical, and where HF's
// decode gives back the line, Ember's must too (decode(encode(x)) == x).
// Files are read as bytes; HF sees them as JS strings (invalid UTF-8 -> U+FFFD,
// as Ember does internally).
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, lstatSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const here = path.dirname(new URL(import.meta.url).pathname);
const { Tokenizer } = require(path.join(here, '..', 'node_modules', 'tokenizers'));

const args = process.argv.slice(2);
const cli = args.shift();
const tokPath = args.shift();
let special = false, minLines = 1, stress = 0;
const files = [];
while (args.length) {
  const a = args.shift();
  if (a === '--add-special-tokens') special = true;
  else if (a === '--min-lines') minLines = Number(args.shift());
  else if (a === '--stress') stress = Number(args.shift());
  else if (statSync(a).isDirectory()) // a corpus folder: its text files, not strfile's indexes
    for (const f of readdirSync(a).sort()) {
      const p = path.join(a, f);
      if (!f.endsWith('.dat') && !f.endsWith('.u8') && lstatSync(p).isFile()) files.push(p);
    }
  else files.push(a);
}
const jsonPath = statSync(tokPath).isDirectory() ? path.join(tokPath, 'tokenizer.json') : tokPath;
const hf = Tokenizer.fromFile(jsonPath);

// lines as raw bytes
const lines = [];
for (const f of files) {
  const buf = readFileSync(f);
  let start = 0;
  for (let i = 0; i <= buf.length; i++) {
    if (i === buf.length || buf[i] === 0x0a) {
      if (i > start || i < buf.length) lines.push(buf.subarray(start, i));
      start = i + 1;
    }
  }
}
// --stress N: long runs, and N lines of random characters from many scripts
// (a fixed-seed generator, so a failure can be reproduced)
if (stress) {
  for (const l of [' '.repeat(20000), '1'.repeat(10000), 'a'.repeat(5000), '\u{1F600}'.repeat(2000),
    '\t \u00a0'.repeat(3000), 'ab '.repeat(5000), '\u3000'.repeat(1000) + 'x'])
    lines.push(Buffer.from(l));
  let seed = 12345;
  const rnd = (n) => { seed = (seed * 1103515245 + 12345) >>> 0; return (seed >>> 8) % n; };
  const ranges = [[0x20, 0x7e], [0x20, 0x7e], [0x20, 0x7e], [0x09, 0x0d], [0xa0, 0x17f], [0x300, 0x36f],
    [0x370, 0x3ff], [0x400, 0x4ff], [0x590, 0x6ff], [0x900, 0x97f], [0xe00, 0xe7f], [0x1100, 0x11ff],
    [0x2000, 0x206f], [0x2070, 0x218f], [0x3000, 0x30ff], [0x4e00, 0x9fff], [0xac00, 0xd7a3],
    [0xff00, 0xffef], [0x1f300, 0x1faff], [0x20000, 0x2a6df], [0xe000, 0xe0ff], [0xfe00, 0xfe0f]];
  for (let i = 0; i < stress; i++) {
    let s = '';
    const len = 1 + rnd(60);
    for (let k = 0; k < len; k++) {
      const [a, b] = ranges[rnd(ranges.length)];
      let c = a + rnd(b - a + 1);
      if (c === 0x0a) c = 0x20;
      s += String.fromCodePoint(c);
      if (rnd(4) === 0) s += ' '.repeat(rnd(4));
    }
    lines.push(Buffer.from(s));
  }
}
if (lines.length < minLines) {
  console.error(`only ${lines.length} lines read, expected at least ${minLines}`);
  process.exit(1);
}
const texts = lines.map((b) => b.toString('utf8'));

async function hfEncode() {
  const out = [];
  for (let i = 0; i < texts.length; i += 4096) {
    const enc = await hf.encodeBatch(texts.slice(i, i + 4096), { addSpecialTokens: special });
    for (const e of enc) out.push(e.getIds());
  }
  return out;
}

function run(argv, input) {
  const r = spawnSync(cli, argv, { input, maxBuffer: 1 << 30 });
  if (r.status !== 0) {
    console.error(`ember-cli ${argv.join(' ')} exited with ${r.status}: ${r.stderr}`);
    process.exit(1);
  }
  const out = r.stdout.toString('utf8').split('\n');
  if (out.length !== lines.length + 1 || out[lines.length] !== '') {
    console.error(`ember-cli printed ${out.length - 1} lines for ${lines.length}`);
    process.exit(1);
  }
  return out.slice(0, lines.length);
}

const want = await hfEncode();
const t0 = process.hrtime.bigint();
const got = run(['tokenize', '--tokenizer', tokPath, ...(special ? ['--add-special-tokens'] : [])],
  Buffer.concat(lines.flatMap((b) => [b, Buffer.from('\n')])));
const ms = Number(process.hrtime.bigint() - t0) / 1e6;

let bad = 0, shown = 0, nids = 0;
for (let i = 0; i < lines.length; i++) {
  const w = want[i].join(' ');
  nids += want[i].length;
  if (got[i] !== w) {
    bad++;
    if (shown++ < 5) {
      console.log(`MISMATCH line ${i + 1}: ${JSON.stringify(texts[i])}`);
      console.log(`  hf:    ${w}`);
      console.log(`  ember: ${got[i]}`);
      console.log(`  hf tokens:    ${JSON.stringify(want[i].map((id) => hf.idToToken(id)))}`);
      console.log(`  ember tokens: ${JSON.stringify(got[i].split(' ').filter(Boolean).map((id) => hf.idToToken(Number(id))))}`);
    }
  }
}
const label = jsonPath.split(path.sep).filter((p) => p.startsWith("tokenizer-"))[0] ?? path.basename(path.dirname(jsonPath));
console.log(`${label}: encode ${lines.length - bad}/${lines.length} lines identical (${nids} ids, ember ${ms.toFixed(0)} ms)`);

// decode parity and round trip, on HF's ids
const idLines = want.map((ids) => ids.join(' '));
const hfDec = [];
for (let i = 0; i < want.length; i += 4096)
  hfDec.push(...(await hf.decodeBatch(want.slice(i, i + 4096), false)));
const emDec = run(['tokenize', '--tokenizer', tokPath, '--decode'], idLines.join('\n') + '\n');
let dbad = 0, lossless = 0, rtbad = 0;
shown = 0;
for (let i = 0; i < lines.length; i++) {
  if (hfDec[i].includes('\n')) continue; // cannot travel on one line
  if (emDec[i] !== hfDec[i]) {
    dbad++;
    if (shown++ < 5) console.log(`DECODE MISMATCH line ${i + 1}: hf ${JSON.stringify(hfDec[i])} ember ${JSON.stringify(emDec[i])}`);
  }
  if (hfDec[i] === texts[i]) {
    lossless++;
    if (emDec[i] !== texts[i]) rtbad++;
  }
}
console.log(`  decode ${lines.length - dbad}/${lines.length} identical; round trip exact on ${lossless - rtbad}/${lossless} lossless lines`);
process.exit(bad || dbad || rtbad ? 1 : 0);
