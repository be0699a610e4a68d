// Paged attention over a Q8_0 KV cache: every ISA body (AVX2, AVX-512) against the
// scalar reference on odd shapes (head dims 32..256, lengths at and around the
// 32-token block boundary, partial last blocks, scattered block tables, GQA groups);
// the reference against a double-precision formula on the dequantised cache; and the
// dispatcher against the body the CPU selects.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "base/cpu_features.h"
#include "base/fp16.h"
#include "kernels/attention_q8_0.h"
#include "kernels/ref/quant_ref.h"

namespace qvl::kernels {
namespace {

constexpr int kBt = 32;

struct Cache {
  std::vector<BlockQ8_0> k, v;
  std::vector<int32_t> table;
  PagedKv view;
};

// Rows of N(0, sigma) values quantised as the model stores them; physical blocks in
// reverse order of logical ones, so the block table is really read.
Cache make_cache(int n_blocks, int n_head_kv, int d, int64_t n_kv, float sigma, std::mt19937& rng) {
  Cache c;
  std::normal_distribution<float> nd(0.f, sigma);
  const int64_t rows = int64_t(n_blocks) * n_head_kv * kBt;
  c.k.resize(size_t(rows * d / kQK));
  c.v.resize(c.k.size());
  std::vector<float> row(static_cast<size_t>(d));
  for (int64_t r = 0; r < rows; ++r) {
    for (auto& x : row) x = nd(rng);
    quantize_row_q8_0(row.data(), c.k.data() + r * d / kQK, d);
    for (auto& x : row) x = nd(rng);
    quantize_row_q8_0(row.data(), c.v.data() + r * d / kQK, d);
  }
  for (int64_t b = 0; b < (n_kv + kBt - 1) / kBt; ++b) c.table.push_back(int32_t(n_blocks - 1 - b));
  c.view.block_table = c.table.data();
  c.view.n_kv = n_kv;
  c.view.block_tokens = kBt;
  c.view.n_head_kv = n_head_kv;
  c.view.head_dim = d;
  c.view.type = KvType::kQ8_0;
  c.view.kq = c.k.data();
  c.view.vq = c.v.data();
  return c;
}

std::vector<float> dequant_row(const BlockQ8_0* r, int d) {
  std::vector<float> out(static_cast<size_t>(d));
  dequantize_row_q8_0(r, out.data(), d);
  return out;
}

using AttnFn = void (*)(const float*, int, int, const PagedKv&, float, float*, float*);

// Runs `fn` and the reference over the shapes; the outputs differ only through the
// K dot products' summation order: a few F32 ulp of a score (|score| <~ 10 here),
// which moves a probability by a relative ~1e-6, so 1e-5 absolute on unit-scale V.
void expect_matches_reference(AttnFn fn, const char* isa) {
  std::mt19937 rng(11);
  std::normal_distribution<float> nd(0.f, 1.f);
  for (int d : {32, 64, 96, 128, 256})
    for (int64_t n_kv : {1, 2, 31, 32, 33, 63, 64, 65, 100, 161}) {
      const int n_head_kv = 2, n_group = 3;
      Cache c = make_cache(6, n_head_kv, d, n_kv, 1.f, rng);
      std::vector<float> q(static_cast<size_t>(n_group * d)), a(q.size()), b(q.size());
      for (auto& x : q) x = 2.f * nd(rng);
      std::vector<float> scratch(size_t(attention_scratch_floats(n_group, d, n_kv)));
      const float scale = 1.f / std::sqrt(float(d));
      for (int h = 0; h < n_head_kv; ++h) {
        attention_q8_0_ref(q.data(), n_group, h, c.view, scale, a.data(), scratch.data());
        fn(q.data(), n_group, h, c.view, scale, b.data(), scratch.data());
        for (size_t i = 0; i < a.size(); ++i)
          ASSERT_NEAR(a[i], b[i], 1e-5f) << isa << " d=" << d << " n_kv=" << n_kv << " head " << h << " i=" << i;
      }
    }
}

TEST(AttentionQ8_0Test, Avx2MatchesReference) {
  if (detected_isa() < Isa::kAvx2) GTEST_SKIP() << "no AVX2";
  expect_matches_reference(attention_q8_0_avx2, "avx2");
}

TEST(AttentionQ8_0Test, Avx512MatchesReference) {
  if (detected_isa() < Isa::kAvx512) GTEST_SKIP() << "no AVX-512";
  expect_matches_reference(attention_q8_0_avx512, "avx512");
}

// The reference computes softmax(scale · q·k) · V over the dequantised cache: checked
// in double precision (F32 rounding only, so 1e-5 on unit-scale V).
TEST(AttentionQ8_0Test, ReferenceIsAttentionOverDequantisedCache) {
  std::mt19937 rng(3);
  std::normal_distribution<float> nd(0.f, 1.f);
  for (int d : {32, 128})
    for (int64_t n_kv : {1, 33, 97}) {
      const int n_head_kv = 2, n_group = 2;
      Cache c = make_cache(4, n_head_kv, d, n_kv, 1.f, rng);
      std::vector<float> q(static_cast<size_t>(n_group * d)), out(q.size());
      for (auto& x : q) x = 2.f * nd(rng);
      std::vector<float> scratch(size_t(attention_scratch_floats(n_group, d, n_kv)));
      const float scale = 1.f / std::sqrt(float(d));
      for (int h = 0; h < n_head_kv; ++h) {
        attention_q8_0_ref(q.data(), n_group, h, c.view, scale, out.data(), scratch.data());
        for (int g = 0; g < n_group; ++g) {
          std::vector<double> p(static_cast<size_t>(n_kv));
          double mx = -1e300, sum = 0;
          for (int64_t t = 0; t < n_kv; ++t) {
            const auto k = dequant_row(q8_0_row(c.view.kq, c.view, h, t), d);
            double s = 0;
            for (int i = 0; i < d; ++i) s += double(q[size_t(g * d + i)]) * k[size_t(i)];
            p[size_t(t)] = s * scale;
            mx = std::max(mx, p[size_t(t)]);
          }
          for (auto& s : p) sum += (s = std::exp(s - mx));
          std::vector<double> o(size_t(d), 0.0);
          for (int64_t t = 0; t < n_kv; ++t) {
            const auto v = dequant_row(q8_0_row(c.view.vq, c.view, h, t), d);
            for (int i = 0; i < d; ++i) o[size_t(i)] += p[size_t(t)] / sum * v[size_t(i)];
          }
          for (int i = 0; i < d; ++i) ASSERT_NEAR(out[size_t(g * d + i)], o[size_t(i)], 1e-5) << d << " " << n_kv;
        }
      }
    }
}

// Hand case: one position; attention returns its (dequantised) V row exactly.
TEST(AttentionQ8_0Test, OnePositionReturnsItsValueRow) {
  std::mt19937 rng(1);
  Cache c = make_cache(1, 1, 64, 1, 3.f, rng);
  const auto v = dequant_row(c.view.vq, 64);
  std::vector<float> q(64, 0.5f), out(64), scratch(size_t(attention_scratch_floats(1, 64, 1)));
  attention(q.data(), 1, 0, c.view, 0.125f, out.data(), scratch.data());
  for (int i = 0; i < 64; ++i) EXPECT_EQ(out[size_t(i)], v[size_t(i)]);
}

// The dispatcher runs the body for the active ISA, and each capped ISA gives the
// body it names (QVL_ISA / set_active_isa).
TEST(AttentionQ8_0Test, DispatchFollowsActiveIsa) {
  std::mt19937 rng(9);
  std::normal_distribution<float> nd(0.f, 1.f);
  Cache c = make_cache(3, 1, 128, 70, 1.f, rng);
  std::vector<float> q(256), want(256), got(256), scratch(size_t(attention_scratch_floats(2, 128, 70)));
  for (auto& x : q) x = nd(rng);
  const Isa saved = active_isa();
  for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512}) {
    if (detected_isa() < isa) continue;
    set_active_isa(isa);
    AttnFn body = isa == Isa::kAvx512 ? attention_q8_0_avx512 : isa == Isa::kAvx2 ? attention_q8_0_avx2 : attention_q8_0_ref;
    body(q.data(), 2, 0, c.view, 0.1f, want.data(), scratch.data());
    attention(q.data(), 2, 0, c.view, 0.1f, got.data(), scratch.data());
    for (size_t i = 0; i < want.size(); ++i) ASSERT_EQ(want[i], got[i]) << isa_name(isa);
  }
  set_active_isa(saved);
}

}  // namespace
}  // namespace qvl::kernels
