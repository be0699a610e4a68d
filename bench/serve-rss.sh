#!/usr/bin/env bash
# Peak resident memory of a server after one request (issue 10, item 5): starts
# `qvl serve` (or, with LLAMA=1, llama-server) on MODEL [MMPROJ] at --ctx CTX, sends
# one chat request (with a 448x448 PNG when MMPROJ is given), then prints VmHWM
# (peak RSS) and VmRSS from /proc/PID/status. 127.0.0.1 only; measures, never asserts.
#
# usage: bench/serve-rss.sh MODEL.gguf [MMPROJ.gguf]
#   env: QVL=build/bin/qvl, CTX=8192, THREADS=2, LLAMA=1 (llama-server instead),
#        LLAMA_SERVER=path (default .cache/llama.cpp-build/bin/llama-server, from bench/build-llamacpp.sh)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
model="${1:?usage: bench/serve-rss.sh MODEL.gguf [MMPROJ.gguf]}"
mmproj="${2:-}"
ctx="${CTX:-8192}"
threads="${THREADS:-2}"
qvl="${QVL:-$root/build/bin/qvl}"
llama_server="${LLAMA_SERVER:-$root/.cache/llama.cpp-build/bin/llama-server}"
log="$(mktemp)"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -f "$log"; }
trap cleanup EXIT

port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
if [ "${LLAMA:-0}" = 1 ]; then
  args=(-m "$model" --host 127.0.0.1 --port "$port" -t "$threads" -c "$ctx" --parallel 1)
  [ -n "$mmproj" ] && args+=(--mmproj "$mmproj")
  "$llama_server" "${args[@]}" >"$log" 2>&1 &
  name="llama-server"
else
  args=(serve --model "$model" --name m --host 127.0.0.1 --port "$port" --threads "$threads" --ctx "$ctx")
  [ -n "$mmproj" ] && args+=(--mmproj "$mmproj")
  "$qvl" "${args[@]}" >"$log" 2>&1 &
  name="qvl $(basename "$qvl")"
fi
pid=$!
for _ in $(seq 1 1200); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; echo "error: server exited" >&2; exit 1; }
  sleep 0.5
done
if [ -n "$mmproj" ]; then
  img=$(node -e '
    const zlib=require("zlib");const w=448,h=448;const raw=Buffer.alloc((w*3+1)*h);
    for(let y=0;y<h;y++)for(let x=0;x<w;x++){const o=y*(w*3+1)+1+x*3;raw[o]=x%256;raw[o+1]=y%256;raw[o+2]=(x*y)%256;}
    const crc=(b)=>{let c=~0;for(const v of b){c^=v;for(let k=0;k<8;k++)c=c&1?0xedb88320^(c>>>1):c>>>1;}return ~c>>>0;};
    const chunk=(t,d)=>{const l=Buffer.alloc(4);l.writeUInt32BE(d.length);const td=Buffer.concat([Buffer.from(t),d]);const c=Buffer.alloc(4);c.writeUInt32BE(crc(td));return Buffer.concat([l,td,c]);};
    const ih=Buffer.alloc(13);ih.writeUInt32BE(w,0);ih.writeUInt32BE(h,4);ih[8]=8;ih[9]=2;
    const png=Buffer.concat([Buffer.from([137,80,78,71,13,10,26,10]),chunk("IHDR",ih),chunk("IDAT",zlib.deflateSync(raw)),chunk("IEND",Buffer.alloc(0))]);
    console.log("data:image/png;base64,"+png.toString("base64"));')
  body="{\"model\":\"m\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"$img\"}},{\"type\":\"text\",\"text\":\"Describe the image.\"}]}]}"
else
  body='{"model":"m","max_tokens":16,"messages":[{"role":"user","content":"Hello there, how are you?"}]}'
fi
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v1/chat/completions" -H 'Content-Type: application/json' --data-binary @<(printf '%s' "$body"))
files=$(stat -c %s "$model")
[ -n "$mmproj" ] && files=$((files + $(stat -c %s "$mmproj")))
files=$((files >> 20))
echo "$name: HTTP $code, $(grep -E 'VmHWM|VmRSS' /proc/$pid/status | tr -s ' \t' ' ' | tr '\n' ' ')(files ${files} MiB, ctx $ctx)"
