// Scalar RMSNorm oracle (kernels/ref): the plain formula, double accumulation.
#include <cmath>

#include "kernels/norm.h"

namespace qvl::kernels {

void rms_norm_ref(const float* x, const float* w, float* y, int64_t n_rows, int64_t n, float eps) {
  for (int64_t r = 0; r < n_rows; ++r) {
    const float* xr = x + r * n;
    float* yr = y + r * n;
    double ss = 0;
    for (int64_t i = 0; i < n; ++i) ss += double(xr[i]) * xr[i];
    const float scale = float(1.0 / std::sqrt(ss / double(n) + eps));
    // HF order: normalise in F32, then multiply by the weight.
    for (int64_t i = 0; i < n; ++i) yr[i] = (xr[i] * scale) * (w ? w[i] : 1.0f);
  }
}

}  // namespace qvl::kernels
