// ggml's vector exp in AVX2 registers (kernels/cpu, header-only): the instructions of
// ref/activation.cpp's expf_ggml, 8 lanes at a time, with the same bits. Include
// only from *_avx2.cpp files (needs -mavx2 -mfma).
#pragma once
#include <immintrin.h>

#include "kernels/activation.h"

namespace qvl::kernels {

// Lanes with |n| > 126 (result near 0, subnormal or inf) take the scalar routine,
// where 2^n is not one exponent field.
inline __m256 exp_ggml_avx2(__m256 x) {
  const __m256 r = _mm256_set1_ps(0x1.8p23f);
  const __m256 z = _mm256_fmadd_ps(x, _mm256_set1_ps(0x1.715476p+0f), r);
  const __m256 n = _mm256_sub_ps(z, r);
  const __m256 b = _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.7f7d1cp-20f),
                                    _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.62e4p-1f), x));
  const __m256 big = _mm256_cmp_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), n), _mm256_set1_ps(126.0f), _CMP_GT_OQ);
  if (_mm256_movemask_ps(big)) {
    alignas(32) float v[8];
    _mm256_store_ps(v, x);
    for (float& e : v) e = expf_ggml(e);
    return _mm256_load_ps(v);
  }
  const __m256 u = _mm256_mul_ps(b, b);
  const __m256 j = _mm256_fmadd_ps(
      _mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_set1_ps(0x1.0e4020p-7f), b, _mm256_set1_ps(0x1.573e2ep-5f)), u,
                      _mm256_fmadd_ps(_mm256_set1_ps(0x1.555e66p-3f), b, _mm256_set1_ps(0x1.fffdb6p-2f))),
      u, _mm256_fmadd_ps(_mm256_set1_ps(0x1.ffffecp-1f), b, _mm256_set1_ps(1.0f)));
  // 2^n as an exponent field: exact, so j · 2^n rounds once, like vscalefps.
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(j, _mm256_castsi256_ps(e));
}

}  // namespace qvl::kernels
