// Block layouts (hand-built blocks decode to the values ggml's layout implies),
// activation quantiser rounding (must match ggml bit for bit) and quantise ->
// dequantise error bounds for every format.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "base/fp16.h"
#include "kernels/quant_blocks.h"
#include "kernels/ref/quant_ref.h"

namespace qvl {
namespace {

std::vector<float> gaussian(int64_t n, uint32_t seed, float sigma = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, sigma);
  std::vector<float> v(n);
  for (float& f : v) f = dist(rng);
  return v;
}

TEST(QuantLayout, Q4_0NibbleOrder) {
  BlockQ4_0 b{};
  b.d = f32_to_fp16(2.0f);
  std::memset(b.qs, 0x88, sizeof(b.qs));  // every code 8 -> 0
  b.qs[0] = 0x2F;                         // element 0 = 15, element 16 = 2
  float y[32];
  dequantize_row_q4_0(&b, y, 32);
  EXPECT_EQ(y[0], 14.0f);
  EXPECT_EQ(y[16], -12.0f);
  EXPECT_EQ(y[1], 0.0f);
}

TEST(QuantLayout, Q5_0HighBitsFromQh) {
  BlockQ5_0 b{};
  b.d = f32_to_fp16(1.0f);
  b.qs[0] = 0x0F;  // element 0 low nibble 15, element 16 nibble 0
  b.qs[1] = 0x30;  // element 17 nibble 3
  const uint32_t qh = (1u << 0) | (1u << 17);
  std::memcpy(b.qh, &qh, 4);
  float y[32];
  dequantize_row_q5_0(&b, y, 32);
  EXPECT_EQ(y[0], 31.0f - 16.0f);
  EXPECT_EQ(y[16], -16.0f);
  EXPECT_EQ(y[17], 19.0f - 16.0f);
  EXPECT_EQ(y[1], -16.0f);
}

TEST(QuantLayout, Q4_KScalesOfUpperSubBlocks) {
  // Sub-block 5 (chunk 2, high nibbles): scale 37, min 50 split over bytes 1, 5, 9.
  BlockQ4_K b{};
  b.d = f32_to_fp16(1.0f);
  b.dmin = f32_to_fp16(1.0f);
  b.scales[9] = (37 & 15) | ((50 & 15) << 4);
  b.scales[1] = (37 >> 4) << 6;
  b.scales[5] = (50 >> 4) << 6;
  b.qs[64 + 3] = 0x70;
  float y[256];
  dequantize_row_q4_K(&b, y, 256);
  EXPECT_EQ(y[5 * 32 + 3], 37.0f * 7 - 50.0f);
  EXPECT_EQ(y[5 * 32 + 4], -50.0f);
  EXPECT_EQ(y[4 * 32 + 3], 0.0f);  // sub-block 4: scale 0, min 0
  uint8_t sc, m;
  unpack_scale_min_k4(1, b.scales, &sc, &m);
  EXPECT_EQ(sc, 0);  // the borrowed top bits do not leak into sub-block 1
  EXPECT_EQ(m, 0);
}

TEST(QuantLayout, Q5_KFifthBit) {
  BlockQ5_K b{};
  b.d = f32_to_fp16(1.0f);
  b.scales[3] = 1;     // sub-block 3 (chunk 1, high nibbles): scale 1, min 0
  b.qs[32 + 7] = 0x20; // element 3*32+7: nibble 2
  b.qh[7] = 1u << 3;   // ... plus 16
  float y[256];
  dequantize_row_q5_K(&b, y, 256);
  EXPECT_EQ(y[3 * 32 + 7], 18.0f);
  EXPECT_EQ(y[3 * 32 + 6], 0.0f);
}

TEST(QuantLayout, Q6_KElementPlacement) {
  BlockQ6_K b{};
  b.d = f32_to_fp16(0.5f);
  for (int j = 0; j < 16; ++j) b.scales[j] = 1;
  b.scales[12] = -3;
  b.ql[64 + 5] = 0xA0;      // half 1, l = 5: high nibble feeds element 128+64+5
  b.qh[32 + 5] = 2u << 4;   // its top two bits
  float y[256];
  dequantize_row_q6_K(&b, y, 256);
  EXPECT_EQ(y[128 + 64 + 5], 0.5f * -3 * (42 - 32));
  EXPECT_EQ(y[128 + 5], 0.5f * 1 * (0 - 32));  // low nibble of the same byte, scale 8
  EXPECT_EQ(y[0], -16.0f);
}

TEST(QuantLayout, Q2_KFieldsAndScales) {
  BlockQ2_K b{};
  b.d = f32_to_fp16(1.0f);
  b.dmin = f32_to_fp16(0.5f);
  b.scales[9] = 3 | (4 << 4);  // sub-block 9 = elements 144..159: scale 3, min 4
  b.qs[32 + 20] = 2u << 4;     // half 1, field 2 (bits 4-5), l = 20: element 128 + 64 + 20
  b.qs[32 + 16] = 3u << 0;     // half 1, field 0, l = 16: element 144
  float y[256];
  dequantize_row_q2_K(&b, y, 256);
  EXPECT_EQ(y[144], 3.0f * 3 - 0.5f * 4);
  EXPECT_EQ(y[145], -2.0f);
  EXPECT_EQ(y[212], 0.0f);  // sub-block 13: scale 0, min 0, whatever the code
  EXPECT_EQ(y[0], 0.0f);
}

TEST(QuantLayout, Q3_KHighBitsAndScales) {
  BlockQ3_K b{};
  b.d = f32_to_fp16(1.0f);
  // Scale 13 (elements 208..223) = 45 -> 45 - 32 = 13: low nibble 13 in byte 5's high
  // half, top bits 2 (45 >> 4) at bits 6-7 of byte 9. Every other scale is 0 -> -32.
  b.scales[5] = 13 << 4;
  b.scales[9] = 2 << 6;
  b.qs[32 + 18] = 1u << 4;  // element 128 + 64 + 18 = 210: low bits 1
  b.hmask[18] = 1u << 6;    // element 6*32 + 18 = 210: high bit set (no -4)
  float y[256];
  dequantize_row_q3_K(&b, y, 256);
  EXPECT_EQ(y[210], 13.0f * 1);
  EXPECT_EQ(y[211], 13.0f * -4);  // low 0, high bit clear
  EXPECT_EQ(y[0], -32.0f * -4);
}

TEST(QuantActivations, Q8_0RoundsHalfToEvenLikeGgmlAvx) {
  std::vector<float> x(32, 0.0f);
  x[0] = 127.0f;  // amax 127 -> multiplier exactly 1
  x[1] = 2.5f;
  x[2] = 3.5f;
  x[3] = -2.5f;
  x[4] = -0.5f;
  BlockQ8_0 b;
  quantize_row_q8_0(x.data(), &b, 32);
  EXPECT_EQ(b.d, f32_to_fp16(1.0f));
  EXPECT_EQ(b.qs[0], 127);
  EXPECT_EQ(b.qs[1], 2);  // roundf would give 3
  EXPECT_EQ(b.qs[2], 4);
  EXPECT_EQ(b.qs[3], -2);
  EXPECT_EQ(b.qs[4], 0);
}

TEST(QuantActivations, Q8_1StoresScaledSum) {
  const std::vector<float> x = gaussian(64, 3);
  BlockQ8_1 b[2];
  quantize_row_q8_1(x.data(), b, 64);
  for (const BlockQ8_1& blk : b) {
    int sum = 0;
    float amax = 0;
    for (int j = 0; j < 32; ++j) sum += blk.qs[j];
    for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[(&blk - b) * 32 + j]));
    EXPECT_EQ(blk.d, f32_to_fp16(amax / 127.0f));
    EXPECT_EQ(blk.s, f32_to_fp16(amax / 127.0f * sum));
  }
}

TEST(QuantActivations, Q8_KUsesSignedMaxAndRoundsHalfToEven) {
  std::vector<float> x(256, 0.0f);
  x[10] = 127.0f;  // positive max: iscale = -1, d = -1
  x[11] = 2.5f;
  x[12] = -127.0f;  // same magnitude later: the first one wins
  BlockQ8_K b;
  quantize_row_q8_K(x.data(), &b, 256);
  EXPECT_EQ(b.d, -1.0f);
  EXPECT_EQ(b.qs[10], -127);
  EXPECT_EQ(b.qs[11], -2);
  EXPECT_EQ(b.qs[12], 127);
  EXPECT_EQ(b.bsums[0], -127 - 2 + 127);
  for (int j = 1; j < 16; ++j) EXPECT_EQ(b.bsums[j], 0);

  std::vector<float> zero(256, 0.0f);
  quantize_row_q8_K(zero.data(), &b, 256);
  EXPECT_EQ(b.d, 0.0f);
  for (int j = 0; j < 256; ++j) ASSERT_EQ(b.qs[j], 0);
}

// Round trips: each element's error is bounded by half a quantisation step plus the
// fp16 rounding of the stored scale (relative 2^-11, times the largest code).
struct RoundTrip {
  const char* name;
  int block, bytes;
  QuantizeRowFn q;
  DequantizeRowFn dq;
  double max_rel_rms;  // ||x - x^|| / ||x|| on N(0,1) data
};

class QuantRoundTrip : public ::testing::TestWithParam<RoundTrip> {};

TEST_P(QuantRoundTrip, ErrorIsBounded) {
  const RoundTrip& p = GetParam();
  const int64_t k = 4 * 256;
  const std::vector<float> x = gaussian(k, 11);
  std::vector<uint8_t> buf(k / p.block * p.bytes);
  std::vector<float> y(k);
  p.q(x.data(), buf.data(), k);
  p.dq(buf.data(), y.data(), k);
  double err = 0, norm = 0;
  for (int64_t i = 0; i < k; ++i) err += (x[i] - y[i]) * (x[i] - y[i]), norm += x[i] * x[i];
  EXPECT_LT(std::sqrt(err / norm), p.max_rel_rms) << p.name;

  // Blocks of zeros come back as exact zeros.
  std::vector<float> z(k, 0.0f);
  p.q(z.data(), buf.data(), k);
  p.dq(buf.data(), y.data(), k);
  for (int64_t i = 0; i < k; ++i) ASSERT_EQ(y[i], 0.0f) << p.name << " at " << i;
}

// Expected RMS of uniform rounding is step/sqrt(12); steps on N(0,1) blocks:
// 8-bit amax/127 ~ 0.02, 6-bit (16-blocks) ~ 0.06, 5-bit ~ 0.13-0.2, 4-bit ~ 0.27-0.4,
// 3-bit (16-blocks, amax/4) ~ 0.45, 2-bit (range/3) ~ 1.0.
INSTANTIATE_TEST_SUITE_P(
    AllFormats, QuantRoundTrip,
    ::testing::Values(RoundTrip{"q8_0", 32, 34, quantize_row_q8_0, dequantize_row_q8_0, 0.01},
                      RoundTrip{"q8_1", 32, 36, quantize_row_q8_1, dequantize_row_q8_1, 0.01},
                      RoundTrip{"q8_K", 256, 292, quantize_row_q8_K, dequantize_row_q8_K, 0.01},
                      RoundTrip{"q6_K", 256, 210, quantize_row_q6_K, dequantize_row_q6_K, 0.04},
                      RoundTrip{"q5_0", 32, 22, quantize_row_q5_0, dequantize_row_q5_0, 0.07},
                      RoundTrip{"q5_1", 32, 24, quantize_row_q5_1, dequantize_row_q5_1, 0.07},
                      RoundTrip{"q5_K", 256, 176, quantize_row_q5_K, dequantize_row_q5_K, 0.07},
                      RoundTrip{"q4_0", 32, 18, quantize_row_q4_0, dequantize_row_q4_0, 0.14},
                      RoundTrip{"q4_1", 32, 20, quantize_row_q4_1, dequantize_row_q4_1, 0.14},
                      RoundTrip{"q4_K", 256, 144, quantize_row_q4_K, dequantize_row_q4_K, 0.14},
                      RoundTrip{"q3_K", 256, 110, quantize_row_q3_K, dequantize_row_q3_K, 0.25},
                      RoundTrip{"q2_K", 256, 84, quantize_row_q2_K, dequantize_row_q2_K, 0.45}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(QuantRoundTrip, Q8PerElementBound) {
  // |x - d_h*q| <= d/2 (rounding) + 127*|d - d_h| (fp16 scale) <= amax*(1/254 + 2^-11).
  const std::vector<float> x = gaussian(256, 5, 3.0f);
  BlockQ8_0 b[8];
  quantize_row_q8_0(x.data(), b, 256);
  float y[256];
  dequantize_row_q8_0(b, y, 256);
  for (int i = 0; i < 8; ++i) {
    float amax = 0;
    for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[32 * i + j]));
    for (int j = 0; j < 32; ++j)
      EXPECT_LE(std::fabs(x[32 * i + j] - y[32 * i + j]), amax * (1.0f / 254 + 1.0f / 2048) * 1.0001f);
  }
}

}  // namespace
}  // namespace qvl
