// Every vec_dot kernel on every ISA this CPU has, against the scalar reference,
// for k = one block / several blocks / a model-sized row and 1..kMaxDotCols columns.
#include "kernels/vec_dot.h"

#include <gtest/gtest.h>

#include <cmath>
#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "base/fp16.h"
#include "kernels/quant_blocks.h"
#include "kernels/ref/convert_ref.h"
#include "kernels/ref/quant_ref.h"

namespace qvl {
namespace {

struct Format {
  const char* name;
  int block;                 // elements per weight block
  int w_bytes, x_bytes;      // bytes per block of weight / activation (per `block` elements)
  int codes_at, codes_end;   // formats with a block min: bytes [at, end) of a block are codes; else -1
  QuantizeRowFn quant_w, quant_x;
  DequantizeRowFn deq_w, deq_x;
  VecDotFn VecDotKernels::*member;
};

void f32_copy(const float* x, void* y, int64_t n) { std::memcpy(y, x, n * 4); }
void f32_copy_out(const void* x, float* y, int64_t n) { std::memcpy(y, x, n * 4); }

const Format kFormats[] = {
    {"f32", 1, 4, 4, -1, -1, f32_copy, f32_copy, f32_copy_out, f32_copy_out, &VecDotKernels::f32},
    {"f16", 1, 2, 2, -1, -1, convert_f32_to_f16, convert_f32_to_f16, convert_f16_to_f32, convert_f16_to_f32,
     &VecDotKernels::f16},
    {"bf16", 1, 2, 2, -1, -1, convert_f32_to_bf16, convert_f32_to_bf16, convert_bf16_to_f32, convert_bf16_to_f32,
     &VecDotKernels::bf16},
    {"q4_0", 32, 18, 34, -1, -1, quantize_row_q4_0, quantize_row_q8_0, dequantize_row_q4_0, dequantize_row_q8_0,
     &VecDotKernels::q4_0},
    {"q4_1", 32, 20, 36, 4, 20, quantize_row_q4_1, quantize_row_q8_1, dequantize_row_q4_1, dequantize_row_q8_1,
     &VecDotKernels::q4_1},
    {"q5_0", 32, 22, 34, -1, -1, quantize_row_q5_0, quantize_row_q8_0, dequantize_row_q5_0, dequantize_row_q8_0,
     &VecDotKernels::q5_0},
    {"q5_1", 32, 24, 36, 4, 24, quantize_row_q5_1, quantize_row_q8_1, dequantize_row_q5_1, dequantize_row_q8_1,
     &VecDotKernels::q5_1},
    {"q8_0", 32, 34, 34, -1, -1, quantize_row_q8_0, quantize_row_q8_0, dequantize_row_q8_0, dequantize_row_q8_0,
     &VecDotKernels::q8_0},
    {"q4_K", 256, 144, 292, 16, 144, quantize_row_q4_K, quantize_row_q8_K, dequantize_row_q4_K, dequantize_row_q8_K,
     &VecDotKernels::q4_K},
    {"q5_K", 256, 176, 292, 16, 176, quantize_row_q5_K, quantize_row_q8_K, dequantize_row_q5_K, dequantize_row_q8_K,
     &VecDotKernels::q5_K},
    {"q6_K", 256, 210, 292, -1, -1, quantize_row_q6_K, quantize_row_q8_K, dequantize_row_q6_K, dequantize_row_q8_K,
     &VecDotKernels::q6_K},
    {"q2_K", 256, 84, 292, 16, 80, quantize_row_q2_K, quantize_row_q8_K, dequantize_row_q2_K, dequantize_row_q8_K,
     &VecDotKernels::q2_K},
    {"q3_K", 256, 110, 292, -1, -1, quantize_row_q3_K, quantize_row_q8_K, dequantize_row_q3_K, dequantize_row_q8_K,
     &VecDotKernels::q3_K},
};

std::vector<float> gaussian(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& f : v) f = dist(rng);
  return v;
}

// gamma(n) = n*u/(1-n*u): the classic bound on relative error of n float roundings.
double gamma(double n) {
  const double u = std::ldexp(1.0, -24);
  return n * u / (1 - n * u);
}

std::vector<Isa> isas() {
  std::vector<Isa> v = {Isa::kScalar};
  if (detected_isa() >= Isa::kAvx2) v.push_back(Isa::kAvx2);
  if (detected_isa() >= Isa::kAvx512) v.push_back(Isa::kAvx512);
  return v;
}

TEST(VecDot, TablesAreComplete) {
  for (Isa isa : isas())
    for (const Format& f : kFormats) EXPECT_NE(vec_dot_kernels(isa).*f.member, nullptr) << f.name << isa_name(isa);
}

// The value of code 0 per element (the block min, stored apart from the codes) for
// formats with one; zeros otherwise.
std::vector<float> code0_values(const Format& f, const std::vector<uint8_t>& w, int64_t k) {
  std::vector<float> c0(k, 0.0f);
  if (f.codes_at < 0) return c0;
  std::vector<uint8_t> z = w;
  for (size_t b = 0; b < z.size(); b += f.w_bytes) std::memset(&z[b + f.codes_at], 0, f.codes_end - f.codes_at);
  f.deq_w(z.data(), c0.data(), k);
  return c0;
}

// Tolerance: integer block sums are exact on every path, so results differ only by
// float rounding: the per-block scale products, the accumulation over blocks (or
// elements, for float formats) and the lane reductions, on both sides. Each is within
// gamma(n) relative of the terms it sums, n = those steps (+16 for products and lane
// reductions), and the terms are bounded by S = sum_i (|w_i - c0_i| + |c0_i|) * |x_i|,
// c0 being a block's min that the _1 and _K kernels accumulate separately.
double error_bound(const Format& f, int64_t k, const std::vector<float>& wd, const std::vector<float>& c0,
                   const std::vector<float>& xd) {
  double S = 0;
  for (int64_t i = 0; i < k; ++i) S += (std::fabs(wd[i] - c0[i]) + std::fabs(c0[i])) * std::fabs(xd[i]);
  const double n = (f.block == 1 ? double(k) : double(k) / std::min(f.block, 32)) + 16;
  return 2 * gamma(n) * S;
}

TEST(VecDot, EveryIsaMatchesReference) {
  for (const Format& f : kFormats) {
    const int64_t unit = f.block == 1 ? 32 : f.block;
    for (int64_t k : {f.block == 1 ? int64_t{7} : unit, 7 * unit, int64_t{2048} + (f.block == 1 ? 13 : 0)}) {
      if (k % f.block) continue;
      const std::vector<float> wf = gaussian(k, 1 + static_cast<uint32_t>(k));
      std::vector<uint8_t> w(k / f.block * f.w_bytes);
      f.quant_w(wf.data(), w.data(), k);
      const size_t xs = k / f.block * f.x_bytes;
      std::vector<uint8_t> x(xs * kMaxDotCols);
      std::vector<float> wd(k), xd(k);
      f.deq_w(w.data(), wd.data(), k);
      const std::vector<float> c0 = code0_values(f, w, k);
      double tol[kMaxDotCols];
      for (int t = 0; t < kMaxDotCols; ++t) {
        const std::vector<float> xf = gaussian(k, 100 + t);
        f.quant_x(xf.data(), x.data() + t * xs, k);
        f.deq_x(x.data() + t * xs, xd.data(), k);
        tol[t] = error_bound(f, k, wd, c0, xd);
      }
      float want[kMaxDotCols];
      (kVecDotRef.*f.member)(k, w.data(), x.data(), xs, kMaxDotCols, want, 1);
      for (Isa isa : isas()) {
        const VecDotFn fn = vec_dot_kernels(isa).*f.member;
        for (int n_x = 1; n_x <= kMaxDotCols; ++n_x) {
          float got[2 * kMaxDotCols];
          for (float& g : got) g = NAN;
          fn(k, w.data(), x.data(), xs, n_x, got, 2);  // out_stride 2: odd slots must stay untouched
          for (int t = 0; t < n_x; ++t) {
            EXPECT_NEAR(got[2 * t], want[t], tol[t])
                << f.name << " k=" << k << " n_x=" << n_x << " t=" << t << " isa=" << isa_name(isa);
            EXPECT_TRUE(std::isnan(got[2 * t + 1]));
          }
        }
      }
    }
  }
}

// The reference itself against an independent computation: dequantise both rows and
// take a double dot. Integer sums are exact, so only the scale products' roundings
// (and fp16 rounding of the stored q8_1 sum s) separate them.
TEST(VecDot, ReferenceMatchesDequantisedDot) {
  for (const Format& f : kFormats) {
    const int64_t k = f.block == 1 ? 100 : 4 * f.block;
    const std::vector<float> wf = gaussian(k, 7), xf = gaussian(k, 8);
    std::vector<uint8_t> w(k / f.block * f.w_bytes), x(k / f.block * f.x_bytes);
    f.quant_w(wf.data(), w.data(), k);
    f.quant_x(xf.data(), x.data(), k);
    std::vector<float> wd(k), xd(k);
    f.deq_w(w.data(), wd.data(), k);
    f.deq_x(x.data(), xd.data(), k);
    double exact = 0;
    for (int64_t i = 0; i < k; ++i) exact += double(wd[i]) * xd[i];
    float got;
    (kVecDotRef.*f.member)(k, w.data(), x.data(), 0, 1, &got, 1);
    double tol = error_bound(f, k, wd, code0_values(f, w, k), xd);
    // q8_1's s = fp16(d*sum q) differs from d_h*sum q (what dequantising gives) by up
    // to 2^-11 for each of d and s: 2^-10 of the min term.
    if (f.x_bytes == 36) {
      const std::vector<float> c0 = code0_values(f, w, k);
      for (int64_t i = 0; i < k; ++i) tol += std::ldexp(1.0, -10) * std::fabs(c0[i] * xd[i]);
    }
    EXPECT_NEAR(got, exact, tol) << f.name;
  }
}

// ggml-order kernels give the same bits on every ISA: f16_gemv / f32_gemv
// (ggml_vec_dot_f16 / _f32),
// q8_0 (one 8-lane chain, as ggml_vec_dot_q8_0_q8_0 and tinyBLAS) and q6_K between
// the AVX2 and AVX-512 tables; f16_gemv against its scalar reference too, on lengths
// with and without a tail past the last 64-element step.
TEST(VecDot, GgmlOrderKernelsAreBitEqualAcrossIsas) {
  for (int64_t k : {16, 64, 96, 256, 1000, 2048}) {
    const std::vector<float> wf = gaussian(k, 3 + uint32_t(k));
    std::vector<uint16_t> w(k);
    for (int64_t i = 0; i < k; ++i) w[i] = f32_to_fp16(wf[i]);
    std::vector<float> x(k * kMaxDotCols);
    for (int t = 0; t < kMaxDotCols; ++t) {
      const std::vector<float> xf = gaussian(k, 50 + t);
      for (int64_t i = 0; i < k; ++i) x[t * k + i] = fp16_to_f32(f32_to_fp16(xf[i]));
    }
    float want[kMaxDotCols];
    kVecDotRef.f16_gemv(k, w.data(), x.data(), k * sizeof(float), kMaxDotCols, want, 1);
    double exact = 0;
    for (int64_t i = 0; i < k; ++i) exact += double(fp16_to_f32(w[i])) * x[i];
    EXPECT_NEAR(want[0], exact, 2 * gamma(double(k) / 16 + 20) * double(k) * 4) << k;
    // f32_gemv on the same values (F32 weights, ggml_vec_dot_f32's order).
    std::vector<float> w32(k);
    for (int64_t i = 0; i < k; ++i) w32[i] = fp16_to_f32(w[i]);
    float want32[kMaxDotCols];
    kVecDotRef.f32_gemv(k, w32.data(), x.data(), k * sizeof(float), kMaxDotCols, want32, 1);
    EXPECT_NEAR(want32[0], exact, 2 * gamma(double(k) / 16 + 20) * double(k) * 4) << k;
    for (Isa isa : isas())
      for (int n_x = 1; n_x <= kMaxDotCols; ++n_x) {
        float got[kMaxDotCols];
        vec_dot_kernels(isa).f16_gemv(k, w.data(), x.data(), k * sizeof(float), n_x, got, 1);
        for (int t = 0; t < n_x; ++t) EXPECT_EQ(got[t], want[t]) << k << " " << isa_name(isa) << " " << t;
        vec_dot_kernels(isa).f32_gemv(k, w32.data(), x.data(), k * sizeof(float), n_x, got, 1);
        for (int t = 0; t < n_x; ++t) EXPECT_EQ(got[t], want32[t]) << k << " f32 " << isa_name(isa) << " " << t;
      }
  }
  if (detected_isa() < Isa::kAvx512) GTEST_SKIP() << "q8_0 comparison needs AVX-512 and AVX2";
  for (int64_t k : {32, 96, 2048}) {
    const std::vector<float> wf = gaussian(k, 9 + uint32_t(k)), xf = gaussian(k, 10);
    std::vector<uint8_t> w(k / 32 * 34), x(k / 32 * 34);
    quantize_row_q8_0(wf.data(), w.data(), k);
    quantize_row_q8_0(xf.data(), x.data(), k);
    float a = 0, b = 0;
    vec_dot_kernels(Isa::kAvx2).q8_0(k, w.data(), x.data(), 0, 1, &a, 1);
    vec_dot_kernels(Isa::kAvx512).q8_0(k, w.data(), x.data(), 0, 1, &b, 1);
    EXPECT_EQ(a, b) << k;
  }
  for (int64_t k : {256, 2048}) {  // q6_K x q8_K: ggml_vec_dot_q6_K_q8_K's lanes on both
    const std::vector<float> wf = gaussian(k, 11 + uint32_t(k)), xf = gaussian(k, 12);
    std::vector<uint8_t> w(k / 256 * sizeof(BlockQ6_K)), x(k / 256 * sizeof(BlockQ8_K));
    quantize_row_q6_K(wf.data(), w.data(), k);
    quantize_row_q8_K(xf.data(), x.data(), k);
    float a = 0, b = 0;
    vec_dot_kernels(Isa::kAvx2).q6_K(k, w.data(), x.data(), 0, 1, &a, 1);
    vec_dot_kernels(Isa::kAvx512).q6_K(k, w.data(), x.data(), 0, 1, &b, 1);
    EXPECT_EQ(a, b) << k;
  }
}

}  // namespace
}  // namespace qvl
