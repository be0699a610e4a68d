// Q8_0 tiles (kernels/quant_gemm.h) on every ISA present: bit-identical to that
// ISA's vec_dot q8_0 kernel (same integers, same fma chain) for every tile shape up
// to kQuantGemmRows x kQuantGemmMaxCols, odd block counts and padded strides, never
// writing outside the tile; and within rounding of the plain reference dot.
#include "kernels/quant_gemm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/quant_blocks.h"
#include "kernels/ref/quant_ref.h"
#include "kernels/vec_dot.h"

namespace qvl {
namespace {

std::vector<float> gaussian(int64_t n, uint32_t seed, float scale) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (float& f : v) f = dist(rng);
  return v;
}

std::vector<Isa> simd_isas() {
  std::vector<Isa> v;
  if (detected_isa() >= Isa::kAvx2) v.push_back(Isa::kAvx2);
  if (detected_isa() >= Isa::kAvx512) v.push_back(Isa::kAvx512);
  return v;
}

TEST(QuantGemm, Q8_0TilesEqualVecDotBitForBit) {
  const std::vector<Isa> isas = simd_isas();
  if (isas.empty()) GTEST_SKIP() << "no SIMD ISA on this CPU: the scalar table has no tiles";
  for (int64_t k : {32, 64, 96, 2080}) {
    const int64_t nb = k / kQK;
    // Padded rows (+ 6 bytes) so a kernel that ignored the strides would misread.
    const size_t ws = nb * sizeof(BlockQ8_0) + 6, xs = nb * sizeof(BlockQ8_0) + 10;
    std::vector<uint8_t> w(kQuantGemmRows * ws), x(kQuantGemmMaxCols * xs);
    for (int r = 0; r < kQuantGemmRows; ++r) {
      // Row scales spread over decades, so a mixed-up scale shows in the sums.
      const std::vector<float> src = gaussian(k, 7 * r + uint32_t(k), std::ldexp(1.0f, 3 * r - 4));
      quantize_row_q8_0(src.data(), reinterpret_cast<BlockQ8_0*>(&w[r * ws]), k);
    }
    for (int t = 0; t < kQuantGemmMaxCols; ++t) {
      const std::vector<float> src = gaussian(k, 100 + t, 1.0f + t);
      quantize_row_q8_0(src.data(), reinterpret_cast<BlockQ8_0*>(&x[t * xs]), k);
    }
    // Dequantised dot in double, and the bound on f32 rounding of the fma chain and
    // the 8-lane hsum (block products are exact): (nb + 8) * 2^-23 * sum |w_i x_i|.
    std::vector<double> exact(kQuantGemmRows * kQuantGemmMaxCols), bound(exact.size());
    for (int r = 0; r < kQuantGemmRows; ++r) {
      std::vector<float> wf(k);
      dequantize_row_q8_0(reinterpret_cast<const BlockQ8_0*>(&w[r * ws]), wf.data(), k);
      for (int t = 0; t < kQuantGemmMaxCols; ++t) {
        std::vector<float> xf(k);
        dequantize_row_q8_0(reinterpret_cast<const BlockQ8_0*>(&x[t * xs]), xf.data(), k);
        double s = 0, mag = 0;
        for (int64_t i = 0; i < k; ++i) s += double(wf[i]) * xf[i], mag += std::fabs(double(wf[i]) * xf[i]);
        exact[r * kQuantGemmMaxCols + t] = s;
        bound[r * kQuantGemmMaxCols + t] = double(nb + 8) * std::ldexp(1.0, -23) * mag;
      }
    }
    for (Isa isa : isas) {
      const QuantGemmFn tile = quant_gemm_kernels(isa).q8_0;
      ASSERT_NE(tile, nullptr) << isa_name(isa);
      const VecDotFn dot = vec_dot_kernels(isa).q8_0;
      for (int n_w = 1; n_w <= kQuantGemmRows; ++n_w) {
        for (int n_x = 1; n_x <= kQuantGemmMaxCols; ++n_x) {
          const size_t os = kQuantGemmRows + 1;
          std::vector<float> got(kQuantGemmMaxCols * os, NAN);
          tile(k, w.data(), ws, n_w, x.data(), xs, n_x, got.data(), os);
          for (int t = 0; t < kQuantGemmMaxCols; ++t) {
            for (int r = 0; r < int(os); ++r) {
              const float v = got[t * os + r];
              if (t >= n_x || r >= n_w) {
                EXPECT_TRUE(std::isnan(v)) << "wrote outside the tile: r=" << r << " t=" << t;
                continue;
              }
              float want;
              dot(k, &w[r * ws], &x[t * xs], xs, 1, &want, 1);
              uint32_t a, b;
              std::memcpy(&a, &v, 4), std::memcpy(&b, &want, 4);
              EXPECT_EQ(a, b) << "isa=" << isa_name(isa) << " k=" << k << " n_w=" << n_w << " n_x=" << n_x
                              << " r=" << r << " t=" << t << ": " << v << " vs vec_dot " << want;
              EXPECT_NEAR(v, exact[r * kQuantGemmMaxCols + t], bound[r * kQuantGemmMaxCols + t])
                  << "isa=" << isa_name(isa) << " k=" << k;
            }
          }
        }
      }
    }
  }
}

TEST(QuantGemm, ScalarTableHasNoTiles) {
  EXPECT_EQ(quant_gemm_kernels(Isa::kScalar).q8_0, nullptr);
  if (detected_isa() >= Isa::kAvx2) {
    EXPECT_NE(quant_gemm_kernels(Isa::kAvx2).q8_0, nullptr);
  }
}

}  // namespace
}  // namespace qvl
