// RoPE: the interleaved MRoPE stream assignment (spec §3.2, HF rule), angle table,
// and the AVX2 apply against the reference.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "base/cpu_features.h"
#include "kernels/rope.h"

namespace qvl::kernels {
namespace {

TEST(RopeTest, InterleavedStreamsFollowHuggingFace) {
  RopeParams p;
  p.head_dim = 128;
  p.mrope_section = {24, 20, 20};
  int count[3] = {0, 0, 0};
  for (int j = 0; j < 64; ++j) ++count[rope_stream(p, j)];
  EXPECT_EQ(count[0], 24);
  EXPECT_EQ(count[1], 20);
  EXPECT_EQ(count[2], 20);
  EXPECT_EQ(rope_stream(p, 0), 0);
  EXPECT_EQ(rope_stream(p, 1), 1);
  EXPECT_EQ(rope_stream(p, 2), 2);
  EXPECT_EQ(rope_stream(p, 58), 1);
  EXPECT_EQ(rope_stream(p, 59), 2);
  EXPECT_EQ(rope_stream(p, 61), 0);  // ggml IMROPE would use its 4th stream here
  EXPECT_EQ(rope_stream(p, 62), 0);
  EXPECT_EQ(rope_stream(p, 63), 0);
}

TEST(RopeTest, TextPositionsEqualPlainRope) {
  RopeParams vl, plain;
  vl.head_dim = plain.head_dim = 128;
  vl.theta = plain.theta = 5e6f;
  vl.mrope_section = {24, 20, 20};
  std::vector<float> a(128), b(128);
  vl.interleaved = true;
  rope_cos_sin(vl, {17, 17, 17}, a.data(), a.data() + 64);
  rope_cos_sin(plain, {17, 0, 0}, b.data(), b.data() + 64);
  for (int i = 0; i < 128; ++i) EXPECT_EQ(a[i], b[i]);
  // Different h/w positions must change exactly the H and W frequencies.
  rope_cos_sin(vl, {17, 3, 9}, a.data(), a.data() + 64);
  for (int j = 0; j < 64; ++j) {
    const bool t_stream = rope_stream(vl, j) == 0;
    if (t_stream) {
      EXPECT_EQ(a[j], b[j]) << j;
    }
  }
  EXPECT_NE(a[1], b[1]);
  EXPECT_NE(a[2], b[2]);
}

TEST(RopeTest, AngleTableValues) {
  RopeParams p;
  p.head_dim = 8;
  p.theta = 10000.f;
  std::vector<float> c(4), s(4);
  rope_cos_sin(p, {3, 0, 0}, c.data(), s.data());
  for (int j = 0; j < 4; ++j) {
    const double ang = 3.0 * std::pow(10000.0, -2.0 * j / 8.0);
    EXPECT_NEAR(c[j], std::cos(ang), 1e-6);
    EXPECT_NEAR(s[j], std::sin(ang), 1e-6);
  }
}

// The running F32 angle (ggml's recurrence) drifts from pos·base^(-2j/d) by about
// one rounding per step: at position 4000 the cos/sin still agree to ~j·2^-24·θ.
TEST(RopeTest, AngleRecurrenceStaysCloseToExactAngle) {
  RopeParams p;
  p.head_dim = 128;
  std::vector<float> c(64), s(64);
  rope_cos_sin(p, {4000, 4000, 4000}, c.data(), s.data());
  for (int j = 0; j < 64; ++j) {
    const double ang = 4000.0 * std::pow(1e6, -2.0 * j / 128.0);
    const double tol = 1e-6 + (j + 2) * 1.2e-7 * ang;
    EXPECT_NEAR(c[j], std::cos(ang), tol) << j;
    EXPECT_NEAR(s[j], std::sin(ang), tol) << j;
  }
}

TEST(RopeTest, ApplyRotatesHalfPairs) {
  // head_dim 4: pairs (0,2) and (1,3); a 90-degree turn on pair 0 only.
  float x[4] = {1.f, 2.f, 3.f, 4.f};
  const float c[2] = {0.f, 1.f}, s[2] = {1.f, 0.f};
  rope_apply_ref(x, 1, 4, c, s);
  EXPECT_FLOAT_EQ(x[0], -3.f);
  EXPECT_FLOAT_EQ(x[2], 1.f);
  EXPECT_FLOAT_EQ(x[1], 2.f);
  EXPECT_FLOAT_EQ(x[3], 4.f);
}

TEST(RopeTest, Avx2MatchesReference) {
  if (detected_isa() < Isa::kAvx2) GTEST_SKIP() << "no AVX2";
  std::mt19937 rng(4);
  std::normal_distribution<float> nd(0.f, 1.f);
  for (int d : {2, 16, 18, 64, 128, 144}) {
    RopeParams p;
    p.head_dim = d;
    std::vector<float> cs(d);
    rope_cos_sin(p, {1234, 0, 0}, cs.data(), cs.data() + d / 2);
    const int n_head = 3;
    std::vector<float> a(n_head * d);
    for (auto& v : a) v = nd(rng);
    std::vector<float> b = a;
    rope_apply_ref(a.data(), n_head, d, cs.data(), cs.data() + d / 2);
    rope_apply_avx2(b.data(), n_head, d, cs.data(), cs.data() + d / 2);
    // Same fused multiply-adds in the same order: identical bits.
    for (size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i], b[i]) << d << " at " << i;
  }
}

}  // namespace
}  // namespace qvl::kernels
