// Vision kernel references on odd shapes against formulas evaluated in double
// here (layernorm, GELU tanh/erf, 2-D rotary, bidirectional attention), and the
// AVX2 GELU / attention softmax against their references.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "base/cpu_features.h"
#include "kernels/gelu.h"
#include "kernels/layernorm.h"
#include "kernels/vision_attention.h"
#include "kernels/vision_rope.h"

namespace qvl::kernels {
namespace {

std::vector<float> randv(size_t n, int seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

TEST(VisionKernels, LayerNormOddShape) {
  const int64_t rows = 5, n = 37;
  auto x = randv(rows * n, 1, 3.0f), w = randv(n, 2), b = randv(n, 3);
  for (float& v : x) v += 10.0f;  // a large mean exposes one-pass variance cancellation
  std::vector<float> y(x.size());
  layer_norm_ref(x.data(), w.data(), b.data(), y.data(), rows, n, 1e-6f);
  for (int64_t r = 0; r < rows; ++r) {
    double m = 0, v = 0;
    for (int64_t i = 0; i < n; ++i) m += x[r * n + i];
    m /= n;
    for (int64_t i = 0; i < n; ++i) v += (x[r * n + i] - m) * (x[r * n + i] - m);
    v /= n;
    for (int64_t i = 0; i < n; ++i) {
      const double want = (x[r * n + i] - m) / std::sqrt(v + 1e-6) * w[i] + b[i];
      EXPECT_NEAR(y[r * n + i], want, 1e-5 * (1 + std::fabs(want)));  // F32 output rounding
    }
  }
}

TEST(VisionKernels, GeluKnownValues) {
  const float x[5] = {-3.0f, -0.5f, 0.0f, 1.0f, 2.5f};
  float t[5], e[5];
  gelu_tanh_ref(x, t, 5);
  gelu_erf_ref(x, e, 5);
  for (int i = 0; i < 5; ++i) {
    const double v = x[i];
    EXPECT_NEAR(e[i], 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))), 1e-6);
    EXPECT_NEAR(t[i], 0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v))), 1e-6);
  }
  EXPECT_NEAR(e[3], 0.8413447, 1e-6);
  EXPECT_NEAR(t[3], 0.8411920, 1e-6);
}

TEST(VisionKernels, RopeOddShape) {
  const int64_t n_tok = 7;
  const int n_head = 3, hd = 12;
  const int64_t stride = n_head * hd + 5;  // padded rows, as inside the fused qkv buffer
  auto x = randv(n_tok * stride, 4);
  const auto x0 = x;
  std::vector<int32_t> rows = {0, 0, 1, 1, 5, 9, 30}, cols = {0, 1, 0, 1, 3, 2, 47};
  vision_rope_ref(x.data(), stride, n_tok, n_head, hd, rows.data(), cols.data(), 10000.0f);
  for (int64_t t = 0; t < n_tok; ++t)
    for (int h = 0; h < n_head; ++h)
      for (int p = 0; p < hd / 2; ++p) {
        const int j = p < hd / 4 ? p : p - hd / 4;
        const double a = (p < hd / 4 ? rows[t] : cols[t]) * std::pow(10000.0, -4.0 * j / hd);
        const double u = x0[t * stride + h * hd + p], w = x0[t * stride + h * hd + p + hd / 2];
        // F32 angles (as HF computes them): error grows with position * ulp.
        const double tol = 2e-5 * (1 + std::max(rows[t], cols[t]));
        EXPECT_NEAR(x[t * stride + h * hd + p], u * std::cos(a) - w * std::sin(a), tol);
        EXPECT_NEAR(x[t * stride + h * hd + p + hd / 2], w * std::cos(a) + u * std::sin(a), tol);
      }
  for (int64_t t = 0; t < n_tok; ++t)  // padding untouched
    for (int64_t i = n_head * hd; i < stride; ++i) EXPECT_EQ(x[t * stride + i], x0[t * stride + i]);
}

TEST(VisionKernels, AttentionOddShape) {
  const int64_t n = 13, stride = 3 * 12 + 1;
  const int hd = 12;
  auto qkv = randv(n * stride, 5, 2.0f);
  std::vector<float> out(n * 16, 0.0f), scratch(n);
  const float scale = 1.0f / std::sqrt(12.0f);
  vision_attention_ref(qkv.data(), qkv.data() + 12, qkv.data() + 24, stride, 3, 11, n, hd, scale, out.data(), 16,
                       scratch.data());
  for (int64_t i = 0; i < n; ++i) {
    if (i < 3 || i >= 11) {
      for (int e = 0; e < hd; ++e) EXPECT_EQ(out[i * 16 + e], 0.0f);  // outside [q_begin, q_end)
      continue;
    }
    std::vector<double> s(n);
    double mx = -1e300, sum = 0;
    for (int64_t j = 0; j < n; ++j) {
      double d = 0;
      for (int e = 0; e < hd; ++e) d += double(qkv[i * stride + e]) * qkv[j * stride + 12 + e];
      s[j] = d * scale;
      mx = std::max(mx, s[j]);
    }
    for (double& v : s) sum += (v = std::exp(v - mx));
    for (int e = 0; e < hd; ++e) {
      double want = 0;
      for (int64_t j = 0; j < n; ++j) want += s[j] / sum * qkv[j * stride + 24 + e];
      EXPECT_NEAR(out[i * 16 + e], want, 1e-5 * (1 + std::fabs(want)));
    }
  }
}

TEST(VisionKernels, Avx2GeluMatchesReference) {
  if (detected_isa() < Isa::kAvx2) GTEST_SKIP() << "no AVX2";
  auto x = randv(1003, 7, 4.0f);  // odd length: vector body and scalar tail
  for (float v : {-200.0f, -60.0f, -9.5f, -1e-3f, 0.0f, 1e-3f, 9.5f, 60.0f, 200.0f}) x.push_back(v);
  std::vector<float> got(x.size()), want(x.size());
  gelu_tanh_avx2(x.data(), got.data(), static_cast<int64_t>(x.size()));
  gelu_tanh_ref(x.data(), want.data(), static_cast<int64_t>(x.size()));
  for (size_t i = 0; i < x.size(); ++i) {
    // Same function; the reference's 1 + tanh cancels for x << 0, so allow 1e-6 of |x| there.
    ASSERT_NEAR(got[i], want[i], 2e-6 * std::fabs(want[i]) + 1e-6 * (x[i] < 0 ? std::fabs(x[i]) : 0) + 1e-30)
        << x[i];
  }
}

TEST(VisionKernels, Avx2SoftmaxMatchesReference) {
  if (detected_isa() < Isa::kAvx2) GTEST_SKIP() << "no AVX2";
  for (int64_t n : {int64_t{1}, int64_t{7}, int64_t{64}, int64_t{785}}) {
    auto x = randv(static_cast<size_t>(n), 11 + static_cast<int>(n), 30.0f);  // wide spread: many exps underflow
    auto y = x;
    vision_softmax_avx2(x.data(), n, 0.125f);
    vision_softmax_ref(y.data(), n, 0.125f);
    double sum = 0;
    for (int64_t i = 0; i < n; ++i) {
      ASSERT_NEAR(x[i], y[i], 1e-6 * y[i] + 1e-30) << n << " " << i;
      sum += x[i];
    }
    EXPECT_NEAR(sum, 1.0, 1e-5);
  }
}

}  // namespace
}  // namespace qvl::kernels
