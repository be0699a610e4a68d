// Shared helpers for the `qvl serve` end-to-end tests: build the random-weight
// test models once (cached under the OS temp dir), start the real binary on a
// free port, wait for /health, and stop it. Uses only node built-ins.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

export const QVL_BIN = process.env.QVL_BIN || path.resolve('build/bin/qvl');
// Keyed by the binary, so a rebuilt qvl (maybe writing different test models) starts
// afresh; kept under this checkout's .cache/, so test runs of other checkouts (other
// worktrees on the same machine) never delete each other's models.
const binStat = fs.statSync(QVL_BIN);
const MODEL_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../.cache/e2e-models');
const MODEL_DIR = path.join(MODEL_ROOT, `${Math.floor(binStat.mtimeMs)}-${binStat.size}`);
if (fs.existsSync(MODEL_ROOT))
  for (const d of fs.readdirSync(MODEL_ROOT))
    if (path.join(MODEL_ROOT, d) !== MODEL_DIR) fs.rmSync(path.join(MODEL_ROOT, d), { recursive: true, force: true });

function makeModel(file, args) {
  fs.mkdirSync(MODEL_DIR, { recursive: true });
  const out = path.join(MODEL_DIR, file);
  if (!fs.existsSync(out)) {
    const tmp = out + '.tmp' + process.pid;
    execFileSync(QVL_BIN, ['make-test-model', ...args, '--out', tmp], { stdio: ['ignore', 'ignore', 'inherit'] });
    fs.renameSync(tmp, out);
  }
  return out;
}

// A Qwen3 hybrid text model (the mode sets enable_thinking).
export function hybridModel() {
  return makeModel('qwen3-tiny-hybrid.gguf',
    ['--arch', 'qwen3', '--shape', 'tiny', '--format', 'gguf', '--template', 'hybrid', '--seed', '1']);
}

// A Qwen3-VL instruct + thinking pair (the mode picks the weights).
export function pairModels() {
  return {
    instruct: makeModel('qwen3vl-tiny-instruct.gguf',
      ['--arch', 'qwen3vl', '--shape', 'tiny', '--format', 'gguf', '--template', 'instruct', '--seed', '2']),
    thinking: makeModel('qwen3vl-tiny-thinking.gguf',
      ['--arch', 'qwen3vl', '--shape', 'tiny', '--format', 'gguf', '--template', 'thinking', '--seed', '3']),
  };
}

// A Qwen3-VL instruct model with its vision mmproj (for image requests).
export function visionModels() {
  const mmproj = path.join(MODEL_DIR, 'qwen3vl-tiny-mmproj.gguf');
  const model = makeModel('qwen3vl-tiny-instruct-v.gguf',
    ['--arch', 'qwen3vl', '--shape', 'tiny', '--format', 'gguf', '--template', 'instruct', '--seed', '4',
      '--mmproj-out', mmproj]);
  return { model, mmproj };
}

// A Qwen3-VL model and mmproj whose chat template is text-only (Qwen3's): it
// cannot render list content, so the server joins the parts itself.
export function textTemplateVisionModels() {
  const mmproj = path.join(MODEL_DIR, 'qwen3vl-tiny-mmproj-tt.gguf');
  const model = makeModel('qwen3vl-tiny-text-template.gguf',
    ['--arch', 'qwen3vl', '--shape', 'tiny', '--format', 'gguf', '--template', 'hybrid', '--seed', '5',
      '--mmproj-out', mmproj]);
  return { model, mmproj };
}

// A data: URL of a w x h RGB PNG with a colour gradient (zlib-compressed rows, filter 0).
export function pngDataUrl(w, h, blue = 128) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const c = Buffer.alloc(4); c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; ihdr[9] = 2;  // 8-bit RGB
  const raw = Buffer.alloc(h * (1 + 3 * w));
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const o = y * (1 + 3 * w) + 1 + 3 * x;
      raw[o] = (x * 255) / w; raw[o + 1] = (y * 255) / h; raw[o + 2] = blue;
    }
  const png = Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
  return 'data:image/png;base64,' + png.toString('base64');
}

// Starts `qvl serve ARGS --port 0`; resolves to {url, proc, log(), stop()} once /health is 200.
// env: extra environment variables for the server process.
export async function startServer(args, { timeoutMs = 60000, env = {} } = {}) {
  const proc = spawn(QVL_BIN, ['serve', '--port', '0', '--threads', '2', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env },
  });
  let log = '';
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('qvl serve did not start:\n' + log)), timeoutMs);
    proc.stderr.on('data', (d) => {
      log += d.toString();
      const m = log.match(/listening on http:\/\/[^:]+:(\d+)/);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`qvl serve exited (${code}):\n${log}`)); });
  });
  const url = `http://127.0.0.1:${port}`;
  const t0 = Date.now();
  for (;;) {
    const r = await fetch(url + '/health').catch(() => null);
    if (r && r.status === 200) break;
    if (Date.now() - t0 > timeoutMs) throw new Error('server never became ready:\n' + log);
    await new Promise((res) => setTimeout(res, 100));
  }
  return {
    url,
    proc,
    log: () => log,
    stop: () => new Promise((res) => {
      if (proc.exitCode !== null) return res(proc.exitCode);
      proc.on('exit', (code) => res(code));
      proc.kill('SIGTERM');
    }),
  };
}

export async function postJson(url, body, headers = {}) {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
  });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, headers: r.headers, json, text };
}

// Token id of a text that is exactly one token (via /tokenize).
export async function tokenId(url, text, headers = {}) {
  const r = await postJson(url + '/tokenize', { content: text }, headers);
  if (r.status !== 200 || r.json.tokens.length !== 1) throw new Error(`'${text}' is not one token: ${r.text}`);
  return r.json.tokens[0];
}

// GET /metrics as {"name{labels}": value} (Prometheus text, comments skipped).
export async function metrics(url) {
  const out = {};
  for (const line of (await (await fetch(url + '/metrics')).text()).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    out[line.slice(0, sp)] = Number(line.slice(sp + 1));
  }
  return out;
}

// A Qwen3-VL instruct + thinking pair, each with its vision mmproj, so one
// deployment serves images in both modes (the test models' hybrid template takes
// text only). In a fresh temporary folder: the caller removes `dir`.
export function visionPair() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qvl-vision-pair-'));
  const make = (template, seed) => {
    const model = path.join(dir, `vl-${template}.gguf`);
    const mmproj = path.join(dir, `vl-${template}-mmproj.gguf`);
    execFileSync(QVL_BIN, ['make-test-model', '--arch', 'qwen3vl', '--shape', 'tiny', '--format', 'gguf',
      '--template', template, '--seed', String(seed), '--mmproj-out', mmproj, '--out', model],
    { stdio: ['ignore', 'ignore', 'inherit'] });
    return { model, mmproj };
  };
  return { dir, instruct: make('instruct', 7), thinking: make('thinking', 8) };
}
