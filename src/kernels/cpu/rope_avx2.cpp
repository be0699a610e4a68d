// AVX2 RoPE apply (kernels/cpu): 8 pairs per step; the reference's fused
// multiply-adds, so results are identical.
#include <immintrin.h>

#include <cmath>

#include "kernels/rope.h"

namespace qvl::kernels {

void rope_apply_avx2(float* x, int n_head, int head_dim, const float* cos, const float* sin) {
  const int half = head_dim / 2;
  for (int h = 0; h < n_head; ++h) {
    float* lo = x + int64_t(h) * head_dim;
    float* hi = lo + half;
    int j = 0;
    for (; j + 8 <= half; j += 8) {
      const __m256 a = _mm256_loadu_ps(lo + j), b = _mm256_loadu_ps(hi + j);
      const __m256 c = _mm256_loadu_ps(cos + j), s = _mm256_loadu_ps(sin + j);
      _mm256_storeu_ps(lo + j, _mm256_fmsub_ps(a, c, _mm256_mul_ps(b, s)));
      _mm256_storeu_ps(hi + j, _mm256_fmadd_ps(a, s, _mm256_mul_ps(b, c)));
    }
    for (; j < half; ++j) {
      const float a = lo[j], b = hi[j];
      lo[j] = std::fma(a, cos[j], -(b * sin[j]));
      hi[j] = std::fma(a, sin[j], b * cos[j]);
    }
  }
}

}  // namespace qvl::kernels
