#!/usr/bin/env bash
# Decode speed of qvl against llama.cpp's llama-bench in ROUNDS interleaved rounds
# (one llama-bench tg run, then one qvl bench run, per round), printing each side's
# best and median tok/s and the ratio of the bests. For hosts whose memory bandwidth
# swings between runs (a shared VM): one long run per side, as bench/vs-llamacpp.sh
# does, can land in a slow minute for one side only; interleaved short rounds see the
# same minutes, and the best of each side is its least-disturbed run. Measures,
# never asserts.
#
# usage: bench/vs-llamacpp-decode.sh MODEL.gguf [THREADS]
#   env: QVL=path/to/qvl (default build/bin/qvl), GEN=64, ROUNDS=5,
#        ISA=native|avx2 (as in bench/vs-llamacpp.sh), LLAMA_BIN=dir
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
model="${1:?usage: bench/vs-llamacpp-decode.sh MODEL.gguf [THREADS]}"
threads="${2:-$(nproc)}"
gen="${GEN:-64}"
rounds="${ROUNDS:-5}"
qvl="${QVL:-$root/build/bin/qvl}"
. "$root/bench/isa-pair.sh"
[ -f "$model" ] || { echo "error: $model: no such file" >&2; exit 1; }
[ -x "$qvl" ] || { echo "error: $qvl not built (make build, or set QVL=...)" >&2; exit 1; }
[ -x "$llama_bin/llama-bench" ] || ISA="$isa" bash "$root/bench/build-llamacpp.sh"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "isa $isa, model $model, threads $threads, gen $gen, rounds $rounds" >&2
for r in $(seq 1 "$rounds"); do
  "$llama_bin/llama-bench" -m "$model" -t "$threads" -r 1 -ngl 0 -o json -p 0 -n "$gen" >"$tmp/l$r.json" 2>"$tmp/err" ||
    { cat "$tmp/err" >&2; echo "error: llama-bench failed" >&2; exit 1; }
  # A 16-token prompt first (qvl bench always prefills): decode starts at depth 16, not 0.
  "$qvl" bench --model "$model" --threads "$threads" -p 16 -n "$gen" --reps 1 --json >"$tmp/q$r.json" 2>"$tmp/err" ||
    { cat "$tmp/err" >&2; echo "error: qvl bench failed" >&2; exit 1; }
done
node - "$tmp" "$rounds" <<'JS'
const fs = require("fs");
const [dir, rounds] = [process.argv[2], Number(process.argv[3])];
const q = [], l = [];
for (let r = 1; r <= rounds; r++) {
  l.push(JSON.parse(fs.readFileSync(`${dir}/l${r}.json`, "utf8")).find((x) => x.n_prompt === 0).avg_ts);
  const lines = fs.readFileSync(`${dir}/q${r}.json`, "utf8").trim().split("\n");
  q.push(JSON.parse(lines[lines.length - 1]).decode.tok_s);
}
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const f = (xs) => xs.map((x) => x.toFixed(1)).join(" ");
console.log(`qvl tok/s per round:       ${f(q)}`);
console.log(`llama.cpp tok/s per round: ${f(l)}`);
console.log(`best: qvl ${Math.max(...q).toFixed(2)}, llama.cpp ${Math.max(...l).toFixed(2)}, ratio ${(Math.max(...q) / Math.max(...l)).toFixed(2)}; ` +
  `median: qvl ${med(q).toFixed(2)}, llama.cpp ${med(l).toFixed(2)}, ratio ${(med(q) / med(l)).toFixed(2)}`);
JS
