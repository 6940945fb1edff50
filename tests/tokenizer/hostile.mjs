// Hostile tokenizer.json files: each must make `ember-cli tokenize` exit with
// status 1 and a message naming what is wrong, never crash or hang.
//
// node hostile.mjs EMBER_CLI
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const cli = process.argv[2];
const dir = mkdtempSync(path.join(tmpdir(), 'ember-hostile-'));

const vocab = { a: 0, b: 1, ab: 2, c: 3 };
const bpe = (over = {}) => ({ type: 'BPE', vocab, merges: ['a b'], ...over });
const tok = (over = {}) => JSON.stringify({ model: bpe(), ...over });
const nested = (depth) => '{"type":"Sequence","normalizers":['.repeat(depth) + ']}'.repeat(depth);

// [name, file text, expected fragment of the message, input lines]
const cases = [
  ['empty', '', 'not valid JSON'],
  ['not-json', 'this is not json', 'not valid JSON'],
  ['truncated', tok().slice(0, 40), 'not valid JSON'],
  ['trailing-garbage', tok() + ' }', 'unexpected data'],
  ['array-root', '[]', 'must be a JSON object'],
  ['no-model', '{"version": "1.0"}', "'model' is missing"],
  ['model-string', '{"model": "BPE"}', 'model must be an object'],
  ['model-type-unknown', JSON.stringify({ model: { type: 'GPT', vocab } }), "model.type 'GPT'"],
  ['vocab-array', JSON.stringify({ model: bpe({ vocab: [] }) }), 'model.vocab must be an object'],
  ['vocab-id-string', JSON.stringify({ model: bpe({ vocab: { a: '0' } , merges: [] }) }), "model.vocab['a'] must be an integer"],
  ['vocab-id-float', JSON.stringify({ model: bpe({ vocab: { a: 1.5 }, merges: [] }) }), "model.vocab['a'] must be an integer"],
  ['vocab-id-negative', JSON.stringify({ model: bpe({ vocab: { a: -5 }, merges: [] }) }), 'out of range'],
  ['vocab-id-huge', '{"model": {"type": "BPE", "vocab": {"a": 99999999999999999999999}, "merges": []}}', "model.vocab['a']"],
  ['vocab-id-2^31', '{"model": {"type": "BPE", "vocab": {"a": 2147483647}, "merges": []}}', 'out of range'],
  ['merges-object', JSON.stringify({ model: bpe({ merges: {} }) }), 'model.merges must be an array'],
  ['merge-unknown-token', JSON.stringify({ model: bpe({ merges: ['a zz'] }) }), "token 'zz' is not in the vocabulary"],
  ['merge-unknown-result', JSON.stringify({ model: bpe({ merges: ['b c'] }) }), "merged token 'bc'"],
  ['merge-three-parts', JSON.stringify({ model: bpe({ merges: ['a b c'] }) }), 'model.merges[0]'],
  ['merge-numbers', JSON.stringify({ model: bpe({ merges: [[1, 2]] }) }), 'model.merges[0]'],
  ['merge-null', JSON.stringify({ model: bpe({ merges: [null] }) }), 'model.merges[0]'],
  ['bad-regex', tok({ pre_tokenizer: { type: 'Split', pattern: { Regex: '(unclosed' }, behavior: 'Isolated', invert: false } }), 'bad regex'],
  ['bad-regex-class', tok({ pre_tokenizer: { type: 'Split', pattern: { Regex: '\\p{NoSuchProperty}+' }, behavior: 'Isolated' } }), 'bad regex'],
  ['regex-not-string', tok({ pre_tokenizer: { type: 'Split', pattern: { Regex: 5 }, behavior: 'Isolated' } }), 'pattern.Regex must be a string'],
  ['pattern-missing', tok({ pre_tokenizer: { type: 'Split', behavior: 'Isolated' } }), 'pattern is missing'],
  ['behavior-unknown', tok({ pre_tokenizer: { type: 'Split', pattern: { String: ' ' }, behavior: 'Sideways' } }), 'behavior must be one of'],
  ['normalizer-unknown', tok({ normalizer: { type: 'Foo' } }), "normalizer.type 'Foo'"],
  ['normalizer-no-type', tok({ normalizer: { lowercase: true } }), 'normalizer.type is missing'],
  ['normalizer-number', tok({ normalizer: 42 }), 'normalizer must be an object'],
  ['sequence-not-array', tok({ normalizer: { type: 'Sequence', normalizers: 'NFC' } }), 'normalizers must be an array'],
  ['sequence-bad-child', tok({ normalizer: { type: 'Sequence', normalizers: [{ type: 'NFC' }, { type: 'Bogus' }] } }), 'normalizer.normalizers[1]'],
  ['bool-as-string', tok({ pre_tokenizer: { type: 'ByteLevel', add_prefix_space: 'yes' } }), 'add_prefix_space must be a boolean'],
  ['metaspace-two-chars', tok({ pre_tokenizer: { type: 'Metaspace', replacement: 'ab' } }), 'replacement must be one character'],
  ['metaspace-scheme', tok({ pre_tokenizer: { type: 'Metaspace', replacement: '_', prepend_scheme: 'sometimes' } }), 'prepend_scheme'],
  ['pretok-unknown', tok({ pre_tokenizer: { type: 'Magic' } }), "pre_tokenizer.type 'Magic'"],
  ['decoder-unknown', tok({ decoder: { type: 'Reverse' } }), "decoder.type 'Reverse'"],
  ['decoder-strip-negative', tok({ decoder: { type: 'Strip', content: ' ', start: -1, stop: 0 } }), 'decoder.start'],
  ['decoder-strip-huge', '{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "decoder": {"type": "Strip", "content": " ", "start": 1e400, "stop": 0}}', 'decoder'],
  ['post-unknown', tok({ post_processor: { type: 'Wrap' } }), "post_processor.type 'Wrap'"],
  ['template-missing-special', tok({ post_processor: { type: 'TemplateProcessing', single: [{ SpecialToken: { id: '<bos>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }], special_tokens: {} } }), "special token '<bos>'"],
  ['template-single-string', tok({ post_processor: { type: 'TemplateProcessing', single: '$A', special_tokens: {} } }), 'single must be an array'],
  ['bert-processing-bad', tok({ post_processor: { type: 'BertProcessing', sep: ['[SEP]'], cls: ['[CLS]', 0] } }), 'post_processor.sep'],
  ['added-not-array', tok({ added_tokens: {} }), 'added_tokens must be an array'],
  ['added-content-number', tok({ added_tokens: [{ id: 5, content: 5 }] }), 'added_tokens[0].content must be a string'],
  ['added-id-negative', tok({ added_tokens: [{ id: -1, content: '<x>' }] }), 'added_tokens[0].id'],
  ['added-flag-string', tok({ added_tokens: [{ id: 9, content: '<x>', special: 'true' }] }), 'added_tokens[0].special must be a boolean'],
  ['unigram-bad-entry', JSON.stringify({ model: { type: 'Unigram', vocab: [['a']], unk_id: 0 } }), 'model.vocab[0]'],
  ['unigram-unk-beyond', JSON.stringify({ model: { type: 'Unigram', vocab: [['a', -1.0]], unk_id: 7 } }), 'unk_id 7'],
  ['unigram-unk-huge', '{"model": {"type": "Unigram", "vocab": [["a", -1.0]], "unk_id": 1e300}}', 'unk_id'],
  ['wordpiece-max-chars', JSON.stringify({ model: { type: 'WordPiece', vocab, max_input_chars_per_word: -3 } }), 'max_input_chars_per_word'],
  ['deep-nesting', '{"model": {"type": "BPE", "vocab": {}, "merges": []}, "normalizer": ' + nested(5000) + '}', 'not valid JSON'],
  ['bad-utf8-regex', Buffer.concat([Buffer.from('{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "pre_tokenizer": {"type": "Split", "behavior": "Isolated", "pattern": {"Regex": "a'), Buffer.from([0xff, 0xfe]), Buffer.from('"}}}')]), 'regex'],
  // loads, but cannot encode text the model has no token for
  ['wordpiece-no-unk', JSON.stringify({ model: { type: 'WordPiece', vocab: { a: 0 }, unk_token: '[UNK]' } }), "'[UNK]'", 'zzz\n'],
  ['bpe-unk-missing', JSON.stringify({ model: bpe({ unk_token: '<unk>' }) }), "'<unk>'", 'xyz\n'],
  ['decode-not-ids', tok(), 'is not a token id', 'a b\n', ['--decode']],
];

let failed = 0;
for (const [name, text, want, input = 'ab ba c\n', extra = []] of cases) {
  const file = path.join(dir, name + '.json');
  writeFileSync(file, text);
  const r = spawnSync(cli, ['tokenize', '--tokenizer', file, ...extra], { input, timeout: 20000 });
  const err = r.stderr.toString();
  const ok = r.status === 1 && r.signal === null && err.includes(want);
  if (!ok) {
    failed++;
    console.log(`FAIL ${name}: status ${r.status} signal ${r.signal}\n  stderr: ${err.trim()}\n  wanted: ${want}`);
  } else console.log(`ok   ${name}: ${err.trim()}`);
}
rmSync(dir, { recursive: true });
console.log(`${cases.length - failed}/${cases.length} hostile files rejected cleanly`);
process.exit(failed ? 1 : 0);
