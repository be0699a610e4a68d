// AVX2 softmax (kernels/cpu): vector max, exp (exp_ggml_avx2, expf_ggml's bits),
// group sums in _mm512_reduce_add_ps's tree and scaling; equals the reference exactly.
#include <immintrin.h>

#include <cmath>

#include "kernels/activation.h"
#include "kernels/cpu/activation_avx2.h"
#include "kernels/softmax.h"

namespace qvl::kernels {

double softmax_exp_sum_avx2(float* x, int64_t n, float mx, bool all_vector) {
  const int64_t nv = all_vector ? n : ggml_vec_span(n);
  const __m256 vm = _mm256_set1_ps(mx);
  double sum = 0;
  int64_t i = 0;
  for (; i + 16 <= nv; i += 16) {
    const __m256 lo = exp_ggml_avx2(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm));
    const __m256 hi = exp_ggml_avx2(_mm256_sub_ps(_mm256_loadu_ps(x + i + 8), vm));
    _mm256_storeu_ps(x + i, lo);
    _mm256_storeu_ps(x + i + 8, hi);
    __m128 s = _mm256_castps256_ps128(_mm256_add_ps(hi, lo));  // reduce16: halves,
    s = _mm_add_ps(_mm256_extractf128_ps(_mm256_add_ps(hi, lo), 1), s);  // quarters,
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));                              // pairs
    sum += double(_mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s))));
  }
  if (i < nv) return sum + softmax_exp_sum_ref(x + i, n - i, mx, all_vector);  // a partial last group
  for (; i < n; ++i) {
    x[i] = std::exp(x[i] - mx);
    sum += double(x[i]);
  }
  return sum;
}

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
  const float inv = float(1.0 / softmax_exp_sum_avx2(x, n, mx, false));
  const __m256 vinv = _mm256_set1_ps(inv);
  for (i = 0; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), vinv));
  for (; i < n; ++i) x[i] *= inv;
}

}  // namespace qvl::kernels
