#!/usr/bin/env node
// Teacher-forced log-probabilities from llama.cpp (node-llama-cpp, CPU): every
// position of each token sequence evaluated in one batch (controlledEvaluate), the
// counterpart of `qvl score`. It compares nothing itself.
//
// usage: node tools/ref/llamacpp_score.mjs --model M.gguf --jsonl IN.jsonl [--threads 2]
//   IN: {"tokens": [ids...], "ids": [[ids...] per position]} per line.
//   OUT per line: {"variant", "positions": [{"lse", "argmax", "margin"?, "logprobs": [...]}]}
//   position p: the distribution after tokens[0..p]; lse = log-sum-exp of the logits;
//   logprobs = ln p of ids[p]; variant = the ggml CPU build loaded (libggml-cpu-<variant>.so).
// Run through tools/ref/llamacpp_variant.mjs referenceCommand() to force a variant.
import fs from "node:fs";
import process from "node:process";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import { loadedVariant } from "./llamacpp_variant.mjs";

function fail(msg) {
  process.stderr.write(`llamacpp_score: ${msg}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const opt = { threads: 2 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => (i + 1 < argv.length ? argv[++i] : fail(`${a} needs a value`));
    if (a === "--model") opt.model = next();
    else if (a === "--jsonl") opt.jsonl = next();
    else if (a === "--threads") opt.threads = Number(next());
    else fail(`unknown argument '${a}'`);
  }
  if (!opt.model || !opt.jsonl) fail("--model and --jsonl are required");
  return opt;
}

async function main() {
  const opt = parseArgs(process.argv.slice(2));
  const lines = fs.readFileSync(opt.jsonl, "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
  const longest = Math.max(...lines.map((l) => l.tokens.length));
  const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: opt.model, gpuLayers: 0 });
  const context = await model.createContext({
    contextSize: longest + 8, batchSize: longest, sequences: 1, threads: opt.threads,
  });
  const variant = loadedVariant();
  const sequence = context.getSequence();
  for (const line of lines) {
    await sequence.clearHistory();
    const input = line.tokens.map((t, p) => [t, {
      generateNext: { logits: { filter: { tokens: line.ids?.[p] ?? [], includeMax: true } }, totalLogitWeight: true },
    }]);
    const res = await sequence.controlledEvaluate(input);
    const positions = line.tokens.map((_, p) => {
      const next = res[p]?.next;
      if (!next?.logits || next.totalLogitWeight == null) fail(`no logits for position ${p}`);
      const [argmax, max] = next.logits.entries().next().value;
      const lse = max + Math.log(next.totalLogitWeight);
      return { lse, argmax, logprobs: (line.ids?.[p] ?? []).map((id) => next.logits.get(id) - lse) };
    });
    process.stdout.write(JSON.stringify({ variant, positions }) + "\n");
  }
  await context.dispose();
  await model.dispose();
  await llama.dispose();
}

main().catch((e) => fail(e?.stack ?? String(e)));
