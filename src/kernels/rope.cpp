// Run-time dispatch for RoPE (kernels layer).
#include "base/cpu_features.h"
#include "kernels/rope.h"

namespace qvl::kernels {

void rope_apply(float* x, int n_head, int head_dim, const float* cos, const float* sin) {
  if (active_isa() >= Isa::kAvx2) return rope_apply_avx2(x, n_head, head_dim, cos, sin);
  rope_apply_ref(x, n_head, head_dim, cos, sin);
}

}  // namespace qvl::kernels
