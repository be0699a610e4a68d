// Softmax: AVX2 against the reference; sums to one and keeps order.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "base/cpu_features.h"
#include "kernels/softmax.h"

namespace qvl::kernels {
namespace {

TEST(SoftmaxTest, Avx2MatchesReference) {
  if (detected_isa() < Isa::kAvx2) GTEST_SKIP() << "no AVX2";
  std::mt19937 rng(3);
  std::normal_distribution<float> nd(0.f, 5.f);
  for (int64_t n : {1, 2, 7, 8, 9, 128, 129, 1001}) {
    std::vector<float> a(n), b;
    for (auto& v : a) v = nd(rng);
    b = a;
    softmax_ref(a.data(), n);
    softmax_avx2(b.data(), n);
    // Per-element exp error ~1e-7 relative plus F32 sum order: 1e-6 relative.
    for (int64_t i = 0; i < n; ++i) ASSERT_NEAR(b[i], a[i], 1e-6f * a[i] + 1e-9f) << n << " " << i;
  }
}

TEST(SoftmaxTest, ReferenceProperties) {
  std::vector<float> x = {1.f, 3.f, 2.f, 1000.f};
  softmax_ref(x.data(), 3);  // the last entry is not part of the row
  EXPECT_NEAR(x[0] + x[1] + x[2], 1.f, 1e-6);
  EXPECT_GT(x[1], x[2]);
  EXPECT_GT(x[2], x[0]);
  EXPECT_NEAR(x[1] / x[2], std::exp(1.f), 1e-5);
  EXPECT_EQ(x[3], 1000.f);
}

}  // namespace
}  // namespace qvl::kernels
