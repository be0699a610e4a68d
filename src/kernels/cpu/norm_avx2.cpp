// AVX2 RMSNorm (kernels/cpu): 8-lane F32 sum of squares, same op order as the
// reference otherwise. Compiled with -mavx2 -mfma; called only when active_isa() allows.
#include <immintrin.h>

#include <cmath>

#include "kernels/norm.h"

namespace qvl::kernels {

void rms_norm_avx2(const float* x, const float* w, float* y, int64_t n_rows, int64_t n, float eps) {
  for (int64_t r = 0; r < n_rows; ++r) {
    const float* xr = x + r * n;
    float* yr = y + r * n;
    __m256 acc = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
      const __m256 v = _mm256_loadu_ps(xr + i);
      acc = _mm256_fmadd_ps(v, v, acc);
    }
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, acc);
    float ss = 0;
    for (float l : lanes) ss += l;
    for (; i < n; ++i) ss += xr[i] * xr[i];
    const float scale = 1.0f / std::sqrt(ss / float(n) + eps);
    const __m256 vs = _mm256_set1_ps(scale);
    i = 0;
    for (; i + 8 <= n; i += 8) {
      __m256 v = _mm256_mul_ps(_mm256_loadu_ps(xr + i), vs);
      if (w) v = _mm256_mul_ps(v, _mm256_loadu_ps(w + i));
      _mm256_storeu_ps(yr + i, v);
    }
    for (; i < n; ++i) yr[i] = (xr[i] * scale) * (w ? w[i] : 1.0f);
  }
}

}  // namespace qvl::kernels
