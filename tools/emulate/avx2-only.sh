#!/usr/bin/env bash
# Runs qvl's tests as they run on an AVX2-only x86-64 CPU (AMD Zen 2/3, Intel client
# parts), on any x86-64 machine, by executing every x86-64 process of the tests under
# qemu-user (Debian `qemu-user`). `-cpu max` on QEMU 7.2's TCG reports AVX, AVX2, FMA,
# F16C and BMI2 but no AVX-512, so qvl's cpuid dispatch picks its AVX2 kernels and
# node-llama-cpp's ggml picks its haswell CPU variant by itself: nothing is forced.
#
#   tools/emulate/avx2-only.sh unit                 every GoogleTest binary in build/bin
#   tools/emulate/avx2-only.sh node FILE...         node test files (QVL_PARITY_CASES etc. pass through)
#
# Emulation is 10-50x slower than native, so this is not part of `make test`; run it
# when kernels or dispatch change. Floating point under TCG is IEEE-exact (FMA fused),
# so results equal a real AVX2 CPU's; speed does not.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
command -v qemu-x86_64 >/dev/null || { echo "error: qemu-x86_64 not found (apt install qemu-user)" >&2; exit 1; }
cpu="${QVL_EMULATED_CPU:-max}"
emu=(qemu-x86_64 -cpu "$cpu")
build="${BUILD:-build}"

# Say what the emulated CPU is, and refuse to call it AVX2-only if it is not.
info="$(env -u QVL_ISA "${emu[@]}" "$build/bin/qvl" --version)"
echo "$info" | sed 's/^/emulated: /'
echo "$info" | grep -q 'cpu detects avx2' || { echo "error: emulated CPU '$cpu' is not AVX2-only" >&2; exit 1; }

# Child processes of an emulated process run natively (no binfmt), so every binary a
# test spawns gets a wrapper that re-enters the emulator.
wrap="$root/.cache/emulate-$cpu/bin"
mkdir -p "$wrap"
printf '#!/bin/sh\nexec %s "%s" "$@"\n' "${emu[*]}" "$root/$build/bin/qvl" > "$wrap/qvl"
# ref_logits is the oracle, not the code under test: plain double-precision C++ built
# without ISA flags, with QVL_ISA=scalar for anything it borrows from qvl's loader, so
# it computes the same bits on any x86-64 and runs natively here (emulated, it alone
# would take most of the run).
printf '#!/bin/sh\nQVL_ISA=scalar exec "%s" "$@"\n' "$root/$build/bin/ref_logits" > "$wrap/ref_logits"
printf '#!/bin/sh\nexec %s "%s" "$@"\n' "${emu[*]}" "$(command -v node)" > "$wrap/node"
chmod +x "$wrap"/*

mode="${1:-unit}"; shift || true
case "$mode" in
  unit)
    fail=0
    for t in "$build"/bin/test_*; do
      echo "== $(basename "$t") on emulated CPU '$cpu'"
      "${emu[@]}" "$t" --gtest_brief=1 || fail=1
    done
    exit $fail ;;
  node)
    [ $# -gt 0 ] || { echo "usage: $0 node FILE..." >&2; exit 2; }
    # QVL_ISA=avx2 only keeps text_parity from adding its forced AVX2 pair (it reads
    # the host's /proc/cpuinfo, which qemu-user does not emulate); qvl's own cpuid
    # already reports AVX2 only, so it changes nothing else.
    PATH="$wrap:$PATH" QVL_BIN="$wrap/qvl" QVL_NODE="$wrap/node" QVL_ISA=avx2 \
      exec "$wrap/node" --test --test-concurrency=1 "$@" ;;
  *) echo "usage: $0 unit | node FILE..." >&2; exit 2 ;;
esac
