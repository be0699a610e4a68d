// AVX2 softmax (kernels/cpu): vector max, vector exp, 8-lane sum.
#include <cmath>

#include "kernels/cpu/activation_avx2.h"
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
  const __m256 vm = _mm256_set1_ps(mx);
  __m256 acc = _mm256_setzero_ps();
  for (i = 0; i + 8 <= n; i += 8) {
    const __m256 e = exp_avx2(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm));
    _mm256_storeu_ps(x + i, e);
    acc = _mm256_add_ps(acc, e);
  }
  alignas(32) float l[8];
  _mm256_store_ps(l, acc);
  float sum = 0;
  for (float v : l) sum += v;
  for (; i < n; ++i) {
    x[i] = std::exp(x[i] - mx);
    sum += x[i];
  }
  const __m256 inv = _mm256_set1_ps(1.0f / sum);
  for (i = 0; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), inv));
  for (; i < n; ++i) x[i] *= 1.0f / sum;
}

}  // namespace qvl::kernels
