// Accuracy cost of the Q8_0 KV cache (`--kv-type q8_0`) on random-weight test models,
// measured as tests/parity/text_parity.test.mjs measures qvl against llama.cpp: each
// sequence is teacher-forced through the high-precision reference decoder
// (build/bin/ref_logits) and through `qvl score` with an F16 and with a Q8_0 cache.
// At every position, err = max |logprob − reference| over the reference's top-16
// tokens. Asserted per case:
//   - q8_0's mean and p90 error stay within BOUND (about 3× what was measured,
//     docs/decisions/0014-kv-q8_0.md has the table);
//   - greedy: wherever the reference's top-1/top-2 margin exceeds twice q8_0's 99th-
//     percentile error (MoE: 90th, its router near-ties make errors heavy-tailed),
//     q8_0's top-1 is the reference's (dense: no flips; MoE, where a router near-tie
//     flips either cache: at most 2× the f16 cache's flips + 3% of the positions);
//   - the option took effect: the q8_0 logits are not the f16 ones.
// Sequences are long enough (70–200 tokens) to cross several 32-token KV blocks and
// end in partial ones. The diagnostics print the numbers for the table.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const qvl = process.env.QVL_BIN ?? path.join(root, "build/bin/qvl");
const refLogits = path.join(path.dirname(qvl), "ref_logits");
const REF_TOP = 16;

// bound: q8_0 mean / p90 error ceilings, ~3× the values measured on 2026-12-03
// (AVX-512 EPYC; decision 0014 has the table with the f16-KV baseline).
const CASES = [
  { arch: "qwen3", quant: "f16", bound: { mean: 0.25, p90: 0.35 } },        // measured 0.085 / 0.116
  { arch: "qwen3", quant: "q8_0", bound: { mean: 0.6, p90: 0.8 } },         // measured 0.191 / 0.258
  { arch: "qwen3moe", quant: "q8_0", bound: { mean: 1.8, p90: 2.0 } },      // measured 0.609 / 0.660
  { arch: "qwen3vl", quant: "f16", bound: { mean: 0.27, p90: 0.38 } },      // measured 0.091 / 0.125
];

const PARTS = [
  "The capital of France is Paris, and the capital of Italy is",
  "def fibonacci(n):\n    if n < 2:\n        return n\n    return fibonacci(n - 1) + fibonacci(n - 2)\n",
  "今天天气很好，我们去公园散步吧。",
  "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n<think>\nSimple.\n</think>\n\nFour.",
  "SELECT name, age FROM users WHERE age > 30 ORDER BY name;",
  "Once upon a time, in a land far away, there lived a fox who loved to read.",
  "{\"name\": \"qvl\", \"version\": 1, \"tags\": [\"cpu\", \"server\"]}",
  "Привет, как дела? Я думаю, что завтра будет дождь.",
];
// Eight sequences of 3..8 parts: a spread of lengths over block boundaries.
const SEQUENCES = PARTS.map((_, i) => Array.from({ length: 3 + i % 6 }, (_, k) => PARTS[(i + k) % PARTS.length]).join(" "));

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`${path.basename(cmd)} ${args.join(" ")} failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
}
const jsonLines = (text) => text.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const positionErrors = (impl, ref) => impl.flatMap((line, s) => line.positions.map((p, i) =>
  Math.max(...p.logprobs.map((lp, k) => Math.abs(lp - ref[s].positions[i].top[k][1])))));

const haveQvl = fs.existsSync(qvl) && fs.existsSync(refLogits);
// QVL_KV_CASES="qwen3 f16,qwen3vl f16" runs only those cases (by hand; the others are
// reported as skipped, by name).
const only = process.env.QVL_KV_CASES?.split(",").map((x) => x.trim());
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "qvl-kvq8-"));
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));

for (const c of CASES) {
  const name = `${c.arch} ${c.quant}`;
  if (only && !only.includes(name)) {
    test(name, { skip: `not in QVL_KV_CASES=${process.env.QVL_KV_CASES}` }, () => {});
    continue;
  }
  test(`${name}: a q8_0 KV cache stays within its documented error bound and keeps confident greedy choices`,
    { timeout: 600_000 }, (t) => {
      assert.ok(haveQvl, `no qvl or ref_logits binary next to ${qvl} (build first)`);
      const model = path.join(tmp, `${c.arch}-${c.quant}.gguf`);
      run(qvl, ["make-test-model", "--arch", c.arch, "--shape", "tiny", "--format", "gguf", "--quant", c.quant,
        "--seed", "7", "--out", model]);
      const seqs = SEQUENCES.map((s) => run(qvl, ["tokenize", "--model", model, s]).trim().split(/\s+/).map(Number));
      const refIn = path.join(tmp, `${name}.ref.jsonl`.replace(" ", "-"));
      fs.writeFileSync(refIn, seqs.map((tokens) => JSON.stringify({ tokens })).join("\n") + "\n");
      const ref = jsonLines(run(refLogits, [model, refIn, String(REF_TOP)]));
      const scoreIn = refIn.replace(".ref.", ".score.");
      fs.writeFileSync(scoreIn, seqs.map((tokens, s) =>
        JSON.stringify({ tokens, ids: ref[s].positions.map((p) => p.top.map(([id]) => id)) })).join("\n") + "\n");
      const score = (kv) => jsonLines(run(qvl, ["score", "--model", model, "--jsonl", scoreIn, "--threads", "2",
        "--kv-type", kv]));
      const f16 = score("f16"), q8 = score("q8_0");
      assert.equal(q8[0].kv_type, "q8_0");
      const ef = positionErrors(f16, ref), eq = positionErrors(q8, ref);
      const refPos = ref.flatMap((l) => l.positions);
      const fPos = f16.flatMap((l) => l.positions), qPos = q8.flatMap((l) => l.positions);
      const agree = (pos) => pos.filter((p, i) => p.argmax === refPos[i].argmax).length / refPos.length;
      const same = qPos.filter((p, i) => p.argmax === fPos[i].argmax).length / refPos.length;
      const moe = c.arch.includes("moe");
      const margin = 2 * quantile(eq, moe ? 0.9 : 0.99);
      const confident = refPos.map((r, i) => i).filter((i) => refPos[i].margin > margin);
      const flips = confident.filter((i) => qPos[i].argmax !== refPos[i].argmax);
      const flipsF16 = confident.filter((i) => fPos[i].argmax !== refPos[i].argmax);
      const f = (x) => x.toFixed(5);
      t.diagnostic(`${name} [${q8[0].isa}]: ${ef.length} positions in ${seqs.length} sequences ` +
        `(${Math.min(...seqs.map((s) => s.length))}-${Math.max(...seqs.map((s) => s.length))} tokens); ` +
        `top-${REF_TOP} |Δ logprob| vs reference mean/p90/max: f16 KV ${f(mean(ef))}/${f(quantile(ef, 0.9))}/` +
        `${f(Math.max(...ef))}, q8_0 KV ${f(mean(eq))}/${f(quantile(eq, 0.9))}/${f(Math.max(...eq))}; ` +
        `greedy = reference: f16 ${(100 * agree(fPos)).toFixed(1)}%, q8_0 ${(100 * agree(qPos)).toFixed(1)}%; ` +
        `q8_0 top-1 = f16 top-1 ${(100 * same).toFixed(1)}%; confident positions ${confident.length} ` +
        `(margin > ${f(margin)}), flips q8_0 ${flips.length}, f16 ${flipsF16.length}`);
      assert.ok(eq.some((e, i) => e !== ef[i]), "q8_0 scored exactly as f16: the KV type did not take effect");
      assert.ok(mean(eq) <= c.bound.mean, `q8_0 mean error ${mean(eq)} > bound ${c.bound.mean}`);
      assert.ok(quantile(eq, 0.9) <= c.bound.p90, `q8_0 p90 error ${quantile(eq, 0.9)} > bound ${c.bound.p90}`);
      assert.ok(confident.length >= (moe ? 10 : refPos.length / 5), `only ${confident.length} confident positions`);
      if (!moe) assert.deepEqual(flips, [], "q8_0 top-1 differs from the reference at confident positions");
      else assert.ok(flips.length <= 2 * flipsF16.length + Math.ceil(0.03 * confident.length),
        `MoE: q8_0 flips at ${flips.length} confident positions, f16 at ${flipsF16.length}`);
    });
}
