#!/usr/bin/env node
// Reference multimodal generation with llama.cpp's mtmd (npm @fugood/llama.node,
// CPU): one prompt with images, greedy tokens. Used by tests/parity/vision*.test.mjs;
// it compares nothing itself.
//
// usage: node tools/ref/llamanode_mtmd.mjs --model M.gguf --mmproj P.gguf
//          --prompt TEXT (each "<__media__>" takes the next --image) --image F [--image F ...]
//          [--n 32] [--threads 2] [--ctx 4096]
//        node tools/ref/llamanode_mtmd.mjs --model M.gguf --mmproj P.gguf --jobs J.json
// J.json: [{"prompt": TEXT, "images": [F, ...], "n": 32}, ...], run in order in one
// process (the mmproj loads and warms up once).
// Output (stdout, one JSON line per job, after llama.cpp's own log lines):
//   {"job": i, "prompt_tokens": [...], "pieces": ["..", ...], "text": "..."}
// prompt_tokens has -1 for each rotary position an image takes (not per token);
// set MTMD_DEBUG_EMBEDDINGS=1 to get mtmd's "Shape: [n_embd, n_tokens]" on stderr.
import fs from "node:fs";
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
  else if (a === "--jobs") opt.jobs = next();
  else fail(`unknown argument '${a}'`);
}
if (!opt.model || !opt.mmproj || (opt.prompt === undefined) === (opt.jobs === undefined))
  fail("--model, --mmproj and one of --prompt / --jobs are required");
const jobs = opt.jobs
  ? JSON.parse(fs.readFileSync(opt.jobs, "utf8"))
  : [{ prompt: opt.prompt, images: opt.images, n: opt.n }];

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
  for (const [i, job] of jobs.entries()) {
    const tok = await ctx.tokenize(job.prompt, { media_paths: job.images });
    const pieces = [];
    const res = await ctx.completion(
      {
        prompt: job.prompt,
        media_paths: job.images,
        n_predict: job.n ?? opt.n,
        temperature: 0,
        top_k: 1,
        seed: 0,
        ignore_eos: true,
      },
      (t) => pieces.push(t.token),
    );
    process.stdout.write(
      JSON.stringify({ job: i, prompt_tokens: Array.from(tok.tokens), pieces, text: res.text }) + "\n",
    );
  }
} finally {
  await ctx.release();
}
