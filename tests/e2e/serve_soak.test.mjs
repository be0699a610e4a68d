// Soak: many clients against a pair deployment with vision (random-weight tiny
// models, 127.0.0.1 only): mixed modes, streamed and whole, images, clients that
// hang up at random moments, a queue small enough to refuse some. Small by
// default (48 requests, 14 at a time); QVL_SOAK_REQUESTS=N runs longer. Passes
// when every request ends in 200, a designed 429 (with Retry-After) or our own
// abort; no 5xx; afterwards every KV block is back, nothing runs or waits, and
// the resident set did not grow between the two halves of the run.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { pairModels, pngDataUrl, startServer, visionModels, metrics } from './serve_helpers.mjs';

const REQUESTS = Number(process.env.QVL_SOAK_REQUESTS || 48);
const CONCURRENCY = 14;
const NO_EOS = { 151645: -100, 151643: -100 };
let srv;
after(async () => { await srv?.stop(); });

// Seeded pseudo-random numbers (mulberry32): the same mix of requests every run
// (which worker draws which depends on timing).
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rssKb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

async function oneRequest(url, rand, i, image) {
  const mode = rand() < 0.5 ? 'thinking' : 'instruct';
  const stream = rand() < 0.5;
  const content = [{ type: 'text', text: `Soak request ${i}: say something about ${Math.floor(rand() * 1000)}.` }];
  if (rand() < 0.3) content.push({ type: 'image_url', image_url: { url: image } });
  const body = { model: 'soak', reasoning_mode: mode, stream, max_tokens: 4 + Math.floor(rand() * 60),
    temperature: rand() < 0.5 ? 0 : 0.8, seed: i, logit_bias: NO_EOS, messages: [{ role: 'user', content }] };
  const ctl = new AbortController();
  const abortAfter = rand() < 0.25 ? Math.floor(rand() * 400) : -1;
  const timer = abortAfter >= 0 ? setTimeout(() => ctl.abort(), abortAfter) : null;
  try {
    // Node's fetch can leave a body read pending forever when the signal aborts
    // mid-body; the race settles it either way.
    const aborted = new Promise((_, reject) => ctl.signal.addEventListener('abort',
      () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' })), { once: true }));
    aborted.catch(() => {});
    const r = await Promise.race([fetch(url + '/v1/chat/completions', { method: 'POST', signal: ctl.signal,
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }), aborted]);
    const text = await Promise.race([r.text(), aborted]);
    if (r.status === 429) {
      assert.ok(Number(r.headers.get('retry-after')) >= 1, 'a 429 carries Retry-After');
      assert.equal(JSON.parse(text).error.code, 'queue_full');
      return '429';
    }
    assert.equal(r.status, 200, `request ${i}: ${text.slice(0, 300)}`);
    if (stream) {
      assert.ok(text.trimEnd().endsWith('data: [DONE]'), `request ${i}: stream did not finish`);
      assert.ok(!text.includes('"error"'), `request ${i}: ${text.slice(0, 300)}`);
    } else {
      assert.ok(['stop', 'length'].includes(JSON.parse(text).choices[0].finish_reason));
    }
    return 'ok';
  } catch (e) {
    if (e.name === 'AbortError' || ctl.signal.aborted) return 'aborted';
    throw e;
  } finally {
    if (timer) clearTimeout(timer);
  }
}

test(`soak: ${REQUESTS} mixed requests, ${CONCURRENCY} at a time, random hang-ups`, { timeout: 900000 }, async () => {
  const v = visionModels();
  const pair = pairModels();
  // The same tiny mmproj serves both halves of the pair (same hidden size).
  srv = await startServer(['--model', v.model, '--thinking-model', pair.thinking, '--mmproj', v.mmproj,
    '--name', 'soak', '--ctx', '1024', '--max-running', '4', '--max-queue', '3']);
  const image = pngDataUrl(64, 48);
  const rand = rng(12345);
  const counts = { ok: 0, 429: 0, aborted: 0 };  // per attempt
  // Two equal halves, each drained before the resident set is read: the second
  // half reuses what the first one touched (KV pages, caches, allocator arenas).
  let next = 0;
  const runHalf = async (end) => {
    const worker = async () => {
      while (next < end) {
        const i = next++;
        // A refused client backs off and retries (a short Retry-After), up to 5 times.
        for (let attempt = 0; attempt < 5; attempt++) {
          const r = await oneRequest(srv.url, rand, i, image);
          counts[r]++;
          if (r !== '429') break;
          await new Promise((res) => setTimeout(res, 150));
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    // Hung-up requests are cancelled at the engine's next step; then everything is back.
    const t0 = Date.now();
    for (;;) {
      const m = await metrics(srv.url);
      const used = Object.entries(m).filter(([k]) => k.startsWith('qvl_kv_blocks_used{')).reduce((a, [, x]) => a + x, 0);
      if (used === 0 && m.qvl_requests_running === 0 && m.qvl_queue_depth === 0) return m;
      assert.ok(Date.now() - t0 < 30000, 'resources not released: ' + JSON.stringify(m));
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await runHalf(Math.floor(REQUESTS / 2));
  const rssHalf = rssKb(srv.proc.pid);
  const m = await runHalf(REQUESTS);
  assert.ok(counts.ok >= REQUESTS / 4, JSON.stringify(counts));
  const statuses = Object.keys(m).filter((k) => k.startsWith('qvl_requests_total{endpoint="/v1/chat/completions"'));
  for (const k of statuses) assert.match(k, /status="(200|429|499)"/, `unexpected status: ${k}`);
  const rssEnd = rssKb(srv.proc.pid);
  console.log(`soak: ${JSON.stringify(counts)}; RSS half-way ${rssHalf} kB, end ${rssEnd} kB`);
  // Flat: the second half (same mix) must not keep what it used.
  assert.ok(rssEnd <= rssHalf + 64 * 1024, `RSS grew from ${rssHalf} kB to ${rssEnd} kB`);
  assert.equal((await fetch(srv.url + '/health')).status, 200);
});
