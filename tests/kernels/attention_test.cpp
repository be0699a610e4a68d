// Paged attention: AVX2 against the reference (bit for bit: both follow llama.cpp's
// order, batched and single-token), on scattered block tables, odd lengths and GQA
// groups; the reference against a plain double-precision formula; a hand case.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "base/cpu_features.h"
#include "base/fp16.h"
#include "kernels/attention.h"

namespace qvl::kernels {
namespace {

struct Cache {
  std::vector<uint16_t> k, v;
  std::vector<int32_t> table;
  PagedKv view;
};

Cache make_cache(int n_blocks, int n_head_kv, int d, int64_t n_kv, std::mt19937& rng) {
  Cache c;
  const int bt = 32;
  std::normal_distribution<float> nd(0.f, 1.f);
  c.k.resize(size_t(n_blocks) * n_head_kv * bt * d);
  c.v.resize(c.k.size());
  for (auto& x : c.k) x = f32_to_fp16(nd(rng));
  for (auto& x : c.v) x = f32_to_fp16(nd(rng));
  // Logical blocks map to physical blocks in reverse, so the table is really used.
  for (int64_t b = 0; b < (n_kv + bt - 1) / bt; ++b) c.table.push_back(int32_t(n_blocks - 1 - b));
  c.view = PagedKv{c.k.data(), c.v.data(), c.table.data(), n_kv, bt, n_head_kv, d};
  return c;
}

TEST(AttentionTest, Avx2MatchesReference) {
  if (detected_isa() < Isa::kAvx2) GTEST_SKIP() << "no AVX2";
  std::mt19937 rng(5);
  std::normal_distribution<float> nd(0.f, 1.f);
  for (int d : {16, 64, 80, 128}) {
    for (int64_t n_kv : {1, 31, 32, 33, 100})
      for (bool single : {false, true}) {
        const int n_head_kv = 2, n_group = 3;
        Cache c = make_cache(5, n_head_kv, d, n_kv, rng);
        c.view.single = single;
        std::vector<float> q(n_group * d), a(n_group * d), b(n_group * d);
        for (auto& x : q) x = 2.f * nd(rng);
        std::vector<float> scratch(attention_scratch_floats(n_group, d, n_kv));
        const float scale = 1.f / std::sqrt(float(d));
        for (int h = 0; h < n_head_kv; ++h) {
          attention_ref(q.data(), n_group, h, c.view, scale, a.data(), scratch.data());
          attention_avx2(q.data(), n_group, h, c.view, scale, b.data(), scratch.data());
          for (size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i], b[i]) << d << " " << n_kv << " " << single;
          // Against double precision with exact q and p: F16 rounding of q (2^-11
          // relative, through scores of size ~|q|·sqrt(d)·scale) and of p (2^-11 per
          // probability) bound the output error of these unit-scale V rows by ~2e-3.
          for (int g = 0; g < n_group; ++g) {
            std::vector<double> sc(n_kv);
            double mx = -1e300, sum = 0;
            for (int64_t t = 0; t < n_kv; ++t) {
              const uint16_t* k = c.k.data() + ((c.table[t / 32] * n_head_kv + h) * 32 + t % 32) * int64_t(d);
              double s = 0;
              for (int i = 0; i < d; ++i) s += double(q[g * d + i]) * fp16_to_f32(k[i]);
              sc[t] = s * scale;
              mx = std::max(mx, sc[t]);
            }
            for (auto& s : sc) sum += (s = std::exp(s - mx));
            for (int i = 0; i < d; ++i) {
              double o = 0;
              for (int64_t t = 0; t < n_kv; ++t)
                o += sc[t] / sum * fp16_to_f32(c.v[((c.table[t / 32] * n_head_kv + h) * 32 + t % 32) * int64_t(d) + i]);
              ASSERT_NEAR(a[g * d + i], o, 2e-3) << d << " " << n_kv;
            }
          }
        }
      }
  }
}

TEST(AttentionTest, ReferenceByHand) {
  // One head, d = 16, two positions: scores 0 and ln 3 -> weights 1/4, 3/4.
  const int d = 16;
  std::vector<uint16_t> k(32 * d, f32_to_fp16(0.f)), v(32 * d, f32_to_fp16(0.f));
  k[d + 0] = f32_to_fp16(1.f);  // position 1, dim 0
  v[0] = f32_to_fp16(4.f);      // position 0 value
  v[d + 0] = f32_to_fp16(8.f);  // position 1 value
  int32_t table[1] = {0};
  PagedKv kv{k.data(), v.data(), table, 2, 32, 1, d};
  std::vector<float> q(d, 0.f), out(d);
  q[0] = 1.f;
  std::vector<float> scratch(attention_scratch_floats(1, d, 2));
  const float scale = std::log(3.f);
  attention_ref(q.data(), 1, 0, kv, scale, out.data(), scratch.data());
  // q rounds to F16 (1.0 exact); log 3 is applied in F32.
  EXPECT_NEAR(out[0], 0.25f * 4.f + 0.75f * 8.f, 1e-5);
  attention(q.data(), 1, 0, kv, scale, out.data(), scratch.data());
  EXPECT_NEAR(out[0], 7.f, 1e-5);
  EXPECT_NEAR(out[1], 0.f, 1e-7);
}

}  // namespace
}  // namespace qvl::kernels
