// ViT attention reference (see kernels/vision_attention.h).
#include "kernels/vision_attention.h"

#include <cmath>

namespace qvl::kernels {

void vision_attention_ref(const float* q, const float* k, const float* v, int64_t stride, int64_t q_begin,
                          int64_t q_end, int64_t n_kv, int head_dim, float scale, float* out, int64_t out_stride,
                          float* scratch) {
  for (int64_t i = q_begin; i < q_end; ++i) {
    const float* qi = q + i * stride;
    float mx = -INFINITY;
    for (int64_t j = 0; j < n_kv; ++j) {
      const float* kj = k + j * stride;
      float d = 0;
      for (int e = 0; e < head_dim; ++e) d += qi[e] * kj[e];
      scratch[j] = d * scale;
      mx = scratch[j] > mx ? scratch[j] : mx;
    }
    float sum = 0;
    for (int64_t j = 0; j < n_kv; ++j) sum += (scratch[j] = std::exp(scratch[j] - mx));
    const float inv = 1.0f / sum;
    float* o = out + i * out_stride;
    for (int e = 0; e < head_dim; ++e) o[e] = 0;
    for (int64_t j = 0; j < n_kv; ++j) {
      const float p = scratch[j] * inv;
      const float* vj = v + j * stride;
      for (int e = 0; e < head_dim; ++e) o[e] += p * vj[e];
    }
  }
}

void vision_softmax_ref(float* x, int64_t n, float scale) {
  float mx = -INFINITY;
  for (int64_t j = 0; j < n; ++j) mx = std::fmax(mx, x[j] * scale);
  float sum = 0;
  for (int64_t j = 0; j < n; ++j) sum += (x[j] = std::exp(x[j] * scale - mx));
  const float inv = 1.0f / sum;
  for (int64_t j = 0; j < n; ++j) x[j] *= inv;
}

}  // namespace qvl::kernels
