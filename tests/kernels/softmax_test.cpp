// Softmax: AVX2 against the reference; sums to one and keeps order.
#include <gtest/gtest.h>

#include <algorithm>
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
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(b[i], a[i]) << n << " " << i;
  }
}

// The exp-and-sum core, both modes (attention rows: every group vector, the last
// one zero-padded; other rows: libm tail), on lengths around the 16-lane groups.
TEST(SoftmaxTest, ExpSumAvx2MatchesReference) {
  if (detected_isa() < Isa::kAvx2) GTEST_SKIP() << "no AVX2";
  std::mt19937 rng(6);
  std::normal_distribution<float> nd(0.f, 5.f);
  for (int64_t n : {1, 15, 16, 17, 33, 200}) {
    for (bool all_vector : {false, true}) {
      std::vector<float> a(n);
      for (auto& v : a) v = nd(rng);
      std::vector<float> b = a;
      const float mx = *std::max_element(a.begin(), a.end());
      const double sa = softmax_exp_sum_ref(a.data(), n, mx, all_vector);
      const double sb = softmax_exp_sum_avx2(b.data(), n, mx, all_vector);
      EXPECT_EQ(sa, sb) << n << " " << all_vector;
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(a[i], b[i]) << n << " " << i;
    }
  }
}

TEST(SoftmaxTest, ReferenceMatchesDoubleFormula) {
  std::mt19937 rng(5);
  std::normal_distribution<float> nd(0.f, 5.f);
  for (int64_t n : {3, 16, 17, 100, 256}) {
    std::vector<float> x(n);
    for (auto& v : x) v = nd(rng);
    std::vector<float> p = x;
    softmax_ref(p.data(), n);
    double mx = x[0], sum = 0;
    for (float v : x) mx = std::max(mx, double(v));
    for (float v : x) sum += std::exp(double(v) - mx);
    for (int64_t i = 0; i < n; ++i) {
      const double want = std::exp(double(x[i]) - mx) / sum;
      ASSERT_NEAR(p[i], want, 1e-6 * want + 1e-12) << n << " " << i;
    }
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
