#!/usr/bin/env node
// Reference multimodal generation with llama.cpp's mtmd (npm @fugood/llama.node,
// CPU): one prompt with images, greedy tokens. Used by tests/parity/vision*.test.mjs;
// it compares nothing itself.
//
// usage: node tools/ref/llamanode_mtmd.mjs --model M.gguf --mmproj P.gguf
//          --prompt TEXT (each "<__media__>" takes the next --image) --image F [--image F ...]
//          [--n 32] [--threads 2] [--ctx 4096]
// Output (stdout, one JSON line):
//   {"n_prompt": N, "prompt_tokens": [...], "pieces": ["..", ...], "text": "..."}
// n_prompt counts the image tokens as llama.cpp's mtmd lays them out.
import process from "node:process";
import { loadModel } from "@fugood/llama.node";

function fail(msg) {
  process.stderr.write(`llamanode_mtmd: ${msg}\n`);
  process.exit(2);
}

const opt = { images: [], n: 32, threads: 2, ctx: 4096 };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const next = () => (i + 1 < argv.length ? argv[++i] : fail(`${a} needs a value`));
  if (a === "--model") opt.model = next();
  else if (a === "--mmproj") opt.mmproj = next();
  else if (a === "--prompt") opt.prompt = next();
  else if (a === "--image") opt.images.push(next());
  else if (a === "--n") opt.n = Number(next());
  else if (a === "--threads") opt.threads = Number(next());
  else if (a === "--ctx") opt.ctx = Number(next());
  else fail(`unknown argument '${a}'`);
}
if (!opt.model || !opt.mmproj || opt.prompt === undefined) fail("--model, --mmproj and --prompt are required");

const ctx = await loadModel({
  model: opt.model,
  n_ctx: opt.ctx,
  n_batch: 2048,
  n_threads: opt.threads,
  n_gpu_layers: 0,
  use_mmap: true,
  ctx_shift: false,
});
try {
  if (!(await ctx.initMultimodal({ path: opt.mmproj, use_gpu: false }))) fail(`cannot load mmproj ${opt.mmproj}`);
  const tok = await ctx.tokenize(opt.prompt, { media_paths: opt.images });
  const pieces = [];
  const res = await ctx.completion(
    {
      prompt: opt.prompt,
      media_paths: opt.images,
      n_predict: opt.n,
      temperature: 0,
      top_k: 1,
      seed: 0,
      ignore_eos: true,
    },
    (t) => pieces.push(t.token),
  );
  process.stdout.write(
    JSON.stringify({
      n_prompt: res.tokens_evaluated,
      prompt_tokens: Array.from(tok.tokens),
      chunk_pos: tok.chunk_pos,
      chunk_pos_media: tok.chunk_pos_media,
      pieces,
      text: res.text,
    }) + "\n",
  );
} finally {
  await ctx.release();
}
