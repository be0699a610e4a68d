// The ggml scalar-build profile's kernels (kernels/ggml_scalar.h) against plain
// references written here: double/float formulas on odd shapes, bit for bit where
// the profile promises ggml's exact arithmetic, within a stated bound elsewhere.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "base/fp16.h"
#include "kernels/ggml_scalar.h"

namespace qvl::kernels {
namespace {

float ulp_diff(float a, float b) {
  return std::fabs(a - b) / std::max(std::fabs(double(std::nextafter(b, INFINITY)) - b), 1e-45);
}

TEST(GgmlScalarTest, ExpMatchesLibmWithinTwoUlp) {
  for (float x = -103.0f; x < 88.5f; x += 0.0137f) {
    const float e = expf_ggml_sse2(x), r = float(std::exp(double(x)));
    if (r < 1.17549435e-38f) {  // subnormal outputs: a few of their steps (1.4e-45)
      EXPECT_NEAR(e, r, 6e-45f) << x;
      continue;
    }
    EXPECT_LE(ulp_diff(e, r), 2.0f) << x;
  }
  EXPECT_EQ(expf_ggml_sse2(0.0f), 1.0f);
  EXPECT_EQ(expf_ggml_sse2(-200.0f), 0.0f);
  EXPECT_TRUE(std::isinf(expf_ggml_sse2(100.0f)));
}

TEST(GgmlScalarTest, ExpDiffersFromLibmSomewhere) {
  // The point of the profile: it is not libm's expf (else the test above proves nothing new).
  int differ = 0;
  for (float x = -10.0f; x < 10.0f; x += 0.01f) differ += expf_ggml_sse2(x) != std::exp(x);
  EXPECT_GT(differ, 0);
}

TEST(GgmlScalarTest, SiluMulVectorGroupsAndLibmTail) {
  std::mt19937 rng(1);
  std::normal_distribution<float> nd(0.f, 3.f);
  for (int64_t n : {1, 3, 4, 7, 13, 64, 67}) {
    std::vector<float> g(n), u(n), out(n);
    for (auto& x : g) x = nd(rng);
    for (auto& x : u) x = nd(rng);
    silu_mul_ggml_scalar(g.data(), u.data(), out.data(), n);
    const int64_t vec = n - n % 4;
    for (int64_t i = 0; i < n; ++i) {
      const double want = double(g[i]) / (1.0 + std::exp(-double(g[i]))) * u[i];
      EXPECT_NEAR(out[i], want, 1e-6 * (std::fabs(want) + 1e-3)) << n << " " << i;
      const float tail = g[i] / (1.0f + std::exp(-g[i])) * u[i];
      const float head = g[i] / (1.0f + expf_ggml_sse2(0.0f - g[i])) * u[i];
      EXPECT_EQ(out[i], i < vec ? head : tail) << n << " " << i;
    }
    // In place (out == gate) gives the same values.
    std::vector<float> g2 = g;
    silu_mul_ggml_scalar(g2.data(), u.data(), g2.data(), n);
    EXPECT_EQ(g2, out);
  }
}

TEST(GgmlScalarTest, RopeRoundsEachProduct) {
  std::mt19937 rng(2);
  std::normal_distribution<float> nd(0.f, 1.f);
  const int n_head = 3, d = 10;
  std::vector<float> x(n_head * d), cs(d / 2), sn(d / 2);
  for (auto& v : x) v = nd(rng);
  for (int j = 0; j < d / 2; ++j) {
    cs[j] = std::cos(0.7f * j + 0.1f);
    sn[j] = std::sin(0.7f * j + 0.1f);
  }
  std::vector<float> y = x;
  rope_apply_ggml_scalar(y.data(), n_head, d, cs.data(), sn.data());
  for (int h = 0; h < n_head; ++h)
    for (int j = 0; j < d / 2; ++j) {
      const float a = x[h * d + j], b = x[h * d + j + d / 2];
      // volatile keeps each product a separate F32 rounding in this reference.
      volatile float p0 = a * cs[j], p1 = b * sn[j], p2 = a * sn[j], p3 = b * cs[j];
      EXPECT_EQ(y[h * d + j], p0 - p1);
      EXPECT_EQ(y[h * d + j + d / 2], p2 + p3);
    }
}

TEST(GgmlScalarTest, DotF16IsIndexOrderDoubleSum) {
  std::mt19937 rng(3);
  std::normal_distribution<float> nd(0.f, 1.f);
  for (int64_t n : {1, 5, 17, 33, 129, 1000}) {
    std::vector<uint16_t> w(n);
    std::vector<float> x(n);
    for (auto& v : w) v = f32_to_fp16(nd(rng));
    for (auto& v : x) v = fp16_to_f32(f32_to_fp16(nd(rng)));
    double s = 0;
    for (int64_t i = 0; i < n; ++i) s += double(fp16_to_f32(w[i])) * double(x[i]);  // exact products
    EXPECT_EQ(dot_f16_ggml_scalar(w.data(), x.data(), n), float(s)) << n;
    // As a VecDotFn over 3 token rows with strides.
    std::vector<float> xs(3 * n), out(3 * 2);
    for (int t = 0; t < 3; ++t)
      for (int64_t i = 0; i < n; ++i) xs[t * n + i] = x[(i + t) % n];
    vec_dot_f16_ggml_scalar(n, w.data(), xs.data(), n * sizeof(float), 3, out.data(), 2);
    for (int t = 0; t < 3; ++t) EXPECT_EQ(out[t * 2], dot_f16_ggml_scalar(w.data(), &xs[t * n], n));
  }
}

TEST(GgmlScalarTest, DotF32AndSoftmax) {
  std::mt19937 rng(5);
  std::normal_distribution<float> nd(0.f, 2.f);
  for (int64_t n : {1, 3, 4, 9, 60, 130}) {
    std::vector<float> w(n), x(n);
    for (auto& v : w) v = nd(rng);
    for (auto& v : x) v = nd(rng);
    double s = 0;
    for (int64_t i = 0; i < n; ++i) s += double(w[i] * x[i]);  // F32 products, double sum
    float got = 0;
    vec_dot_f32_ggml_scalar(n, w.data(), x.data(), n * sizeof(float), 1, &got, 1);
    EXPECT_EQ(got, float(s)) << n;

    std::vector<float> p = x;
    softmax_ggml_scalar(p.data(), n);
    double mx = -INFINITY, z = 0;
    for (float v : x) mx = std::max(mx, double(v));
    for (float v : x) z += std::exp(double(v) - mx);
    double total = 0;
    for (int64_t i = 0; i < n; ++i) {
      EXPECT_NEAR(p[i], std::exp(double(x[i]) - mx) / z, 1e-6) << n << " " << i;
      total += p[i];
    }
    EXPECT_NEAR(total, 1.0, 1e-5);
    // The tail (n % 4) takes libm expf, the groups the SSE2 exp.
    std::vector<float> e = x;
    const float m = float(mx);
    const double sum = softmax_exp_sum_ggml_scalar(e.data(), n, m);
    double want = 0;
    const int64_t vec = n - n % 4;
    for (int64_t i = 0; i < vec; i += 4) {
      const float a = expf_ggml_sse2(x[i] - m), b = expf_ggml_sse2(x[i + 1] - m), c = expf_ggml_sse2(x[i + 2] - m),
                  d = expf_ggml_sse2(x[i + 3] - m);
      EXPECT_EQ(e[i], a);
      want += double((a + b) + (c + d));
    }
    for (int64_t i = vec; i < n; ++i) {
      EXPECT_EQ(e[i], std::exp(x[i] - m));
      want += double(e[i]);
    }
    EXPECT_EQ(sum, want) << n;
  }
}

TEST(GgmlScalarTest, AttentionMatchesDoubleSoftmax) {
  std::mt19937 rng(4);
  std::normal_distribution<float> nd(0.f, 1.f);
  const int bt = 4, n_blocks = 40, n_head_kv = 2, n_group = 3;
  for (bool tiled : {false, true})
  for (int d : {6, 24}) {
    for (int64_t n_kv : {1, 5, 37, 64, 65, 150}) {
      std::vector<uint16_t> k(size_t(n_blocks) * n_head_kv * bt * d), v(k.size());
      for (auto& e : k) e = f32_to_fp16(nd(rng));
      for (auto& e : v) e = f32_to_fp16(nd(rng));
      std::vector<int32_t> table;
      for (int64_t b = 0; b < (n_kv + bt - 1) / bt; ++b) table.push_back(int32_t((b * 7 + 3) % n_blocks));
      const PagedKv kv{k.data(), v.data(), table.data(), n_kv, bt, n_head_kv, d};
      const float scale = 1.f / std::sqrt(float(d));
      std::vector<float> q(n_group * d), out(n_group * d), scratch(std::max(2 * d, 64));
      for (auto& e : q) e = 2.f * nd(rng);
      for (int h = 0; h < n_head_kv; ++h) {
        if (tiled) attention_ggml_scalar_tiled(q.data(), n_group, h, kv, scale, out.data(), scratch.data());
        else attention_ggml_scalar(q.data(), n_group, h, kv, scale, out.data(), scratch.data());
        auto row = [&](const std::vector<uint16_t>& c, int64_t t) {
          return &c[((table[t / bt] * n_head_kv + h) * bt + t % bt) * d];
        };
        for (int g = 0; g < n_group; ++g) {
          std::vector<double> p(n_kv);
          double mx = -INFINITY, sum = 0;
          for (int64_t t = 0; t < n_kv; ++t) {
            double s = 0;
            for (int e = 0; e < d; ++e) s += double(q[g * d + e]) * fp16_to_f32(row(k, t)[e]);
            p[t] = s * scale;
            mx = std::max(mx, p[t]);
          }
          for (auto& e : p) sum += (e = std::exp(e - mx));
          for (int e = 0; e < d; ++e) {
            double want = 0;
            for (int64_t t = 0; t < n_kv; ++t) want += p[t] / sum * fp16_to_f32(row(v, t)[e]);
            // One chunk: F16 q and an F16 accumulator (2^-11 relative per step on
            // values ~|v| after rescaling) bound the error of these unit-scale rows by
            // ~1e-2. Tiled: F32 throughout, ~1e-5.
            EXPECT_NEAR(out[g * d + e], want, tiled ? 1e-4 : 1e-2)
                << tiled << " " << d << " " << n_kv << " " << h << " " << g << " " << e;
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace qvl::kernels
