// Grammar masks side by side with llama.cpp's grammar engine, on the same GBNF
// text and the same token strings. Every grammar of bench/grammar-corpus.mjs is
// turned into one GBNF grammar that both engines load: GBNF as is, a choice
// list as alternatives, a JSON Schema through node-llama-cpp's schema-to-GBNF
// converter (so qvl runs llama.cpp's grammar for it, not its own schema
// compiler); the regex has no GBNF counterpart here and is left out.
// qvl: `qvl grammar --timings` (a full mask over the vocabulary before each token
// and after the last; its caches start cold for each line). llama.cpp:
// bench/llamacpp/grammar_timer.cpp (llama_sampler_apply of the grammar sampler
// to a candidate array of the whole vocabulary, same points), compiled here
// against a llama.cpp build (bench/build-llamacpp.sh). Both pinned to one core.
// usage: node bench/grammar-vs-llamacpp.mjs [QVL_BIN] [REPEATS]
//   env LLAMA_CPP_SRC, LLAMA_CPP_BUILD (default .cache/llama.cpp-src, .cache/llama.cpp-build)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { work } from './grammar-corpus.mjs';
import { writeVocabGguf, vocabFromHfJson } from '../tests/data/tokenizer/refs.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const qvl = process.argv[2] ?? path.join(root, 'build/bin/qvl');
const repeats = Number(process.argv[3] ?? 5);
const src = process.env.LLAMA_CPP_SRC ?? path.join(root, '.cache/llama.cpp-src');
const build = process.env.LLAMA_CPP_BUILD ?? path.join(root, '.cache/llama.cpp-build');

const exe = path.join(root, '.cache/llamacpp_grammar_bench');
fs.mkdirSync(path.dirname(exe), { recursive: true });
const cc = spawnSync('g++', ['-O2', '-std=c++17', `-I${src}/include`, `-I${src}/ggml/include`,
  path.join(root, 'bench/llamacpp/grammar_timer.cpp'), `-L${build}/bin`, '-lllama', '-lggml', '-lggml-base',
  `-Wl,-rpath,${build}/bin`, '-o', exe], { encoding: 'utf8' });
if (cc.status !== 0) { console.error(cc.stderr); process.exit(1); }

const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
const cases = [];
for (const w of work) {
  let gbnf;
  if (w.gbnf) gbnf = w.gbnf;
  else if (w.choice) gbnf = 'root ::= ' + w.choice.map((c) => JSON.stringify(c)).join(' | ') + '\n';
  else if (w.json_schema) {
    try { gbnf = (await llama.createGrammarForJsonSchema(w.json_schema)).grammar; } catch (e) {
      console.error(`${w.name}: node-llama-cpp cannot convert it (${e.message}); left out`);
      continue;
    }
  } else { console.error(`${w.name}: no GBNF counterpart; left out`); continue; }
  // node-llama-cpp's schema grammars take compact JSON only: the text is reserialised without spaces.
  const text = w.json_schema ? JSON.stringify(JSON.parse(w.text)) : w.text;
  cases.push({ name: w.name + (w.json_schema ? ' (node-llama-cpp GBNF, compact text)' : ''), gbnf, text });
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qvl-gvs-'));
const vocab = path.join(dir, 'vocab.gguf');
writeVocabGguf(vocab, vocabFromHfJson());
cases.forEach((c, i) => { fs.writeFileSync(path.join(dir, `${i}.gbnf`), c.gbnf); fs.writeFileSync(path.join(dir, `${i}.txt`), c.text); });
const lines = [];
for (let r = 0; r < repeats; r++) cases.forEach((c, i) => lines.push(JSON.stringify({ id: i, gbnf: c.gbnf, text: c.text })));
fs.writeFileSync(path.join(dir, 'in.jsonl'), lines.join('\n') + '\n');

const ours = spawnSync('taskset', ['-c', '0', qvl, 'grammar', '--model', vocab, '--jsonl', path.join(dir, 'in.jsonl'), '--timings'],
  { encoding: 'utf8', maxBuffer: 1 << 28 });
if (ours.status !== 0) { console.error(ours.stderr); process.exit(1); }
const q = ours.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
const theirsRun = spawnSync('taskset', ['-c', '0', exe, vocab, dir, String(cases.length), String(repeats)],
  { encoding: 'utf8', maxBuffer: 1 << 28 });
if (theirsRun.status !== 0) { console.error(theirsRun.stderr); process.exit(1); }
const l = theirsRun.stdout.trimEnd().split('\n').map((line) => {
  const [id, status, at, compile, ...m] = line.split(' ');
  return { id: Number(id), status, at_token: Number(at), compile_us: Number(compile), mask_us: m.map(Number) };
});

const pct = (a, p) => { const s = [...a].sort((x, y) => x - y); return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : NaN; };
const f = (x) => (x >= 100 ? Math.round(x) : Math.round(x * 10) / 10);
const st = (r) => r.status + (r.status === 'rejected' ? ` at ${r.at_token}` : '');
console.log(`vocabulary ${vocabFromHfJson().tokens.length} tokens; ${repeats} repeats; load average ${os.loadavg()[0].toFixed(1)}; ${os.cpus()[0].model}`);
console.log('| grammar (GBNF) | tokens | status qvl / llama.cpp | compile p50 µs qvl / llama.cpp | mask p50 µs qvl / llama.cpp | mask p99 µs qvl / llama.cpp | mask max µs qvl / llama.cpp |');
console.log('|---|---|---|---|---|---|---|');
const allQ = [], allL = [];
cases.forEach((c, i) => {
  const a = q.filter((o) => o.id === i), b = l.filter((o) => o.id === i);
  const ma = a.flatMap((o) => o.mask_us), mb = b.flatMap((o) => o.mask_us);
  allQ.push(...ma); allL.push(...mb);
  console.log(`| ${c.name} | ${a[0].mask_us.length - 1} | ${st(a[0])} / ${st(b[0])} | ${f(pct(a.map((o) => o.compile_us), 0.5))} / ${f(pct(b.map((o) => o.compile_us), 0.5))} | ` +
    `${f(pct(ma, 0.5))} / ${f(pct(mb, 0.5))} | ${f(pct(ma, 0.99))} / ${f(pct(mb, 0.99))} | ${f(Math.max(...ma))} / ${f(Math.max(...mb))} |`);
});
console.log(`| **all** | ${allQ.length} / ${allL.length} masks | | | ${f(pct(allQ, 0.5))} / ${f(pct(allL, 0.5))} | ${f(pct(allQ, 0.99))} / ${f(pct(allL, 0.99))} | ${f(Math.max(...allQ))} / ${f(Math.max(...allL))} |`);
