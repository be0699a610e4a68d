// End-to-end: image parts through `qvl serve --mmproj` (random-weight Qwen3-VL
// + vision tower): the image expands into vision tokens in the prompt, the
// model advertises the image modality, the router's has-image rule fires, and
// bad images are 400s that leave the server serving. http(s) image URLs: fetched
// from a local HTTP server only when allow-listed, private addresses explicitly
// allowed; redirects, oversize, slow, non-200 and non-http answers refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import OpenAI from 'openai';
import { visionModels, pngDataUrl, startServer, postJson } from './serve_helpers.mjs';

let srv, client, srvFetch, web, webUrl;
before(async () => {
  const m = visionModels();
  const png = Buffer.from(pngDataUrl(64, 64).split(',')[1], 'base64');
  web = http.createServer((req, res) => {
    if (req.url === '/img.png') return res.writeHead(200, { 'Content-Type': 'image/png' }).end(png);
    if (req.url === '/redirect') return res.writeHead(302, { Location: '/img.png' }).end();
    if (req.url === '/big') return res.writeHead(200).end(Buffer.alloc(1536 * 1024, 7));
    if (req.url === '/slow') return setTimeout(() => res.writeHead(200).end(png), 2500);
    res.writeHead(404).end('no');
  });
  await new Promise((r) => web.listen(0, '127.0.0.1', r));
  webUrl = `http://127.0.0.1:${web.address().port}`;
  const base = ['--model', m.model, '--mmproj', m.mmproj, '--name', 'vl', '--ctx', '1024'];
  // srv allow-lists the loopback host but not private addresses: fetches must be refused.
  [srv, srvFetch] = await Promise.all([startServer([...base, '--allow-image-urls', '127.0.0.1,localhost']),
    startServer([...base, '--allow-image-urls', '127.0.0.1', '--allow-private-image-urls',
      '--image-url-max-mb', '1', '--image-url-timeout-s', '1'])]);
  client = new OpenAI({ baseURL: srv.url + '/v1', apiKey: 'unused', maxRetries: 0 });
});
after(async () => {
  await Promise.all([srv?.stop(), srvFetch?.stop()]);
  web?.closeAllConnections?.();
  web?.close();
});

const withImage = (text, url) => [{ role: 'user', content: [
  { type: 'image_url', image_url: { url } }, { type: 'text', text }] }];

test('an image becomes vision tokens and the request succeeds', async () => {
  const models = [];
  for await (const m of client.models.list()) models.push(m);
  assert.deepEqual(models.find((m) => m.id === 'vl').input_modalities, ['text', 'image', 'video']);
  const textOnly = await client.chat.completions.create({ model: 'vl', max_tokens: 2, temperature: 0,
    messages: [{ role: 'user', content: 'Describe this.' }] });
  const r = await client.chat.completions.create({ model: 'vl', max_tokens: 2, temperature: 0,
    messages: withImage('Describe this.', pngDataUrl(64, 64)) });
  assert.equal(r.choices.length, 1);
  // 64x64 is scaled up to the 65536-pixel minimum: 256x256 -> 16x16 patches -> 64 merged tokens,
  // plus the vision start/end markers.
  assert.equal(r.usage.prompt_tokens - textOnly.usage.prompt_tokens, 64 + 2);
  assert.equal(r.usage.prompt_tokens_details.image_tokens, 64);
  assert.equal(textOnly.usage.prompt_tokens_details.image_tokens, 0);
});

test('the image content reaches the model: other pixels, other log-probs; the same pixels, the same', async () => {
  const firstTop = async (url) => {
    const r = await client.chat.completions.create({ model: 'vl', max_tokens: 1, temperature: 0, logprobs: true,
      top_logprobs: 5, messages: withImage('Describe this.', url) });
    return JSON.stringify(r.choices[0].logprobs.content[0].top_logprobs);
  };
  const a = await firstTop(pngDataUrl(64, 64, 128));
  assert.equal(await firstTop(pngDataUrl(64, 64, 128)), a, 'deterministic at temperature 0');
  assert.notEqual(await firstTop(pngDataUrl(64, 64, 20)), a, 'another blue channel changes the answer');
  assert.notEqual(await firstTop(pngDataUrl(64, 32, 128)), a, 'another size changes the answer');
});

test('per-request pixel budgets: min_pixels / max_pixels (body and part) and detail', async () => {
  const imageTokens = async (body, parts = {}, url = pngDataUrl(64, 64)) => {
    const r = await postJson(srv.url + '/v1/chat/completions', { model: 'vl', max_tokens: 1, temperature: 0,
      messages: [{ role: 'user', content: [{ type: 'image_url', ...parts, image_url: { url, ...(parts.inner || {}) } },
        { type: 'text', text: 'hi' }] }], ...body });
    assert.equal(r.status, 200, r.text);
    return r.json.usage.prompt_tokens_details.image_tokens;
  };
  // 64x64 under a 16384-pixel cap: the minimum shrinks with it, 128x128 -> 4x4 merged tokens.
  assert.equal(await imageTokens({ max_pixels: 16384 }), 16);
  assert.equal(await imageTokens({}, { inner: { max_pixels: 16384 } }), 16);
  assert.equal(await imageTokens({ max_pixels: 16384 }, { max_pixels: 65536 }), 64);  // the part wins
  // A request may not exceed the server's budget; raising min_pixels grows a small image.
  assert.equal(await imageTokens({ min_pixels: 147456 }), 144);  // 384x384 -> 12x12
  // detail low caps at 512x512 pixels = 256 tokens; high keeps the server budget.
  const big = pngDataUrl(768, 768);
  assert.equal(await imageTokens({}, { inner: { detail: 'low' } }, big), 256);
  assert.equal(await imageTokens({}, { inner: { detail: 'high' } }, big), 576);
  for (const [body, parts, param] of [[{ max_pixels: -1 }, {}, 'body.max_pixels'],
    [{ min_pixels: 'many' }, {}, 'body.min_pixels'],
    [{}, { inner: { detail: 'ultra' } }, 'messages[0].content[0].image_url.detail'],
    [{ min_pixels: 70000, max_pixels: 60000 }, {}, 'messages[0].content[0]']]) {
    const r = await postJson(srv.url + '/v1/chat/completions', { model: 'vl', max_tokens: 1,
      messages: [{ role: 'user', content: [{ type: 'image_url', ...parts, image_url: { url: pngDataUrl(8, 8),
        ...(parts.inner || {}) } }] }], ...body });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.error.param, param, r.text);
  }
});

test('the router sees the image: tap/click on a screenshot is a GUI-agent task', async () => {
  const r = await client.chat.completions.create({ model: 'vl', max_tokens: 1, temperature: 0,
    messages: withImage('Tap the settings icon on this screen', pngDataUrl(32, 32)) });
  // A lone instruct checkpoint runs instruct whatever the router says, and says so.
  assert.equal(r.reasoning_mode.rule, 'gui-agent');
  assert.equal(r.reasoning_mode.mode, 'instruct');
  assert.match(r.reasoning_mode.note, /only instruct/);
});

test('bad images are 400s and the server keeps serving', async () => {
  for (const url of ['https://example.com/cat.png', 'data:image/png;base64,@@@@', 'data:image/png;base64,aGVsbG8=']) {
    const r = await postJson(srv.url + '/v1/chat/completions',
      { model: 'vl', max_tokens: 1, messages: withImage('hi', url) });
    assert.equal(r.status, 400, `${url}: ${r.text}`);
    assert.ok(r.json.error.message);
  }
  const ok = await client.chat.completions.create({ model: 'vl', max_tokens: 1,
    messages: withImage('hi', pngDataUrl(32, 32)) });
  assert.equal(ok.choices.length, 1);
});

test('http(s) image URLs: allow-list, private addresses, redirects, size, time-out', async () => {
  const ask = (server, url) => postJson(server.url + '/v1/chat/completions',
    { model: 'vl', max_tokens: 1, temperature: 0, messages: withImage('Describe this.', url) });
  const ok = await ask(srvFetch, webUrl + '/img.png');
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.usage.prompt_tokens_details.image_tokens, 64);
  const viaData = await ask(srvFetch, pngDataUrl(64, 64));
  assert.equal(ok.json.usage.prompt_tokens, viaData.json.usage.prompt_tokens);
  const cases = [
    [srv, webUrl + '/img.png', /private, loopback or link-local/],
    [srv, `http://localhost:${web.address().port}/img.png`, /private, loopback or link-local/],
    [srvFetch, 'http://example.com/img.png', /not on this server's --allow-image-urls list/],
    [srvFetch, 'ftp://127.0.0.1/img.png', /only http and https/],
    [srvFetch, webUrl + '/redirect', /redirect \(302\)/],
    [srvFetch, webUrl + '/big', /larger than 1048576 bytes/],
    [srvFetch, webUrl + '/slow', /timed out/],
    [srvFetch, webUrl + '/missing', /HTTP 404/],
  ];
  for (const [server, url, why] of cases) {
    const r = await ask(server, url);
    assert.equal(r.status, 400, `${url}: ${r.text}`);
    assert.match(r.json.error.message, why, url);
  }
  const again = await ask(srvFetch, webUrl + '/img.png');
  assert.equal(again.status, 200);
});
