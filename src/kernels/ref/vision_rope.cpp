// 2-D ViT rotary reference (see kernels/vision_rope.h).
#include "kernels/vision_rope.h"

#include <cmath>
#include <vector>

namespace qvl::kernels {

void vision_rope_ref(float* x, int64_t row_stride, int64_t n_tok, int n_head, int head_dim, const int32_t* rows,
                     const int32_t* cols, float theta) {
  const int half = head_dim / 2, quarter = head_dim / 4;
  std::vector<float> freq(quarter);
  // HF: inv_freq = 1 / theta^(arange(0, dim, 2) / dim) with dim = head_dim / 2, in F32.
  for (int j = 0; j < quarter; ++j) freq[j] = 1.0f / std::pow(theta, static_cast<float>(2 * j) / half);
  std::vector<float> c(half), s(half);
  for (int64_t t = 0; t < n_tok; ++t) {
    for (int i = 0; i < half; ++i) {
      const float pos = static_cast<float>(i < quarter ? rows[t] : cols[t]);
      const float a = pos * freq[i < quarter ? i : i - quarter];
      c[i] = std::cos(a), s[i] = std::sin(a);
    }
    for (int h = 0; h < n_head; ++h) {
      float* v = x + t * row_stride + static_cast<int64_t>(h) * head_dim;
      for (int i = 0; i < half; ++i) {
        const float a = v[i], b = v[i + half];
        v[i] = a * c[i] - b * s[i];
        v[i + half] = b * c[i] + a * s[i];
      }
    }
  }
}

}  // namespace qvl::kernels
