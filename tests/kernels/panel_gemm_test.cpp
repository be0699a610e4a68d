// Panel GEMM (kernels/panel_gemm.h): every table this CPU runs (reference, AVX2,
// AVX-512) gives, bit for bit, the documented order (one std::fma chain per output
// over k in order, computed here from the unpacked row-major matrix), on odd k,
// every row count of a call and every token count of a panel, f32 and f16 weights,
// with output strides wider than the rows and sentinels around every output.
#include "kernels/panel_gemm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "base/fp16.h"

namespace qvl {
namespace {

std::vector<Isa> isas_here() {
  std::vector<Isa> v{Isa::kScalar};
  if (detected_isa() >= Isa::kAvx2) v.push_back(Isa::kAvx2);
  if (detected_isa() >= Isa::kAvx512) v.push_back(Isa::kAvx512);
  return v;
}

uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// Row-major [n, k] -> panels (panel_gemm.h layout), rows past n zero.
template <typename E>
std::vector<E> pack(const std::vector<E>& w, int64_t n, int64_t k) {
  const int64_t np = (n + kPanelRows - 1) / kPanelRows;
  std::vector<E> p(size_t(np * k * kPanelRows), E{});
  for (int64_t r = 0; r < n; ++r)
    for (int64_t i = 0; i < k; ++i) p[size_t((r / kPanelRows) * k * kPanelRows + i * kPanelRows + r % kPanelRows)] = w[size_t(r * k + i)];
  return p;
}

template <bool kF16>
void check_table(Isa isa) {
  const PanelGemmKernels& kt = panel_gemm_kernels(isa);
  std::printf("[ panel    ] isa %s: %d rows x %d tokens per call\n", isa_name(isa), kt.rows, kt.tokens);
  ASSERT_TRUE(kt.rows % kPanelRows == 0 && kt.tokens >= 1 && kt.tokens <= kPanelMaxTokens) << isa_name(isa);
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  size_t checked = 0;
  for (int64_t k : {1, 2, 3, 15, 16, 17, 64, 100, 257}) {
    const int n = kt.rows;  // the rows one call reads (every nr below reads a prefix)
    std::vector<float> wf(size_t(n * k));
    std::vector<uint16_t> wh(wf.size());
    for (size_t i = 0; i < wf.size(); ++i) {
      wh[i] = f32_to_fp16(dist(rng));
      wf[i] = kF16 ? fp16_to_f32(wh[i]) : dist(rng);
    }
    std::vector<float> x(size_t(kt.tokens * k));
    for (float& v : x) v = dist(rng);
    // Activation panel: x(t, i) at i * tokens + t.
    std::vector<float> xp(x.size());
    for (int t = 0; t < kt.tokens; ++t)
      for (int64_t i = 0; i < k; ++i) xp[size_t(i * kt.tokens + t)] = x[size_t(t * k + i)];
    const auto wp_h = pack(wh, n, k);
    const auto wp_f = pack(wf, n, k);
    const void* wp = kF16 ? static_cast<const void*>(wp_h.data()) : static_cast<const void*>(wp_f.data());
    const PanelGemmFn fn = kF16 ? kt.f16 : kt.f32;
    for (int nr = 1; nr <= kt.rows; ++nr) {
      for (int nt = 1; nt <= kt.tokens; ++nt) {
        const size_t os = size_t(nr) + 5;
        const float sentinel = -12345.5f;
        std::vector<float> out(os * size_t(kt.tokens) + 8, sentinel);
        fn(k, wp, nr, xp.data(), nt, out.data(), os);
        for (int t = 0; t < kt.tokens; ++t) {
          for (size_t r = 0; r < os; ++r) {
            const float got = out[size_t(t) * os + r];
            if (t >= nt || r >= size_t(nr)) {
              ASSERT_EQ(bits(got), bits(sentinel)) << isa_name(isa) << ": stray write at t=" << t << " r=" << r
                                                   << " (nr=" << nr << " nt=" << nt << " k=" << k << ")";
              continue;
            }
            float want = 0.0f;
            for (int64_t i = 0; i < k; ++i) want = std::fma(wf[size_t(r * k + i)], x[size_t(t * k + i)], want);
            ASSERT_EQ(bits(got), bits(want)) << isa_name(isa) << (kF16 ? " f16" : " f32") << " k=" << k << " nr=" << nr
                                             << " nt=" << nt << " r=" << r << " t=" << t << ": " << got << " vs "
                                             << want;
            ++checked;
          }
        }
      }
    }
  }
  EXPECT_GT(checked, 1000u);
}

TEST(PanelGemm, F32EveryTableIsTheFmaChainBitForBit) {
  for (Isa isa : isas_here()) check_table<false>(isa);
}

TEST(PanelGemm, F16EveryTableIsTheFmaChainBitForBit) {
  for (Isa isa : isas_here()) check_table<true>(isa);
}

// Large sums stay close to a double-precision product (catches a wrong layout that a
// bit-equal comparison against the same layout could share).
TEST(PanelGemm, CloseToDoubleOnALongRow) {
  const int64_t k = 4096;
  const PanelGemmKernels& kt = panel_gemm_kernels();
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> w(size_t(kt.rows * k)), x(size_t(kt.tokens * k)), xp(x.size());
  for (float& v : w) v = dist(rng);
  for (float& v : x) v = dist(rng);
  for (int t = 0; t < kt.tokens; ++t)
    for (int64_t i = 0; i < k; ++i) xp[size_t(i * kt.tokens + t)] = x[size_t(t * k + i)];
  const auto wp = pack(w, kt.rows, k);
  std::vector<float> out(size_t(kt.rows * kt.tokens));
  kt.f32(k, wp.data(), kt.rows, xp.data(), kt.tokens, out.data(), size_t(kt.rows));
  for (int t = 0; t < kt.tokens; ++t)
    for (int r = 0; r < kt.rows; ++r) {
      double s = 0, a = 0;
      for (int64_t i = 0; i < k; ++i) {
        s += double(w[size_t(r * k + i)]) * x[size_t(t * k + i)];
        a += std::fabs(double(w[size_t(r * k + i)]) * x[size_t(t * k + i)]);
      }
      ASSERT_NEAR(out[size_t(t * kt.rows + r)], s, 4096 * 6e-8 * a) << "r=" << r << " t=" << t;
    }
}

}  // namespace
}  // namespace qvl
