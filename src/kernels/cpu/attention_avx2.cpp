// AVX2 paged attention (kernels/cpu): two passes over the cache block by block per
// query head (scores, then the V sum), F16 rows converted with F16C; the softmax
// itself is the shared scalar one so probabilities equal the reference's exactly.
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "base/fp16.h"
#include "kernels/attention.h"

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
  if (d % 8 != 0) return attention_ref(q, n_group, kv_head, kv, scale, out, scratch);
  float* scores = scratch;         // [n_kv]
  float* q16 = scores + kv.n_kv;   // [d]
  float* acc = q16 + d;            // [d]
  for (int g = 0; g < n_group; ++g) {
    for (int i = 0; i < d; ++i) q16[i] = fp16_to_f32(f32_to_fp16(q[int64_t(g) * d + i]));
    for (int64_t t0 = 0; t0 < kv.n_kv; t0 += bt) {  // pass 1: scores, block by block
      const int n = int(std::min<int64_t>(bt, kv.n_kv - t0));
      const uint16_t* kb = kv.k + (kv.block_table[t0 / bt] * kv.n_head_kv + kv_head) * int64_t(bt) * d;
      for (int t = 0; t < n; ++t) {
        const uint16_t* k = kb + int64_t(t) * d;
        __m256 s = _mm256_setzero_ps();
        for (int i = 0; i < d; i += 8) s = _mm256_fmadd_ps(_mm256_loadu_ps(q16 + i), load_f16(k + i), s);
        scores[t0 + t] = hsum(s) * scale;
      }
    }
    attention_softmax_f16(scores, kv.n_kv);
    for (int i = 0; i < d; ++i) acc[i] = 0;
    for (int64_t t0 = 0; t0 < kv.n_kv; t0 += bt) {  // pass 2: probability-weighted V rows
      const int n = int(std::min<int64_t>(bt, kv.n_kv - t0));
      const uint16_t* vb = kv.v + (kv.block_table[t0 / bt] * kv.n_head_kv + kv_head) * int64_t(bt) * d;
      for (int t = 0; t < n; ++t) {
        const __m256 vp = _mm256_set1_ps(scores[t0 + t]);
        const uint16_t* v = vb + int64_t(t) * d;
        for (int i = 0; i < d; i += 8)
          _mm256_storeu_ps(acc + i, _mm256_fmadd_ps(vp, load_f16(v + i), _mm256_loadu_ps(acc + i)));
      }
    }
    for (int i = 0; i < d; ++i) out[int64_t(g) * d + i] = acc[i];
  }
}

}  // namespace qvl::kernels
