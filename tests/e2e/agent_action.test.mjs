// POST /v1/agent/action end to end with a random-weight Qwen3-VL instruct +
// thinking pair: across modes, seeds, temperatures and budgets down to the
// smallest max_tokens the server accepts, every answer validates (ajv) against
// docs/schemas/agent-action-response.json only because decoding was constrained
// and steered to completion; coordinates are the model's 0-1000 grid mapped to the
// screenshot's pixels (a non-square screenshot, so a swapped axis shows); the
// confidence is a probability. Also: thinking by default (router task "agent"),
// the guide's clients (node multipart, Python requests JSON), and 400s.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { pngDataUrl, startServer, postJson, visionPair } from './serve_helpers.mjs';
import { nextAction } from '../../examples/node/agent_action.mjs';

const schema = JSON.parse(fs.readFileSync(path.resolve('docs/schemas/agent-action-response.json'), 'utf8'));
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
const W = 360, H = 150;  // non-square on purpose
const image = pngDataUrl(W, H);
let srv, models;

before(async () => {
  models = visionPair();
  srv = await startServer(['--model', models.instruct.model, '--mmproj', models.instruct.mmproj,
    '--thinking-model', models.thinking.model, '--thinking-mmproj', models.thinking.mmproj]);
});
after(async () => {
  await srv?.stop();
  fs.rmSync(models.dir, { recursive: true, force: true });
});

function checkAction(a, label) {
  assert.ok(validate(a), `${label}: ${JSON.stringify(validate.errors)}\n${JSON.stringify(a)}`);
  assert.deepEqual(a.image_size, [W, H], label);
  const px = (g, size) => Math.min(size - 1, Math.max(0, Math.round(g * size / 1000)));
  assert.deepEqual(a.coordinates, [px(a.grid_coordinates[0], W), px(a.grid_coordinates[1], H)], `${label}: pixel mapping`);
  assert.ok(a.confidence > 0, `${label}: the chosen action had a probability`);
}

const post = (body) => postJson(srv.url + '/v1/agent/action', body);

test('every action validates: modes x seeds x temperatures x budgets, concurrent clients', async (t) => {
  const least = {};
  for (const mode of ['instruct', 'thinking']) {
    const r = await post({ image, instruction: 'x', max_tokens: 1, mode });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.error.code, 'max_tokens_too_small', r.text);
    least[mode] = Number(/the (\d+) tokens/.exec(r.json.error.message)[1]);
    assert.ok(least[mode] >= 10 && least[mode] < 80, r.text);
  }
  const jobs = [];
  for (const mode of ['instruct', 'thinking'])
    for (const [seed, temperature] of [[1, 0], [2, 0.9], [3, 1.5]])
      for (const extra of [0, 5, 50]) jobs.push({ mode, seed, temperature, max_tokens: least[mode] + extra });
  const actions = new Set();
  let cut = 0;
  for (let i = 0; i < jobs.length; i += 4) {
    await Promise.all(jobs.slice(i, i + 4).map(async (j) => {
      const label = JSON.stringify(j);
      const r = await post({ image, instruction: 'How do I turn off Bluetooth?', history: ['home'], ...j });
      assert.equal(r.status, 200, `${label}: ${r.text}`);
      assert.equal(r.json.mode.mode, j.mode, label);
      assert.ok(r.json.usage.completion_tokens <= j.max_tokens, label);
      checkAction(r.json, label);
      actions.add(r.json.action);
      if (r.json.finish_reason === 'length') cut += 1;
    }));
  }
  t.diagnostic(`fewest tokens ${JSON.stringify(least)}; ${jobs.length} actions valid; ${cut} ended at max_tokens; actions seen: ${[...actions]}`);
});

test('temperature 0 is reproducible, confidence included', async () => {
  const body = { image, instruction: 'Open settings', mode: 'instruct', temperature: 0, max_tokens: 60 };
  const [a, b] = await Promise.all([post(body), post(body)]);
  assert.equal(a.status, 200, a.text);
  checkAction(a.json, 'first');
  for (const k of ['action', 'element', 'coordinates', 'confidence']) assert.deepEqual(b.json[k], a.json[k], k);
});

test('GUI tasks go to thinking mode by default (router task "agent")', async () => {
  const r = await post({ image, instruction: 'Turn on airplane mode', max_tokens: 120, seed: 4 });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.mode.mode, 'thinking', JSON.stringify(r.json.mode));
  checkAction(r.json, 'default mode');
});

test('the guide clients: node multipart (examples/node/agent_action.mjs) and Python requests (examples/python/agent_action.py)', async () => {
  const png = Buffer.from(image.split(',')[1], 'base64');
  const out = await nextAction(srv.url, png, 'Tap the search bar', { history: [{ action: 'home' }], maxTokens: 80, seed: 5 });
  assert.equal(out.status, 200, JSON.stringify(out.json));
  checkAction(out.json, 'node client');

  const haveRequests = spawnSync('python3', ['-c', 'import requests']).status === 0;
  if (!haveRequests && process.env.QVL_ALLOW_MISSING_REFERENCES === '1') return;
  assert.ok(haveRequests, 'python3-requests is missing (make deps installs it; QVL_ALLOW_MISSING_REFERENCES=1 skips)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qvl-agent-py-'));
  fs.writeFileSync(path.join(dir, 'screenshot.png'), png);
  const py = spawnSync('python3', [path.resolve('examples/python/agent_action.py'), srv.url, 'screenshot.png',
    'How do I turn off Bluetooth?', '80'], { cwd: dir, encoding: 'utf8' });
  fs.rmSync(dir, { recursive: true, force: true });
  assert.equal(py.status, 0, py.stderr);
  const printed = JSON.parse(py.stdout);
  assert.ok(schema.properties.action.enum.includes(printed.action), py.stdout);
  assert.ok(printed.confidence >= 0 && printed.confidence <= 1, py.stdout);
});

test('bad agent input is a 400 naming the field', async () => {
  const cases = [
    [{ instruction: 'x' }, 'image'],
    [{ image }, 'instruction'],
    [{ image, instruction: '' }, 'instruction'],
    [{ image: 'https://example.com/shot.png', instruction: 'x' }, 'image'],
    [{ image: 'data:image/png;base64,AAAA', instruction: 'x' }, 'image'],
    [{ image, instruction: 'x', text: 'y' }, 'text'],
    [{ image, instruction: 'x', history: 'not json' }, 'history'],
    [{ image, instruction: 'x', history: [5] }, 'history'],
    [{ image, instruction: 'x', history: Array(33).fill('tap') }, 'history'],
    [{ image, instruction: 'x', history: ['y'.repeat(3000)] }, 'history'],
    [{ image, instruction: 'x', bogus: 1 }, 'bogus'],
  ];
  for (const [body, param] of cases) {
    const r = await post(body);
    assert.equal(r.status, 400, `${JSON.stringify(body).slice(0, 80)}: ${r.text}`);
    assert.equal(r.json.error.param, param, r.text);
  }
  const health = await fetch(srv.url + '/health');
  assert.equal(health.status, 200);
});
