// Grammar masks computed during the forward pass (docs/decisions/0017) give the
// same outputs as masks computed after it: the same constrained requests, at
// temperature 0 and sampled with a seed, sent concurrently (so one step holds
// several constrained sequences) to a server with the overlap and to one started
// with QVL_GRAMMAR_OVERLAP=0, must return identical choices, logprobs included.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { hybridModel, startServer, postJson } from './serve_helpers.mjs';

let on, off;
before(async () => {
  const args = ['--model', hybridModel(), '--name', 'm', '--ctx', '512'];
  on = await startServer(args);
  off = await startServer(args, { env: { QVL_GRAMMAR_OVERLAP: '0' } });
});
after(async () => { await on?.stop(); await off?.stop(); });

const schema = {
  type: 'object', additionalProperties: false, required: ['action', 'x', 'note'],
  properties: {
    action: { enum: ['click', 'type', 'scroll'] }, x: { type: 'integer', minimum: 0, maximum: 4000 },
    note: { type: 'string', maxLength: 12 },
  },
};
const requests = [
  { temperature: 0, response_format: { type: 'json_schema', json_schema: { name: 'a', schema } } },
  { temperature: 1, seed: 3, response_format: { type: 'json_schema', json_schema: { name: 'a', schema } } },
  { temperature: 0.8, seed: 11, top_p: 0.9, guided_regex: '[a-z]{2,6}( [a-z]{2,6}){1,4}\\.' },
  { temperature: 0, grammar: 'root ::= "(" item ("," item)* ")"\nitem ::= [0-9]+ | "x"\n' },
  { temperature: 1, seed: 5, guided_choice: ['positive', 'negative', 'neutral'] },
  { temperature: 1, seed: 8, response_format: { type: 'json_object' } },
];
const headers = { 'X-Reasoning-Mode': 'instruct' };
const body = (extra, i) => ({
  model: 'm', messages: [{ role: 'user', content: `Record number ${i}, please.` }], max_tokens: 48,
  logprobs: true, top_logprobs: 3, ...extra,
});

async function runAll(srv) {
  const rs = await Promise.all(requests.map((extra, i) => postJson(srv.url + '/v1/chat/completions', body(extra, i), headers)));
  for (const r of rs) assert.equal(r.status, 200, JSON.stringify(r.json));
  return rs.map((r) => r.json.choices);
}

test('constrained outputs are identical with and without the mask overlap', async () => {
  for (let round = 0; round < 2; round++) {
    const [a, b] = await Promise.all([runAll(on), runAll(off)]);
    for (let i = 0; i < requests.length; i++) {
      assert.deepEqual(a[i], b[i], `request ${i} round ${round}`);
      assert.ok(a[i][0].logprobs.content.length > 0, `request ${i} produced tokens`);
    }
    // The outputs obey their grammars (not identical garbage).
    const done = (c) => c[0].finish_reason === 'stop';
    if (done(a[0])) assert.ok(['click', 'type', 'scroll'].includes(JSON.parse(a[0][0].message.content).action));
    assert.ok(['positive', 'negative', 'neutral'].includes(a[4][0].message.content), a[4][0].message.content);
    if (done(a[3])) assert.match(a[3][0].message.content, /^\((\d+|x)(,(\d+|x))*\)$/);
  }
});

test('the overlap server computed its masks through the overlap path', async () => {
  await on.stop();
  await off.stop();
  const count = (log) => {
    const m = log.match(/grammar masks computed during the forward pass: (\d+), after it: (\d+)/);
    return m ? [Number(m[1]), Number(m[2])] : null;
  };
  const onCounts = count(on.log()), offCounts = count(off.log());
  assert.ok(onCounts, 'the overlap server reports its mask counts:\n' + on.log());
  // Every mask went through the overlap jobs; how many the helper finished before the
  // engine thread wanted them depends on idle CPU (none on a saturated machine).
  assert.ok(onCounts[0] + onCounts[1] > 0, JSON.stringify(onCounts));
  console.log(`overlap server: ${onCounts[0]} masks during the forward pass, ${onCounts[1]} after it`);
  assert.deepEqual(offCounts ?? [0, 0], [0, 0], 'with QVL_GRAMMAR_OVERLAP=0 no mask goes through the overlap');
});
