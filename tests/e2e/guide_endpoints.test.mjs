// POST /v1/generate/html and /v1/generate/drawio end to end with a random-weight Qwen3-VL model and its
// mmproj: across seeds, temperatures, budgets (down to the smallest max_tokens
// the server accepts) and both modes, every html_code is one complete document
// only because decoding was constrained: a strict tag-balance check of the
// source, parse5's tree equal to the source's, every <style> parsed by css-tree
// without errors. Also: the multipart form the guide's Python client sends, the
// 400 for a max_tokens too small, and concurrent clients.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'parse5';
import * as csstree from 'css-tree';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { pngDataUrl, startServer, postJson, visionPair } from './serve_helpers.mjs';
import { generateHtml } from '../../examples/node/generate_html.mjs';
import { askWithMode } from '../../examples/node/mode_header.mjs';

const VOID = new Set(['br', 'img', 'input', 'hr', 'meta']);
let srv;

let models;

before(async () => {
  models = visionPair();
  srv = await startServer(['--model', models.instruct.model, '--mmproj', models.instruct.mmproj,
    '--thinking-model', models.thinking.model, '--thinking-mmproj', models.thinking.mmproj]);
});
after(async () => {
  await srv?.stop();
  fs.rmSync(models.dir, { recursive: true, force: true });
});

// The source's own element tree (names in preorder) from its tags, failing on any
// close that does not match the innermost open element or one left open.
function sourceTree(html) {
  assert.ok(html.startsWith('<!DOCTYPE html>'), 'doctype first');
  const names = [];
  const stack = [];
  const styles = [];
  const tag = /<(\/?)([a-zA-Z][a-zA-Z0-9]*)((?:[^>"]|"[^"]*")*)>/g;
  let m;
  let last = 0;
  while ((m = tag.exec(html.slice(15))) !== null) {
    const [, close, name, attrs] = m;
    if (close) {
      assert.equal(stack.pop()?.name, name, `</${name}> closes the innermost open element`);
      if (name === 'style') styles.push(html.slice(15).slice(last, m.index));
    } else {
      assert.ok(!/"/.test(attrs.replace(/="[^"]*"/g, '')), `attribute values quoted: ${attrs}`);
      names.push(name);
      if (!VOID.has(name)) stack.push({ name });
    }
    last = m.index + m[0].length;
  }
  assert.equal(stack.length, 0, `every element closed (${stack.map((e) => e.name)})`);
  return { names, styles };
}

function parse5Names(html) {
  const names = [];
  const walk = (n) => {
    if (n.tagName && n.tagName !== 'tbody') names.push(n.tagName);  // parse5 adds <tbody> to tables
    for (const c of n.childNodes ?? []) walk(c);
    if (n.content) walk(n.content);
  };
  walk(parse(html));
  return names;
}

function checkHtml(html, label) {
  const { names, styles } = sourceTree(html);
  assert.deepEqual(parse5Names(html), names, `${label}: parse5 builds the source's tree`);
  assert.equal(names.slice(0, 2).join(), 'html,head', label);
  assert.ok(names.includes('body'), label);
  assert.ok(!names.includes('script'), `${label}: no <script> unless asked`);
  for (const css of styles) {
    const errors = [];
    csstree.parse(css, { onParseError: (e) => errors.push(e.formattedMessage ?? e.message) });
    assert.deepEqual(errors, [], `${label}: css parses: ${css}`);
  }
}

test('a max_tokens below the shortest document is a 400 naming max_tokens', async () => {
  const r = await postJson(srv.url + '/v1/generate/html', { text: 'a page', max_tokens: 3, mode: 'instruct' });
  assert.equal(r.status, 400, r.text);
  assert.equal(r.json.error.param, 'max_tokens');
  assert.equal(r.json.error.code, 'max_tokens_too_small');
});

test('every document is complete: seeds x temperatures x budgets x modes, concurrent clients', async (t) => {
  const image = pngDataUrl(64, 48);
  const least = {};
  for (const mode of ['instruct', 'thinking']) {
    const r = await postJson(srv.url + '/v1/generate/html', { image, text: 'x', max_tokens: 1, mode });
    least[mode] = Number(/the (\d+) tokens/.exec(r.json.error.message)[1]);
    assert.ok(least[mode] > 5 && least[mode] < 60, r.text);
  }
  const jobs = [];
  for (const mode of ['instruct', 'thinking'])
    for (const [seed, temperature] of [[1, 0], [2, 0.8], [3, 1.5]])
      for (const extra of [0, 3, 60])
        jobs.push({ mode, seed, temperature, max_tokens: least[mode] + extra });
  let done = 0;
  let cutByLength = 0;  // documents that ran into max_tokens: complete only through steering
  for (let i = 0; i < jobs.length; i += 4) {  // four clients at a time
    await Promise.all(jobs.slice(i, i + 4).map(async (j) => {
      const label = JSON.stringify(j);
      const r = await postJson(srv.url + '/v1/generate/html', { image, text: 'A login page.', ...j });
      assert.equal(r.status, 200, `${label}: ${r.text}`);
      assert.equal(r.json.mode.mode, j.mode, label);
      assert.ok(r.json.usage.completion_tokens <= j.max_tokens, label);
      checkHtml(r.json.html_code, label);
      if (r.json.finish_reason === 'length') cutByLength += 1;
      done += 1;
    }));
  }
  assert.equal(done, jobs.length);
  assert.ok(cutByLength >= jobs.length / 3, `steering was exercised (${cutByLength} of ${jobs.length} hit max_tokens)`);
  t.diagnostic(`fewest tokens: ${JSON.stringify(least)}; ${done} documents checked, ${cutByLength} ended at max_tokens`);
});

test('the router sends HTML generation to thinking mode by default', async () => {
  const r = await postJson(srv.url + '/v1/generate/html', { text: 'a pricing table', max_tokens: 120, seed: 9 });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.mode.mode, 'thinking');
  checkHtml(r.json.html_code, 'default mode');
});

test('the guide client: multipart form with an image file (examples/node/generate_html.mjs)', async () => {
  const png = Buffer.from(pngDataUrl(40, 30).split(',')[1], 'base64');
  const out = await generateHtml(srv.url, png, { text: 'Recreate this screen.', maxTokens: 150, seed: 5 });
  assert.equal(out.status, 200, JSON.stringify(out.json));
  checkHtml(out.json.html_code, 'multipart');
  assert.ok(out.json.usage.prompt_tokens > 10, 'the image reached the model');
});

test('bad guide input: unknown field, broken multipart, wrong types are 400s', async () => {
  let r = await postJson(srv.url + '/v1/generate/html', { text: 'x', colour: 'red' });
  assert.equal(r.status, 400); assert.equal(r.json.error.param, 'colour');
  r = await postJson(srv.url + '/v1/generate/html', { text: 'x', allow_script: 'yes' });
  assert.equal(r.status, 400); assert.equal(r.json.error.param, 'allow_script');
  r = await postJson(srv.url + '/v1/generate/html', { image: 'data:image/png;base64,AAAA', text: 'x', max_tokens: 100 });
  assert.equal(r.status, 400); assert.equal(r.json.error.param, 'image');
  const res = await fetch(srv.url + '/v1/generate/html', { method: 'POST',
    headers: { 'Content-Type': 'multipart/form-data; boundary=zz' }, body: '--zz\r\nContent-Disposition: form-data; name="text"\r\n\r\nhi' });
  assert.equal(res.status, 400);
  assert.match((await res.json()).error.message, /multipart/);
});

test('allow_script lets <script> through', async () => {
  const r = await postJson(srv.url + '/v1/generate/html', { text: 'x', max_tokens: 60, mode: 'instruct', allow_script: true });
  assert.equal(r.status, 200, r.text);
  sourceTree(r.json.html_code);
});

test('the guide client in Python requests (examples/python/generate_html.py)', async (t) => {
  const { spawnSync } = await import('node:child_process');
  if (spawnSync('python3', ['-c', 'import requests']).status !== 0) {
    // make deps installs python3-requests; only the documented opt-out skips.
    assert.equal(process.env.QVL_ALLOW_MISSING_REFERENCES, '1', 'python3-requests is missing (QVL_ALLOW_MISSING_REFERENCES=1 skips)');
    t.skip('python3-requests is missing and QVL_ALLOW_MISSING_REFERENCES=1');
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qvl-guide-py-'));
  fs.writeFileSync(path.join(dir, 'screenshot.png'), Buffer.from(pngDataUrl(32, 32).split(',')[1], 'base64'));
  const script = path.resolve('examples/python/generate_html.py');
  const py = await new Promise((resolve) => {
    const p = spawn('python3', [script, srv.url, 'screenshot.png', '120'], { cwd: dir });
    let err = '';
    p.stderr.on('data', (d) => { err += d; });
    p.on('exit', (code) => resolve({ code, err }));
  });
  assert.equal(py.code, 0, py.err);
  checkHtml(fs.readFileSync(path.join(dir, 'output.html'), 'utf8'), 'python client');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the guide client: the mode header picks the mode (examples/node/mode_header.mjs and .py)', async () => {
  for (const mode of ['instruct', 'thinking']) {
    const out = await askWithMode(srv.url, mode, 'Why is the sky blue?', 16);
    assert.equal(out.status, 200, JSON.stringify(out.json));
    assert.equal(out.json.reasoning_mode.mode, mode);
    assert.equal(out.json.reasoning_mode.source, 'header');
  }
  const { spawnSync } = await import('node:child_process');
  if (spawnSync('python3', ['-c', 'import requests']).status !== 0) return;
  // Spawned asynchronously: a blocked event loop would miss the server closing idle
  // keep-alive sockets, and the next fetch would reuse a dead one.
  const py = await new Promise((resolve) => {
    const p = spawn('python3', [path.resolve('examples/python/mode_header.py'), srv.url, '16']);
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    p.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
  assert.equal(py.status, 0, py.stderr);
  assert.match(py.stdout, /^instruct instruct /m);
  assert.match(py.stdout, /^thinking thinking /m);
});

// draw.io: well-formed XML (fast-xml-parser's validator), the frame, cells 0 and
// 1, unique ids, geometry on every vertex, every edge naming existing vertices.
function checkDrawio(xml, label) {
  assert.equal(XMLValidator.validate(xml), true, `${label}: well-formed XML`);
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (n) => n === 'mxCell' }).parse(xml);
  const cells = doc.mxfile.diagram.mxGraphModel.root.mxCell;
  assert.equal(cells[0].id, '0', label);
  assert.equal(cells[1].id, '1', label);
  assert.equal(cells[1].parent, '0', label);
  const ids = cells.map((c) => c.id);
  assert.equal(new Set(ids).size, ids.length, `${label}: unique ids ${ids}`);
  const vertices = new Set(cells.filter((c) => c.vertex === '1').map((c) => c.id));
  for (const c of cells.slice(2)) {
    assert.equal(c.parent, '1', label);
    if (c.vertex === '1') {
      for (const k of ['x', 'y', 'width', 'height']) assert.ok(Number.isFinite(Number(c.mxGeometry[k])), `${label}: ${k}`);
    } else {
      assert.equal(c.edge, '1', label);
      assert.ok(vertices.has(c.source) && vertices.has(c.target), `${label}: edge ${c.id} ${c.source}->${c.target}`);
    }
  }
  return cells.length - 2;
}

test('draw.io: every diagram is well-formed with valid references, both modes, budgets down to the least', async (t) => {
  const image = pngDataUrl(48, 48, 30);
  const least = {};
  for (const mode of ['instruct', 'thinking']) {
    const r = await postJson(srv.url + '/v1/generate/drawio', { image, text: 'x', max_tokens: 1, mode });
    assert.equal(r.status, 400, r.text);
    least[mode] = Number(/the (\d+) tokens/.exec(r.json.error.message)[1]);
  }
  const jobs = [];
  for (const mode of ['instruct', 'thinking'])
    for (const [seed, temperature] of [[1, 0.8], [2, 1.5]])
      for (const extra of [0, 60]) jobs.push({ mode, seed, temperature, max_tokens: least[mode] + extra });
  let cells = 0;
  for (let i = 0; i < jobs.length; i += 4)
    await Promise.all(jobs.slice(i, i + 4).map(async (j) => {
      const label = JSON.stringify(j);
      const r = await postJson(srv.url + '/v1/generate/drawio', { image, text: 'A login flow.', ...j });
      assert.equal(r.status, 200, `${label}: ${r.text}`);
      assert.equal(r.json.mode.mode, j.mode, label);
      cells += checkDrawio(r.json.drawio_xml, label);
    }));
  t.diagnostic(`fewest tokens: ${JSON.stringify(least)}; ${jobs.length} diagrams, ${cells} cells besides 0 and 1`);
});
