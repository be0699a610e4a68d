#!/usr/bin/env bash
# Prefill and decode speed of qvl against llama.cpp on the same GGUF, same threads,
# in the same run; prints a table with qvl/llama.cpp ratios. Measures, never asserts.
#
# usage: bench/vs-llamacpp.sh MODEL.gguf [THREADS]
#   env: QVL=path/to/qvl (default build/bin/qvl), PROMPT=512, GEN=128, REPS=3,
#        DEPTH=0 (context depth the decode test starts at, llama-bench -d; both
#        tools get it, the prefill test always starts from an empty context),
#        QVL_BENCH_ARGS="extra args for qvl bench" (e.g. --batch 4)
#        ISA=native|avx2 (default native): avx2 runs qvl with QVL_ISA=avx2 and the
#        haswell-level llama.cpp from `ISA=avx2 bench/build-llamacpp.sh`, i.e. what an
#        AVX2-only CPU would run, emulated on this one; LLAMA_BIN=dir overrides where
#        the llama.cpp binaries are.
# llama.cpp comes from bench/build-llamacpp.sh (built on first use).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
model="${1:?usage: bench/vs-llamacpp.sh MODEL.gguf [THREADS]}"
threads="${2:-$(nproc)}"
prompt="${PROMPT:-512}"
gen="${GEN:-128}"
reps="${REPS:-3}"
depth="${DEPTH:-0}"
qvl="${QVL:-$root/build/bin/qvl}"
. "$root/bench/isa-pair.sh"
llama_bench="$llama_bin/llama-bench"

[ -f "$model" ] || { echo "error: $model: no such file" >&2; exit 1; }
[ -x "$qvl" ] || { echo "error: $qvl not built (make build, or set QVL=...)" >&2; exit 1; }
[ -x "$llama_bench" ] || ISA="$isa" bash "$root/bench/build-llamacpp.sh"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "isa $isa, model $model, threads $threads, prompt $prompt, gen $gen, depth $depth, reps $reps" >&2
llama() {  # OUT_JSON llama-bench-args...
  local out="$1"
  shift
  "$llama_bench" -m "$model" -t "$threads" -r "$reps" -ngl 0 -o json "$@" >"$out" 2>"$tmp/llama.err" ||
    { cat "$tmp/llama.err" >&2; echo "error: llama-bench failed" >&2; exit 1; }
}
# llama-bench applies -d to its pp test too, so a depth gets a tg-only second run.
if [ "$depth" = 0 ]; then
  llama "$tmp/llama.json" -p "$prompt" -n "$gen"
  echo '[]' >"$tmp/llama_tg.json"
else
  llama "$tmp/llama.json" -p "$prompt" -n 0
  llama "$tmp/llama_tg.json" -p 0 -n "$gen" -d "$depth"
fi
# shellcheck disable=SC2086
"$qvl" bench --model "$model" --threads "$threads" -p "$prompt" -n "$gen" -d "$depth" --reps "$reps" --json ${QVL_BENCH_ARGS:-} \
  >"$tmp/qvl.json" 2>"$tmp/qvl.err" || { cat "$tmp/qvl.err" >&2; echo "error: qvl bench failed" >&2; exit 1; }

# llama-bench JSON: one record per test; n_gen == 0 is prefill (pp), n_prompt == 0 decode (tg).
# qvl bench --json: {"prefill": {"tok_s", "sd"}, "decode": {"tok_s", "sd"}, ...} on its last line.
node - "$tmp/llama.json" "$tmp/llama_tg.json" "$tmp/qvl.json" "$depth" <<'JS'
const fs = require("fs");
const [llamaPath, llamaTgPath, qvlPath, depth] = process.argv.slice(2);
const runs = [llamaPath, llamaTgPath].flatMap((p) => JSON.parse(fs.readFileSync(p, "utf8")));
const rec = (f) => runs.find(f);
const pp = rec((r) => r.n_gen === 0), tg = rec((r) => r.n_prompt === 0);
const llama = { prefill: pp && [pp.avg_ts, pp.stddev_ts], decode: tg && [tg.avg_ts, tg.stddev_ts] };
const lines = fs.readFileSync(qvlPath, "utf8").trim().split("\n");
const q = JSON.parse(lines[lines.length - 1]);
const qvl = { prefill: [q.prefill.tok_s, q.prefill.sd], decode: [q.decode.tok_s, q.decode.sd] };
const f = (x) => (x === undefined ? "n/a" : `${x[0].toFixed(2)} ± ${x[1].toFixed(2)}`);
const at = { prefill: "0", decode: depth };
console.log("| phase   | depth |         qvl tok/s |   llama.cpp tok/s | qvl / llama.cpp |");
console.log("|---------|-------|-------------------|-------------------|-----------------|");
for (const phase of ["prefill", "decode"]) {
  const r = qvl[phase] && llama[phase] ? (qvl[phase][0] / llama[phase][0]).toFixed(2) : "n/a";
  console.log(`| ${phase.padEnd(7)} | ${at[phase].padStart(5)} | ${f(qvl[phase]).padStart(17)} | ${f(llama[phase]).padStart(17)} | ${r.padStart(15)} |`);
}
JS
