// AVX2 paged attention (kernels/cpu): walks the cache block by block, converting F16
// rows with F16C once per row and reusing them for every query head of the group;
// softmax is one pass with a running max (rescaling the accumulators when it grows).
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "base/fp16.h"
#include "kernels/attention.h"
#include "kernels/cpu/activation_avx2.h"

namespace qvl::kernels {
namespace {

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline __m256 load_f16(const uint16_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

}  // namespace

void attention_avx2(const float* q, int n_group, int kv_head, const PagedKv& kv, float scale, float* out,
                    float* scratch) {
  const int d = kv.head_dim, bt = kv.block_tokens;
  if (d % 8 != 0 || bt > 64) return attention_ref(q, n_group, kv_head, kv, scale, out, scratch);
  float* q16 = scratch;                                // [n_group, d]
  float* acc = q16 + int64_t(n_group) * d;             // [n_group, d]
  float* scores = acc + int64_t(n_group) * d;          // [64]
  float* mx = scores + 64;                             // [n_group]
  float* sum = mx + n_group;                           // [n_group]
  for (int g = 0; g < n_group; ++g) {
    for (int i = 0; i < d; ++i) q16[int64_t(g) * d + i] = fp16_to_f32(f32_to_fp16(q[int64_t(g) * d + i]));
    for (int i = 0; i < d; ++i) acc[int64_t(g) * d + i] = 0;
    mx[g] = -INFINITY;
    sum[g] = 0;
  }
  for (int64_t t0 = 0; t0 < kv.n_kv; t0 += bt) {
    const int n = int(std::min<int64_t>(bt, kv.n_kv - t0));
    const int64_t b = kv.block_table[t0 / bt];
    const uint16_t* kb = kv.k + (b * kv.n_head_kv + kv_head) * int64_t(bt) * d;
    const uint16_t* vb = kv.v + (b * kv.n_head_kv + kv_head) * int64_t(bt) * d;
    for (int g = 0; g < n_group; ++g) {
      const float* qg = q16 + int64_t(g) * d;
      float bmax = -INFINITY;
      for (int t = 0; t < n; ++t) {
        const uint16_t* k = kb + int64_t(t) * d;
        __m256 s = _mm256_setzero_ps();
        for (int i = 0; i < d; i += 8) s = _mm256_fmadd_ps(_mm256_loadu_ps(qg + i), load_f16(k + i), s);
        scores[t] = hsum(s) * scale;
        bmax = scores[t] > bmax ? scores[t] : bmax;
      }
      float* ag = acc + int64_t(g) * d;
      if (bmax > mx[g]) {  // rescale what was accumulated under the old max
        const float r = std::exp(mx[g] - bmax);
        const __m256 vr = _mm256_set1_ps(r);
        for (int i = 0; i < d; i += 8) _mm256_storeu_ps(ag + i, _mm256_mul_ps(_mm256_loadu_ps(ag + i), vr));
        sum[g] *= r;
        mx[g] = bmax;
      }
      for (int t = 0; t < n; ++t) {
        const float p = std::exp(scores[t] - mx[g]);
        sum[g] += p;
        const __m256 vp = _mm256_set1_ps(p);
        const uint16_t* v = vb + int64_t(t) * d;
        for (int i = 0; i < d; i += 8)
          _mm256_storeu_ps(ag + i, _mm256_fmadd_ps(vp, load_f16(v + i), _mm256_loadu_ps(ag + i)));
      }
    }
  }
  for (int g = 0; g < n_group; ++g) {
    const __m256 inv = _mm256_set1_ps(1.0f / sum[g]);
    for (int i = 0; i < d; i += 8)
      _mm256_storeu_ps(out + int64_t(g) * d + i, _mm256_mul_ps(_mm256_loadu_ps(acc + int64_t(g) * d + i), inv));
  }
}

}  // namespace qvl::kernels
