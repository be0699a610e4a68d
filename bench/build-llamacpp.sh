#!/usr/bin/env bash
# Builds llama.cpp (CPU only, Release) from the git bundle that ships inside
# node-llama-cpp, for bench/vs-llamacpp.sh and bench/vs-llamacpp-vision.sh
# (llama-mtmd-cli). Idempotent: skips what exists.
# Nothing here is committed: source and build live under .cache/ (git-ignored).
#
# ISA=native (default) builds for this CPU. ISA=avx2 builds the haswell level
# (AVX, AVX2, FMA, F16C, BMI2; no AVX-512, no AVX-VNNI) so an AVX-512 machine can
# time what an AVX2-only CPU (Zen 2/3, Intel client parts) would run; its
# default build folder is .cache/llama.cpp-build-avx2. LLAMA_SRC / LLAMA_BUILD
# override the folders (e.g. to reuse a clone made elsewhere).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
bundle="$root/node_modules/node-llama-cpp/llama/gitRelease.bundle"
isa="${ISA:-native}"
src="${LLAMA_SRC:-$root/.cache/llama.cpp-src}"
case "$isa" in
  native) build="${LLAMA_BUILD:-$root/.cache/llama.cpp-build}"
          isa_flags=(-DGGML_NATIVE=ON)
          targets=(llama-bench llama-cli llama-server llama-mtmd-cli) ;;
  avx2)   build="${LLAMA_BUILD:-$root/.cache/llama.cpp-build-avx2}"
          isa_flags=(-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON
                     -DGGML_F16C=ON -DGGML_BMI2=ON -DGGML_AVX512=OFF -DGGML_AVX_VNNI=OFF)
          targets=(llama-bench llama-mtmd-cli) ;;
  *) echo "error: ISA must be native or avx2, got '$isa'" >&2; exit 2 ;;
esac
jobs="${JOBS:-1}"

if [ ! -d "$src/.git" ] && [ ! -f "$bundle" ]; then
  echo "error: $bundle not found (run 'make deps-npm')" >&2; exit 1
fi

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
  cmake -S "$src" -B "$build" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release "${isa_flags[@]}" \
    -DGGML_CUDA=OFF -DGGML_VULKAN=OFF -DGGML_METAL=OFF -DLLAMA_CURL=OFF \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER=ON
fi
cmake --build "$build" -j "$jobs" --target "${targets[@]}"
echo "llama.cpp ($isa) built in $(( $(date +%s) - start )) s: $build/bin"
