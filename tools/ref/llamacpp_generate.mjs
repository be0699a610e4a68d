#!/usr/bin/env node
// Reference generation with llama.cpp (node-llama-cpp, CPU only): for each prompt,
// N greedy tokens plus the top-k log-probabilities of the first generated token.
// Used by parity tests against qvl; it does not compare anything itself.
//
// usage: node tools/ref/llamacpp_generate.mjs --model M.gguf --prompts P.json
//          [--n 16] [--threads 2] [--top 5] [--ctx 0] [--stop-at-eog] [--all-steps]
//          [--kv-type F16] [--flash-attention] [--first-probs-only] [--batch-size B]
// --first-probs-only: probabilities for the first generated token only, then plain
// greedy decoding (the full-vocabulary probability map costs ~50 ms per token).
// P.json: a JSON list whose items are token-id arrays or strings (strings are
// tokenised with special tokens parsed, no BOS added by us).
// Output: one JSON line per prompt:
//   {"prompt_index":0,"n_prompt":12,"tokens":[...],"top_logprobs":[{"id":..,"logprob":..},...]}
// (with --all-steps also "steps": [[{"id","logprob"}...] per generated token]).
import fs from "node:fs";
import process from "node:process";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";

function parseArgs(argv) {
  const opt = { n: 16, threads: 2, top: 5, ctx: 0, stopAtEog: false, allSteps: false, kvType: "F16", flash: false, firstProbsOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) fail(`${a} needs a value`);
      return argv[++i];
    };
    const int = (v) => {
      const x = Number(v);
      if (!Number.isInteger(x) || x < 0) fail(`${a} needs a non-negative integer, got '${v}'`);
      return x;
    };
    if (a === "--model") opt.model = next();
    else if (a === "--prompts") opt.prompts = next();
    else if (a === "--n") opt.n = int(next());
    else if (a === "--threads") opt.threads = int(next());
    else if (a === "--top") opt.top = int(next());
    else if (a === "--ctx") opt.ctx = int(next());
    else if (a === "--kv-type") opt.kvType = next();
    else if (a === "--stop-at-eog") opt.stopAtEog = true;
    else if (a === "--all-steps") opt.allSteps = true;
    else if (a === "--flash-attention") opt.flash = true;
    else if (a === "--first-probs-only") opt.firstProbsOnly = true;
    else if (a === "--batch-size") opt.batchSize = int(next());
    else if (a === "-h" || a === "--help") {
      process.stdout.write(fs.readFileSync(new URL(import.meta.url)).toString().split("\n").slice(1, 16).join("\n") + "\n");
      process.exit(0);
    } else fail(`unknown argument '${a}'`);
  }
  if (!opt.model || !opt.prompts) fail("--model and --prompts are required (see --help)");
  return opt;
}

function fail(msg) {
  process.stderr.write(`llamacpp_generate: ${msg}\n`);
  process.exit(2);
}

function loadPrompts(path) {
  let list;
  try {
    list = JSON.parse(fs.readFileSync(path, "utf8"));
  } catch (e) {
    fail(`${path}: ${e.message}`);
  }
  if (!Array.isArray(list)) fail(`${path}: expected a JSON list of prompts`);
  list.forEach((p, i) => {
    const ok = typeof p === "string" || (Array.isArray(p) && p.length > 0 && p.every((t) => Number.isInteger(t) && t >= 0));
    if (!ok) fail(`${path}: prompt ${i} must be a string or a non-empty array of token ids`);
  });
  return list;
}

// Probabilities come back as a Map sorted best first (softmax over the full
// vocabulary: with temperature 0 the sampler chain is greedy only, nothing is cut).
function topLogprobs(probabilities, k) {
  const out = [];
  for (const [id, p] of probabilities) {
    if (out.length >= k) break;
    out.push({ id, logprob: Math.log(p) });
  }
  return out;
}

async function main() {
  const opt = parseArgs(process.argv.slice(2));
  const prompts = loadPrompts(opt.prompts);
  const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: opt.model, gpuLayers: 0 });
  const tokenized = prompts.map((p) => (typeof p === "string" ? model.tokenize(p, true) : p));
  tokenized.forEach((t, i) => {
    if (t.length === 0) fail(`prompt ${i} tokenises to nothing`);
  });
  const longest = Math.max(...tokenized.map((t) => t.length));
  const context = await model.createContext({
    contextSize: opt.ctx || longest + opt.n + 8,
    // --batch-size 1 makes llama.cpp evaluate the prompt one token at a time.
    batchSize: opt.batchSize || Math.max(longest, 32),
    sequences: 1,
    threads: opt.threads,
    flashAttention: opt.flash,
    experimentalKvCacheKeyType: opt.kvType,
    experimentalKvCacheValueType: opt.kvType,
  });
  const sequence = context.getSequence();
  for (let i = 0; i < tokenized.length; i++) {
    await sequence.clearHistory();
    const tokens = [];
    const steps = [];
    if (opt.n > 0) {
      const firstOnly = opt.firstProbsOnly && !opt.allSteps;
      const gen = sequence.evaluateWithMetadata(tokenized[i], { probabilities: true }, {
        temperature: 0,
        yieldEogToken: true,
      });
      for await (const out of gen) {
        tokens.push(out.token);
        steps.push(topLogprobs(out.probabilities, opt.top));
        if (firstOnly || tokens.length >= opt.n || (opt.stopAtEog && model.isEogToken(out.token))) break;
      }
      const last = tokens[tokens.length - 1];
      if (firstOnly && tokens.length < opt.n && !(opt.stopAtEog && model.isEogToken(last))) {
        // Continue the same sequence from the first token, without probabilities.
        const rest = sequence.evaluateWithMetadata([last], {}, { temperature: 0, yieldEogToken: true });
        for await (const out of rest) {
          tokens.push(out.token);
          if (tokens.length >= opt.n || (opt.stopAtEog && model.isEogToken(out.token))) break;
        }
      }
    }
    const line = { prompt_index: i, n_prompt: tokenized[i].length, tokens, top_logprobs: steps[0] ?? [] };
    if (typeof prompts[i] === "string") line.prompt_tokens = tokenized[i];
    if (opt.allSteps) line.steps = steps;
    process.stdout.write(JSON.stringify(line) + "\n");
  }
  await context.dispose();
  await model.dispose();
  await llama.dispose();
}

main().catch((e) => fail(e?.message ?? String(e)));
