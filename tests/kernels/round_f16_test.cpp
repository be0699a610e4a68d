// F32 -> F16 -> F32 rounding: the F16C body equals the scalar reference (base/fp16.h)
// on a sweep of float bit patterns (every sign, exponent and a spread of mantissas,
// so subnormal halves, ties, overflow to infinity and infinities are covered) and on
// odd lengths (the scalar tail); NaN stays NaN.
#include "kernels/round_f16.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "base/cpu_features.h"

namespace qvl::kernels {
namespace {

float from_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

TEST(RoundF16, Avx2EqualsReferenceOnEveryExponent) {
  if (detected_isa() < Isa::kAvx2) GTEST_SKIP() << "no AVX2/F16C on this CPU";
  std::vector<float> x;
  for (uint32_t sign = 0; sign < 2; ++sign)
    for (uint32_t e = 0; e < 256; ++e)
      for (uint32_t m = 0; m < (1u << 23); m += 4099)  // odd stride: low bits vary too
        for (uint32_t low : {0u, 0xfffu, 0x1000u, 0x1fffu, 0x2000u})  // around the half-ulp tie of a half
          x.push_back(from_bits(sign << 31 | e << 23 | ((m & ~0x3fffu) | low)));
  x.push_back(65504.0f), x.push_back(65520.0f), x.push_back(65519.996f), x.push_back(-65520.0f);
  std::vector<float> want(x.size()), got(x.size());
  round_to_f16_ref(x.data(), want.data(), int64_t(x.size()));
  round_to_f16_avx2(x.data(), got.data(), int64_t(x.size()));
  size_t checked = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    if (std::isnan(x[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << i;
      continue;
    }
    ASSERT_EQ(bits(got[i]), bits(want[i])) << "x=" << x[i] << " (bits " << std::hex << bits(x[i]) << ")";
    ++checked;
  }
  EXPECT_GT(checked, 1000000u);
}

TEST(RoundF16, OddLengthsAndInPlace) {
  for (int64_t n : {0, 1, 7, 8, 9, 31}) {
    std::vector<float> x(static_cast<size_t>(n)), want(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) x[size_t(i)] = 1.0f / float(i + 3) + 1e-5f * float(i);
    round_to_f16_ref(x.data(), want.data(), n);
    round_to_f16(x.data(), x.data(), n);  // in place, through the dispatch
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(bits(x[size_t(i)]), bits(want[size_t(i)])) << n << " " << i;
  }
}

}  // namespace
}  // namespace qvl::kernels
