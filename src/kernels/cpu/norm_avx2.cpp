// AVX2 RMSNorm (kernels/cpu): the scale comes from the shared scalar sum (ggml's
// order, see norm.h), the scaling runs 8 lanes wide; results equal the reference
// bit for bit. Compiled with -mavx2 -mfma; called only when active_isa() allows.
#include <immintrin.h>

#include "kernels/norm.h"

namespace qvl::kernels {

void rms_norm_avx2(const float* x, const float* w, float* y, int64_t n_rows, int64_t n, float eps) {
  for (int64_t r = 0; r < n_rows; ++r) {
    const float* xr = x + r * n;
    float* yr = y + r * n;
    const float scale = rms_norm_scale(xr, n, eps);
    const __m256 vs = _mm256_set1_ps(scale);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
      __m256 v = _mm256_mul_ps(_mm256_loadu_ps(xr + i), vs);
      if (w) v = _mm256_mul_ps(v, _mm256_loadu_ps(w + i));
      _mm256_storeu_ps(yr + i, v);
    }
    for (; i < n; ++i) yr[i] = (xr[i] * scale) * (w ? w[i] : 1.0f);
  }
}

}  // namespace qvl::kernels
