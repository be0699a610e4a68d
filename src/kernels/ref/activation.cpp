// Scalar SwiGLU oracle and ggml's vector exp, one lane at a time (kernels/ref).
#include <cmath>

#include "kernels/activation.h"

namespace qvl::kernels {

float expf_ggml(float x) {
  // Each line is one instruction of ggml_v_expf (AVX-512); std::fma rounds once like vfmadd.
  const float r = 0x1.8p23f;
  const float z = std::fma(x, 0x1.715476p+0f, r);
  const float n = z - r;  // round(x / ln 2)
  const float b = std::fma(-n, 0x1.7f7d1cp-20f, std::fma(-n, 0x1.62e4p-1f, x));
  if (std::fabs(n) > 192.0f) return n <= 0.0f ? 0.0f : INFINITY;
  const float u = b * b;
  const float j = std::fma(std::fma(std::fma(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u,
                                    std::fma(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)),
                           u, std::fma(0x1.ffffecp-1f, b, 1.0f));
  return std::ldexp(j, int(n));  // vscalefps
}

void silu_mul_ref(const float* gate, const float* up, float* out, int64_t n) {
  const int64_t nv = ggml_vec_span(n);
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    const float e = i < nv ? expf_ggml(0.0f - g) : std::exp(-g);
    out[i] = g / (1.0f + e) * up[i];
  }
}

}  // namespace qvl::kernels
