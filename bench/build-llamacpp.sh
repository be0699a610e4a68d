#!/usr/bin/env bash
# Builds llama.cpp (CPU only, native ISA, Release) from the git bundle that ships
# inside node-llama-cpp, for bench/vs-llamacpp.sh and bench/vs-llamacpp-vision.sh
# (llama-mtmd-cli). Idempotent: skips what exists.
# Nothing here is committed: source and build live under .cache/ (git-ignored).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
bundle="$root/node_modules/node-llama-cpp/llama/gitRelease.bundle"
src="$root/.cache/llama.cpp-src"
build="$root/.cache/llama.cpp-build"
jobs="${JOBS:-1}"
targets=(llama-bench llama-cli llama-server llama-mtmd-cli)

[ -f "$bundle" ] || { echo "error: $bundle not found (run 'make deps-npm')" >&2; exit 1; }

all_built=1
for t in "${targets[@]}"; do [ -x "$build/bin/$t" ] || all_built=0; done
if [ "$all_built" = 1 ]; then
  echo "llama.cpp already built in $build/bin"
  exit 0
fi

if [ ! -d "$src/.git" ]; then
  mkdir -p "$(dirname "$src")"
  git clone --quiet "$bundle" "$src"
fi

start=$(date +%s)
if [ ! -f "$build/CMakeCache.txt" ]; then
  gen=()
  command -v ninja >/dev/null && gen=(-G Ninja)
  cmake -S "$src" -B "$build" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON \
    -DGGML_CUDA=OFF -DGGML_VULKAN=OFF -DGGML_METAL=OFF -DLLAMA_CURL=OFF \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER=ON
fi
cmake --build "$build" -j "$jobs" --target "${targets[@]}"
echo "llama.cpp built in $(( $(date +%s) - start )) s: $build/bin"
