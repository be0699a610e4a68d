// Scalar paged attention oracle (kernels/ref): scores for every position, then the
// softmax with F16-rounded probabilities, then the V sum, all in llama.cpp's order
// (attention.h says why).
#include <cmath>

#include "base/fp16.h"
#include "kernels/attention.h"
#include "kernels/ggml_order.h"
#include "kernels/softmax.h"

namespace qvl::kernels {

int64_t attention_scratch_floats(int n_group, int head_dim, int64_t n_kv) {
  // scores [n_kv], one F16-rounded q row [d], lane accumulators [64][d] (avx2).
  (void)n_group;
  return n_kv + 65 * int64_t(head_dim);
}

float attention_softmax_f16(float* scores, int64_t n) {
  float mx = -INFINITY;
  for (int64_t t = 0; t < n; ++t) mx = scores[t] > mx ? scores[t] : mx;
  const float inv = float(1.0 / softmax_exp_sum(scores, n, mx, true));
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
  // tinyBLAS takes the V product only when d % 4 == 0 (rows in tiles of 4).
  const bool v_gemm = !kv.single && d % 4 == 0;
  const int lanes = v_gemm ? 16 : 64;
  for (int g = 0; g < n_group; ++g) {
    for (int i = 0; i < d; ++i) q16[i] = fp16_to_f32(f32_to_fp16(q[int64_t(g) * d + i]));
    for (int64_t t = 0; t < kv.n_kv; ++t)
      scores[t] = dot_f16_ggml(kv_row(kv.k, kv, kv_head, t), q16, d, !kv.single) * scale;
    attention_softmax_f16(scores, kv.n_kv);
    float* o = out + int64_t(g) * d;
    for (int i = 0; i < d; ++i) {
      float acc[64] = {};  // acc[t % lanes]; as [4][16] when lanes == 64
      for (int64_t t = 0; t < kv.n_kv; ++t) {
        float& a = acc[t % lanes];
        a = std::fma(fp16_to_f32(kv_row(kv.v, kv, kv_head, t)[i]), scores[t], a);
      }
      o[i] = v_gemm ? reduce16(acc) : reduce4x16(reinterpret_cast<float(*)[16]>(acc));
    }
  }
}

}  // namespace qvl::kernels
