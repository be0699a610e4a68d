// Scalar paged attention over a Q8_0 KV cache (kernels/ref): the oracle the AVX2 and
// AVX-512 bodies are tested against (attention_q8_0.h gives the arithmetic).
#include <cmath>

#include "base/fp16.h"
#include "kernels/attention_q8_0.h"
#include "kernels/softmax.h"

namespace qvl::kernels {

void attention_softmax_f32(float* scores, int64_t n) {
  float mx = -INFINITY;
  for (int64_t t = 0; t < n; ++t) mx = scores[t] > mx ? scores[t] : mx;
  const float inv = float(1.0 / softmax_exp_sum(scores, n, mx, false));
  for (int64_t t = 0; t < n; ++t) scores[t] *= inv;
}

void attention_q8_0_ref(const float* q, int n_group, int kv_head, const PagedKv& kv, float scale, float* out,
                        float* scratch) {
  const int d = kv.head_dim, nb = d / kQK;
  float* scores = scratch;  // [n_kv]
  for (int g = 0; g < n_group; ++g) {
    const float* qg = q + int64_t(g) * d;
    for (int64_t t = 0; t < kv.n_kv; ++t) {
      const BlockQ8_0* k = q8_0_row(kv.kq, kv, kv_head, t);
      float s = 0;
      for (int b = 0; b < nb; ++b) {
        float sb = 0;
        for (int i = 0; i < kQK; ++i) sb = std::fma(float(k[b].qs[i]), qg[b * kQK + i], sb);
        s = std::fma(fp16_to_f32(k[b].d), sb, s);
      }
      scores[t] = s * scale;
    }
    attention_softmax_f32(scores, kv.n_kv);
    float* o = out + int64_t(g) * d;
    for (int i = 0; i < d; ++i) o[i] = 0;
    for (int64_t t = 0; t < kv.n_kv; ++t) {
      const BlockQ8_0* v = q8_0_row(kv.vq, kv, kv_head, t);
      for (int b = 0; b < nb; ++b) {
        const float w = scores[t] * fp16_to_f32(v[b].d);
        for (int i = 0; i < kQK; ++i) o[b * kQK + i] = std::fma(float(v[b].qs[i]), w, o[b * kQK + i]);
      }
    }
  }
}

}  // namespace qvl::kernels
