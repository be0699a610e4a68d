#!/usr/bin/env bash
# Serving under concurrent load: qvl serve and (when built) llama-server
# --parallel N on the same GGUF, same threads, in one run. For each client count,
# N streaming chat clients send one request each (GEN tokens, no EOS); prints
# aggregate tok/s, TTFT p50/p99/max and inter-token p99 (bench/serve_load.mjs).
# Then, qvl only, instruct TTFT while THINKING clients decode without end, with
# the default thinking cap (3/4 of --max-running) and with the cap off.
# Measures, never asserts. Servers listen on 127.0.0.1 only.
#
# usage: bench/serve-load.sh MODEL.gguf [THREADS]
#   env: QVL=build/bin/qvl, CLIENTS="1 4 8 16", GEN=128, CTX=2048 (per sequence),
#        THINKING=8 (mode test clients), PROBES=8, MODE_TTFT=1 (0 skips the mode test)
# llama-server comes from bench/build-llamacpp.sh (.cache/, long to build on 2 cores);
# without it only qvl rows are printed. Results: bench/RESULTS.md.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
model="${1:?usage: bench/serve-load.sh MODEL.gguf [THREADS]}"
threads="${2:-$(nproc)}"
clients="${CLIENTS:-1 4 8 16}"
gen="${GEN:-128}"
ctx="${CTX:-2048}"
qvl="${QVL:-$root/build/bin/qvl}"
llama_server="$root/.cache/llama.cpp-build/bin/llama-server"
load="$root/bench/serve_load.mjs"
tmp="$(mktemp -d)"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

[ -f "$model" ] || { echo "error: $model: no such file" >&2; exit 1; }
[ -x "$qvl" ] || { echo "error: $qvl not built" >&2; exit 1; }

# start_server LOG CMD... : runs it, waits for /health 200, sets $pid and $url.
start_server() {
  local log="$1"
  shift
  "$@" >"$log" 2>&1 &
  pid=$!
  local port=""
  for _ in $(seq 1 600); do
    port=$(grep -oE 'listening on http://127\.0\.0\.1:[0-9]+|server is listening on http://127\.0\.0\.1:[0-9]+' "$log" | grep -oE '[0-9]+$' | head -1 || true)
    if [ -n "$port" ] && curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1; then break; fi
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; echo "error: server exited" >&2; exit 1; }
    sleep 0.2
  done
  url="http://127.0.0.1:$port"
}
stop_server() { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; pid=""; }
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

echo "model $model, threads $threads, gen $gen, ctx $ctx per sequence, $(lscpu | sed -n 's/^Model name: *//p')" >&2
echo "| server | clients | tokens | aggregate tok/s | TTFT p50 ms | TTFT p99 ms | TTFT max ms | inter-token p99 ms |"
echo "|---|---|---|---|---|---|---|---|"
row() {  # NAME JSON
  node -e 'const j=JSON.parse(process.argv[2]);const f=(x)=>x.toFixed(1);
    console.log(`| ${process.argv[1]} | ${j.clients} | ${j.tokens} | ${f(j.tok_s)} | ${f(j.ttft_p50_ms)} | ${f(j.ttft_p99_ms)} | ${f(j.ttft_max_ms)} | ${f(j.itl_p99_ms)} |`)' "$1" "$2"
}
max_clients=$(echo $clients | tr ' ' '\n' | sort -n | tail -1)
for n in $clients; do
  start_server "$tmp/qvl.log" "$qvl" serve --model "$model" --name m --port 0 --threads "$threads" --ctx "$ctx" \
    --max-running "$max_clients" --max-queue 256
  node "$load" --url "$url" --clients 1 --gen 8 >/dev/null  # warm-up
  row qvl "$(node "$load" --url "$url" --clients "$n" --gen "$gen")"
  stop_server
  if [ -x "$llama_server" ]; then
    start_server "$tmp/llama.log" "$llama_server" -m "$model" -t "$threads" --host 127.0.0.1 --port "$(free_port)" \
      --parallel "$n" -c $((ctx * n)) -ngl 0 --no-webui
    node "$load" --url "$url" --clients 1 --gen 8 >/dev/null
    row llama-server "$(node "$load" --url "$url" --clients "$n" --gen "$gen")"
    stop_server
  fi
done

[ "${MODE_TTFT:-1}" = 0 ] && exit 0
thinking="${THINKING:-8}"
echo
echo "| qvl config | thinking clients | instruct probes | instruct TTFT p50 ms | max ms |"
echo "|---|---|---|---|---|"
for cfg in "idle" "default cap" "cap off"; do
  extra=(--max-running 8)
  t="$thinking"
  [ "$cfg" = "idle" ] && t=0
  [ "$cfg" = "cap off" ] && extra+=(--max-running-thinking 8)
  start_server "$tmp/qvl.log" "$qvl" serve --model "$model" --name m --port 0 --threads "$threads" --ctx "$ctx" "${extra[@]}"
  j=$(node "$load" --url "$url" --mode-ttft --thinking "$t" --probes "${PROBES:-8}")
  node -e 'const j=JSON.parse(process.argv[2]);console.log(`| ${process.argv[1]} | ${j.thinking_clients} | ${j.probes} | ${j.ttft_p50_ms.toFixed(1)} | ${j.ttft_max_ms.toFixed(1)} |`)' "$cfg" "$j"
  stop_server
done
