// Run-time dispatch for the ViT kernels (kernels layer): AVX2 when active_isa() allows, else reference.
#include "base/cpu_features.h"
#include "kernels/gelu.h"
#include "kernels/vision_attention.h"

namespace qvl::kernels {

void gelu_tanh(const float* x, float* y, int64_t n) {
  if (active_isa() >= Isa::kAvx2) return gelu_tanh_avx2(x, y, n);
  gelu_tanh_ref(x, y, n);
}

void vision_softmax(float* x, int64_t n, float scale) {
  if (active_isa() >= Isa::kAvx2) return vision_softmax_avx2(x, n, scale);
  vision_softmax_ref(x, n, scale);
}

}  // namespace qvl::kernels
