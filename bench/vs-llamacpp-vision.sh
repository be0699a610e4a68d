#!/usr/bin/env bash
# Vision encoder speed of qvl against llama.cpp's mtmd on the same mmproj and the
# same image (448x448 by default), same threads, in the same run; prints both with
# the ratio. Encode time only (no preprocessing, no text decoding): qvl bench
# --mmproj, and llama-mtmd-cli's "mtmd batch encoding done in N ms". Measures,
# never asserts.
#
# usage: bench/vs-llamacpp-vision.sh MODEL.gguf MMPROJ.gguf [THREADS]
#   MODEL.gguf: the text model llama-mtmd-cli needs to start (qvl does not load it)
#   env: QVL=path/to/qvl (default build/bin/qvl), IMAGE=file (default: a generated
#        SIZE x SIZE BMP), SIZE=448, REPS=3 (after one warm-up on each side)
#        ISA=native|avx2 (default native): avx2 runs qvl with QVL_ISA=avx2 and the
#        haswell-level llama.cpp from `ISA=avx2 bench/build-llamacpp.sh`, i.e. what an
#        AVX2-only CPU would run, emulated on this one; LLAMA_BIN=dir overrides where
#        the llama.cpp binaries are.
# llama.cpp comes from bench/build-llamacpp.sh (built on first use).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
model="${1:?usage: bench/vs-llamacpp-vision.sh MODEL.gguf MMPROJ.gguf [THREADS]}"
mmproj="${2:?usage: bench/vs-llamacpp-vision.sh MODEL.gguf MMPROJ.gguf [THREADS]}"
threads="${3:-$(nproc)}"
reps="${REPS:-3}"
size="${SIZE:-448}"
qvl="${QVL:-$root/build/bin/qvl}"
. "$root/bench/isa-pair.sh"
mtmd_cli="$llama_bin/llama-mtmd-cli"

for f in "$model" "$mmproj"; do [ -f "$f" ] || { echo "error: $f: no such file" >&2; exit 1; }; done
[ -x "$qvl" ] || { echo "error: $qvl not built (make build, or set QVL=...)" >&2; exit 1; }
[ -x "$mtmd_cli" ] || ISA="$isa" bash "$root/bench/build-llamacpp.sh"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

image="${IMAGE:-}"
if [ -z "$image" ]; then
  image="$tmp/bench.bmp"
  # 24-bit BMP: gradients plus texture (the same pattern as qvl bench's generated image).
  node - "$image" "$size" <<'JS'
const [file, s] = [process.argv[2], Number(process.argv[3])];
const stride = (s * 3 + 3) & ~3, buf = Buffer.alloc(54 + stride * s);
buf.write("BM", 0); buf.writeUInt32LE(buf.length, 2); buf.writeUInt32LE(54, 10); buf.writeUInt32LE(40, 14);
buf.writeInt32LE(s, 18); buf.writeInt32LE(s, 22); buf.writeUInt16LE(1, 26); buf.writeUInt16LE(24, 28);
buf.writeUInt32LE(stride * s, 34);
for (let y = 0; y < s; y++) for (let x = 0; x < s; x++) {
  const o = 54 + (s - 1 - y) * stride + x * 3;
  buf[o + 2] = Math.floor((x * 255) / Math.max(1, s - 1));
  buf[o + 1] = Math.floor((y * 255) / Math.max(1, s - 1));
  buf[o] = (x * 7 + y * 13) & 255;
}
require("fs").writeFileSync(file, buf);
JS
fi

echo "isa $isa, model $model, mmproj $mmproj, image $image, threads $threads, reps $reps" >&2
"$qvl" bench --mmproj "$mmproj" --image "$image" --threads "$threads" --reps "$reps" --json \
  >"$tmp/qvl.json" 2>"$tmp/qvl.err" || { cat "$tmp/qvl.err" >&2; echo "error: qvl bench failed" >&2; exit 1; }

# One process, the image given reps + 1 times: the first encode is the warm-up.
# A small context: the model's own (256k for Qwen3-VL) would not fit in memory.
img_args=()
for _ in $(seq 0 "$reps"); do img_args+=(--image "$image"); done
"$mtmd_cli" -m "$model" --mmproj "$mmproj" "${img_args[@]}" -p "Describe." -n 1 -t "$threads" -c 4096 \
  >"$tmp/llama.log" 2>&1 || { tail -20 "$tmp/llama.log" >&2; echo "error: llama-mtmd-cli failed" >&2; exit 1; }

node - "$tmp/qvl.json" "$tmp/llama.log" "$reps" <<'JS'
const fs = require("fs");
const [qvlPath, llamaPath, reps] = [process.argv[2], process.argv[3], Number(process.argv[4])];
const lines = fs.readFileSync(qvlPath, "utf8").trim().split("\n");
const q = JSON.parse(lines[lines.length - 1]);
// "encoding mtmd batch, n_chunks = K ..." then "mtmd batch encoding done in N ms": N / K per image.
const log = fs.readFileSync(llamaPath, "utf8");
const chunks = [...log.matchAll(/encoding mtmd batch, n_chunks = (\d+)/g)].map((m) => Number(m[1]));
const done = [...log.matchAll(/mtmd batch encoding done in (\d+) ms/g)].map((m) => Number(m[1]));
const per = done.map((ms, i) => ms / (chunks[i] || 1)).slice(1);  // drop the warm-up
if (per.length < 1) { console.error("error: no encode times in llama-mtmd-cli's log"); process.exit(1); }
const mean = per.reduce((a, b) => a + b, 0) / per.length;
const sd = Math.sqrt(per.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, per.length - 1));
const tok = q.image_tokens;
console.log(`image ${q.image_size} (encoded ${q.encoded_size}), ${q.patches} patches, ${tok} image tokens, threads ${q.threads}`);
console.log("| encoder   |            time (ms) | image tok/s |");
console.log("|-----------|----------------------|-------------|");
const row = (name, m, s) => console.log(`| ${name.padEnd(9)} | ${`${m.toFixed(0)} ± ${s.toFixed(0)}`.padStart(20)} | ${(tok * 1000 / m).toFixed(1).padStart(11)} |`);
row("qvl", q.encode_ms, q.sd_ms);
row("llama.cpp", mean, sd);
console.log(`qvl / llama.cpp time: ${(q.encode_ms / mean).toFixed(2)} (below 1: qvl faster)`);
JS
