// Scale-out with real parts: two `qvl serve` replicas behind Debian's HAProxy
// (deploy/haproxy/haproxy.cfg, health checks on /health, L7 retries with
// redispatch), concurrent non-streaming clients, and one replica SIGKILLed while
// it is generating. Every request must still be answered 200 (HAProxy retries the
// killed replica's requests on the other one), and the survivor's /metrics must
// count exactly the answers HAProxy says it gave.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import net from 'node:net';
import { hybridModel, startServer, metrics } from './serve_helpers.mjs';

const NO_EOS = { 151645: -100, 151643: -100 };  // keep the random model talking to max_tokens
const C = '/v1/chat/completions';
const cleanup = [];
after(async () => { for (const f of cleanup.reverse()) await f(); });

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

const hostPort = (url) => url.replace('http://', '');
const ok200 = (m) => Object.entries(m)
  .filter(([k]) => k.startsWith('qvl_requests_total{endpoint="/v1/chat/completions"') && k.includes('status="200"'))
  .reduce((a, [, v]) => a + v, 0);

async function startHaproxy(replicas) {
  execFileSync('haproxy', ['-v'], { stdio: 'ignore' });  // fails the test when HAProxy is missing
  const port = await freePort();
  const env = { ...process.env, QVL_LB_BIND: `127.0.0.1:${port}` };
  replicas.forEach((r, i) => { env[`QVL_REPLICA_${i + 1}`] = hostPort(r.url); });
  const proc = spawn('haproxy', ['-db', '-f', 'deploy/haproxy/haproxy.cfg'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr.on('data', (d) => { log += d; });
  cleanup.push(() => new Promise((res) => { if (proc.exitCode !== null) return res(); proc.on('exit', res); proc.kill('SIGTERM'); }));
  const url = `http://127.0.0.1:${port}`;
  const t0 = Date.now();
  for (;;) {  // servers start UP in HAProxy; one answer through it means it listens
    const r = await fetch(url + '/health').catch(() => null);
    if (r?.status === 200) break;
    if (Date.now() - t0 > 20000) throw new Error('haproxy did not come up:\n' + log);
    await new Promise((res) => setTimeout(res, 100));
  }
  return { url, proc, log: () => log };
}

test('two replicas behind HAProxy: SIGKILL one mid-run, every request is still answered', async () => {
  const model = hybridModel();
  const args = ['--model', model, '--name', 'm', '--kv-memory', '64M', '--threads', '1', '--max-running', '4'];
  const r1 = await startServer(args), r2 = await startServer(args);
  cleanup.push(() => r1.stop(), () => r2.stop());
  const lb = await startHaproxy([r1, r2]);
  const before2 = ok200(await metrics(r2.url));

  const N = 16;
  const send = (i) => fetch(lb.url + C, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ model: 'm', reasoning_mode: 'instruct', max_tokens: 40, temperature: 0, logit_bias: NO_EOS,
      messages: [{ role: 'user', content: `request ${i}` }] }),
  }).then(async (res) => ({ i, status: res.status, by: res.headers.get('x-served-by'), body: await res.json() }));
  const pending = Array.from({ length: N }, (_, i) => send(i));

  // Kill replica 1 only once it is generating for some of these clients.
  const t0 = Date.now();
  for (;;) {
    const m = await metrics(r1.url).catch(() => ({}));
    if ((m.qvl_requests_running ?? 0) > 0) break;
    assert.ok(Date.now() - t0 < 30000, 'replica 1 never started a request');
    await new Promise((res) => setTimeout(res, 20));
  }
  r1.proc.kill('SIGKILL');

  const results = await Promise.all(pending);
  for (const r of results) {
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.choices[0].finish_reason, 'length');
    assert.equal(r.body.usage.completion_tokens, 40);
  }
  const byQvl2 = results.filter((r) => r.by === 'qvl2').length;
  const byQvl1 = results.filter((r) => r.by === 'qvl1').length;
  assert.equal(byQvl1 + byQvl2, N, JSON.stringify(results.map((r) => r.by)));
  // Replica 1 was killed while generating: its unfinished requests went to replica 2.
  assert.ok(byQvl2 > N / 2, `replica 2 answered ${byQvl2} of ${N}`);
  const retried = lb.log().split('\n').filter((l) => / 200 qvl\/qvl2 retries=\+?[1-9]/.test(l));
  assert.ok(retried.length >= 1, 'HAProxy logged retried requests:\n' + lb.log());
  // The survivor's own counters agree with the balancer: it took the load.
  assert.equal(ok200(await metrics(r2.url)) - before2, byQvl2);
  // HAProxy's health check marks the dead replica DOWN; new requests go to replica 2 directly.
  const t1 = Date.now();
  while (!/qvl\/qvl1 is DOWN/.test(lb.log())) {
    assert.ok(Date.now() - t1 < 15000, 'qvl1 never marked DOWN:\n' + lb.log());
    await new Promise((res) => setTimeout(res, 100));
  }
  const after = await send(N);
  assert.equal(after.status, 200);
  assert.equal(after.by, 'qvl2');
});
