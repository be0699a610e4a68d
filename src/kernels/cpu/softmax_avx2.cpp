// AVX2 softmax (kernels/cpu): vector max and scaling; the exp and its sum are the
// shared ggml-order softmax_exp_sum (its exp is the same bits as exp_ggml_avx2), so
// the result equals the reference exactly.
#include <immintrin.h>

#include "kernels/softmax.h"

namespace qvl::kernels {

void softmax_avx2(float* x, int64_t n) {
  float mx = x[0];
  int64_t i = 0;
  if (n >= 8) {
    __m256 m = _mm256_loadu_ps(x);
    for (i = 8; i + 8 <= n; i += 8) m = _mm256_max_ps(m, _mm256_loadu_ps(x + i));
    alignas(32) float l[8];
    _mm256_store_ps(l, m);
    for (float v : l) mx = v > mx ? v : mx;
  }
  for (; i < n; ++i) mx = x[i] > mx ? x[i] : mx;
  const float inv = float(1.0 / softmax_exp_sum(x, n, mx, false));
  const __m256 vinv = _mm256_set1_ps(inv);
  for (i = 0; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), vinv));
  for (; i < n; ++i) x[i] *= inv;
}

}  // namespace qvl::kernels
