// Runtime ops: the threaded batch ops against direct kernel-reference calls, on
// odd shapes (ragged per-token KV lengths, GQA groups, odd row counts).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "base/error.h"
#include "base/fp16.h"
#include "base/thread_pool.h"
#include "kernels/attention.h"
#include "kernels/norm.h"
#include "kernels/rope.h"
#include "runtime/ops.h"

namespace qvl {
namespace {

TEST(OpsTest, AttentionBatchMatchesReferencePerToken) {
  std::mt19937 rng(1);
  std::normal_distribution<float> nd(0.f, 1.f);
  const int n_head = 6, n_head_kv = 2, d = 64, bt = 32, n_blocks = 4;  // enough work to use the pool
  std::vector<uint16_t> k(size_t(n_blocks) * n_head_kv * bt * d), v(k.size());
  for (auto& x : k) x = f32_to_fp16(nd(rng));
  for (auto& x : v) x = f32_to_fp16(nd(rng));
  const std::vector<int32_t> table_a = {2, 0, 3}, table_b = {1};
  // Five tokens of two sequences with different visible lengths.
  const std::vector<std::pair<const std::vector<int32_t>*, int64_t>> toks = {
      {&table_a, 1}, {&table_a, 33}, {&table_b, 7}, {&table_a, 90}, {&table_b, 32}};
  std::vector<kernels::PagedKv> views;
  for (auto [t, n] : toks) views.push_back({k.data(), v.data(), t->data(), n, bt, n_head_kv, d});
  std::vector<float> q(toks.size() * n_head * d), out(q.size()), want(q.size());
  for (auto& x : q) x = nd(rng);
  ThreadPool pool(2);
  op_attention(q.data(), views, n_head, 0.2f, out.data(), pool);
  std::vector<float> scratch(kernels::attention_scratch_floats(3, d, 90));
  for (size_t i = 0; i < toks.size(); ++i)
    for (int h = 0; h < n_head_kv; ++h) {
      const size_t off = (i * n_head + h * 3) * d;
      kernels::attention_ref(q.data() + off, 3, h, views[i], 0.2f, want.data() + off, scratch.data());
    }
  // Fast path vs double reference: outputs are convex combinations of unit V rows.
  for (size_t i = 0; i < out.size(); ++i) ASSERT_NEAR(out[i], want[i], 2e-5f) << i;
}

TEST(OpsTest, AttentionRejectsBadGroups) {
  ThreadPool pool(1);
  std::vector<kernels::PagedKv> views(1);
  views[0].n_head_kv = 4;
  float q = 0, o = 0;
  EXPECT_THROW(op_attention(&q, views, 6, 1.f, &o, pool), Error);
}

TEST(OpsTest, RmsNormAndSiluThreadedMatchSingleRow) {
  std::mt19937 rng(2);
  std::normal_distribution<float> nd(0.f, 2.f);
  const int64_t rows = 37, n = 333;
  std::vector<float> x(rows * n), w(n), y(rows * n), want(rows * n);
  for (auto& e : x) e = nd(rng);
  for (auto& e : w) e = 1.f + 0.1f * nd(rng);
  ThreadPool pool(2);
  op_rms_norm(x.data(), w.data(), y.data(), rows, n, 1e-6f, pool);
  kernels::rms_norm_ref(x.data(), w.data(), want.data(), rows, n, 1e-6f);
  for (size_t i = 0; i < y.size(); ++i) ASSERT_NEAR(y[i], want[i], 2e-4f * (1.f + std::fabs(want[i])));
  // silu*mul with distinct strides: gate/up taken from interleaved rows of one buffer.
  std::vector<float> gu(rows * 2 * n), o(rows * n);
  for (auto& e : gu) e = nd(rng);
  op_silu_mul(gu.data(), 2 * n, gu.data() + n, 2 * n, o.data(), n, rows, n, pool);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < n; ++i) {
      const float g = gu[r * 2 * n + i], u = gu[r * 2 * n + n + i];
      ASSERT_NEAR(o[r * n + i], g / (1.f + std::exp(-g)) * u, 1e-5f * (1.f + std::fabs(g * u)));
    }
}

TEST(OpsTest, RopeUsesEachTokensPosition) {
  std::mt19937 rng(3);
  std::normal_distribution<float> nd(0.f, 1.f);
  kernels::RopeParams p;
  p.head_dim = 128;
  p.theta = 5e6f;
  p.mrope_section = {24, 20, 20};
  const std::vector<std::array<int32_t, 3>> pos = {{0, 0, 0}, {5, 5, 5}, {6, 7, 9}, {1000, 2, 3}};
  const int nh = 3, nkv = 1;
  std::vector<float> q(pos.size() * nh * 128), k(pos.size() * nkv * 128);
  for (auto& e : q) e = nd(rng);
  for (auto& e : k) e = nd(rng);
  auto q0 = q, k0 = k;
  ThreadPool pool(2);
  op_rope(q.data(), nh, k.data(), nkv, pos, p, pool);
  std::vector<float> cs(128);
  for (size_t i = 0; i < pos.size(); ++i) {
    kernels::rope_cos_sin(p, pos[i], cs.data(), cs.data() + 64);
    kernels::rope_apply_ref(&q0[i * nh * 128], nh, 128, cs.data(), cs.data() + 64);
    kernels::rope_apply_ref(&k0[i * nkv * 128], nkv, 128, cs.data(), cs.data() + 64);
  }
  for (size_t i = 0; i < q.size(); ++i) ASSERT_NEAR(q[i], q0[i], 1e-6f);
  for (size_t i = 0; i < k.size(); ++i) ASSERT_NEAR(k[i], k0[i], 1e-6f);
}

}  // namespace
}  // namespace qvl
