// The ggml scalar-build profile's kernels (kernels/ggml_scalar.h) against plain
// references written here: double/float formulas on odd shapes, bit for bit where
// the profile promises ggml's exact arithmetic, within a stated bound elsewhere.
#include <gtest/gtest.h>

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

TEST(GgmlScalarTest, AttentionMatchesDoubleSoftmax) {
  std::mt19937 rng(4);
  std::normal_distribution<float> nd(0.f, 1.f);
  const int bt = 4, n_blocks = 12, n_head_kv = 2, n_group = 3;
  for (int d : {6, 24}) {
    for (int64_t n_kv : {1, 5, 37}) {
      std::vector<uint16_t> k(size_t(n_blocks) * n_head_kv * bt * d), v(k.size());
      for (auto& e : k) e = f32_to_fp16(nd(rng));
      for (auto& e : v) e = f32_to_fp16(nd(rng));
      std::vector<int32_t> table;
      for (int64_t b = 0; b < (n_kv + bt - 1) / bt; ++b) table.push_back(int32_t((b * 5 + 3) % n_blocks));
      const PagedKv kv{k.data(), v.data(), table.data(), n_kv, bt, n_head_kv, d};
      const float scale = 1.f / std::sqrt(float(d));
      std::vector<float> q(n_group * d), out(n_group * d), scratch(2 * d);
      for (auto& e : q) e = 2.f * nd(rng);
      for (int h = 0; h < n_head_kv; ++h) {
        attention_ggml_scalar(q.data(), n_group, h, kv, scale, out.data(), scratch.data());
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
            // F16 q and an F16 accumulator (2^-11 relative per step on values ~|v|
            // after rescaling) bound the error of these unit-scale rows by ~1e-2.
            EXPECT_NEAR(out[g * d + e], want, 1e-2) << d << " " << n_kv << " " << h << " " << g << " " << e;
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace qvl::kernels
