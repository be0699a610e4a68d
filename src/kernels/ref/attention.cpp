// Scalar paged attention oracle (kernels/ref): scores for every position, then the
// softmax with F16-rounded probabilities (attention.h says why), then the V sum.
#include <cmath>

#include "base/fp16.h"
#include "kernels/attention.h"

namespace qvl::kernels {

int64_t attention_scratch_floats(int n_group, int head_dim, int64_t n_kv) {
  // Both paths: n_kv scores + one F16-rounded q row + one accumulator row.
  (void)n_group;
  return n_kv + 2 * int64_t(head_dim);
}

float attention_softmax_f16(float* scores, int64_t n) {
  float mx = -INFINITY;
  for (int64_t t = 0; t < n; ++t) mx = scores[t] > mx ? scores[t] : mx;
  double sum = 0;
  for (int64_t t = 0; t < n; ++t) {
    scores[t] = std::exp(scores[t] - mx);
    sum += scores[t];
  }
  const float inv = float(1.0 / sum);
  for (int64_t t = 0; t < n; ++t) scores[t] = fp16_to_f32(f32_to_fp16(scores[t] * inv));
  return mx;
}

static const uint16_t* kv_row(const uint16_t* base, const PagedKv& kv, int kv_head, int64_t t) {
  const int64_t b = kv.block_table[t / kv.block_tokens];
  const int64_t in_block = t % kv.block_tokens;
  return base + ((b * kv.n_head_kv + kv_head) * kv.block_tokens + in_block) * kv.head_dim;
}

void attention_ref(const float* q, int n_group, int kv_head, const PagedKv& kv, float scale, float* out,
                   float* scratch) {
  const int d = kv.head_dim;
  float* scores = scratch;
  float* q16 = scratch + kv.n_kv;
  for (int g = 0; g < n_group; ++g) {
    for (int i = 0; i < d; ++i) q16[i] = fp16_to_f32(f32_to_fp16(q[int64_t(g) * d + i]));
    for (int64_t t = 0; t < kv.n_kv; ++t) {
      const uint16_t* k = kv_row(kv.k, kv, kv_head, t);
      float s = 0;
      for (int i = 0; i < d; ++i) s += q16[i] * fp16_to_f32(k[i]);
      scores[t] = s * scale;
    }
    attention_softmax_f16(scores, kv.n_kv);
    float* o = out + int64_t(g) * d;
    for (int i = 0; i < d; ++i) o[i] = 0;
    for (int64_t t = 0; t < kv.n_kv; ++t) {
      const uint16_t* v = kv_row(kv.v, kv, kv_head, t);
      for (int i = 0; i < d; ++i) o[i] += scores[t] * fp16_to_f32(v[i]);
    }
  }
}

}  // namespace qvl::kernels
