// CPU ISA detection for run-time kernel dispatch. QVL_ISA=scalar|avx2|avx512
// forces a lower level (for tests and for comparing paths); it never raises one.
#pragma once

namespace qvl {

enum class Isa { kScalar = 0, kAvx2 = 1, kAvx512 = 2 };

struct CpuFeatures {
  bool avx2 = false, fma = false, f16c = false;
  bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false;
  bool avx512vnni = false, avx512bf16 = false;
};

const CpuFeatures& cpu_features();
Isa detected_isa();  // best level the CPU supports
Isa active_isa();    // detected_isa() capped by QVL_ISA or set_active_isa()
void set_active_isa(Isa isa);  // capped at detected_isa(); for tests
const char* isa_name(Isa isa);

}  // namespace qvl
