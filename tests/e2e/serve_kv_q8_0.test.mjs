// End-to-end: `qvl serve --kv-type q8_0` through the real binary. The pool is sized
// in Q8_0 bytes (34 per 32 values, /metrics and the start-up log say so); the prefix
// cache shares Q8_0 blocks as it does F16 ones (a repeated prompt is served from the
// cache and answers as it did cold, at temperature 0); concurrent clients get what
// they get one by one; an unknown type is refused at start with a clear message.
// Accuracy against f16: tests/parity/kv_q8_0_accuracy.test.mjs.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { QVL_BIN, hybridModel, postJson, startServer, metrics } from './serve_helpers.mjs';

const NO_EOS = { 151645: -100, 151643: -100 };
const C = '/v1/chat/completions';
const KEY = '{model="m",checkpoint="single"}';
const SYSTEM = 'You are a careful assistant for a railway museum. Answer in full sentences, name the exhibit ' +
  'when you know it, never invent dates, and keep a friendly tone. Visitors ask about the engines, the ' +
  'signal boxes, the stations of the old line and the workshop; answer from the exhibits and say when unsure.';
const servers = [];
after(async () => { for (const s of servers) await s.stop(); });

async function chat(url, user, extra = {}) {
  const r = await postJson(url + C, { model: 'm', reasoning_mode: 'instruct', temperature: 0, max_tokens: 20,
    logit_bias: NO_EOS, messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: user }], ...extra });
  assert.equal(r.status, 200, r.text);
  return r.json;
}
const cached = (r) => r.usage.prompt_tokens_details.cached_tokens;

test('q8_0 pool: sized in Q8_0 bytes, prefix cache hits, cached answer = cold answer, concurrent = serial', async () => {
  const srv = await startServer(['--model', hybridModel(), '--name', 'm', '--ctx', '1024', '--kv-type', 'q8_0',
    '--kv-memory', '64M']);
  servers.push(srv);
  assert.match(srv.log(), /MiB q8_0/, 'the start-up log names the KV type');
  // Tiny model: 2 layers × 2 KV heads × 32 positions × (128 / 32 × 34 bytes) for K and V.
  const m0 = await metrics(srv.url);
  const perBlock = m0['qvl_kv_pool_bytes' + KEY] / m0['qvl_kv_blocks_total' + KEY];
  assert.equal(perBlock, 2 * 2 * 2 * 32 * 136);

  const cold = await chat(srv.url, 'Which engine is the oldest?');
  assert.equal(cached(cold), 0);
  const warm = await chat(srv.url, 'Which engine is the oldest?');
  assert.ok(cached(warm) >= 32 && cached(warm) % 32 === 0, `cached ${cached(warm)}`);
  assert.equal(warm.choices[0].message.content, cold.choices[0].message.content);
  const m1 = await metrics(srv.url);
  assert.equal(m1['qvl_prefix_cache_hit_tokens_total' + KEY], cached(warm));

  // Four clients at once (decoded in one batch) answer as they do one by one.
  const users = ['Tell me about the signal box.', 'What is in the workshop?', 'Where was the old station?',
    'Who drove the last train?'];
  const serial = [];
  for (const u of users) serial.push((await chat(srv.url, u)).choices[0].message.content);
  const together = await Promise.all(users.map((u) => chat(srv.url, u)));
  assert.deepEqual(together.map((r) => r.choices[0].message.content), serial);
  const m2 = await metrics(srv.url);
  assert.equal(m2['qvl_kv_blocks_used' + KEY], 0, 'every block returned');
});

test('f16 is the default; an unknown --kv-type is refused at start', async () => {
  const srv = await startServer(['--model', hybridModel(), '--name', 'm', '--ctx', '512', '--kv-memory', '64M']);
  servers.push(srv);
  const m = await metrics(srv.url);
  assert.equal(m['qvl_kv_pool_bytes' + KEY] / m['qvl_kv_blocks_total' + KEY], 2 * 2 * 2 * 32 * 256);
  const r = spawnSync(QVL_BIN, ['serve', '--model', hybridModel(), '--port', '0', '--kv-type', 'q4_0'],
    { encoding: 'utf8', timeout: 30000 });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /kv type expects f16 or q8_0, got 'q4_0'/);
});
