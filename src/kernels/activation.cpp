// Run-time dispatch for gated activations (kernels layer).
#include "base/cpu_features.h"
#include "kernels/activation.h"

namespace qvl::kernels {

void silu_mul(const float* gate, const float* up, float* out, int64_t n) {
  if (active_isa() >= Isa::kAvx2) return silu_mul_avx2(gate, up, out, n);
  silu_mul_ref(gate, up, out, n);
}

}  // namespace qvl::kernels
