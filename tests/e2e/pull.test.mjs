// `qvl pull` and `qvl serve --model REPO:FILE` against a local fake hub
// (fake_hub.mjs): the hub cache layout, redirects to a CDN host without the token,
// resume with Range after a cut transfer, SHA-256 verification, one-line errors
// for 404 / 401, offline mode, and a directory pull by repository id.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFakeHub } from './fake_hub.mjs';
import { QVL_BIN, hybridModel, startServer, postJson } from './serve_helpers.mjs';

const TOKEN = 'hf_test_token_123';
const GGUF_REPO = 'qvl-test/tiny-GGUF';
let hub, tmp, big, commit;

// Runs `qvl pull ARGS`; resolves to {code, stdout, stderr}.
function pull(args, env = {}) {
  return new Promise((resolve) => {
    const p = spawn(QVL_BIN, ['pull', ...args], {
      env: { ...process.env, HF_TOKEN: TOKEN, HF_ENDPOINT: hub.url, HF_HOME: path.join(tmp, 'hf'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const repoDir = (repo) => path.join(tmp, 'hf', 'hub', 'models--' + repo.replace('/', '--'));
const sha256 = (file) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qvl-pull-'));
  hub = await startFakeHub({ token: TOKEN });
  big = crypto.randomBytes(3 << 20);
  commit = hub.addRepo(GGUF_REPO, {
    'model.gguf': { data: fs.readFileSync(hybridModel()), lfs: true },
    'mmproj.gguf': { data: big, lfs: true },
    'params.json': { data: '{"note":"a small git file"}', lfs: false },
    'corrupt.bin': { data: crypto.randomBytes(100000), lfs: true },
  });
  hub.faults.corrupt.add(hub.sha(GGUF_REPO, 'corrupt.bin'));
  hub.addRepo('qvl-test/evil', { 'x.gguf': { data: 'x', lfs: false } }, { commit: '../../escape' });
  hub.addRepo('qvl-test/private', { 'x.gguf': { data: 'secret', lfs: true } }, { private: true });
  hub.addRepo('qvl-test/tiny-HF', {
    'config.json': { data: '{"model_type":"qwen3"}', lfs: false },
    'tokenizer.json': { data: '{}', lfs: false },
    'model.safetensors': { data: crypto.randomBytes(5000), lfs: true },
    'README.md': { data: '# readme', lfs: false },
  });
});

after(async () => {
  await hub.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('pull REPO FILE FILE: hub cache layout, redirect to the CDN without the token, checksums', async () => {
  const r = await pull([GGUF_REPO, 'mmproj.gguf', 'params.json']);
  assert.equal(r.code, 0, r.stderr);
  const [mm, params] = r.stdout.trim().split('\n');
  const dir = repoDir(GGUF_REPO);
  assert.equal(mm, path.join(dir, 'snapshots', commit, 'mmproj.gguf'));
  assert.equal(params, path.join(dir, 'snapshots', commit, 'params.json'));
  // Relative symlinks into blobs/, named by the ETag (SHA-256 for LFS files), as HF writes them.
  assert.equal(fs.readlinkSync(mm), path.join('..', '..', 'blobs', hub.sha(GGUF_REPO, 'mmproj.gguf')));
  assert.ok(fs.readFileSync(mm).equals(big));
  assert.equal(fs.readFileSync(params, 'utf8'), '{"note":"a small git file"}');
  assert.equal(fs.readFileSync(path.join(dir, 'refs', 'main'), 'utf8'), commit);
  assert.equal(fs.readdirSync(path.join(dir, 'blobs')).filter((f) => f.endsWith('.incomplete')).length, 0);
  const hubReqs = hub.requests.filter((q) => q.server === 'hub');
  const cdnReqs = hub.requests.filter((q) => q.server === 'cdn');
  assert.ok(hubReqs.length >= 3 && hubReqs.every((q) => q.auth === `Bearer ${TOKEN}`));
  assert.ok(hubReqs.some((q) => q.method === 'HEAD' && q.status === 302), 'the hub redirected the LFS file');
  assert.equal(cdnReqs.length, 1);
  assert.equal(cdnReqs[0].auth, null, 'the token must not cross to the CDN host');
});

test('a cached file is not downloaded again', async () => {
  const before = hub.requests.filter((q) => q.server === 'cdn').length;
  const r = await pull([`${GGUF_REPO}:mmproj.gguf`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(hub.requests.filter((q) => q.server === 'cdn').length, before);
});

test('a transfer cut mid-file fails with --retries 0, and the next run resumes with a Range request', async () => {
  const home = path.join(tmp, 'resume');
  hub.faults.disconnectOnce.add(hub.sha(GGUF_REPO, 'mmproj.gguf'));
  const r1 = await pull([`${GGUF_REPO}:mmproj.gguf`, '--retries', '0'], { HF_HOME: home });
  assert.equal(r1.code, 1);
  assert.match(r1.stderr, /download interrupted .*run again to resume/);
  assert.equal(r1.stderr.trim().split('\n').length, 1, r1.stderr);
  const blobs = path.join(home, 'hub', 'models--qvl-test--tiny-GGUF', 'blobs');
  const part = fs.readdirSync(blobs).find((f) => f.endsWith('.incomplete'));
  const have = fs.statSync(path.join(blobs, part)).size;
  assert.ok(have > 0 && have < big.length, `partial file of ${have} bytes`);
  const r2 = await pull([`${GGUF_REPO}:mmproj.gguf`], { HF_HOME: home });
  assert.equal(r2.code, 0, r2.stderr);
  const last = hub.requests.filter((q) => q.server === 'cdn').at(-1);
  assert.equal(last.range, `bytes=${have}-`);
  assert.equal(last.status, 206);
  assert.equal(sha256(r2.stdout.trim()), hub.sha(GGUF_REPO, 'mmproj.gguf'));
});

test('with retries (the default) one run survives the cut and resumes by itself', async () => {
  const home = path.join(tmp, 'retry');
  hub.faults.disconnectOnce.add(hub.sha(GGUF_REPO, 'mmproj.gguf'));
  const n = hub.requests.length;
  const r = await pull([`${GGUF_REPO}:mmproj.gguf`], { HF_HOME: home });
  assert.equal(r.code, 0, r.stderr);
  const cdn = hub.requests.slice(n).filter((q) => q.server === 'cdn');
  assert.equal(cdn.length, 2);
  assert.match(cdn[1].range, /^bytes=\d+-$/);
  assert.equal(sha256(r.stdout.trim()), hub.sha(GGUF_REPO, 'mmproj.gguf'));
});

test('a corrupted download fails the SHA-256 check and leaves nothing in the cache', async () => {
  const r = await pull([`${GGUF_REPO}:corrupt.bin`]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /checksum mismatch/);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  const dir = repoDir(GGUF_REPO);
  const blobs = fs.readdirSync(path.join(dir, 'blobs'));
  assert.ok(!blobs.includes(hub.sha(GGUF_REPO, 'corrupt.bin')));
  assert.ok(!blobs.some((f) => f.endsWith('.incomplete')));
  assert.ok(!fs.existsSync(path.join(dir, 'snapshots', commit, 'corrupt.bin')));
});

test('404 and 401 are one clear line each', async () => {
  let r = await pull([`${GGUF_REPO}:nope.gguf`]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^qvl pull: error: .*404.*no such file/);
  r = await pull(['qvl-test/missing:x.gguf']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /404: no repository qvl-test\/missing/);
  r = await pull(['qvl-test/private:x.gguf'], { HF_TOKEN: '' });
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /401 Unauthorized.*HF_TOKEN/);
  r = await pull(['qvl-test/private:x.gguf']);  // with the token
  assert.equal(r.code, 0, r.stderr);
  r = await pull(['qvl-test/evil:x.gguf']);  // X-Repo-Commit: ../../escape
  assert.equal(r.code, 1);
  assert.match(r.stderr, /unusable X-Repo-Commit/);
  assert.ok(!fs.existsSync(path.join(tmp, 'hf', 'escape')));
  r = await pull([`${GGUF_REPO}:params.json`, '--revision', '../../x']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /not a file path inside a repository/);
  r = await pull(['../etc:passwd']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /not a repository id/);
});

test('offline: the cache answers without a request; a missing file is an error', async () => {
  const n = hub.requests.length;
  let r = await pull([`${GGUF_REPO}:mmproj.gguf`], { HF_HUB_OFFLINE: '1' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), path.join(repoDir(GGUF_REPO), 'snapshots', commit, 'mmproj.gguf'));
  r = await pull([`${GGUF_REPO}:model.gguf`, '--offline']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /not in the cache .*offline/);
  assert.equal(hub.requests.length, n, 'offline made no request');
});

test('--endpoint overrides HF_ENDPOINT; a dead endpoint is a clear error', async () => {
  const r = await pull([`${GGUF_REPO}:params.json`, '--endpoint', hub.url], { HF_ENDPOINT: 'http://127.0.0.1:9' });
  assert.equal(r.code, 0, r.stderr);
  const dead = await pull(['qvl-test/tiny-HF:config.json'], { HF_ENDPOINT: 'http://127.0.0.1:9' });
  assert.equal(dead.code, 1);
  assert.match(dead.stderr, /cannot reach the hub at http:\/\/127\.0\.0\.1:9/);
  // Unreachable (not refused): a cached copy still serves, with a warning.
  const cached = await pull([`${GGUF_REPO}:mmproj.gguf`], { HF_ENDPOINT: 'http://127.0.0.1:9' });
  assert.equal(cached.code, 0, cached.stderr);
  assert.equal(cached.stdout.trim(), path.join(repoDir(GGUF_REPO), 'snapshots', commit, 'mmproj.gguf'));
  assert.match(cached.stderr, /cannot reach the hub.*using the cached/);
});

test('pull REPO: an HF directory (config, tokenizer, safetensors; not the README)', async () => {
  const r = await pull(['qvl-test/tiny-HF']);
  assert.equal(r.code, 0, r.stderr);
  const dir = r.stdout.trim();
  assert.deepEqual(fs.readdirSync(dir).sort(), ['config.json', 'model.safetensors', 'tokenizer.json']);
});

test('progress bars: drawn with --progress=always, absent when stderr is piped', async () => {
  const quiet = await pull([`${GGUF_REPO}:model.gguf`], { HF_HOME: path.join(tmp, 'p1') });
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.ok(!quiet.stderr.includes('\r'));
  const bar = await pull([`${GGUF_REPO}:model.gguf`, '--progress=always'], { HF_HOME: path.join(tmp, 'p2') });
  assert.equal(bar.code, 0, bar.stderr);
  assert.match(bar.stderr, /\rmodel\.gguf  \[#+\] 100%/);
});

test('serve --model REPO:FILE pulls on first use, then serves; --offline serves from the cache', async () => {
  const home = path.join(tmp, 'serve');
  const env = { ...process.env, HF_HOME: home, HF_ENDPOINT: hub.url };
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    for (const extra of [[], ['--offline']]) {
      const n = hub.requests.length;
      const s = await startServer(['--model', `${GGUF_REPO}:model.gguf`, '--kv-memory', '64M', ...extra]);
      try {
        const r = await postJson(s.url + '/v1/chat/completions',
          { messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 });
        assert.equal(r.status, 200, r.text);
        const models = await (await fetch(s.url + '/v1/models')).json();
        assert.equal(models.data[0].id, 'model');
        if (extra.length) assert.equal(hub.requests.length, n, '--offline made no request');
        else assert.ok(hub.requests.slice(n).some((q) => q.server === 'cdn'), 'first use downloaded it');
      } finally {
        await s.stop();
      }
    }
  } finally {
    for (const k of Object.keys(env)) if (!(k in saved)) delete process.env[k]; else process.env[k] = saved[k];
  }
});
