// End-to-end: many clients at once against the real binary (random-weight tiny
// models). A pair deployment answers concurrent instruct + thinking requests
// exactly as it answers them one by one; 8 streaming clients with no max_tokens
// decode in one batch; a full queue answers 429 with Retry-After; /metrics
// reports KV-pool use, preemptions, per-mode queue depth and running requests
// with the values the load implies. No timing is asserted.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { QVL_BIN, hybridModel, pairModels, postJson, startServer, metrics } from './serve_helpers.mjs';

const NO_EOS = { 151645: -100, 151643: -100 };  // <|im_end|>, <|endoftext|>: keep the random model talking
const C = '/v1/chat/completions';
const servers = [];
after(async () => { for (const s of servers) await s.stop(); });

async function serve(args) {
  const s = await startServer(args);
  servers.push(s);
  return s;
}

// Prometheus text -> { 'name{labels}': value }.
const sum = (m, prefix) => Object.entries(m).filter(([k]) => k.startsWith(prefix)).reduce((a, [, v]) => a + v, 0);

async function waitFor(what, fn, srv, ms = 60000) {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    assert.ok(Date.now() - t0 < ms, `${what} never happened:\n${srv.log().slice(-1500)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// One streamed chat completion: text, reasoning, finish reason and the arrival
// time (ms, monotonic) of every content-bearing chunk.
async function streamChat(url, body, signal) {
  const r = await fetch(url + C, { method: 'POST', signal, headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ ...body, stream: true }) });
  if (r.status !== 200) return { status: r.status, text: await r.text(), headers: r.headers };
  let buf = '', content = '', reasoning = '', finish = null;
  const times = [];
  const decoder = new TextDecoder();
  for await (const chunk of r.body) {
    buf += decoder.decode(chunk, { stream: true });
    let nl;
    while ((nl = buf.indexOf('\n\n')) >= 0) {
      const ev = buf.slice(0, nl);
      buf = buf.slice(nl + 2);
      if (!ev.startsWith('data: ') || ev === 'data: [DONE]') continue;
      const j = JSON.parse(ev.slice(6));
      assert.ok(!j.error, 'stream error: ' + ev);
      for (const c of j.choices) {
        const d = (c.delta.content ?? '') + (c.delta.reasoning_content ?? '');
        if (d) times.push(performance.now());
        content += c.delta.content ?? '';
        reasoning += c.delta.reasoning_content ?? '';
        if (c.finish_reason) finish = c.finish_reason;
      }
    }
  }
  return { status: 200, content, reasoning, finish, times };
}

// Node's fetch can leave a body read pending forever when the signal aborts
// mid-body: abortable callers race it against the signal.
function abortable(promise, signal) {
  return Promise.race([promise, new Promise((_, reject) =>
    signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }))]);
}

test('a pair answers concurrent instruct + thinking requests as it answers them one by one', async () => {
  const m = pairModels();
  const srv = await serve(['--model', m.instruct, '--thinking-model', m.thinking, '--name', 'pair', '--ctx', '1024']);
  const bodies = [];
  for (let i = 0; i < 6; i++)
    for (const mode of ['instruct', 'thinking'])
      bodies.push({ model: 'pair', reasoning_mode: mode, temperature: 0, max_tokens: 24 + 4 * i, logit_bias: NO_EOS,
        messages: [{ role: 'user', content: `Question ${i}: tell me about ${mode} number ${i * 7}.` }] });
  const alone = [];
  for (const b of bodies) {
    const r = await postJson(srv.url + C, b);
    assert.equal(r.status, 200, r.text);
    alone.push(r.json);
  }
  for (let round = 0; round < 2; round++) {
    // All twelve at once, half of them streamed, while /health is polled.
    let healthOk = 0;
    let polling = true;
    const poll = (async () => {
      while (polling) {
        const h = await fetch(srv.url + '/health');
        if (h.status === 200) healthOk++;
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    const together = await Promise.all(bodies.map((b, i) => (i % 2 === round
      ? streamChat(srv.url, b)
      : postJson(srv.url + C, b).then((r) => {
        assert.equal(r.status, 200, r.text);
        const c = r.json.choices[0];
        return { content: c.message.content, reasoning: c.message.reasoning_content ?? '', finish: c.finish_reason };
      }))));
    polling = false;
    await poll;
    assert.ok(healthOk > 0, '/health answered during the load');
    for (let i = 0; i < bodies.length; i++) {
      const a = alone[i].choices[0];
      assert.equal(together[i].content, a.message.content, `request ${i} (${bodies[i].reasoning_mode}) content`);
      assert.equal(together[i].reasoning, a.message.reasoning_content ?? '', `request ${i} reasoning`);
      assert.equal(together[i].finish, a.finish_reason, `request ${i} finish_reason`);
    }
  }
  let mt = await metrics(srv.url);
  // Both engines batched several sequences at once, and every KV block came back.
  assert.ok(mt['qvl_batch_sequences_max{model="pair",checkpoint="instruct"}'] >= 2, JSON.stringify(mt));
  assert.ok(mt['qvl_batch_sequences_max{model="pair",checkpoint="thinking"}'] >= 2);
  // The thinking half serves one mode: no slots are held back for instruct (the
  // hybrid default caps thinking at 6 of 8), so 8 thinking requests run together.
  await Promise.all(Array.from({ length: 8 }, (_, i) => postJson(srv.url + C, { model: 'pair',
    reasoning_mode: 'thinking', max_tokens: 200, logit_bias: NO_EOS, messages: [{ role: 'user', content: `T${i}` }] })));
  mt = await metrics(srv.url);
  assert.equal(mt['qvl_batch_sequences_max{model="pair",checkpoint="thinking"}'], 8);
  assert.equal(sum(mt, 'qvl_kv_blocks_used{'), 0);
  assert.equal(mt['qvl_requests_running'], 0);
});

test('8 streaming clients with no max_tokens (--ctx 512) decode together and all finish', async () => {
  const srv = await serve(['--model', hybridModel(), '--name', 'm', '--ctx', '512', '--max-running', '8']);
  const N = 8;
  const results = await Promise.all(Array.from({ length: N }, (_, i) => streamChat(srv.url, {
    model: 'm', reasoning_mode: 'instruct', temperature: 0.7, seed: i, logit_bias: NO_EOS,
    messages: [{ role: 'user', content: `Client ${i} wants a very long story.` }] })));
  for (const [i, r] of results.entries()) {
    assert.equal(r.status, 200, `client ${i}: ${r.text}`);
    assert.equal(r.finish, 'length', `client ${i} ran to the end of its context`);
    assert.ok(r.times.length > 100, `client ${i} got ${r.times.length} chunks`);
  }
  // Decode overlapped: every client's first token came before every other client's last one...
  const firstMax = Math.max(...results.map((r) => r.times[0]));
  const lastMin = Math.min(...results.map((r) => r.times[r.times.length - 1]));
  assert.ok(firstMax < lastMin, 'some client finished before another had started');
  // ...and the engine put all eight in one forward pass.
  const mt = await metrics(srv.url);
  assert.equal(mt['qvl_batch_sequences_max{model="m",checkpoint="single"}'], N);
  assert.equal(mt['qvl_kv_blocks_used{model="m",checkpoint="single"}'], 0);
  assert.equal(mt['qvl_preemptions_total{model="m",checkpoint="single"}'], 0);  // the default pool holds 8 contexts
});

test('/metrics reports running, per-mode queue depth and KV use with the values the load implies', async () => {
  const srv = await serve(['--model', hybridModel(), '--name', 'm', '--ctx', '1024', '--max-running', '2',
    '--max-running-thinking', '1']);
  const long = (mode, i) => ({ model: 'm', reasoning_mode: mode, max_tokens: 1000, logit_bias: NO_EOS,
    messages: [{ role: 'user', content: `Long ${mode} request ${i}` }] });
  const ctls = [];
  const send = (body) => {
    const c = new AbortController();
    ctls.push(c);
    return abortable(streamChat(srv.url, body, c.signal), c.signal).catch(() => null);
  };
  // Two thinking requests (cap 1: one runs, one waits), then two instruct ones (one
  // slot left: one runs, one waits).
  const pending = [send(long('thinking', 0)), send(long('thinking', 1))];
  await waitFor('one thinking running, one waiting', async () => {
    const m = await metrics(srv.url);
    return m['qvl_requests_running_by_mode{mode="thinking"}'] === 1 &&
      m['qvl_queue_depth_by_mode{mode="thinking"}'] === 1;
  }, srv);
  pending.push(send(long('instruct', 0)), send(long('instruct', 1)));
  const m = await waitFor('one instruct running, one waiting', async () => {
    const mm = await metrics(srv.url);
    return mm['qvl_requests_running_by_mode{mode="instruct"}'] === 1 &&
      mm['qvl_queue_depth_by_mode{mode="instruct"}'] === 1 ? mm : null;
  }, srv);
  assert.equal(m['qvl_requests_running'], 2);
  assert.equal(m['qvl_queue_depth'], 2);
  assert.equal(m['qvl_requests_running_by_mode{mode="thinking"}'], 1);
  const key = '{model="m",checkpoint="single"}';
  // Two running sequences hold at least a prompt's block each; the pool is 2 contexts of 1024.
  assert.ok(m['qvl_kv_blocks_used' + key] >= 2, JSON.stringify(m));
  assert.equal(m['qvl_kv_blocks_total' + key], 2 * 1024 / 32);
  assert.equal(m['qvl_kv_block_tokens' + key], 32);
  assert.equal(m['qvl_kv_used_bytes' + key] / m['qvl_kv_blocks_used' + key],
    m['qvl_kv_pool_bytes' + key] / m['qvl_kv_blocks_total' + key]);
  for (const c of ctls) c.abort();
  await Promise.all(pending);
  const done = await waitFor('everything released', async () => {
    const mm = await metrics(srv.url);
    return mm['qvl_requests_running'] === 0 && mm['qvl_queue_depth'] === 0 && mm['qvl_kv_blocks_used' + key] === 0
      ? mm : null;
  }, srv);
  assert.equal(done['qvl_requests_running_by_mode{mode="instruct"}'], 0);
});

test('a full queue answers 429 with Retry-After; the others are served', async () => {
  const srv = await serve(['--model', hybridModel(), '--name', 'm', '--ctx', '512', '--max-running', '1',
    '--max-queue', '2']);
  const body = { model: 'm', reasoning_mode: 'instruct', max_tokens: 300, logit_bias: NO_EOS,
    messages: [{ role: 'user', content: 'Fill the queue.' }] };
  const first = streamChat(srv.url, body);
  await waitFor('the first request running', async () => (await metrics(srv.url))['qvl_requests_running'] === 1, srv);
  const queued = [streamChat(srv.url, body), streamChat(srv.url, body)];
  await waitFor('two requests queued', async () => (await metrics(srv.url))['qvl_queue_depth'] === 2, srv);
  const refused = await postJson(srv.url + C, { ...body, max_tokens: 2 });
  assert.equal(refused.status, 429, refused.text);
  assert.equal(refused.json.error.type, 'rate_limit_error');
  assert.equal(refused.json.error.code, 'queue_full');
  const retry = Number(refused.headers.get('retry-after'));
  assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 30, `Retry-After: ${refused.headers.get('retry-after')}`);
  for (const r of await Promise.all([first, ...queued])) {
    assert.equal(r.status, 200);
    assert.equal(r.finish, 'length');
  }
  const m = await metrics(srv.url);
  assert.equal(m['qvl_requests_total{endpoint="/v1/chat/completions",mode="none",status="429"}'], 1);
});

test('a KV pool smaller than the load preempts and recomputes; every request completes', async () => {
  // One context (256 tokens = 8 blocks) of KV for four sequences that each grow to ~220 tokens.
  const probe = await serve(['--model', hybridModel(), '--name', 'm', '--ctx', '256', '--max-running', '4']);
  const total = (await metrics(probe.url))['qvl_kv_pool_bytes{model="m",checkpoint="single"}'];
  const perBlock = total / (4 * 256 / 32);
  await probe.stop();
  const srv = await serve(['--model', hybridModel(), '--name', 'm', '--ctx', '256', '--max-running', '4',
    '--kv-memory', String(perBlock * 8)]);
  assert.match(srv.log(), /kv cache for .*: 256 tokens \(8 blocks of 32\)/);
  const results = await Promise.all(Array.from({ length: 4 }, (_, i) => postJson(srv.url + C, {
    model: 'm', reasoning_mode: 'instruct', max_tokens: 200, logit_bias: NO_EOS, seed: i,
    messages: [{ role: 'user', content: `Preempt me ${i}` }] })));
  for (const r of results) {
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.usage.completion_tokens, 200);
  }
  const m = await metrics(srv.url);
  assert.ok(m['qvl_preemptions_total{model="m",checkpoint="single"}'] > 0, 'some sequence was preempted');
  assert.equal(m['qvl_kv_blocks_used{model="m",checkpoint="single"}'], 0);
  // A budget below one context is refused with a clear message, and the process exits.
  const bad = spawnSync(QVL_BIN, ['serve', '--port', '0', '--model', hybridModel(), '--ctx', '256',
    '--kv-memory', String(perBlock * 4)], { encoding: 'utf8', timeout: 60000 });
  assert.equal(bad.status, 1, bad.stderr);
  assert.match(bad.stderr, /less than one context of 256 tokens/);
});
