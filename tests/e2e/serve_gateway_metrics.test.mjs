// The /metrics series the Gateway API Inference Extension's endpoint picker reads
// (deploy/k8s/inference-gateway/epp.yaml names them; docs/DEPLOYMENT.md): queue
// length, running requests and KV-cache utilisation move with real load on the
// real binary and return to zero; the LoRA info series says "no adapters" with a
// fresh timestamp.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { hybridModel, startServer, metrics, postJson } from './serve_helpers.mjs';

const NO_EOS = { 151645: -100, 151643: -100 };
const LORA = 'qvl_lora_requests_info{max_lora="0",running_lora_adapters="",waiting_lora_adapters=""}';
let srv;
after(async () => { await srv?.stop(); });

test('queue, running and KV-usage gauges rise under load and fall back; LoRA info is present', async () => {
  // One sequence at a time, so the other requests wait in the queue.
  srv = await startServer(['--model', hybridModel(), '--name', 'm', '--kv-memory', '64M', '--max-running', '1']);
  let m = await metrics(srv.url);
  assert.equal(m.qvl_queue_depth, 0);
  assert.equal(m.qvl_requests_running, 0);
  assert.equal(m.qvl_kv_cache_usage_perc, 0);
  const t = m[LORA];
  assert.ok(Math.abs(t - Date.now() / 1000) < 60, `LoRA info timestamp ${t}`);

  const pending = Array.from({ length: 3 }, (_, i) => postJson(srv.url + '/v1/chat/completions', {
    model: 'm', reasoning_mode: 'instruct', max_tokens: 60, logit_bias: NO_EOS,
    messages: [{ role: 'user', content: `load ${i} `.repeat(20) }] }));
  const seen = { queue: 0, running: 0, kv: 0 };
  const t0 = Date.now();
  while (!(seen.queue >= 1 && seen.running === 1 && seen.kv > 0)) {
    m = await metrics(srv.url);
    seen.queue = Math.max(seen.queue, m.qvl_queue_depth);
    seen.running = Math.max(seen.running, m.qvl_requests_running);
    seen.kv = Math.max(seen.kv, m.qvl_kv_cache_usage_perc);
    assert.ok(m.qvl_kv_cache_usage_perc >= 0 && m.qvl_kv_cache_usage_perc <= 1);
    assert.ok(Date.now() - t0 < 30000, `gauges never moved: ${JSON.stringify(seen)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  for (const r of await Promise.all(pending)) assert.equal(r.status, 200, r.text);
  m = await metrics(srv.url);
  assert.equal(m.qvl_queue_depth, 0);
  assert.equal(m.qvl_requests_running, 0);
  assert.equal(m.qvl_kv_cache_usage_perc, 0);
  assert.ok(m[LORA] >= t, 'the LoRA info timestamp moves forward');
});
