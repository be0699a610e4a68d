// Run-time dispatch for RMSNorm (kernels layer): AVX2 when active_isa() allows, else reference.
#include "base/cpu_features.h"
#include "kernels/norm.h"

namespace qvl::kernels {

void rms_norm(const float* x, const float* w, float* y, int64_t n_rows, int64_t n, float eps) {
  if (active_isa() >= Isa::kAvx2) return rms_norm_avx2(x, w, y, n_rows, n, eps);
  rms_norm_ref(x, w, y, n_rows, n, eps);
}

}  // namespace qvl::kernels
