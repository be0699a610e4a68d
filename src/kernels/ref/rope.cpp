// Scalar RoPE oracle and the angle table (kernels/ref). The angle table is shared by
// every path, so it lives here once.
#include <cmath>

#include "kernels/rope.h"

namespace qvl::kernels {

int rope_stream(const RopeParams& p, int j) {
  const auto& s = p.mrope_section;
  if (s[0] == 0 && s[1] == 0 && s[2] == 0) return 0;
  if (p.interleaved) {
    // HF: H takes indices 1,4,.. below 3·s[1]; W takes 2,5,.. below 3·s[2]; T the rest.
    if (j % 3 == 1 && j < 3 * s[1]) return 1;
    if (j % 3 == 2 && j < 3 * s[2]) return 2;
    return 0;
  }
  // Qwen2-VL style contiguous sections [T | H | W].
  if (j < s[0]) return 0;
  if (j < s[0] + s[1]) return 1;
  return 2;
}

void rope_cos_sin(const RopeParams& p, const std::array<int32_t, 3>& pos, float* cos, float* sin) {
  const int half = p.head_dim / 2;
  for (int j = 0; j < half; ++j) {
    const float inv_freq = float(1.0 / std::pow(double(p.theta), double(2 * j) / double(p.head_dim)));
    const float angle = float(pos[rope_stream(p, j)]) * inv_freq;
    cos[j] = float(std::cos(double(angle)));
    sin[j] = float(std::sin(double(angle)));
  }
}

void rope_apply_ref(float* x, int n_head, int head_dim, const float* cos, const float* sin) {
  const int half = head_dim / 2;
  for (int h = 0; h < n_head; ++h) {
    float* v = x + int64_t(h) * head_dim;
    for (int j = 0; j < half; ++j) {
      const float a = v[j], b = v[j + half];
      v[j] = a * cos[j] - b * sin[j];
      v[j + half] = b * cos[j] + a * sin[j];
    }
  }
}

}  // namespace qvl::kernels
