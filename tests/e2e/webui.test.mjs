// End-to-end: the built-in web UI (GET /) in headless Chromium — Debian's
// `chromium`, driven by puppeteer-core, which never downloads a browser of its
// own — against the real binary with random-weight models: page headers, send
// and stream, stop, the mode report, reasoning toggle, image upload reaching the
// model, paste / drop, the API-key prompt, the metrics panel, the GUI-action
// marker, and the HTML preview refusing to run a script (with positive controls
// that show the same script does run where the locks are off). Screenshots of
// each step go to out/webui-screenshots/ (git-ignored).
//
// Chromium missing fails the file; QVL_ALLOW_MISSING_REFERENCES=1 turns that
// into a visible skip (as for the other test references; README).
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, pairModels, visionModels, pngDataUrl, postJson, metrics } from './serve_helpers.mjs';

const CHROMIUM = process.env.QVL_CHROMIUM || '/usr/bin/chromium';
const SHOTS = path.resolve('out/webui-screenshots');
const missing = !fs.existsSync(CHROMIUM) &&
  `${CHROMIUM} not found: install Debian's chromium (make deps) or set QVL_CHROMIUM`;
if (missing && process.env.QVL_ALLOW_MISSING_REFERENCES !== '1') throw new Error(missing);
const skip = missing || false;

let puppeteer, browser, server, keyServer;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qvl-webui-'));
const pngFile = (name, w, h, blue) => {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, Buffer.from(pngDataUrl(w, h, blue).split(',')[1], 'base64'));
  return f;
};

before(async () => {
  if (skip) return;
  puppeteer = (await import('puppeteer-core')).default;
  fs.rmSync(SHOTS, { recursive: true, force: true });
  fs.mkdirSync(SHOTS, { recursive: true });
  const pair = pairModels(), vision = visionModels();
  // Instruct half with vision, thinking half from the pair: both modes and images on one server.
  server = await startServer(['--model', vision.model, '--mmproj', vision.mmproj, '--thinking-model', pair.thinking,
    '--name', 'vl', '--ctx', '2048']);
  keyServer = await startServer(['--model', pair.instruct, '--name', 'locked', '--ctx', '512', '--api-key', 'sesame']);
  const args = ['--headless=new', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage'];
  if (process.getuid && process.getuid() === 0) args.push('--no-sandbox');  // Chromium's own sandbox refuses root
  browser = await puppeteer.launch({ executablePath: CHROMIUM, args, defaultViewport: { width: 1400, height: 900 } });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await keyServer?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

// A fresh page on `url` that records CSP violations and console errors.
async function openUi(url) {
  const page = await browser.newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push('pageerror: ' + e.message));
  page.on('console', (m) => { if (m.type() === 'error') page.problems.push('console: ' + m.text()); });
  await page.evaluateOnNewDocument(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await page.goto(url + '/', { waitUntil: 'load' });
  return page;
}

async function shot(page, name) {
  const file = path.join(SHOTS, name + '.png');
  await page.screenshot({ path: file, fullPage: true });
  assert.ok(fs.statSync(file).size > 1000, `screenshot ${file} is empty`);
}

async function setField(page, selector, value) {
  await page.$eval(selector, (e, v) => { e.value = v; }, String(value));
}

// Types a message and sends it; resolves to the index of its assistant bubble.
async function send(page, text, { mode = 'instruct', maxTokens = 24 } = {}) {
  await page.select('#mode', mode);
  await setField(page, '#max-tokens', maxTokens);
  const before = await page.$$eval('.msg.assistant[data-role=assistant]', (l) => l.length);
  await setField(page, '#prompt', text);
  await page.click('#send');
  await page.waitForFunction((n) => document.querySelectorAll('.msg.assistant[data-role=assistant]').length > n, {}, before);
  return before;
}

async function waitDone(page, i, timeout = 60000) {
  await page.waitForFunction((k) => {
    const m = document.querySelectorAll('.msg.assistant[data-role=assistant]')[k];
    return m && m.dataset.state !== 'streaming';
  }, { timeout }, i);
  return page.evaluate((k) => {
    const m = document.querySelectorAll('.msg.assistant[data-role=assistant]')[k];
    const d = m.querySelector('details.reasoning');
    return { state: m.dataset.state, mode: m.dataset.mode, source: m.dataset.modeSource, rule: m.dataset.rule,
             badge: m.querySelector('.mode-badge').textContent, content: m.querySelector('.content').textContent,
             reasoning: m.querySelector('.reasoning-text').textContent, reasoningHidden: d.hidden, open: d.open,
             promptTokens: Number(m.dataset.promptTokens || -1), usage: m.querySelector('.usage').textContent,
             error: m.querySelector('.error')?.textContent || '' };
  }, i);
}

test('GET / serves the page with a strict CSP, ETag revalidation and typed assets', { skip }, async () => {
  const r = await fetch(server.url + '/');
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8');
  const csp = r.headers.get('content-security-policy');
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self';/);  // no 'unsafe-inline', no 'unsafe-eval' for scripts
  assert.match(csp, /frame-ancestors 'none'/);
  const html = await r.text();
  assert.doesNotMatch(html, /<script>|<script [^>]*>[^<]/, 'no inline script in the page');
  const etag = r.headers.get('etag');
  assert.match(etag, /^"[0-9a-f]{32}"$/);
  const again = await fetch(server.url + '/', { headers: { 'If-None-Match': etag } });
  assert.equal(again.status, 304);
  assert.equal((await again.text()).length, 0);
  const js = await fetch(server.url + '/ui/app.js');
  assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal((await fetch(server.url + '/ui/app.css')).headers.get('content-type'), 'text/css; charset=utf-8');
  const none = await fetch(server.url + '/ui/missing.js');
  assert.equal(none.status, 404);
  assert.equal((await none.json()).error.code, 'not_found');
  // The page is public even with --api-key (it asks for the key); the API is not.
  assert.equal((await fetch(keyServer.url + '/')).status, 200);
  assert.equal((await fetch(keyServer.url + '/v1/models')).status, 401);
});

test('send streams the answer, reports the mode, and the metrics panel counts it', { skip }, async () => {
  const page = await openUi(server.url);
  await page.waitForSelector('body[data-ready="1"]');
  assert.equal(await page.$eval('#model', (s) => s.value), 'vl');
  const i = await send(page, 'Say hello.', { mode: 'instruct', maxTokens: 120 });
  // Streamed: text is on screen while the bubble is still streaming.
  await page.waitForFunction((k) => {
    const m = document.querySelectorAll('.msg.assistant[data-role=assistant]')[k];
    return m.dataset.state === 'streaming' && m.querySelector('.content').textContent.length > 0;
  }, { timeout: 30000 }, i);
  const partial = await page.evaluate((k) =>
    document.querySelectorAll('.msg.assistant[data-role=assistant]')[k].querySelector('.content').textContent, i);
  const r = await waitDone(page, i);
  assert.equal(r.state, 'done', r.error);
  assert.ok(r.content.startsWith(partial) && r.content.length > partial.length,
    `final answer (${r.content.length} chars) extends what was shown mid-stream (${partial.length})`);
  assert.equal(r.mode, 'instruct');
  assert.equal(r.source, 'header');
  assert.match(r.badge, /^instruct · header/);
  assert.match(r.usage, /\d+ prompt \(\d+ cached\) · 120 completion/);
  await page.waitForFunction(() => {
    const dd = document.querySelector('#metrics dd[data-metric="Requests"]');
    return dd && Number(dd.textContent) >= 1;
  }, { timeout: 10000 });
  await shot(page, '01-streamed-answer');
  assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('auto mode shows the router rule that fired', { skip }, async () => {
  const page = await openUi(server.url);
  await page.waitForSelector('body[data-ready="1"]');
  const i = await send(page, 'Why is the sky blue?', { mode: 'auto', maxTokens: 8 });
  const r = await waitDone(page, i);
  assert.equal(r.state, 'done', r.error);
  // What the API says for the same request is what the page shows.
  const api = await postJson(server.url + '/v1/chat/completions', {
    model: 'vl', max_tokens: 1, messages: [{ role: 'user', content: 'Why is the sky blue?' }],
  }, { 'X-Reasoning-Mode': 'auto' });
  const want = api.json.reasoning_mode;
  assert.equal(want.source, 'router');
  assert.equal(r.source, 'router');
  assert.equal(r.mode, want.mode);
  assert.equal(r.rule, want.rule);
  assert.ok(want.rule, 'the router names its rule');
  assert.ok(r.badge.includes(`rule ${want.rule}`), r.badge);
  await shot(page, '02-auto-router-rule');
  await page.close();
});

test('thinking mode: reasoning streams into a collapsed block that toggles open', { skip }, async () => {
  const page = await openUi(server.url);
  await page.waitForSelector('body[data-ready="1"]');
  const i = await send(page, 'Think about it.', { mode: 'thinking', maxTokens: 40 });
  const r = await waitDone(page, i);
  assert.equal(r.state, 'done', r.error);
  assert.equal(r.mode, 'thinking');
  assert.ok(r.reasoning.length > 0, 'reasoning text arrived');
  assert.equal(r.reasoningHidden, false);
  assert.equal(r.open, false, 'collapsed at first');
  const summary = await page.evaluateHandle((k) =>
    document.querySelectorAll('.msg.assistant[data-role=assistant]')[k].querySelector('details.reasoning summary'), i);
  const isOpen = () => summary.evaluate((s) => s.parentElement.open);
  await summary.click();
  assert.equal(await isOpen(), true);
  await shot(page, '03-reasoning-open');
  await summary.click();
  assert.equal(await isOpen(), false);
  await page.close();
});

test('stop ends the stream mid-answer and the server cancels the generation', { skip }, async () => {
  const page = await openUi(server.url);
  await page.waitForSelector('body[data-ready="1"]');
  const i = await send(page, 'Write a very long story.', { mode: 'instruct', maxTokens: 1500 });
  await page.waitForFunction((k) =>
    document.querySelectorAll('.msg.assistant[data-role=assistant]')[k].querySelector('.content').textContent.length > 0,
  { timeout: 30000 }, i);
  await page.click('#stop');
  const r = await waitDone(page, i, 10000);
  assert.equal(r.state, 'stopped');
  assert.equal(r.usage, 'stopped');
  const shown = r.content.length;
  // The server notices the closed connection and frees the sequence.
  const t0 = Date.now();
  for (;;) {
    const m = await metrics(server.url);
    if (m.qvl_requests_running === 0) break;
    assert.ok(Date.now() - t0 < 10000, 'generation still running 10 s after Stop');
    await new Promise((res) => setTimeout(res, 100));
  }
  await new Promise((res) => setTimeout(res, 300));
  const later = await waitDone(page, i);
  assert.equal(later.content.length, shown, 'no text arrives after Stop');
  assert.equal(await page.$eval('#send', (b) => b.disabled), false);
  assert.equal(await page.$eval('#stop', (b) => b.disabled), true);
  await shot(page, '04-stopped');
  await page.close();
});

test('an uploaded image reaches the model; paste and drop attach files too', { skip }, async () => {
  const page = await openUi(server.url);
  await page.waitForSelector('body[data-ready="1"]');
  const question = 'What is in this picture?';
  const textOnly = await postJson(server.url + '/v1/chat/completions', {
    model: 'vl', max_tokens: 1, messages: [{ role: 'user', content: question }],
  }, { 'X-Reasoning-Mode': 'instruct' });
  const input = await page.$('#attach');
  await input.uploadFile(pngFile('upload.png', 64, 64, 200));
  await page.waitForFunction(() => document.querySelectorAll('#attachments .att').length === 1);
  const i = await send(page, question, { mode: 'instruct', maxTokens: 4 });
  const r = await waitDone(page, i);
  assert.equal(r.state, 'done', r.error);
  // The image's vision tokens are in the prompt the server counted.
  assert.ok(r.promptTokens > textOnly.json.usage.prompt_tokens + 4,
    `prompt tokens with the image ${r.promptTokens} vs text only ${textOnly.json.usage.prompt_tokens}`);
  assert.equal(await page.$$eval('#attachments .att', (l) => l.length), 0, 'sent attachments are cleared');
  await shot(page, '05-image-upload');

  // Paste and drag-and-drop go through the same attachment path.
  const b64 = pngDataUrl(8, 8).split(',')[1];
  await page.evaluate((data) => {
    const file = (name) => new File([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))], name, { type: 'image/png' });
    const pasted = new DataTransfer();
    pasted.items.add(file('pasted.png'));
    document.querySelector('#prompt').dispatchEvent(new ClipboardEvent('paste', { clipboardData: pasted, bubbles: true, cancelable: true }));
    const dropped = new DataTransfer();
    dropped.items.add(file('dropped.png'));
    document.querySelector('#composer').dispatchEvent(new DragEvent('drop', { dataTransfer: dropped, bubbles: true, cancelable: true }));
  }, b64);
  await page.waitForFunction(() => document.querySelectorAll('#attachments .att').length === 2);
  assert.deepEqual(await page.$$eval('#attachments .att img', (l) => l.map((e) => e.title)), ['pasted.png', 'dropped.png']);
  await page.close();
});

test('a video is sent as a video_url part; a server refusal shows its message', { skip }, async () => {
  const page = await openUi(server.url);
  await page.waitForSelector('body[data-ready="1"]');
  const bodies = [];
  page.on('request', (r) => { if (r.url().endsWith('/v1/chat/completions')) bodies.push(r.postData()); });
  const f = path.join(tmp, 'clip.mp4');
  fs.writeFileSync(f, Buffer.from('not really an mp4 file'));
  await (await page.$('#attach')).uploadFile(f);
  await page.waitForFunction(() => document.querySelectorAll('#attachments .att video').length === 1);
  const i = await send(page, 'What happens in the video?', { mode: 'instruct', maxTokens: 4 });
  const r = await waitDone(page, i);
  const sent = JSON.parse(bodies[0]);
  const part = sent.messages[0].content.find((p) => p.type === 'video_url');
  assert.match(part.video_url.url, /^data:video\/mp4;base64,/);
  // Not a decodable video: the server answers 400 and the page shows its message.
  assert.equal(r.state, 'error');
  assert.match(r.error, /^400: /);
  await shot(page, '06-video-refused');
  await page.close();
});

// The script and the handler each post a message to the parent if they ever run.
const HOSTILE = '<!doctype html><html><head><title>t</title><style>h1{color:#c00}</style></head><body>' +
  '<h1 id="h">Hello preview</h1><script>parent.postMessage("script-ran","*")</script>' +
  '<img src="data:," onerror="parent.postMessage(\'handler-ran\',\'*\')"></body></html>';

// Loads `doc` into a frame the way `how` says and returns the messages the page got
// from it within 500 ms of its load event.
//   ui: the UI's own path (source box -> Render -> #preview, sandboxed, CSP srcdoc)
//   plain: a new iframe with no sandbox; scripts: a new iframe with sandbox="allow-scripts"
function messagesFromFrame(page, how, doc) {
  return page.evaluate(async (how, doc) => {
    const got = [];
    window.addEventListener('message', (e) => got.push(e.data));
    let frame;
    if (how === 'ui') {
      frame = document.querySelector('#preview');
      document.querySelector('#html-source').value = doc;
    } else {
      frame = document.createElement('iframe');
      if (how === 'scripts') frame.sandbox = 'allow-scripts';
    }
    const loaded = new Promise((res) => frame.addEventListener('load', res, { once: true }));
    if (how === 'ui') document.querySelector('#render').click();
    else {
      frame.srcdoc = doc;
      document.body.append(frame);
    }
    await loaded;
    await new Promise((res) => setTimeout(res, 500));
    return got;
  }, how, doc);
}

test('the HTML preview never runs a script; the same HTML does run where the locks are off', { skip }, async () => {
  const page = await openUi(server.url);
  await page.waitForSelector('body[data-ready="1"]');
  const ran = await messagesFromFrame(page, 'ui', HOSTILE);
  assert.deepEqual(ran, [], 'nothing in the preview ran');
  const frameInfo = await page.$eval('#preview', (f) => ({ sandbox: f.getAttribute('sandbox'), srcdoc: f.srcdoc }));
  assert.equal(frameInfo.sandbox, '');
  assert.match(frameInfo.srcdoc, /^<!doctype html><meta http-equiv="Content-Security-Policy" content="default-src 'none'/);
  // It did render (the heading is there), it just did not run.
  const preview = page.frames().find((fr) => fr.parentFrame() === page.mainFrame());
  assert.equal(await preview.$eval('#h', (h) => h.textContent), 'Hello preview');
  await shot(page, '07-preview-sandboxed');
  await page.close();

  // Positive controls on a page of our own with no CSP: the same HTML, locks removed one at a time.
  const blank = await browser.newPage();
  await blank.goto('about:blank');
  assert.deepEqual((await messagesFromFrame(blank, 'plain', HOSTILE)).sort(), ['handler-ran', 'script-ran'],
    'no sandbox, no CSP: the script runs');
  assert.deepEqual((await messagesFromFrame(blank, 'scripts', HOSTILE)).sort(), ['handler-ran', 'script-ran'],
    'sandbox with allow-scripts, no CSP: it runs');
  // The preview's own CSP alone (scripts allowed by the sandbox) still stops it: the two locks are independent.
  const { previewDocument } = await import('../../web/html_preview.js');
  assert.deepEqual(await messagesFromFrame(blank, 'scripts', previewDocument(HOSTILE)), [],
    'the srcdoc CSP alone blocks the script');
  await blank.close();
});

test('an answer from the chat loads into the preview', { skip }, async () => {
  const page = await openUi(server.url);
  await page.waitForSelector('body[data-ready="1"]');
  const i = await send(page, 'Write a page.', { mode: 'instruct', maxTokens: 6 });
  const r = await waitDone(page, i);
  assert.equal(r.state, 'done', r.error);
  const btn = await page.evaluateHandle((k) =>
    document.querySelectorAll('.msg.assistant[data-role=assistant]')[k].querySelector('.preview-answer'), i);
  await btn.click();
  assert.equal(await page.$eval('#html-source', (t) => t.value), r.content);
  assert.match(await page.$eval('#preview', (f) => f.srcdoc), /Content-Security-Policy/);
  await page.close();
});

test('Generate HTML posts the screenshot to /v1/generate/html and shows the answer or the error', { skip }, async () => {
  const page = await openUi(server.url);
  await page.waitForSelector('body[data-ready="1"]');
  const shotFile = pngFile('screen.png', 200, 100, 40);
  await (await page.$('#shot')).uploadFile(shotFile);
  await page.waitForFunction(() => !document.querySelector('#shot-view').hidden);
  const direct = await postJson(server.url + '/v1/generate/html',
    { image: pngDataUrl(200, 100, 40), text: 'page', max_tokens: 64 });
  await setField(page, '#max-tokens', 64);
  await page.click('#gen-html');
  if (direct.status === 200) {  // the endpoint exists in this build
    await page.waitForFunction(() => document.querySelector('#html-source').value.length > 0, { timeout: 120000 });
    assert.match(await page.$eval('#preview', (f) => f.srcdoc), /Content-Security-Policy/);
  } else {
    await page.waitForFunction(() => !document.querySelector('#panel-error').hidden);
    const msg = await page.$eval('#panel-error', (e) => e.textContent);
    assert.equal(msg, `/v1/generate/html: ${direct.status}: ${direct.json.error.message}`);
  }
  await shot(page, '08-generate-html');
  await page.close();
});

test('a GUI action is drawn as a marker at its pixel coordinates on the screenshot', { skip }, async () => {
  const page = await openUi(server.url);
  await page.waitForSelector('body[data-ready="1"]');
  await (await page.$('#shot')).uploadFile(pngFile('phone.png', 200, 100, 90));
  await page.waitForFunction(() => document.querySelector('#shot-img').naturalWidth === 200);
  // The real endpoint, on the instruct checkpoint (the one with the vision tower here):
  // its coordinates are in the screenshot's pixels; the page must draw what it got.
  await page.select('#mode', 'instruct');
  await page.click('#ask-action');
  await page.waitForFunction(() => !document.querySelector('#marker').hidden, { timeout: 120000 });
  const shown = JSON.parse(await page.$eval('#action-json', (e) => e.textContent));
  assert.ok(shown.action && Array.isArray(shown.coordinates), `the endpoint answered an action: ${JSON.stringify(shown)}`);
  const want = shown.coordinates;
  const pos = await page.evaluate(() => {
    const img = document.querySelector('#shot-img').getBoundingClientRect();
    const m = document.querySelector('#marker').getBoundingClientRect();
    return { x: (m.left + m.width / 2 - img.left) / img.width, y: (m.top + m.height / 2 - img.top) / img.height };
  });
  assert.ok(Math.abs(pos.x - want[0] / 200) < 0.02 && Math.abs(pos.y - want[1] / 100) < 0.02,
    `marker centre at ${JSON.stringify(pos)} of the image, action at ${want}`);
  await shot(page, '09-gui-action-marker');
  await page.close();
});

test('a server with --api-key: the page asks for the key and then uses it', { skip }, async () => {
  const page = await openUi(keyServer.url);
  await page.waitForFunction(() => !document.querySelector('#key-dialog').hidden);
  assert.match(await page.$eval('#key-reason', (e) => e.textContent), /401/);
  await shot(page, '10-key-dialog');
  await page.type('#key-input', 'sesame');
  await page.click('#key-save');
  await page.waitForSelector('body[data-ready="1"]');
  assert.equal(await page.$eval('#model', (s) => s.value), 'locked');
  const i = await send(page, 'hello', { mode: 'auto', maxTokens: 4 });
  const r = await waitDone(page, i);
  assert.equal(r.state, 'done', r.error);
  await page.close();
});

test('--no-webui: / and /ui/* answer 404 with a JSON error', async () => {
  const { hybridModel } = await import('./serve_helpers.mjs');
  const srv = await startServer(['--model', hybridModel(), '--ctx', '256', '--no-webui']);
  try {
    for (const p of ['/', '/ui/app.js']) {
      const r = await fetch(srv.url + p);
      assert.equal(r.status, 404, p);
      assert.match((await r.json()).error.message, /--no-webui/);
    }
    assert.equal((await fetch(srv.url + '/health')).status, 200);
  } finally {
    await srv.stop();
  }
});
