// Scalar paged attention oracle (kernels/ref): scores for every position, then a
// double-precision softmax, then the weighted V sum.
#include <cmath>

#include "base/fp16.h"
#include "kernels/attention.h"

namespace qvl::kernels {

int64_t attention_scratch_floats(int n_group, int head_dim, int64_t n_kv) {
  // ref: n_kv scores + one F16-rounded q row; avx2: n_group·(d + bt + 2) (bt <= 64).
  const int64_t ref = n_kv + head_dim;
  const int64_t fast = int64_t(n_group) * (2 * head_dim + 64 + 2);
  return ref > fast ? ref : fast;
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
    float mx = -INFINITY;
    for (int64_t t = 0; t < kv.n_kv; ++t) {
      const uint16_t* k = kv_row(kv.k, kv, kv_head, t);
      float s = 0;
      for (int i = 0; i < d; ++i) s += q16[i] * fp16_to_f32(k[i]);
      scores[t] = s * scale;
      mx = scores[t] > mx ? scores[t] : mx;
    }
    double sum = 0;
    for (int64_t t = 0; t < kv.n_kv; ++t) sum += std::exp(double(scores[t]) - mx);
    float* o = out + int64_t(g) * d;
    for (int i = 0; i < d; ++i) o[i] = 0;
    for (int64_t t = 0; t < kv.n_kv; ++t) {
      const float p = float(std::exp(double(scores[t]) - mx) / sum);
      const uint16_t* v = kv_row(kv.v, kv, kv_head, t);
      for (int i = 0; i < d; ++i) o[i] += p * fp16_to_f32(v[i]);
    }
  }
}

}  // namespace qvl::kernels
