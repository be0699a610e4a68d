// Run-time choice of the F16 rounding body (kernels layer).
#include "kernels/round_f16.h"

#include "base/cpu_features.h"

namespace qvl::kernels {

void round_to_f16(const float* x, float* y, int64_t n) {
  if (active_isa() >= Isa::kAvx2) return round_to_f16_avx2(x, y, n);
  round_to_f16_ref(x, y, n);
}

}  // namespace qvl::kernels
