// AVX-512 paged attention over a Q8_0 KV cache (kernels/cpu): as the AVX2 body with
// 16 lanes, two per Q8_0 block. The V sum keeps the reference's per-lane fma order
// (identical bits); the K dot products sum in a different order (a few ulp).
#include <immintrin.h>

#include "base/fp16.h"
#include "kernels/attention_q8_0.h"

namespace qvl::kernels {
namespace {

// 16 int8 at p -> 16 floats.
inline __m512 load_q8(const int8_t* p) {
  return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
}

float dot_q8_0(const BlockQ8_0* k, const float* q, int nb) {
  __m512 acc = _mm512_setzero_ps();
  for (int b = 0; b < nb; ++b, q += kQK) {
    __m512 s = _mm512_mul_ps(load_q8(k[b].qs), _mm512_loadu_ps(q));
    s = _mm512_fmadd_ps(load_q8(k[b].qs + 16), _mm512_loadu_ps(q + 16), s);
    acc = _mm512_fmadd_ps(_mm512_set1_ps(fp16_to_f32(k[b].d)), s, acc);
  }
  return _mm512_reduce_add_ps(acc);
}

}  // namespace

void attention_q8_0_avx512(const float* q, int n_group, int kv_head, const PagedKv& kv, float scale, float* out,
                           float* scratch) {
  const int d = kv.head_dim, nb = d / kQK;
  float* scores = scratch;
  for (int g = 0; g < n_group; ++g) {
    const float* qg = q + int64_t(g) * d;
    for (int64_t t = 0; t < kv.n_kv; ++t) scores[t] = dot_q8_0(q8_0_row(kv.kq, kv, kv_head, t), qg, nb) * scale;
    attention_softmax_f32(scores, kv.n_kv);
    float* o = out + int64_t(g) * d;
    for (int i = 0; i < d; i += 16) _mm512_storeu_ps(o + i, _mm512_setzero_ps());
    for (int64_t t = 0; t < kv.n_kv; ++t) {
      const BlockQ8_0* v = q8_0_row(kv.vq, kv, kv_head, t);
      for (int b = 0; b < nb; ++b) {
        const __m512 w = _mm512_set1_ps(scores[t] * fp16_to_f32(v[b].d));
        float* ob = o + b * kQK;
        _mm512_storeu_ps(ob, _mm512_fmadd_ps(load_q8(v[b].qs), w, _mm512_loadu_ps(ob)));
        _mm512_storeu_ps(ob + 16, _mm512_fmadd_ps(load_q8(v[b].qs + 16), w, _mm512_loadu_ps(ob + 16)));
      }
    }
  }
}

}  // namespace qvl::kernels
