// End-to-end: video parts through `qvl serve --mmproj` (random-weight Qwen3-VL):
// a video file as a data: URL (an uncompressed AVI written here) and fetched
// over http(s) when allow-listed, a frame list of images, per-part fps and pixel
// budgets, usage counting the video tokens and timestamp text, and bad videos as
// 400s that leave the server serving. Also `qvl run --video FILE`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { QVL_BIN, visionModels, pngDataUrl, startServer, postJson } from './serve_helpers.mjs';

// An AVI of `frames` solid-colour w x h frames, uncompressed 24-bit BGR (FFmpeg's rawvideo).
function aviBytes(w, h, frames, fps, tint = 0) {
  const rowBytes = Math.ceil((w * 3) / 4) * 4;
  const frameBytes = rowBytes * h;
  const u32 = (v) => { const b = Buffer.alloc(4); b.writeUInt32LE(v >>> 0); return b; };
  const u16 = (v) => { const b = Buffer.alloc(2); b.writeUInt16LE(v); return b; };
  const chunk = (id, data) => Buffer.concat([Buffer.from(id, 'ascii'), u32(data.length), data,
    Buffer.alloc(data.length % 2)]);
  const list = (type, parts) => chunk('LIST', Buffer.concat([Buffer.from(type, 'ascii'), ...parts]));
  const avih = Buffer.concat([u32(Math.round(1e6 / fps)), u32(frameBytes * fps), u32(0), u32(0x10), u32(frames),
    u32(0), u32(1), u32(frameBytes), u32(w), u32(h), Buffer.alloc(16)]);
  const strh = Buffer.concat([Buffer.from('vidsDIB ', 'ascii'), u32(0), u16(0), u16(0), u32(0), u32(1), u32(fps),
    u32(0), u32(frames), u32(frameBytes), u32(0xffffffff), u32(0), u16(0), u16(0), u16(w), u16(h)]);
  const strf = Buffer.concat([u32(40), u32(w), u32(h), u16(1), u16(24), u32(0), u32(frameBytes), u32(0), u32(0),
    u32(0), u32(0)]);
  const hdrl = list('hdrl', [chunk('avih', avih), list('strl', [chunk('strh', strh), chunk('strf', strf)])]);
  const pics = [];
  for (let k = 0; k < frames; k++) {
    const px = Buffer.alloc(frameBytes);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) px.set([(k * 40 + tint) & 255, (x * 4) & 255, (y * 4 + tint) & 255], y * rowBytes + x * 3);
    pics.push(chunk('00db', px));
  }
  const movi = list('movi', pics);
  const idx = [];
  let offset = 4;  // from the 'movi' fourcc
  for (const p of pics) {
    idx.push(Buffer.from('00db', 'ascii'), u32(0x10), u32(offset), u32(frameBytes));
    offset += p.length;
  }
  const body = Buffer.concat([Buffer.from('AVI ', 'ascii'), hdrl, movi, chunk('idx1', Buffer.concat(idx))]);
  return Buffer.concat([Buffer.from('RIFF', 'ascii'), u32(body.length), body]);
}

// A w x h 24-bit BMP as a data: URL, its colours shifted by `tint`.
function bmpDataUrl(w, h, tint) {
  const rowBytes = Math.ceil((w * 3) / 4) * 4;
  const b = Buffer.alloc(54 + rowBytes * h);
  b.write('BM', 0, 'ascii');
  b.writeUInt32LE(b.length, 2);
  b.writeUInt32LE(54, 10);
  b.writeUInt32LE(40, 14);
  b.writeInt32LE(w, 18);
  b.writeInt32LE(h, 22);
  b.writeUInt16LE(1, 26);
  b.writeUInt16LE(24, 28);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) b.set([(x * 4 + tint) & 255, (y * 4) & 255, tint & 255], 54 + y * rowBytes + x * 3);
  return 'data:image/bmp;base64,' + b.toString('base64');
}

const aviUrl = (buf) => 'data:video/x-msvideo;base64,' + buf.toString('base64');
const withVideo = (part, text = 'What happens?') => [{ role: 'user', content: [part, { type: 'text', text }] }];

let srv, web, webUrl;
// 8 frames at 4 fps = 2 s: HF samples int(8 / 4 * 2) = 4 frames, linspace(0, 7, 4) -> 0, 2, 5, 7.
const clip = aviBytes(64, 64, 8, 4);
before(async () => {
  const m = visionModels();
  web = http.createServer((req, res) => {
    if (req.url === '/clip.avi') return res.writeHead(200, { 'Content-Type': 'video/x-msvideo' }).end(clip);
    res.writeHead(404).end('no');
  });
  await new Promise((r) => web.listen(0, '127.0.0.1', r));
  webUrl = `http://127.0.0.1:${web.address().port}`;
  srv = await startServer(['--model', m.model, '--mmproj', m.mmproj, '--name', 'vl', '--ctx', '1024',
    '--allow-image-urls', '127.0.0.1', '--allow-private-image-urls']);
});
after(async () => {
  await srv?.stop();
  web?.closeAllConnections?.();
  web?.close();
});

const chat = (messages, extra = {}) => postJson(srv.url + '/v1/chat/completions',
  { model: 'vl', max_tokens: 1, temperature: 0, messages, ...extra });
const tokenCount = async (text) => {
  const r = await postJson(srv.url + '/tokenize', { content: text });
  assert.equal(r.status, 200, r.text);
  return r.json.tokens.length;
};

// Tokens a video adds over the same text without it: per temporal patch, its
// timestamp text, <|vision_start|>, the pads and <|vision_end|>.
async function expectedExtra(timestamps, padsPerPatch) {
  let n = 0;
  for (const t of timestamps) n += (await tokenCount(`<${t} seconds>`)) + 2 + padsPerPatch;
  return n;
}

test('a video file as a data: URL becomes timestamped video tokens', async () => {
  const textOnly = await chat([{ role: 'user', content: 'What happens?' }]);
  assert.equal(textOnly.status, 200, textOnly.text);
  const r = await chat(withVideo({ type: 'video_url', video_url: { url: aviUrl(clip) } }));
  assert.equal(r.status, 200, r.text);
  // 4 frames of 64x64 fit the budget as they are: 2 temporal patches of 4x4 patches = 4 merged tokens each.
  // Timestamps: (0 + 2) / 4 / 2 = 0.25 -> "0.2" (Python's round-half-even formatting), (5 + 7) / 4 / 2 = 1.5.
  assert.equal(r.json.usage.prompt_tokens_details.video_tokens, 8);
  assert.equal(r.json.usage.prompt_tokens_details.image_tokens, 0);
  assert.equal(r.json.usage.prompt_tokens - textOnly.json.usage.prompt_tokens,
    await expectedExtra(['0.2', '1.5'], 4));
  // Same bytes again (the encoder cache answers) give the same prompt.
  const again = await chat(withVideo({ type: 'video_url', video_url: { url: aviUrl(clip) } }));
  assert.equal(again.json.usage.prompt_tokens, r.json.usage.prompt_tokens);
});

test('the video content reaches the model: other pixels or another frame order, other log-probs', async () => {
  const firstTop = async (part) => {
    const r = await chat(withVideo(part), { logprobs: true, top_logprobs: 5 });
    assert.equal(r.status, 200, r.text);
    return JSON.stringify(r.json.choices[0].logprobs.content[0].top_logprobs);
  };
  const a = await firstTop({ type: 'video_url', video_url: { url: aviUrl(clip) } });
  assert.equal(await firstTop({ type: 'video_url', video_url: { url: aviUrl(clip) } }), a);  // deterministic
  assert.notEqual(await firstTop({ type: 'video_url', video_url: { url: aviUrl(aviBytes(64, 64, 8, 4, 100)) } }), a);
  // A frame list of distinct frames: forwards and backwards differ.
  const distinct = [0, 60, 120, 180].map((tint) => bmpDataUrl(64, 64, tint));
  const fwd = await firstTop({ type: 'video', video: distinct });
  const back = await firstTop({ type: 'video', video: [...distinct].reverse() });
  assert.notEqual(fwd, back);
});

test('per-part fps and pixel budgets change the sampling and the tokens', async () => {
  // fps 1: int(8 / 4 * 1) = 2 -> min_frames 4 still applies, so the same 4 frames.
  const slow = await chat(withVideo({ type: 'video_url', video_url: { url: aviUrl(clip) }, fps: 1 }));
  assert.equal(slow.status, 200, slow.text);
  assert.equal(slow.json.usage.prompt_tokens_details.video_tokens, 8);
  assert.equal(slow.json.usage.prompt_tokens_details.image_tokens, 0);
  // fps 4 on a 4 fps clip: every frame, 8 frames -> 4 temporal patches.
  const fast = await chat(withVideo({ type: 'video_url', video_url: { url: aviUrl(clip), fps: 4 } }));
  assert.equal(fast.status, 200, fast.text);
  assert.equal(fast.json.usage.prompt_tokens_details.video_tokens, 16);
  assert.equal(fast.json.usage.prompt_tokens_details.image_tokens, 0);
  // max_pixels per frame 1024 over 4 frames caps the clip at 4096 pixels: 32x32 frames, 1 token per patch.
  const small = await chat(withVideo({ type: 'video_url', video_url: { url: aviUrl(clip) }, max_pixels: 1024 }));
  assert.equal(small.status, 200, small.text);
  assert.equal(small.json.usage.prompt_tokens_details.video_tokens, 2);
  assert.equal(small.json.usage.prompt_tokens_details.image_tokens, 0);
  // total_pixels caps the whole clip the same way.
  const total = await chat(withVideo({ type: 'video_url', video_url: { url: aviUrl(clip), total_pixels: 4096 } }));
  assert.equal(total.json.usage.prompt_tokens_details.video_tokens, 2);
  assert.equal(total.json.usage.prompt_tokens_details.image_tokens, 0);
});

test('a frame list is a video at its fps (default 2)', async () => {
  const frames = [pngDataUrl(64, 64), pngDataUrl(64, 64), pngDataUrl(64, 64), pngDataUrl(64, 64)];
  const textOnly = await chat([{ role: 'user', content: 'What happens?' }]);
  const r = await chat(withVideo({ type: 'video', video: frames }));
  assert.equal(r.status, 200, r.text);
  // 4 frames at 2 fps, all sampled: timestamps (0 + 0.5) / 2 = 0.25 -> "0.2", (1 + 1.5) / 2 = 1.25 -> "1.2".
  assert.equal(r.json.usage.prompt_tokens_details.video_tokens, 8);
  assert.equal(r.json.usage.prompt_tokens_details.image_tokens, 0);
  assert.equal(r.json.usage.prompt_tokens - textOnly.json.usage.prompt_tokens,
    await expectedExtra(['0.2', '1.2'], 4));
  // The same list at 1 fps: timestamps double ("0.5" and "2.5").
  const slow = await chat(withVideo({ type: 'video', video: frames, fps: 1 }));
  assert.equal(slow.json.usage.prompt_tokens - textOnly.json.usage.prompt_tokens,
    await expectedExtra(['0.5', '2.5'], 4));
  // A video next to an image in one message.
  const both = await chat([{ role: 'user', content: [{ type: 'image_url', image_url: { url: pngDataUrl(64, 64) } },
    { type: 'video', video: frames }, { type: 'text', text: 'Compare.' }] }]);
  assert.equal(both.status, 200, both.text);
  assert.equal(both.json.usage.prompt_tokens_details.image_tokens, 64);
  assert.equal(both.json.usage.prompt_tokens_details.video_tokens, 8);
});

test('an allow-listed http(s) video URL is fetched like an image', async () => {
  const viaData = await chat(withVideo({ type: 'video_url', video_url: { url: aviUrl(clip) } }));
  const viaHttp = await chat(withVideo({ type: 'video_url', video_url: { url: webUrl + '/clip.avi' } }));
  assert.equal(viaHttp.status, 200, viaHttp.text);
  assert.equal(viaHttp.json.usage.prompt_tokens, viaData.json.usage.prompt_tokens);
  const missing = await chat(withVideo({ type: 'video_url', video_url: { url: webUrl + '/none.avi' } }));
  assert.equal(missing.status, 400);
  assert.match(missing.json.error.message, /cannot fetch the video URL: .*HTTP 404/);
});

test('bad videos are 400s with a clear message and the server keeps serving', async () => {
  const png = Buffer.from(pngDataUrl(16, 16).split(',')[1], 'base64');
  const cases = [
    [{ type: 'video_url', video_url: { url: 'data:video/mp4;base64,' + png.toString('base64') } }, /png image, not a video/],
    [{ type: 'video_url', video_url: { url: 'data:video/mp4;base64,' + Buffer.from('hello world').toString('base64') } },
      /not a recognised video container/],
    [{ type: 'video_url', video_url: { url: aviUrl(clip.subarray(0, 300)) } }, /cannot use video 1/],
    [{ type: 'video_url', video_url: { url: 'data:video/mp4;base64,' } }, /empty/],
    [{ type: 'video_url', video_url: {} }, /needs video_url.url/],
    [{ type: 'video', video: [] }, /1 to 768 images/],
    [{ type: 'video', video: [pngDataUrl(16, 16), 'data:image/png;base64,aGVsbG8='] }, /cannot use video 1/],
    [{ type: 'video', video: [pngDataUrl(64, 64), pngDataUrl(32, 32)] }, /differ in size/],
    [{ type: 'video_url', video_url: { url: aviUrl(clip) }, fps: 0 }, /fps must be a number/],
    [{ type: 'video_url', video_url: { url: aviUrl(clip) }, min_pixels: 9000, max_pixels: 100 }, /exceeds max_pixels/],
  ];
  for (const [part, why] of cases) {
    const r = await chat(withVideo(part));
    assert.equal(r.status, 400, `${JSON.stringify(part).slice(0, 120)}: ${r.text}`);
    assert.equal(r.json.error.type, 'invalid_request_error', r.text);
    assert.match(r.json.error.message, why, r.text);
  }
  const ok = await chat(withVideo({ type: 'video_url', video_url: { url: aviUrl(clip) } }));
  assert.equal(ok.status, 200, ok.text);
});

test('qvl run --video FILE: sampled, encoded and placed; a bad file is a one-line error', () => {
  const m = visionModels();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qvl-video-run-'));
  try {
    const good = path.join(dir, 'clip.avi'), bad = path.join(dir, 'bad.avi');
    fs.writeFileSync(good, clip);
    fs.writeFileSync(bad, clip.subarray(0, 100));
    const run = (file) => spawnSync(QVL_BIN, ['run', '--model', m.model, '--mmproj', m.mmproj, '--video', file,
      '--chat', '--prompt', 'What happens?', '-n', '2', '--ids'], { encoding: 'utf8', timeout: 60000 });
    const ok = run(good);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stderr, /rawvideo 64x64, 8 frames at 4 fps; 4 sampled/);
    assert.match(ok.stderr, /1 video\(s\), 8 image tokens/);
    assert.equal(ok.stdout.trim().split(/\s+/).length, 2);
    const r = run(bad);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /error: cannot open the video: the avi header is truncated or corrupt/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
