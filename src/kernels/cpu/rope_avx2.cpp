// AVX2 RoPE apply (kernels/cpu): 8 pairs per step; same arithmetic as the reference.
#include <immintrin.h>

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
      _mm256_storeu_ps(lo + j, _mm256_sub_ps(_mm256_mul_ps(a, c), _mm256_mul_ps(b, s)));
      _mm256_storeu_ps(hi + j, _mm256_add_ps(_mm256_mul_ps(b, c), _mm256_mul_ps(a, s)));
    }
    for (; j < half; ++j) {
      const float a = lo[j], b = hi[j];
      lo[j] = a * cos[j] - b * sin[j];
      hi[j] = b * cos[j] + a * sin[j];
    }
  }
}

}  // namespace qvl::kernels
