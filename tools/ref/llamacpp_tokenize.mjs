#!/usr/bin/env node
// Reference tokenisation with llama.cpp (node-llama-cpp, vocabulary only): GGUF +
// strings -> token ids, special tokens such as <|im_start|> parsed as single ids.
// For the tokenizer's parity tests; it loads no weights and compares nothing.
//
// usage: node tools/ref/llamacpp_tokenize.mjs --model M.gguf (--strings S.json | --text "...")
//          [--no-special] [--detokenize]
// S.json: a JSON list of strings. Output: one JSON list of id lists on stdout, in
// input order (with --detokenize, a list of {"ids":[...],"text":"..."} round trips).
import fs from "node:fs";
import process from "node:process";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";

function fail(msg) {
  process.stderr.write(`llamacpp_tokenize: ${msg}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const opt = { special: true, detokenize: false, texts: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) fail(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--model") opt.model = next();
    else if (a === "--strings") opt.strings = next();
    else if (a === "--text") opt.texts.push(next());
    else if (a === "--no-special") opt.special = false;
    else if (a === "--detokenize") opt.detokenize = true;
    else fail(`unknown argument '${a}'`);
  }
  if (!opt.model) fail("--model is required");
  if (opt.strings) {
    let list;
    try {
      list = JSON.parse(fs.readFileSync(opt.strings, "utf8"));
    } catch (e) {
      fail(`${opt.strings}: ${e.message}`);
    }
    if (!Array.isArray(list) || !list.every((s) => typeof s === "string"))
      fail(`${opt.strings}: expected a JSON list of strings`);
    opt.texts.push(...list);
  }
  if (opt.texts.length === 0) fail("give --strings FILE or --text TEXT");
  return opt;
}

async function main() {
  const opt = parseArgs(process.argv.slice(2));
  const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: opt.model, gpuLayers: 0, vocabOnly: true });
  const out = opt.texts.map((text) => {
    const ids = Array.from(model.tokenize(text, opt.special));
    return opt.detokenize ? { ids, text: model.detokenize(ids, opt.special) } : ids;
  });
  process.stdout.write(JSON.stringify(out) + "\n");
  await model.dispose();
  await llama.dispose();
}

main().catch((e) => fail(e?.message ?? String(e)));
