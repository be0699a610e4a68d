// Float GEMM tiles (kernels/gemm.h) on every ISA present against the scalar
// reference, for every tile shape up to kGemmRows x kGemmMaxCols and odd k.
#include "kernels/gemm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/ref/convert_ref.h"

namespace qvl {
namespace {

std::vector<float> gaussian(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& f : v) f = dist(rng);
  return v;
}

// Both sides sum the same exact f32 products (f16/bf16 values multiply exactly) in
// different orders: each within gamma(k + 16) of sum |w_i x_i| (16 for lane sums).
double bound(const std::vector<float>& w, const float* x, int64_t k) {
  double s = 0;
  for (int64_t i = 0; i < k; ++i) s += std::fabs(w[i] * x[i]);
  const double n = k + 16, u = std::ldexp(1.0, -24);
  return 2 * n * u / (1 - n * u) * s;
}

TEST(Gemm, EveryIsaMatchesReference) {
  std::vector<Isa> isas = {Isa::kScalar};
  if (detected_isa() >= Isa::kAvx2) isas.push_back(Isa::kAvx2);
  if (detected_isa() >= Isa::kAvx512) isas.push_back(Isa::kAvx512);
  for (int fmt = 0; fmt < 3; ++fmt) {
    for (int64_t k : {7, 16, 33, 2061}) {
      const size_t es = fmt == 0 ? 4 : 2, ws = k * es + 6;  // padded rows: the stride is honoured
      std::vector<uint8_t> w(kGemmRows * ws);
      std::vector<std::vector<float>> wf(kGemmRows);  // the values the kernels see
      for (int r = 0; r < kGemmRows; ++r) {
        const std::vector<float> src = gaussian(k, 10 * r + static_cast<uint32_t>(k));
        wf[r].resize(k);
        if (fmt == 0) std::memcpy(&w[r * ws], src.data(), k * 4);
        if (fmt == 1) convert_f32_to_f16(src.data(), &w[r * ws], k), convert_f16_to_f32(&w[r * ws], wf[r].data(), k);
        if (fmt == 2) convert_f32_to_bf16(src.data(), &w[r * ws], k), convert_bf16_to_f32(&w[r * ws], wf[r].data(), k);
        if (fmt == 0) wf[r] = src;
      }
      const size_t xs = (k + 3) * 4;
      std::vector<float> x(kGemmMaxCols * (k + 3));
      for (int t = 0; t < kGemmMaxCols; ++t) {
        const std::vector<float> src = gaussian(k, 100 + t);
        std::copy(src.begin(), src.end(), x.begin() + t * (k + 3));
      }
      const GemmFn ref = fmt == 0 ? kGemmRef.f32 : fmt == 1 ? kGemmRef.f16 : kGemmRef.bf16;
      float want[kGemmMaxCols * kGemmRows];
      ref(k, w.data(), ws, kGemmRows, x.data(), xs, kGemmMaxCols, want, kGemmRows);
      for (Isa isa : isas) {
        const GemmKernels& g = gemm_kernels(isa);
        EXPECT_GE(g.cols, 1);
        EXPECT_LE(g.cols, kGemmMaxCols);
        const GemmFn fn = fmt == 0 ? g.f32 : fmt == 1 ? g.f16 : g.bf16;
        for (int n_w = 1; n_w <= kGemmRows; ++n_w) {
          for (int n_x = 1; n_x <= kGemmMaxCols; ++n_x) {
            std::vector<float> got(kGemmMaxCols * (kGemmRows + 1), NAN);
            fn(k, w.data(), ws, n_w, x.data(), xs, n_x, got.data(), kGemmRows + 1);
            for (int t = 0; t < kGemmMaxCols; ++t) {
              for (int r = 0; r <= kGemmRows; ++r) {
                const float v = got[t * (kGemmRows + 1) + r];
                if (t >= n_x || r >= n_w) {
                  EXPECT_TRUE(std::isnan(v)) << "wrote outside the tile";
                  continue;
                }
                EXPECT_NEAR(v, want[t * kGemmRows + r], bound(wf[r], &x[t * (k + 3)], k))
                    << "fmt=" << fmt << " k=" << k << " n_w=" << n_w << " n_x=" << n_x << " isa=" << isa_name(isa);
              }
            }
          }
        }
        // The tile shape never changes a value (llama.cpp parity relies on it): each
        // token alone, in one row, gives the bits of the widest call.
        std::vector<float> wide(kGemmMaxCols * kGemmRows);
        fn(k, w.data(), ws, kGemmRows, x.data(), xs, kGemmMaxCols, wide.data(), kGemmRows);
        for (int t = 0; t < kGemmMaxCols; ++t) {
          for (int r = 0; r < kGemmRows; ++r) {
            float one = NAN;
            fn(k, w.data() + r * ws, ws, 1, x.data() + t * (k + 3), xs, 1, &one, 1);
            EXPECT_EQ(std::memcmp(&one, &wide[t * kGemmRows + r], 4), 0)
                << "fmt=" << fmt << " k=" << k << " t=" << t << " r=" << r << " isa=" << isa_name(isa);
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace qvl
