// AVX2 paged attention over a Q8_0 KV cache (kernels/cpu): int8 rows widened to F32
// in registers (never written out), K dot products in 8-lane accumulators, the V sum
// vectorised over the head dim with the reference's per-lane fma order, so only the
// K dot products round differently from attention_q8_0_ref.
#include <immintrin.h>

#include "base/fp16.h"
#include "kernels/attention_q8_0.h"

namespace qvl::kernels {
namespace {

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_extractf128_ps(v, 1), _mm256_castps256_ps128(v));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// 8 int8 at p -> 8 floats.
inline __m256 load_q8(const int8_t* p) {
  return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
}

float dot_q8_0(const BlockQ8_0* k, const float* q, int nb) {
  __m256 acc = _mm256_setzero_ps();
  for (int b = 0; b < nb; ++b, q += kQK) {
    __m256 s = _mm256_mul_ps(load_q8(k[b].qs), _mm256_loadu_ps(q));
    s = _mm256_fmadd_ps(load_q8(k[b].qs + 8), _mm256_loadu_ps(q + 8), s);
    s = _mm256_fmadd_ps(load_q8(k[b].qs + 16), _mm256_loadu_ps(q + 16), s);
    s = _mm256_fmadd_ps(load_q8(k[b].qs + 24), _mm256_loadu_ps(q + 24), s);
    acc = _mm256_fmadd_ps(_mm256_set1_ps(fp16_to_f32(k[b].d)), s, acc);
  }
  return hsum(acc);
}

}  // namespace

void attention_q8_0_avx2(const float* q, int n_group, int kv_head, const PagedKv& kv, float scale, float* out,
                         float* scratch) {
  const int d = kv.head_dim, nb = d / kQK;
  float* scores = scratch;
  for (int g = 0; g < n_group; ++g) {
    const float* qg = q + int64_t(g) * d;
    for (int64_t t = 0; t < kv.n_kv; ++t) scores[t] = dot_q8_0(q8_0_row(kv.kq, kv, kv_head, t), qg, nb) * scale;
    attention_softmax_f32(scores, kv.n_kv);
    float* o = out + int64_t(g) * d;
    for (int i = 0; i < d; i += 8) _mm256_storeu_ps(o + i, _mm256_setzero_ps());
    for (int64_t t = 0; t < kv.n_kv; ++t) {
      const BlockQ8_0* v = q8_0_row(kv.vq, kv, kv_head, t);
      for (int b = 0; b < nb; ++b) {
        const __m256 w = _mm256_set1_ps(scores[t] * fp16_to_f32(v[b].d));
        float* ob = o + b * kQK;
        for (int j = 0; j < kQK; j += 8)
          _mm256_storeu_ps(ob + j, _mm256_fmadd_ps(load_q8(v[b].qs + j), w, _mm256_loadu_ps(ob + j)));
      }
    }
  }
}

}  // namespace qvl::kernels
