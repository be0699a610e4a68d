// AVX2 SwiGLU (kernels/cpu): silu(g)·u with ggml's vector exp (activation_avx2.h);
// the same bits as ref/activation.cpp.
#include "kernels/cpu/activation_avx2.h"

#include <cmath>

#include "kernels/activation.h"

namespace qvl::kernels {

void exp_ggml_avx2_rows(const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, exp_ggml_avx2(_mm256_loadu_ps(x + i)));
  for (; i < n; ++i) y[i] = expf_ggml(x[i]);
}

void silu_mul_avx2(const float* gate, const float* up, float* out, int64_t n) {
  const int64_t nv = ggml_vec_span(n);
  const __m256 one = _mm256_set1_ps(1.0f);
  int64_t i = 0;
  for (; i < nv; i += 8) {
    const __m256 g = _mm256_loadu_ps(gate + i);
    const __m256 e = exp_ggml_avx2(_mm256_sub_ps(_mm256_setzero_ps(), g));
    const __m256 s = _mm256_div_ps(g, _mm256_add_ps(one, e));
    _mm256_storeu_ps(out + i, _mm256_mul_ps(s, _mm256_loadu_ps(up + i)));
  }
  for (; i < n; ++i) out[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

}  // namespace qvl::kernels
