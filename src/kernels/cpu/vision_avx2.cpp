// AVX2 kernels of the ViT (kernels/cpu): the tanh GELU (gelu.h) and the attention
// row softmax (vision_attention.h), both on a Cephes-style vector exp that clamps
// instead of falling back to scalar code. HF-path speed; not llama.cpp's bits.
#include <immintrin.h>

#include <cmath>

#include "kernels/gelu.h"
#include "kernels/vision_attention.h"

namespace qvl::kernels {

namespace {

// e^x for x clamped to [-87.3, 88.4]: 2^n · p(r), r = x - n·ln2 in two parts, p the
// degree-7 Cephes expf polynomial. ~1 ulp; below the clamp the result is ~1e-38.
inline __m256 exp_avx2(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3365f)), _mm256_set1_ps(88.3762f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  // n in [-126, 128]: split 2^n in two factors so n = 128 does not overflow the field.
  const __m256i ni = _mm256_cvtps_epi32(n);
  const __m256i h = _mm256_srai_epi32(ni, 1);
  const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(h, _mm256_set1_epi32(127)), 23));
  const __m256 s2 = _mm256_castsi256_ps(
      _mm256_slli_epi32(_mm256_add_epi32(_mm256_sub_epi32(ni, h), _mm256_set1_epi32(127)), 23));
  return _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
}

inline float hmax(__m256 v) {
  alignas(32) float l[8];
  _mm256_store_ps(l, v);
  float m = l[0];
  for (float e : l) m = std::fmax(m, e);
  return m;
}

inline float hsum(__m256 v) {
  alignas(32) float l[8];
  _mm256_store_ps(l, v);
  return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
}

}  // namespace

void gelu_tanh_avx2(const float* x, float* y, int64_t n) {
  constexpr float kM2 = -2.0f * 0.7978845608028654f, kC = 0.044715f;
  const __m256 m2 = _mm256_set1_ps(kM2), c = _mm256_set1_ps(kC), one = _mm256_set1_ps(1.0f);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    const __m256 t = _mm256_mul_ps(m2, _mm256_fmadd_ps(_mm256_mul_ps(c, v), _mm256_mul_ps(v, v), v));  // -2u
    _mm256_storeu_ps(y + i, _mm256_div_ps(v, _mm256_add_ps(one, exp_avx2(t))));
  }
  for (; i < n; ++i) {
    const float v = x[i];
    y[i] = v / (1.0f + std::exp(kM2 * (v + kC * v * v * v)));
  }
}

void vision_softmax_avx2(float* x, int64_t n, float scale) {
  const __m256 s = _mm256_set1_ps(scale);
  float mx = -INFINITY;
  int64_t i = 0;
  if (n >= 8) {
    __m256 m = _mm256_set1_ps(-INFINITY);
    for (; i + 8 <= n; i += 8) m = _mm256_max_ps(m, _mm256_mul_ps(_mm256_loadu_ps(x + i), s));
    mx = hmax(m);
  }
  for (; i < n; ++i) mx = std::fmax(mx, x[i] * scale);
  const __m256 vmx = _mm256_set1_ps(mx);
  __m256 acc = _mm256_setzero_ps();
  float tail = 0.0f;
  for (i = 0; i + 8 <= n; i += 8) {
    const __m256 e = exp_avx2(_mm256_sub_ps(_mm256_mul_ps(_mm256_loadu_ps(x + i), s), vmx));
    _mm256_storeu_ps(x + i, e);
    acc = _mm256_add_ps(acc, e);
  }
  for (; i < n; ++i) tail += (x[i] = std::exp(x[i] * scale - mx));
  const float inv = 1.0f / (hsum(acc) + tail);
  const __m256 vinv = _mm256_set1_ps(inv);
  for (i = 0; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), vinv));
  for (; i < n; ++i) x[i] *= inv;
}

}  // namespace qvl::kernels
