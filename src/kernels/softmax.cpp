// Run-time dispatch for softmax (kernels layer).
#include "base/cpu_features.h"
#include "kernels/softmax.h"

namespace qvl::kernels {

void softmax(float* x, int64_t n) {
  if (active_isa() >= Isa::kAvx2) return softmax_avx2(x, n);
  softmax_ref(x, n);
}

}  // namespace qvl::kernels
