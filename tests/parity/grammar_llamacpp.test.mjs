// GBNF parity: `qvl grammar` against llama.cpp's grammar engine (node-llama-cpp's
// grammar sampler, asked token by token whether each token can come next) on
// llama.cpp's example grammars and the same texts tokenized the same way over
// the real Qwen3 vocabulary. Per text both must agree on accepted/rejected, on
// the first refused token and on whether the grammar is complete (EOS allowed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeVocabGguf, vocabFromHfJson } from '../data/tokenizer/refs.mjs';
import { kSamples, mutations } from '../data/grammar/gbnf_samples.mjs';

const qvl = process.env.QVL_BIN;
// No silent skips: without the binary every test here fails (make test sets QVL_BIN).
if (!qvl) throw new Error('QVL_BIN is not set (run through make test or set it to build/bin/qvl)');
const kGrammarDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'node_modules',
  'node-llama-cpp', 'llama', 'grammars');

test('qvl grammar agrees with llama.cpp on its example GBNF grammars', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qvl-gbnf-'));
  const gguf = path.join(dir, 'vocab.gguf');
  const vocab = vocabFromHfJson();
  writeVocabGguf(gguf, vocab);
  const { getLlama, LlamaLogLevel, LlamaGrammarEvaluationState } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: gguf, vocabOnly: true });
  const sampler = llama._bindings.AddonSampler;

  const cases = [];
  for (const [file, texts] of Object.entries(kSamples)) {
    const gbnf = fs.readFileSync(path.join(kGrammarDir, file), 'utf8');
    texts.forEach((t, i) => {
      cases.push({ file, gbnf, text: t });
      for (const m of mutations(t, 1000 * i + file.length, 30)) cases.push({ file, gbnf, text: m });
    });
  }
  const input = cases.map((c, i) => JSON.stringify({ id: i, gbnf: c.gbnf, text: c.text })).join('\n') + '\n';
  const jsonl = path.join(dir, 'in.jsonl');
  fs.writeFileSync(jsonl, input);
  const r = spawnSync(qvl, ['grammar', '--model', gguf, '--jsonl', jsonl], { encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, r.stderr);
  const ours = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.equal(ours.length, cases.length);

  const grammars = new Map();
  const stats = { accepted: 0, rejected: 0, complete: 0 };
  const failures = [];
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i];
    if (!grammars.has(c.file)) grammars.set(c.file, await llama.createGrammar({ grammar: c.gbnf }));
    const state = new LlamaGrammarEvaluationState({ model, grammar: grammars.get(c.file) });
    const ids = Array.from(model.tokenize(c.text, false));
    let at = -1;
    for (let k = 0; k < ids.length; k++) {
      if (!sampler.canBeNextTokenForGrammarEvaluationState(state._state, ids[k])) { at = k; break; }
      sampler.acceptGrammarEvaluationStateToken(state._state, ids[k]);
    }
    const theirs = {
      status: at < 0 ? 'accepted' : 'rejected',
      at_token: at < 0 ? undefined : at,
      complete: at < 0 && sampler.canBeNextTokenForGrammarEvaluationState(state._state, vocab.eos),
    };
    const o = ours[i];
    stats[o.status] = (stats[o.status] ?? 0) + 1;
    stats.complete += o.complete ? 1 : 0;
    if (o.status !== theirs.status || o.at_token !== theirs.at_token || o.complete !== theirs.complete)
      failures.push(`${c.file} ${JSON.stringify(c.text)}: qvl ${JSON.stringify(o)} llama.cpp ${JSON.stringify(theirs)}`);
  }
  console.log(`gbnf parity: ${cases.length} texts, ${cases.length - failures.length} agree; qvl ${JSON.stringify(stats)}`);
  await model.dispose();
  assert.ok(stats.accepted > 50 && stats.rejected > 50, 'the samples must exercise both answers');
  assert.deepEqual(failures.slice(0, 20), []);
});
