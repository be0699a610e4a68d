// End-to-end: `qvl serve --log-format json`. Every stderr line is one JSON
// object; each request gets one record with its id, endpoint, model, mode,
// router rule, status, tokens and timings (streamed, whole, refused, cancelled);
// health probes and scrapes get none. The default stays text.
import test from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawnSync } from 'node:child_process';
import { startServer, hybridModel, postJson, QVL_BIN } from './serve_helpers.mjs';

const parseLines = (log) => log.trimEnd().split('\n').map((line) => {
  try { return JSON.parse(line); } catch { assert.fail(`stderr line is not JSON: ${line}`); }
});

// Starts a streamed completion and closes the socket after the first token chunk.
function hangUpMidStream(url, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url + '/v1/chat/completions', { method: 'POST', headers: { 'Content-Type': 'application/json' } },
      (res) => {
        let seen = '';
        res.on('data', (d) => {
          seen += d;
          if ((seen.match(/^data: /gm) || []).length >= 3) { req.destroy(); resolve(); }
        });
        res.on('error', () => {});
      });
    req.on('error', (e) => (e.code === 'ECONNRESET' ? resolve() : reject(e)));
    req.end(JSON.stringify(body));
  });
}

async function waitFor(pred, ms = 10000) {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

test('--log-format json: every line is JSON, one record per request with mode, rule, tokens, timings', async () => {
  const srv = await startServer(['--model', hybridModel(), '--name', 'h', '--ctx', '512', '--log-format', 'json']);
  try {
    const why = await postJson(srv.url + '/v1/chat/completions',
      { messages: [{ role: 'user', content: 'Why is the sky blue?' }], max_tokens: 6 }, { 'X-Reasoning-Mode': 'auto' });
    assert.equal(why.status, 200);
    const streamed = await fetch(srv.url + '/v1/chat/completions', {
      method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Reasoning-Mode': 'instruct' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 5, stream: true }),
    });
    const sse = await streamed.text();
    const streamId = /"id":"(chatcmpl-[0-9a-f]+)"/.exec(sse)[1];
    const bad = await postJson(srv.url + '/v1/chat/completions', { messages: 'nope' });
    assert.equal(bad.status, 400);
    assert.equal((await fetch(srv.url + '/no/such/route')).status, 404);
    await fetch(srv.url + '/health');
    await fetch(srv.url + '/metrics');
    await fetch(srv.url + '/');
    await hangUpMidStream(srv.url, { messages: [{ role: 'user', content: 'go on' }], max_tokens: 400, stream: true,
      reasoning_mode: 'instruct' });
    assert.ok(await waitFor(() => /"status":499/.test(srv.log())), 'the cancelled stream gets its record:\n' + srv.log());
    await srv.stop();

    const lines = parseLines(srv.log());
    for (const l of lines) {
      assert.match(l.ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.ok(['error', 'warn', 'info', 'debug'].includes(l.level), JSON.stringify(l));
      assert.ok(typeof l.msg === 'string' || l.event === 'request', JSON.stringify(l));
    }
    assert.ok(lines.some((l) => /^listening on http:/.test(l.msg ?? '')));
    const reqs = lines.filter((l) => l.event === 'request');
    assert.deepEqual(reqs.map((r) => `${r.endpoint} ${r.status}`),
      ['/v1/chat/completions 200', '/v1/chat/completions 200', '/v1/chat/completions 400', '/no/such/route 404',
        '/v1/chat/completions 499'],
      'one record per request; none for /health, /metrics or the web UI');

    const [w, s, b, nf, gone] = reqs;
    assert.equal(w.request_id, why.json.id);
    assert.equal(w.model, 'h');
    assert.equal(w.method, 'POST');
    assert.equal(w.mode, why.json.reasoning_mode.mode);
    assert.equal(w.mode_source, 'router');
    assert.equal(w.router_rule, why.json.reasoning_mode.rule);
    assert.ok(w.router_rule);
    assert.equal(w.stream, false);
    assert.equal(w.finish_reason, 'length');
    assert.deepEqual(w.tokens, { prompt: why.json.usage.prompt_tokens, completion: 6,
      reasoning: why.json.usage.completion_tokens_details.reasoning_tokens,
      cached: why.json.usage.prompt_tokens_details.cached_tokens });
    for (const k of ['queue_ms', 'ttft_ms', 'total_ms']) assert.ok(w.timings[k] >= 0, `${k} ${w.timings[k]}`);
    assert.ok(w.timings.ttft_ms <= w.timings.total_ms);

    assert.equal(s.request_id, streamId);
    assert.equal(s.stream, true);
    assert.equal(s.mode, 'instruct');
    assert.equal(s.mode_source, 'header');
    assert.equal(s.router_rule, null);
    assert.equal(s.tokens.completion, 5);

    assert.equal(b.tokens, undefined, 'a refused request has no token counts');
    assert.match(b.request_id, /^req-[0-9a-f]{24}$/);
    assert.ok(b.timings.total_ms >= 0);
    assert.equal(nf.method, 'GET');

    assert.equal(gone.finish_reason, 'cancelled');
    assert.ok(gone.tokens.completion >= 1 && gone.tokens.completion < 400, JSON.stringify(gone));
  } finally {
    await srv.stop();
  }
});

test('text stays the default log format; a bad --log-format is refused', async () => {
  const srv = await startServer(['--model', hybridModel(), '--name', 'h', '--ctx', '512']);
  try {
    const r = await postJson(srv.url + '/v1/chat/completions', { messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 });
    assert.equal(r.status, 200);
    assert.ok(await waitFor(() => srv.log().includes(r.json.id)));
  } finally {
    await srv.stop();
  }
  const lines = srv.log().trimEnd().split('\n');
  for (const l of lines) assert.match(l, /^qvl (info|warn|error|debug): /);
  assert.ok(lines.some((l) => l.includes(`POST /v1/chat/completions -> 200 [`) && l.includes(' tokens prompt=')));

  const bad = spawnSync(QVL_BIN, ['serve', '--model', hybridModel(), '--log-format', 'xml'], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--log-format expects text or json, got 'xml'/);
});
