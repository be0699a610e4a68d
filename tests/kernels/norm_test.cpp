// RMSNorm: the AVX2 path against the reference on odd widths (bit-exact: both use
// ggml's scale computation), and the reference against a double-precision formula.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "base/cpu_features.h"
#include "kernels/norm.h"

namespace qvl::kernels {
namespace {

TEST(NormTest, Avx2MatchesReferenceOnOddShapes) {
  if (detected_isa() < Isa::kAvx2) GTEST_SKIP() << "no AVX2";
  std::mt19937 rng(1);
  std::normal_distribution<float> nd(0.f, 3.f);
  for (int64_t n : {1, 7, 8, 9, 63, 128, 257, 1000}) {
    const int64_t rows = 3;
    std::vector<float> x(rows * n), w(n), y_ref(rows * n), y_fast(rows * n);
    for (float& v : x) v = nd(rng);
    for (float& v : w) v = 1.f + 0.1f * nd(rng);
    rms_norm_ref(x.data(), w.data(), y_ref.data(), rows, n, 1e-6f);
    rms_norm_avx2(x.data(), w.data(), y_fast.data(), rows, n, 1e-6f);
    for (int64_t i = 0; i < rows * n; ++i) ASSERT_EQ(y_fast[i], y_ref[i]) << n << " at " << i;
    // Against the exact formula in double: the scale carries a few F32 roundings
    // (squares, mean, sqrt, division) and each output two more multiplications.
    for (int64_t r = 0; r < rows; ++r) {
      double ss = 0;
      for (int64_t i = 0; i < n; ++i) ss += double(x[r * n + i]) * x[r * n + i];
      const double scale = 1.0 / std::sqrt(ss / double(n) + 1e-6);
      for (int64_t i = 0; i < n; ++i) {
        const double want = double(x[r * n + i]) * scale * w[i];
        ASSERT_NEAR(y_ref[r * n + i], want, 1e-6 * (1.0 + std::fabs(want))) << n;
      }
    }
  }
}

TEST(NormTest, ReferenceHasUnitRms) {
  std::vector<float> x = {3.f, -4.f, 0.f, 5.f}, y(4);
  rms_norm_ref(x.data(), nullptr, y.data(), 1, 4, 0.f);
  double ss = 0;
  for (float v : y) ss += v * v;
  EXPECT_NEAR(ss / 4, 1.0, 1e-6);
  EXPECT_NEAR(y[0], 3.f / std::sqrt(50.f / 4.f), 1e-6);
}

TEST(NormTest, InPlaceWorks) {
  std::vector<float> x = {1.f, 2.f, 3.f}, w = {1.f, 0.5f, 2.f}, want(3);
  rms_norm_ref(x.data(), w.data(), want.data(), 1, 3, 1e-6f);
  rms_norm(x.data(), w.data(), x.data(), 1, 3, 1e-6f);
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(x[i], want[i], 1e-6);
}

}  // namespace
}  // namespace qvl::kernels
