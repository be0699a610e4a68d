#!/usr/bin/env bash
# Prefill and decode speed of qvl against llama.cpp on the same GGUF, same threads,
# in the same run; prints a table with qvl/llama.cpp ratios. Measures, never asserts.
#
# usage: bench/vs-llamacpp.sh MODEL.gguf [THREADS]
#   env: QVL=path/to/qvl (default build/bin/qvl), PROMPT=512, GEN=128, REPS=3,
#        QVL_BENCH_ARGS="extra args for qvl bench"
# llama.cpp comes from bench/build-llamacpp.sh (built on first use).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
model="${1:?usage: bench/vs-llamacpp.sh MODEL.gguf [THREADS]}"
threads="${2:-$(nproc)}"
prompt="${PROMPT:-512}"
gen="${GEN:-128}"
reps="${REPS:-3}"
qvl="${QVL:-$root/build/bin/qvl}"
llama_bench="$root/.cache/llama.cpp-build/bin/llama-bench"

[ -f "$model" ] || { echo "error: $model: no such file" >&2; exit 1; }
[ -x "$qvl" ] || { echo "error: $qvl not built (make build, or set QVL=...)" >&2; exit 1; }
[ -x "$llama_bench" ] || bash "$root/bench/build-llamacpp.sh"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "model $model, threads $threads, prompt $prompt, gen $gen, reps $reps" >&2
"$llama_bench" -m "$model" -p "$prompt" -n "$gen" -t "$threads" -r "$reps" -ngl 0 -o json >"$tmp/llama.json" 2>"$tmp/llama.err" ||
  { cat "$tmp/llama.err" >&2; echo "error: llama-bench failed" >&2; exit 1; }
# shellcheck disable=SC2086
"$qvl" bench --model "$model" --threads "$threads" ${QVL_BENCH_ARGS:-} >"$tmp/qvl.out" 2>&1 ||
  { cat "$tmp/qvl.out" >&2; echo "error: qvl bench failed" >&2; exit 1; }

# llama-bench JSON: one record per test; n_gen == 0 is prefill (pp), n_prompt == 0 decode (tg).
# qvl bench prints lines such as "prefill: 123.4 tok/s" and "decode: 56.7 tok/s".
node - "$tmp/llama.json" "$tmp/qvl.out" <<'JS'
const fs = require("fs");
const [llamaPath, qvlPath] = process.argv.slice(2);
const runs = JSON.parse(fs.readFileSync(llamaPath, "utf8"));
const pick = (f) => runs.find(f)?.avg_ts;
const llama = { prefill: pick((r) => r.n_gen === 0), decode: pick((r) => r.n_prompt === 0) };
const text = fs.readFileSync(qvlPath, "utf8");
const grab = (word) => {
  const m = text.match(new RegExp(word + "[^\\n]*?([0-9]+(?:\\.[0-9]+)?)\\s*tok/s", "i"));
  return m ? Number(m[1]) : undefined;
};
const qvl = { prefill: grab("prefill"), decode: grab("decode") };
const f = (x) => (x === undefined ? "n/a" : x.toFixed(2));
console.log("| phase   | qvl tok/s | llama.cpp tok/s | qvl / llama.cpp |");
console.log("|---------|-----------|-----------------|-----------------|");
for (const phase of ["prefill", "decode"]) {
  const r = qvl[phase] !== undefined && llama[phase] ? qvl[phase] / llama[phase] : undefined;
  console.log(`| ${phase.padEnd(7)} | ${f(qvl[phase]).padStart(9)} | ${f(llama[phase]).padStart(15)} | ${f(r).padStart(15)} |`);
}
if (qvl.prefill === undefined || qvl.decode === undefined)
  console.error("note: could not find 'prefill ... tok/s' / 'decode ... tok/s' in qvl bench output:\n" + text);
JS
