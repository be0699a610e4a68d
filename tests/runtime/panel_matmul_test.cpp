// runtime/panel_matmul.h: packed F32/F16/BF16 weights times f32 activations equal,
// bit for bit, the documented order (an fma chain over k per output, computed here
// from the unpacked weight) on every ISA this CPU runs, for odd row and token counts,
// any thread count and a wide output stride; the packers for run-time matrices
// (attention's K and transposed V) agree with PanelWeight; bad input is an error.
#include "runtime/panel_matmul.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "base/cpu_features.h"
#include "base/error.h"
#include "kernels/panel_gemm.h"
#include "runtime/matmul.h"
#include "runtime/quantize.h"

namespace qvl {
namespace {

std::vector<float> gaussian(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& f : v) f = dist(rng);
  return v;
}

uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// Restores the ISA a test forced.
struct IsaGuard {
  Isa saved = active_isa();
  ~IsaGuard() { set_active_isa(saved); }
};

std::vector<Isa> isas_here() {
  std::vector<Isa> v{Isa::kScalar};
  if (detected_isa() >= Isa::kAvx2) v.push_back(Isa::kAvx2);
  if (detected_isa() >= Isa::kAvx512) v.push_back(Isa::kAvx512);
  return v;
}

TEST(PanelMatmul, EqualsTheFmaChainOnEveryIsaDtypeAndThreadCount) {
  IsaGuard guard;
  ThreadPool p1(1), p3(3);
  for (Isa isa : isas_here()) {
    set_active_isa(isa);
    std::printf("[ panel    ] isa %s\n", isa_name(active_isa()));
    for (DType dt : {DType::kF32, DType::kF16, DType::kBF16}) {
      for (auto [n_out, k, n_tok] : {std::tuple{1, 1, 1}, {17, 33, 5}, {33, 64, 13}, {70, 100, 29}, {64, 257, 12}}) {
        const std::vector<float> src = gaussian(int64_t(n_out) * k, 3);
        const std::vector<uint8_t> q = quantize_tensor(dt, src.data(), n_out, k);
        Tensor w{"w", dt, {n_out, k}, q.data()};
        const std::vector<float> wf = [&] {  // the stored weights as f32 (exact)
          std::vector<float> d(src.size());
          std::vector<int32_t> ids(static_cast<size_t>(n_out));
          for (int i = 0; i < n_out; ++i) ids[size_t(i)] = i;
          get_rows(w, ids.data(), n_out, d.data());
          return d;
        }();
        const std::vector<float> x = gaussian(int64_t(n_tok) * k, 4);
        const int64_t stride = n_out + 3;
        for (ThreadPool* pool : {&p1, &p3}) {
          const PanelWeight pw(w, *pool);
          ASSERT_EQ(pw.matrix().dtype, dt == DType::kF16 ? DType::kF16 : DType::kF32);
          std::vector<float> y(static_cast<size_t>(n_tok * stride), -7.0f);
          panel_matmul(pw.matrix(), x.data(), n_tok, y.data(), stride, *pool);
          for (int t = 0; t < n_tok; ++t)
            for (int64_t r = 0; r < stride; ++r) {
              const float got = y[size_t(t * stride + r)];
              if (r >= n_out) {
                ASSERT_EQ(got, -7.0f) << "stray write";
                continue;
              }
              float want = 0.0f;
              for (int64_t i = 0; i < k; ++i) want = std::fma(wf[size_t(r * k + i)], x[size_t(t * k + i)], want);
              ASSERT_EQ(bits(got), bits(want)) << isa_name(isa) << " " << dtype_info(dt).name << " " << n_out << "x"
                                               << k << " tok " << t << " row " << r << " threads " << pool->size();
            }
        }
      }
    }
  }
}

TEST(PanelMatmul, FusedBiasEqualsAddingItAfterwards) {
  ThreadPool pool(2);
  const int64_t n = 45, k = 70, n_tok = 31;
  const std::vector<float> wv = gaussian(n * k, 10), x = gaussian(n_tok * k, 11), b = gaussian(n, 12);
  const PanelWeight pw(Tensor{"w", DType::kF32, {n, k}, wv.data()}, pool);
  std::vector<float> fused(static_cast<size_t>(n * n_tok)), after(fused.size());
  panel_matmul(pw.matrix(), x.data(), n_tok, fused.data(), n, pool, b.data());
  panel_matmul(pw.matrix(), x.data(), n_tok, after.data(), pool);
  for (int64_t t = 0; t < n_tok; ++t)
    for (int64_t r = 0; r < n; ++r) after[size_t(t * n + r)] += b[size_t(r)];
  EXPECT_EQ(std::memcmp(fused.data(), after.data(), fused.size() * sizeof(float)), 0);
}

TEST(PanelMatmul, RunTimePackersMatchPanelWeight) {
  ThreadPool pool(2);
  const int64_t n = 37, k = 19, stride = 50;
  const std::vector<float> src = gaussian(n * stride, 5);
  std::vector<float> dense(static_cast<size_t>(n * k));
  for (int64_t r = 0; r < n; ++r)
    for (int64_t i = 0; i < k; ++i) dense[size_t(r * k + i)] = src[size_t(r * stride + i)];
  const PanelWeight pw(Tensor{"d", DType::kF32, {n, k}, dense.data()}, pool);
  std::vector<float> a(static_cast<size_t>(panel_elements(n, k)), 99.0f), b(a.size(), 99.0f);
  pack_panels_f32(src.data(), n, k, stride, a.data());
  ASSERT_EQ(pw.bytes(), a.size() * sizeof(float));
  EXPECT_EQ(std::memcmp(a.data(), pw.matrix().data, pw.bytes()), 0);
  // The transposed packer of the [k, n] transpose gives the same panels.
  std::vector<float> tr(static_cast<size_t>(k * n));
  for (int64_t r = 0; r < n; ++r)
    for (int64_t i = 0; i < k; ++i) tr[size_t(i * n + r)] = dense[size_t(r * k + i)];
  pack_panels_f32_transposed(tr.data(), n, k, n, b.data());
  EXPECT_EQ(std::memcmp(b.data(), pw.matrix().data, pw.bytes()), 0);
}

TEST(PanelMatmul, PackedTokensOnTheCallingThreadGiveTheSameBits) {
  ThreadPool pool(2);
  const int64_t n = 40, k = 48, n_tok = 17;
  const std::vector<float> wv = gaussian(n * k, 6), x = gaussian(n_tok * k, 7);
  const PanelWeight pw(Tensor{"w", DType::kF32, {n, k}, wv.data()}, pool);
  std::vector<float> xp(static_cast<size_t>(token_panel_elements(n_tok, k))), a(static_cast<size_t>(n * n_tok)), b(a.size());
  pack_token_panels(x.data(), n_tok, k, k, xp.data());
  panel_matmul_packed(pw.matrix(), xp.data(), n_tok, a.data(), n);
  panel_matmul(pw.matrix(), x.data(), n_tok, b.data(), pool);
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0);
}

// A batch whose packed activations exceed the 64 MiB slice (65536 wide: 256 tokens,
// 252 with 6- or 12-token panels) runs in slices; tokens on both sides of a slice
// edge get the chain's bits.
TEST(PanelMatmul, SlicedHugeBatchKeepsTheBits) {
  ThreadPool pool(2);
  const int64_t n = 20, k = 65536, n_tok = 300;
  const std::vector<float> wv = gaussian(n * k, 8), x = gaussian(n_tok * k, 9);
  const PanelWeight pw(Tensor{"w", DType::kF32, {n, k}, wv.data()}, pool);
  std::vector<float> y(static_cast<size_t>(n * n_tok));
  panel_matmul(pw.matrix(), x.data(), n_tok, y.data(), pool);
  for (int64_t t : {0, 1, 251, 252, 255, 256, 257, 299})
    for (int64_t r = 0; r < n; ++r) {
      float want = 0.0f;
      for (int64_t i = 0; i < k; ++i) want = std::fma(wv[size_t(r * k + i)], x[size_t(t * k + i)], want);
      ASSERT_EQ(bits(y[size_t(t * n + r)]), bits(want)) << "token " << t << " row " << r;
    }
}

TEST(PanelMatmul, BadInputIsAnError) {
  ThreadPool pool(1);
  std::vector<uint8_t> q(64);
  EXPECT_THROW(PanelWeight(Tensor{"q", DType::kQ8_0, {2, 32}, q.data()}, pool), Error);
  EXPECT_THROW(PanelWeight(Tensor{"v", DType::kF32, {16}, q.data()}, pool), Error);
  EXPECT_FALSE(panel_packable(Tensor{"q", DType::kQ4_0, {2, 32}, q.data()}));
  const std::vector<float> wv(32);
  const PanelWeight pw(Tensor{"w", DType::kF32, {2, 16}, wv.data()}, pool);
  std::vector<float> y(4);
  EXPECT_THROW(panel_matmul(pw.matrix(), wv.data(), 1, y.data(), 1, pool), Error);  // stride < rows
  // Empty shapes do nothing, k = 0 gives zeros.
  panel_matmul(pw.matrix(), wv.data(), 0, y.data(), pool);
  const PanelMatrix empty_k{DType::kF32, 2, 0, nullptr};
  y.assign(4, 5.0f);
  panel_matmul(empty_k, wv.data(), 2, y.data(), pool);
  EXPECT_EQ(y, (std::vector<float>{0, 0, 0, 0}));
}

}  // namespace
}  // namespace qvl
