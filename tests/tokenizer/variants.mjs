// Tokenizer kinds beyond the three shipped files: WordPiece (BERT), Unigram
// with byte fallback and Metaspace, WordLevel, a Llama-2-style byte-fallback
// BPE, GPT-2-style byte-level BPE with added tokens of every flag, and each
// Split behaviour. Each tokenizer.json is written here from vocabularies built
// from the text itself (or the shipped files' models), then parity.mjs
// compares Ember with HF tokenizers on it.
//
// node variants.mjs EMBER_CLI MODELS_DIR TEXT...
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
const [cli, models, ...texts] = process.argv.slice(2);
const dir = mkdtempSync(path.join(tmpdir(), 'ember-variants-'));
const corpus = texts.map((f) => readFileSync(f, 'utf8')).join('\n');

// word and character statistics, deterministic order
const counts = new Map();
for (const w of corpus.toLowerCase().normalize('NFD').replace(/\p{Mn}/gu, '').split(/[^\p{L}\p{N}]+/u))
  if (w) counts.set(w, (counts.get(w) ?? 0) + 1);
const words = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 3000).map((e) => e[0]);
const chars = [...new Set([...corpus])].filter((c) => c !== '\n').sort();

const specials = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
function wordpiece() {
  const vocab = {};
  for (const t of [...specials, ...chars.map((c) => c.toLowerCase()), ...chars.map((c) => '##' + c.toLowerCase()), ...words,
    ...words.filter((w) => [...w].length > 3).map((w) => '##' + [...w].slice(2).join(''))])
    if (!(t in vocab)) vocab[t] = Object.keys(vocab).length;
  return {
    version: '1.0',
    added_tokens: specials.map((t, i) => ({ id: i, content: t, single_word: false, lstrip: t === '[MASK]', rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: { type: 'BertProcessing', sep: ['[SEP]', 3], cls: ['[CLS]', 2] },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
}

function unigram() {
  const pieces = [['<unk>', 0], ['<s>', 0], ['</s>', 0]];
  for (let b = 0; b < 256; b++) pieces.push([`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, 0]);
  const seen = new Set(pieces.map((p) => p[0]));
  const add = (p, s) => { if (!seen.has(p)) { seen.add(p); pieces.push([p, s]); } };
  words.forEach((w, i) => { add('▁' + w, -3 - Math.log(i + 2)); add(w, -5 - Math.log(i + 2)); if ([...w].length > 4) add([...w].slice(0, 3).join(''), -6 - Math.log(i + 2)); });
  // not every character: the rest go through byte fallback
  chars.filter((c, i) => i % 3 !== 0).forEach((c, i) => add(c, -9 - (i % 7) * 0.25));
  add('▁', -2.5);
  return {
    version: '1.0',
    added_tokens: [{ id: 0, content: '<unk>', special: true, single_word: false, lstrip: false, rstrip: false, normalized: false },
      { id: 1, content: '<s>', special: true, single_word: false, lstrip: false, rstrip: false, normalized: false },
      { id: 2, content: '</s>', special: true, single_word: false, lstrip: false, rstrip: false, normalized: false }],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'NFKC' }, { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' }] },
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: true },
    post_processor: { type: 'TemplateProcessing', single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
      pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] }, '</s>': { id: '</s>', ids: [2], tokens: ['</s>'] } } },
    decoder: { type: 'Sequence', decoders: [{ type: 'ByteFallback' }, { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: true }] },
    model: { type: 'Unigram', unk_id: 0, vocab: pieces, byte_fallback: true },
  };
}

function wordlevel() {
  const vocab = { '[UNK]': 0 };
  for (const w of words) vocab[w] = Object.keys(vocab).length;
  for (const c of chars) if (!(c in vocab)) vocab[c] = Object.keys(vocab).length;
  return {
    version: '1.0', added_tokens: [],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'NFD' }, { type: 'StripAccents' }, { type: 'Lowercase' }, { type: 'Strip', strip_left: true, strip_right: true }] },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Whitespace' }, { type: 'Digits', individual_digits: false }] },
    post_processor: null, decoder: null,
    model: { type: 'WordLevel', vocab, unk_token: '[UNK]' },
  };
}

const qwen = JSON.parse(readFileSync(path.join(models, 'tokenizer-qwen3', 'models', 'tokenizer.json'), 'utf8'));
const gemma = JSON.parse(readFileSync(path.join(models, 'tokenizer-gemma3', 'models', 'tokenizer.json'), 'utf8'));
const tok = (t) => ({ id: 0, single_word: false, lstrip: false, rstrip: false, normalized: false, special: false, ...t });

const variants = {
  'wordpiece-bert': wordpiece(),
  'unigram-metaspace-bytefallback': unigram(),
  'wordlevel-whitespace': wordlevel(),
  'llama2-style-bytefallback': { ...gemma,
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] },
    pre_tokenizer: null,
    decoder: { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: '▁' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }] } },
  'mistral-style-metaspace': { ...gemma, normalizer: null,
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false },
    decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false } },
  'gpt2-style-added-tokens': { ...qwen,
    added_tokens: [...qwen.added_tokens,
      tok({ content: '<mask>', lstrip: true, special: true }), tok({ content: ' hello world', normalized: true }),
      tok({ content: 'zztop', single_word: true }), tok({ content: 'rstrip>', rstrip: true, special: true }),
      tok({ content: '□', lstrip: true, rstrip: true })],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'NFKC' }, { type: 'Lowercase' }] },
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    post_processor: { type: 'RobertaProcessing', sep: ['<|endoftext|>', 151643], cls: ['<|im_start|>', 151644], trim_offsets: true, add_prefix_space: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true } },
};
for (const [name, b] of [['merged-with-next', 'MergedWithNext'], ['merged-with-previous', 'MergedWithPrevious'], ['contiguous', 'Contiguous'], ['removed', 'Removed']])
  variants['split-' + name] = { ...qwen,
    pre_tokenizer: { type: 'Sequence', pretokenizers: [
      { type: 'Split', pattern: { Regex: '\\s+' }, behavior: b, invert: false },
      { type: 'Split', pattern: { String: 'e' }, behavior: b, invert: true },
      { type: 'Punctuation', behavior: 'Isolated' }, { type: 'Digits', individual_digits: true },
      { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false }] } };

let failed = 0;
for (const [name, json] of Object.entries(variants)) {
  const f = path.join(dir, name + '.json');
  writeFileSync(f, JSON.stringify(json));
  for (const extra of [[], ['--add-special-tokens']]) {
    const r = spawnSync('node', [path.join(here, 'parity.mjs'), cli, f, ...extra, '--stress', '500', ...texts], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const head = (r.stdout.split('\n').find((l) => l.includes('lines identical')) ?? '').replace(/^[^:]*:/, '');
    console.log(`${r.status === 0 ? 'ok  ' : 'FAIL'} ${name}${extra.length ? ' +special' : ''}:${head}`);
    if (r.status !== 0) {
      failed++;
      console.log(r.stdout.split('\n').slice(0, 14).join('\n') + r.stderr);
    }
  }
}
rmSync(dir, { recursive: true });
process.exit(failed ? 1 : 0);
