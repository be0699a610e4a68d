// End-to-end: `qvl grammar` through the real binary on the real Qwen3
// vocabulary: one output line per input line, in order, with the fields the
// issue specifies; unsupported and malformed grammars are reported per line;
// a malformed input file stops with a message naming the line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { kTokenizerJson } from '../data/tokenizer/refs.mjs';

const qvl = process.env.QVL_BIN;
// No silent skips: without the binary every test here fails (make test sets QVL_BIN).
if (!qvl) throw new Error('QVL_BIN is not set (run through make test or set it to build/bin/qvl)');
const run = (lines, extra = []) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qvl-gcli-'));
  const file = path.join(dir, 'in.jsonl');
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return spawnSync(qvl, ['grammar', '--model', kTokenizerJson, '--jsonl', file, ...extra], { encoding: 'utf8' });
};
const tokenCount = (text) => {
  const r = spawnSync(qvl, ['tokenize', '--model', kTokenizerJson, '--no-special', text], { encoding: 'utf8' });
  return r.stdout.trim().split(/[ ,]+/).filter(Boolean).length;
};

test('qvl grammar: statuses, positions, completeness, timings', () => {
  const schema = { type: 'object', properties: { n: { type: 'integer', minimum: 1 } }, required: ['n'], additionalProperties: false };
  const inputs = [
    { id: 'a', json_schema: schema, text: '{"n": 12}' },
    { id: 'b', json_schema: schema, text: '{"n": 0}' },
    { id: 'c', json_schema: schema, text: '{"n": 1' },
    { id: 7, regex: '[a-z]+@[a-z]+\\.com', text: 'joe@example.com' },
    { id: 8, choice: ['yes', 'no'], text: 'maybe' },
    { id: 9, gbnf: 'root ::= "a" b\n', text: 'a' },
    { id: 10, json_schema: { not: {} }, text: '1' },
    { id: 11, regex: '(a)\\1', text: 'aa' },
    { id: 12, ebnf: 'start: "a" NUM\nNUM: /[0-9]+/', text: 'a42' },
    { id: 13, ebnf: 'start: start "a" | "b"', text: 'ba' },
  ];
  const r = run(inputs.map((x) => JSON.stringify(x)), ['--timings']);
  assert.equal(r.status, 0, r.stderr);
  const out = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(out.map((o) => o.id), inputs.map((x) => x.id));
  const [a, b, c, d, e, f, g, h, i, j] = out;
  assert.equal(a.status, 'accepted'); assert.equal(a.complete, true);
  assert.equal(a.mask_us.length, tokenCount('{"n": 12}') + 1);
  assert.ok(a.mask_us.every((x) => Number.isInteger(x) && x >= 0) && Number.isInteger(a.compile_us));
  assert.equal(b.status, 'rejected'); assert.equal(b.complete, false); assert.equal(typeof b.at_token, 'number');
  assert.match(b.reason, /not allowed/);
  assert.equal(c.status, 'accepted'); assert.equal(c.complete, false);
  assert.equal(d.status, 'accepted'); assert.equal(d.complete, true);
  assert.equal(e.status, 'rejected'); assert.equal(e.at_token, 0);
  assert.equal(f.status, 'unsupported'); assert.match(f.reason, /undefined rule 'b'/);
  assert.equal(g.status, 'unsupported'); assert.match(g.reason, /^unsupported: json schema keyword "not"/);
  assert.equal(h.status, 'unsupported'); assert.match(h.reason, /^unsupported: regex backreferences/);
  assert.equal(i.status, 'accepted'); assert.equal(i.complete, true);
  assert.equal(j.status, 'unsupported'); assert.match(j.reason, /left recursion in rule 'start'/);
  assert.equal(a.mask_us === undefined, false);
  assert.equal(run([JSON.stringify(inputs[0])]).stdout.includes('mask_us'), false);
});

test('qvl grammar: malformed input lines are errors naming the line', () => {
  for (const [line, msg] of [['{"id": 1, "regex": "a"', /in\.jsonl:2: not a JSON object/],
    ['{"id": 1, "text": "a"}', /in\.jsonl:2: .*no grammar/],
    ['{"id": 1, "regex": "a", "choice": ["a"], "text": "a"}', /in\.jsonl:2: .*more than one grammar/],
    ['{"id": 1, "regex": "a"}', /in\.jsonl:2: .*no "text"/]]) {
    const r = run([JSON.stringify({ id: 0, regex: 'a', text: 'a' }), line]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, msg);
    assert.equal(r.stdout.trimEnd().split('\n').length, 1, 'the line before the bad one is still answered');
  }
});
