# Sourced by the bench/vs-llamacpp*.sh scripts: ISA=native|avx2 (default native) picks
# the pair to time. native: qvl's own choice against llama.cpp built for this CPU;
# avx2: qvl with QVL_ISA=avx2 against llama.cpp built at the haswell level
# (`ISA=avx2 bench/build-llamacpp.sh`), what an AVX2-only CPU would run. Sets $isa and
# $llama_bin (LLAMA_BIN overrides it); needs $root.
isa="${ISA:-native}"
case "$isa" in
  native) llama_bin="${LLAMA_BIN:-$root/.cache/llama.cpp-build/bin}" ;;
  avx2) llama_bin="${LLAMA_BIN:-$root/.cache/llama.cpp-build-avx2/bin}"; export QVL_ISA=avx2 ;;
  *) echo "error: ISA must be native or avx2, got '$isa'" >&2; exit 2 ;;
esac
