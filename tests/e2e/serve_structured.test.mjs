// End-to-end structured output through the real `qvl serve` on a random-weight
// model: every completion under a JSON Schema (each spelling clients send)
// parses and validates, concurrent constrained requests too; regex, choice and
// GBNF constraints hold; thinking stays free before </think>; bad or
// unsupported grammars are 400s naming the parameter.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { hybridModel, startServer, postJson } from './serve_helpers.mjs';

let srv;
before(async () => { srv = await startServer(['--model', hybridModel(), '--name', 'm', '--ctx', '512']); });
after(async () => { await srv?.stop(); });

const C = () => srv.url + '/v1/chat/completions';
const instruct = { 'X-Reasoning-Mode': 'instruct' };
const ask = (extra, headers = instruct) => postJson(C(), {
  model: 'm', messages: [{ role: 'user', content: 'Give me a record.' }], max_tokens: 200, temperature: 1.0, ...extra,
}, headers);
const content = (r) => r.json.choices[0].message.content;

const schema = {
  type: 'object', additionalProperties: false, required: ['action', 'x', 'ok', 'tags'],
  properties: {
    action: { enum: ['click', 'type', 'scroll'] }, x: { type: 'integer', minimum: 0, maximum: 4000 },
    ok: { type: 'boolean' }, tags: { type: 'array', items: { enum: ['a', 'b'] }, minItems: 1, maxItems: 3 },
  },
};
// The schema checked by hand (the project has no JSON Schema validator package).
function valid(v) {
  return v && typeof v === 'object' && !Array.isArray(v) &&
    Object.keys(v).every((k) => ['action', 'x', 'ok', 'tags'].includes(k)) &&
    ['click', 'type', 'scroll'].includes(v.action) && Number.isInteger(v.x) && v.x >= 0 && v.x <= 4000 &&
    typeof v.ok === 'boolean' && Array.isArray(v.tags) && v.tags.length >= 1 && v.tags.length <= 3 &&
    v.tags.every((t) => t === 'a' || t === 'b');
}

test('every output under a JSON Schema parses and validates, in every spelling', async () => {
  const spellings = [
    { response_format: { type: 'json_schema', json_schema: { name: 'rec', schema, strict: true } } },
    { json_schema: schema },
    { guided_json: JSON.stringify(schema) },
    { response_format: { type: 'json_object', schema } },
  ];
  for (const [i, extra] of spellings.entries()) {
    for (let seed = 1; seed <= 4; seed++) {
      const r = await ask({ ...extra, seed: seed + 10 * i });
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.equal(r.json.choices[0].finish_reason, 'stop', content(r));
      const v = JSON.parse(content(r));
      assert.ok(valid(v), content(r));
    }
  }
});

test('json_object, n > 1 and concurrent constrained requests', async () => {
  const many = await Promise.all([1, 2, 3, 4].map((seed) =>
    ask({ response_format: { type: 'json_schema', json_schema: { name: 'rec', schema } }, seed, n: 2 })));
  for (const r of many) {
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.choices.length, 2);
    for (const c of r.json.choices) assert.ok(valid(JSON.parse(c.message.content)), c.message.content);
  }
  const o = await ask({ response_format: { type: 'json_object' }, max_tokens: 60 });
  assert.equal(o.status, 200);
  // With free strings a random model may run out of tokens: then it stopped for length.
  if (o.json.choices[0].finish_reason === 'stop') assert.equal(typeof JSON.parse(content(o)), 'object');
  else assert.equal(o.json.choices[0].finish_reason, 'length');
  assert.ok(content(o).trimStart().startsWith('{'), JSON.stringify(content(o)));
});

test('regex, choice and GBNF constraints', async () => {
  const re = await ask({ guided_regex: '[0-9]{3}-[a-c]{2}', seed: 5 });
  assert.match(content(re), /^[0-9]{3}-[a-c]{2}$/);
  const ch = await ask({ guided_choice: ['positive', 'negative', 'neutral'], seed: 6 });
  assert.ok(['positive', 'negative', 'neutral'].includes(content(ch)), content(ch));
  const g = await ask({ grammar: 'root ::= "(" [xy]{1,4} ")"\n', seed: 7 });
  assert.match(content(g), /^\([xy]{1,4}\)$/);
});

test('/v1/completions takes the same constraints', async () => {
  const r = await postJson(srv.url + '/v1/completions', { model: 'm', prompt: 'Record:', max_tokens: 200, temperature: 1.0,
    seed: 4, response_format: { type: 'json_schema', json_schema: { name: 'rec', schema } } }, instruct);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.ok(valid(JSON.parse(r.json.choices[0].text)), r.json.choices[0].text);
  const re = await postJson(srv.url + '/v1/completions', { model: 'm', prompt: 'Code:', max_tokens: 20, guided_regex: '[A-Z]{4}' }, instruct);
  assert.match(re.json.choices[0].text, /^[A-Z]{4}$/);
  const bad = await postJson(srv.url + '/v1/completions', { model: 'm', prompt: 'x', guided_regex: '(?=a)' }, instruct);
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.param, 'guided_regex');
});

test('thinking is not constrained; the answer after </think> is', async () => {
  const r = await ask({ guided_choice: ['yes', 'no'], max_tokens: 120, seed: 9 }, { 'X-Reasoning-Mode': 'thinking' });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const msg = r.json.choices[0].message;
  if (r.json.choices[0].finish_reason === 'stop') assert.ok(['yes', 'no'].includes(msg.content), JSON.stringify(msg));
  else assert.ok(!msg.content || ['y', 'n', 'ye', 'yes', 'no'].some((p) => msg.content === p), JSON.stringify(msg));
});

test('bad, conflicting and unsupported grammars are 400s naming the parameter', async () => {
  const cases = [
    [{ response_format: { type: 'json_schema', json_schema: { schema: { not: {} } } } }, 'response_format.json_schema.schema', /unsupported: json schema keyword "not"/],
    [{ guided_regex: '(a)\\1' }, 'guided_regex', /unsupported: regex backreferences/],
    [{ grammar: 'root ::= foo\n' }, 'grammar', /undefined rule 'foo'/],
    [{ json_schema: 12 }, 'json_schema', /must be a JSON Schema/],
    [{ guided_choice: [] }, 'guided_choice', /choice list is empty/],
    [{ guided_regex: 'a', guided_choice: ['a'] }, 'guided_choice', /only one structured-output constraint/],
    [{ response_format: { type: 'xml' } }, 'response_format', /not supported/],
  ];
  for (const [extra, param, msg] of cases) {
    const r = await ask(extra);
    assert.equal(r.status, 400, JSON.stringify(extra));
    assert.equal(r.json.error.param, param, JSON.stringify(r.json));
    assert.match(r.json.error.message, msg);
    assert.equal(r.json.error.type, 'invalid_request_error');
  }
});
