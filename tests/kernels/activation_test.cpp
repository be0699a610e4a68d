// SwiGLU silu(g)·u and ggml's vector exp: AVX2 against the scalar reference (bit
// for bit), the reference against libm.
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
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(b[i], a[i]) << n << " " << i;
    // Against libm: exp within ~2 ulp, then a divide and a multiply.
    for (int64_t i = 0; i < n; ++i) {
      const double want = double(g[i]) / (1.0 + std::exp(-double(g[i]))) * u[i];
      ASSERT_NEAR(a[i], want, 1e-6 * (1.0 + std::fabs(want))) << n << " " << i;
    }
  }
}

// ggml's exp: within 2 ulp of libm's over the range, 0 and inf in the far tails,
// and the AVX2 lanes (including those that fall back to the scalar routine)
// give the scalar routine's bits.
TEST(ActivationTest, ExpGgmlMatchesLibmAndAvx2) {
  std::vector<float> xs;
  for (float x = -110.f; x < 95.f; x += 0.013f) xs.push_back(x);
  for (float x : {-1e30f, -200.f, -104.5f, -87.5f, 0.f, 1e-8f, 88.f, 88.5f, 300.f}) xs.push_back(x);
  for (float x : xs) {
    const float e = expf_ggml(x), want = std::exp(x);
    if (x < -104.f) {
      ASSERT_EQ(e, 0.f) << x;
    } else if (x > 89.f) {
      ASSERT_TRUE(std::isinf(e)) << x;
    } else if (want > 1e-37f && want < 1e38f) {
      ASSERT_NEAR(e, want, 2.5e-7f * want) << x;
    }
  }
  if (detected_isa() < Isa::kAvx2) GTEST_SKIP() << "no AVX2";
  std::vector<float> out(xs.size());
  exp_ggml_avx2_rows(xs.data(), out.data(), int64_t(xs.size()));
  for (size_t i = 0; i < xs.size(); ++i) ASSERT_EQ(out[i], expf_ggml(xs[i])) << xs[i];
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
