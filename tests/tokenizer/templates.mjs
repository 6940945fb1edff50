// Chat template parity with @huggingface/jinja: every template x conversation
// x add_generation_prompt rendered by both; outputs must be identical, and
// where the reference raises (raise_exception, type errors), Ember must fail
// too (exit status 1).
//
// node templates.mjs EMBER_CLI CONFIG.json... (tokenizer_config.json files)
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const here = path.dirname(new URL(import.meta.url).pathname);
const { Template } = await import(path.join(here, '..', 'node_modules', '@huggingface', 'jinja', 'dist', 'index.js'));
const [cli, ...configs] = process.argv.slice(2);
const convs = JSON.parse(readFileSync(path.join(here, 'conversations.json'), 'utf8'));
const dir = mkdtempSync(path.join(tmpdir(), 'ember-tpl-'));
const text = (t) => (t && typeof t === 'object' ? t.content : t);

let total = 0, same = 0, bothFail = 0, failed = 0;
for (const cfgPath of configs) {
  const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
  let src = cfg.chat_template;
  if (Array.isArray(src)) src = src.find((t) => t.name === 'default').template;
  const tpl = new Template(src);
  const label = cfgPath.includes('tokenizer-') ? cfgPath.split(path.sep).find((p) => p.startsWith('tokenizer-')) : path.basename(cfgPath);
  for (const conv of convs) {
    const vars = conv.vars ?? { messages: conv.messages };
    const file = path.join(dir, conv.name + '.json');
    writeFileSync(file, JSON.stringify(vars));
    for (const gen of [false, true]) {
      total++;
      const ctx = { ...JSON.parse(JSON.stringify(vars)), add_generation_prompt: gen };
      if (text(cfg.bos_token) != null) ctx.bos_token = text(cfg.bos_token);
      if (text(cfg.eos_token) != null) ctx.eos_token = text(cfg.eos_token);
      let want, err;
      try { want = tpl.render(ctx); } catch (e) { err = String(e.message ?? e); }
      const r = spawnSync(cli, ['chat-template', '--model', cfgPath, '--messages', file, ...(gen ? ['--add-generation-prompt'] : [])]);
      const got = r.stdout.toString('utf8');
      const tag = `${label} / ${conv.name}${gen ? ' +gen' : ''}`;
      if (r.signal) {
        failed++;
        console.log(`CRASH ${tag}: ${r.signal}`);
      } else if (err !== undefined) {
        if (r.status === 1) bothFail++;
        else {
          failed++;
          console.log(`FAIL ${tag}: reference raised "${err}" but ember printed ${JSON.stringify(got.slice(0, 200))}`);
        }
      } else if (r.status !== 0) {
        failed++;
        console.log(`FAIL ${tag}: ember failed: ${r.stderr.toString().trim()}`);
      } else if (got !== want) {
        failed++;
        let i = 0;
        while (i < got.length && got[i] === want[i]) i++;
        console.log(`FAIL ${tag}: differs at ${i}\n  want: ${JSON.stringify(want.slice(Math.max(0, i - 40), i + 80))}\n  got:  ${JSON.stringify(got.slice(Math.max(0, i - 40), i + 80))}`);
      } else same++;
    }
  }
}
rmSync(dir, { recursive: true });
console.log(`${same} renders identical, ${bothFail} raised by both, ${failed} failed, of ${total}`);
process.exit(failed ? 1 : 0);
