#!/usr/bin/env node
// Investigation tool: compares a qvl dump (QVL_DUMP_DIR) with a llama.cpp dump
// (tools/ref/llama_dump.cpp) of the same prompt, tensor by tensor, in graph order.
// Prints, per named tensor, the largest |difference| over the rows both sides hold
// (llama.cpp keeps only the last row after the last layer's attention) and the
// largest |value|, so the first op whose error jumps stands out.
// usage: node tools/ref/compare_dumps.mjs QVL_DIR LLAMA_DIR [--rows all|last]
import fs from "node:fs";
import path from "node:path";

const [qdir, ldir] = process.argv.slice(2);
if (!qdir || !ldir) {
  process.stderr.write("usage: compare_dumps.mjs QVL_DIR LLAMA_DIR\n");
  process.exit(2);
}

function readIndex(dir) {
  return fs.readFileSync(path.join(dir, "index.txt"), "utf8").split("\n").filter((l) => l.trim()).map((l) => {
    const f = l.split(" ");
    const ne = f.slice(-4).map(Number);
    const op = f[f.length - 5];
    const name = f.slice(1, f.length - 5).join(" ");
    return { file: path.join(dir, f[0]), name, op, cols: ne[0], rows: ne[1] * ne[2] * ne[3], ne };
  });
}

function load(t) {
  const b = fs.readFileSync(t.file);
  return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
}

// llama.cpp names: the ROPE outputs reuse "Qcur-l"/"Kcur-l"; the wo product is
// an unnamed MUL_MAT right after kqv_out-l. Map them to qvl's names.
const ref = new Map();
let afterKqv = null;
for (const t of readIndex(ldir)) {
  let key = t.name;
  if (t.op === "ROPE") key = t.name.replace(/^(Qcur|Kcur)-/, "$1_rope-");
  if (afterKqv !== null && t.op === "MUL_MAT") {
    key = `attn_out-${afterKqv}`;
    afterKqv = null;
  }
  const m = /^kqv_out-(\d+)$/.exec(t.name);
  if (m) afterKqv = m[1];
  if (["MUL_MAT", "MUL", "ADD", "ROPE", "SWIGLU", "CONT", "GET_ROWS"].includes(t.op) || key.startsWith("attn_out")) {
    if (!ref.has(key) || t.op !== "RESHAPE") ref.set(key, t);
  }
}

for (const q of readIndex(qdir)) {
  const r = ref.get(q.name);
  if (!r) {
    console.log(`${q.name.padEnd(16)} (no llama.cpp tensor)`);
    continue;
  }
  const cols = q.cols;
  if (r.cols * r.rows % cols !== 0) {
    console.log(`${q.name.padEnd(16)} shape mismatch qvl ${q.cols}x${q.rows} llama ${r.ne}`);
    continue;
  }
  const a = load(q), b = load(r);
  const rRows = (r.cols * r.rows) / cols;
  const n = Math.min(q.rows, rRows);
  let maxd = 0, maxv = 0, at = -1;
  for (let i = 0; i < n; i++) {
    const qa = (q.rows - n + i) * cols, ra = (rRows - n + i) * cols;
    for (let j = 0; j < cols; j++) {
      const d = Math.abs(a[qa + j] - b[ra + j]);
      if (d > maxd) [maxd, at] = [d, (q.rows - n + i) * cols + j];
      maxv = Math.max(maxv, Math.abs(b[ra + j]));
    }
  }
  console.log(`${q.name.padEnd(16)} rows ${String(n).padStart(3)}  max|d| ${maxd.toExponential(3)}  ` +
    `max|v| ${maxv.toExponential(3)}  rel ${(maxd / (maxv || 1)).toExponential(2)}  at ${at}`);
}
