// Scalar RMSNorm oracle (kernels/ref): ggml's arithmetic, op for op (see norm.h).
#include <cmath>

#include "kernels/norm.h"

namespace qvl::kernels {

float rms_norm_scale(const float* x, int64_t n, float eps) {
  double ss = 0;
  for (int64_t i = 0; i < n; ++i) ss += double(x[i] * x[i]);  // F32 square, double sum
  const float mean = float(ss / double(n));
  return 1.0f / std::sqrt(mean + eps);
}

void rms_norm_ref(const float* x, const float* w, float* y, int64_t n_rows, int64_t n, float eps) {
  for (int64_t r = 0; r < n_rows; ++r) {
    const float* xr = x + r * n;
    float* yr = y + r * n;
    const float scale = rms_norm_scale(xr, n, eps);
    // HF order: normalise in F32, then multiply by the weight.
    for (int64_t i = 0; i < n; ++i) yr[i] = (xr[i] * scale) * (w ? w[i] : 1.0f);
  }
}

}  // namespace qvl::kernels
