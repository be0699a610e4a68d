// Run-time dispatch for softmax (kernels layer).
#include "base/cpu_features.h"
#include "kernels/softmax.h"

namespace qvl::kernels {

double softmax_exp_sum(float* x, int64_t n, float mx, bool all_vector) {
  if (active_isa() >= Isa::kAvx2) return softmax_exp_sum_avx2(x, n, mx, all_vector);
  return softmax_exp_sum_ref(x, n, mx, all_vector);
}

void softmax(float* x, int64_t n) {
  if (active_isa() >= Isa::kAvx2) return softmax_avx2(x, n);
  softmax_ref(x, n);
}

}  // namespace qvl::kernels
