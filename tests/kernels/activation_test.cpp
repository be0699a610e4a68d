// SwiGLU silu(g)·u: AVX2 (polynomial exp) against the scalar reference.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "base/cpu_features.h"
#include "kernels/activation.h"

namespace qvl::kernels {
namespace {

TEST(ActivationTest, SiluMulAvx2MatchesReference) {
  if (detected_isa() < Isa::kAvx2) GTEST_SKIP() << "no AVX2";
  std::mt19937 rng(2);
  std::normal_distribution<float> nd(0.f, 4.f);
  for (int64_t n : {1, 5, 8, 17, 333}) {
    std::vector<float> g(n), u(n), a(n), b(n);
    for (auto& v : g) v = nd(rng);
    for (auto& v : u) v = nd(rng);
    g[0] = -100.f;  // far tail: exp clamps, result must still be ~0, not NaN
    silu_mul_ref(g.data(), u.data(), a.data(), n);
    silu_mul_avx2(g.data(), u.data(), b.data(), n);
    // exp polynomial ~2 ulp, then a divide and a multiply: 1e-6 relative is loose but meaningful.
    for (int64_t i = 0; i < n; ++i) ASSERT_NEAR(b[i], a[i], 1e-6f * (1.f + std::fabs(a[i]))) << n << " " << i;
  }
}

TEST(ActivationTest, SiluValues) {
  const float g[3] = {0.f, 1.f, -2.f}, u[3] = {5.f, 2.f, 1.f};
  float o[3];
  silu_mul_ref(g, u, o, 3);
  EXPECT_FLOAT_EQ(o[0], 0.f);
  EXPECT_NEAR(o[1], 2.f / (1.f + std::exp(-1.f)), 1e-6);
  EXPECT_NEAR(o[2], -2.f / (1.f + std::exp(2.f)), 1e-6);
}

}  // namespace
}  // namespace qvl::kernels
