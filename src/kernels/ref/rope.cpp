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
  // ggml's recurrence: θ_j = θ_{j-1} · base^(-2/d) in F32, one running angle per stream.
  const float step = std::pow(p.theta, -2.0f / float(p.head_dim));
  float angle[3] = {float(pos[0]), float(pos[1]), float(pos[2])};
  for (int j = 0; j < half; ++j) {
    const float a = angle[rope_stream(p, j)];
    cos[j] = std::cos(a);
    sin[j] = std::sin(a);
    for (float& t : angle) t *= step;
  }
}

void rope_apply_ref(float* x, int n_head, int head_dim, const float* cos, const float* sin) {
  const int half = head_dim / 2;
  for (int h = 0; h < n_head; ++h) {
    float* v = x + int64_t(h) * head_dim;
    for (int j = 0; j < half; ++j) {
      const float a = v[j], b = v[j + half];
      // The contraction GCC applies to ggml's `x0*cos - x1*sin` / `x0*sin + x1*cos`.
      v[j] = std::fma(a, cos[j], -(b * sin[j]));
      v[j + half] = std::fma(a, sin[j], b * cos[j]);
    }
  }
}

}  // namespace qvl::kernels
