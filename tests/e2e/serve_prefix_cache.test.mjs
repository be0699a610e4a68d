// End-to-end: prefix caching across requests through the real binary. A shared
// system prompt, a repeated request, the next turn of a chat and a repeated image
// reuse KV blocks; usage.prompt_tokens_details.cached_tokens and /metrics say how
// many prompt tokens came from the cache; a cached request answers as it does
// cold (temperature 0); --no-prefix-cache turns it off.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { hybridModel, pngDataUrl, postJson, startServer, visionModels, metrics } from './serve_helpers.mjs';

const NO_EOS = { 151645: -100, 151643: -100 };
const C = '/v1/chat/completions';
const SYSTEM = 'You are a meticulous assistant for a lighthouse museum. Answer in full sentences, cite the ' +
  'exhibit number when you know it, never invent dates, and keep a calm and friendly tone with every visitor. ' +
  'Visitors often ask about the lenses, the keepers and their families, the storms of the last century, the ' +
  'fog signals and the museum shop; answer those from the exhibits and say so when you are unsure.';
const servers = [];
after(async () => { for (const s of servers) await s.stop(); });


async function chat(url, messages, extra = {}) {
  const r = await postJson(url + C, { model: 'm', reasoning_mode: 'instruct', temperature: 0, max_tokens: 24,
    logit_bias: NO_EOS, messages, ...extra });
  assert.equal(r.status, 200, r.text);
  return r.json;
}
const cached = (r) => r.usage.prompt_tokens_details.cached_tokens;

test('shared system prompt, repeated request and the next turn reuse cached blocks', async () => {
  const srv = await startServer(['--model', hybridModel(), '--name', 'm', '--ctx', '1024']);
  servers.push(srv);
  const q1 = [{ role: 'system', content: SYSTEM }, { role: 'user', content: 'Which exhibit shows the first lens?' }];
  const cold = await chat(srv.url, q1);
  assert.equal(cached(cold), 0);
  assert.ok(cold.usage.prompt_tokens > 96, `system prompt long enough: ${cold.usage.prompt_tokens}`);
  // The same request again: every full block but the last tokens' comes from the cache,
  // and the answer is the cold one.
  const warm = await chat(srv.url, q1);
  assert.ok(cached(warm) >= 32 && cached(warm) % 32 === 0 && cached(warm) < warm.usage.prompt_tokens, `${cached(warm)}`);
  assert.equal(warm.choices[0].message.content, cold.choices[0].message.content);
  // Another question under the same system prompt shares the system prompt's blocks.
  const other = await chat(srv.url, [{ role: 'system', content: SYSTEM }, { role: 'user', content: 'Who kept the light in 1901?' }]);
  assert.ok(cached(other) >= 32, `${cached(other)}`);
  // The next turn of the first chat reuses at least the first turn's prompt blocks.
  const turn2 = await chat(srv.url, [...q1, { role: 'assistant', content: cold.choices[0].message.content },
    { role: 'user', content: 'And the second lens?' }]);
  assert.ok(cached(turn2) >= Math.floor(cold.usage.prompt_tokens / 32) * 32, `${cached(turn2)}`);
  const m = await metrics(srv.url);
  const key = '{model="m",checkpoint="single"}';
  assert.equal(m['qvl_prefix_cache_hit_tokens_total' + key], cached(warm) + cached(other) + cached(turn2));
  assert.equal(m['qvl_prefix_cache_query_tokens_total' + key],
    cold.usage.prompt_tokens + warm.usage.prompt_tokens + other.usage.prompt_tokens + turn2.usage.prompt_tokens);
  assert.ok(m['qvl_kv_blocks_cached' + key] > 0);
  assert.equal(m['qvl_kv_blocks_used' + key], 0);
  // Streamed usage reports it too.
  const s = await postJson(srv.url + C, { model: 'm', reasoning_mode: 'instruct', temperature: 0, max_tokens: 4,
    messages: q1, stream: true, stream_options: { include_usage: true } });
  const usage = s.text.split('\n').filter((l) => l.startsWith('data: {')).map((l) => JSON.parse(l.slice(6)))
    .find((c) => c.usage).usage;
  assert.ok(usage.prompt_tokens_details.cached_tokens >= 32);
});

test('--no-prefix-cache: nothing is cached', async () => {
  const srv = await startServer(['--model', hybridModel(), '--name', 'm', '--ctx', '1024', '--no-prefix-cache']);
  servers.push(srv);
  const q = [{ role: 'system', content: SYSTEM }, { role: 'user', content: 'Hello?' }];
  const a = await chat(srv.url, q);
  const b = await chat(srv.url, q);
  assert.equal(cached(a), 0);
  assert.equal(cached(b), 0);
  assert.equal(b.choices[0].message.content, a.choices[0].message.content);
  assert.equal((await metrics(srv.url))['qvl_prefix_cache_hit_tokens_total{model="m",checkpoint="single"}'], 0);
});

test('an image asked about twice is cached with its features; another image is not', async () => {
  const v = visionModels();
  const srv = await startServer(['--model', v.model, '--mmproj', v.mmproj, '--name', 'm', '--ctx', '2048']);
  servers.push(srv);
  const ask = (url, text) => [{ role: 'user', content: [{ type: 'image_url', image_url: { url } },
    { type: 'text', text }] }];
  const img = pngDataUrl(96, 64);
  const first = await chat(srv.url, ask(img, 'What is in the picture?'));
  assert.ok(first.usage.prompt_tokens_details.image_tokens > 0);
  assert.equal(cached(first), 0);
  const again = await chat(srv.url, ask(img, 'Describe the colours.'));
  // The blocks up to the question hold the image: more than the few tokens before it.
  assert.ok(cached(again) >= 32, `${cached(again)}`);
  const same = await chat(srv.url, ask(img, 'What is in the picture?'));
  assert.equal(same.choices[0].message.content, first.choices[0].message.content);
  // A slightly wider image resizes to the same patch grid: the same tokens and
  // positions, other pixels, so nothing from the image onwards matches.
  const other = await chat(srv.url, ask(pngDataUrl(97, 64), 'Describe the colours.'));
  assert.equal(other.usage.prompt_tokens, again.usage.prompt_tokens);
  assert.ok(cached(other) < cached(again), `${cached(other)} vs ${cached(again)}`);
});
