#!/usr/bin/env bash
# Tier 3-4 tests: parity against llama.cpp and HF references, and end-to-end tests
# of the real binary. Each tests/{parity,e2e,input}/*.test.mjs is a node:test file.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${QVL_BIN:=$PWD/build/bin/qvl}"
export QVL_BIN
files=$(ls tests/*/*.test.mjs 2>/dev/null || true)
if [ -z "$files" ]; then echo "no node tests"; exit 0; fi
# One file at a time: parity tests load models and the CI machine has 2 cores.
exec node --test --test-concurrency=1 $files
