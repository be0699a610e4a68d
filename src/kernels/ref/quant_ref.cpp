// Scalar quantise/dequantise for the 32-element formats and Q8_K (kernels/ref).
// The k-quant weight formats are in quant_k_ref.cpp.
#include "kernels/ref/quant_ref.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "base/fp16.h"
#include "kernels/quant_blocks.h"

namespace qvl {
namespace {

// The element with the largest magnitude, keeping its sign (first one wins ties).
float signed_absmax(const float* x, int n) {
  float amax = 0.0f, max = 0.0f;
  for (int j = 0; j < n; ++j) {
    if (std::fabs(x[j]) > amax) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  return max;
}

void min_max(const float* x, int n, float* mn, float* mx) {
  *mn = x[0];
  *mx = x[0];
  for (int j = 1; j < n; ++j) {
    *mn = std::min(*mn, x[j]);
    *mx = std::max(*mx, x[j]);
  }
}

// ggml's AVX quantiser computes 127/amax directly (not 1/(amax/127)); the two can
// differ in the last bit, which flips a rounding now and then.
void quantize_block_q8(const float* x, int8_t* q, float* d_out) {
  float amax = 0.0f;
  for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(x[j]));
  const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
  for (int j = 0; j < kQK; ++j) q[j] = static_cast<int8_t>(round_half_even(x[j] * id));
  *d_out = amax / 127.0f;
}

}  // namespace

void quantize_row_q8_0(const float* x, void* vy, int64_t k) {
  auto* y = static_cast<BlockQ8_0*>(vy);
  for (int64_t i = 0; i < k / kQK; ++i) {
    float d;
    quantize_block_q8(x + i * kQK, y[i].qs, &d);
    y[i].d = f32_to_fp16(d);
  }
}

void quantize_row_q8_1(const float* x, void* vy, int64_t k) {
  auto* y = static_cast<BlockQ8_1*>(vy);
  for (int64_t i = 0; i < k / kQK; ++i) {
    float d;
    quantize_block_q8(x + i * kQK, y[i].qs, &d);
    int sum = 0;
    for (int j = 0; j < kQK; ++j) sum += y[i].qs[j];
    y[i].d = f32_to_fp16(d);
    y[i].s = f32_to_fp16(d * static_cast<float>(sum));
  }
}

void quantize_row_q8_K(const float* x, void* vy, int64_t k) {
  auto* y = static_cast<BlockQ8_K*>(vy);
  for (int64_t i = 0; i < k / kQK_K; ++i, x += kQK_K) {
    const float max = signed_absmax(x, kQK_K);
    if (max == 0.0f) {
      std::memset(&y[i], 0, sizeof(BlockQ8_K));
      continue;
    }
    const float iscale = -127.0f / max;
    for (int j = 0; j < kQK_K; ++j) y[i].qs[j] = static_cast<int8_t>(std::min(127, round_half_even(iscale * x[j])));
    for (int g = 0; g < kQK_K / 16; ++g) {
      int sum = 0;
      for (int j = 0; j < 16; ++j) sum += y[i].qs[16 * g + j];
      y[i].bsums[g] = static_cast<int16_t>(sum);
    }
    y[i].d = 1.0f / iscale;
  }
}

void quantize_row_q4_0(const float* x, void* vy, int64_t k) {
  auto* y = static_cast<BlockQ4_0*>(vy);
  for (int64_t i = 0; i < k / kQK; ++i, x += kQK) {
    // The largest-magnitude element maps to -8, the one code with no +8 partner.
    const float d = signed_absmax(x, kQK) / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = f32_to_fp16(d);
    for (int j = 0; j < kQK / 2; ++j) {
      const int q0 = std::clamp(static_cast<int>(std::floor(x[j] * id + 8.5f)), 0, 15);
      const int q1 = std::clamp(static_cast<int>(std::floor(x[j + 16] * id + 8.5f)), 0, 15);
      y[i].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

void quantize_row_q4_1(const float* x, void* vy, int64_t k) {
  auto* y = static_cast<BlockQ4_1*>(vy);
  for (int64_t i = 0; i < k / kQK; ++i, x += kQK) {
    float mn, mx;
    min_max(x, kQK, &mn, &mx);
    const float d = (mx - mn) / 15.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = f32_to_fp16(d);
    y[i].m = f32_to_fp16(mn);
    for (int j = 0; j < kQK / 2; ++j) {
      const int q0 = std::clamp(static_cast<int>((x[j] - mn) * id + 0.5f), 0, 15);
      const int q1 = std::clamp(static_cast<int>((x[j + 16] - mn) * id + 0.5f), 0, 15);
      y[i].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

void quantize_row_q5_0(const float* x, void* vy, int64_t k) {
  auto* y = static_cast<BlockQ5_0*>(vy);
  for (int64_t i = 0; i < k / kQK; ++i, x += kQK) {
    const float d = signed_absmax(x, kQK) / -16.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = f32_to_fp16(d);
    uint32_t qh = 0;
    for (int j = 0; j < kQK / 2; ++j) {
      const int q0 = std::clamp(static_cast<int>(std::floor(x[j] * id + 16.5f)), 0, 31);
      const int q1 = std::clamp(static_cast<int>(std::floor(x[j + 16] * id + 16.5f)), 0, 31);
      y[i].qs[j] = static_cast<uint8_t>((q0 & 15) | ((q1 & 15) << 4));
      qh |= static_cast<uint32_t>(q0 >> 4) << j;
      qh |= static_cast<uint32_t>(q1 >> 4) << (j + 16);
    }
    std::memcpy(y[i].qh, &qh, 4);
  }
}

void quantize_row_q5_1(const float* x, void* vy, int64_t k) {
  auto* y = static_cast<BlockQ5_1*>(vy);
  for (int64_t i = 0; i < k / kQK; ++i, x += kQK) {
    float mn, mx;
    min_max(x, kQK, &mn, &mx);
    const float d = (mx - mn) / 31.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = f32_to_fp16(d);
    y[i].m = f32_to_fp16(mn);
    uint32_t qh = 0;
    for (int j = 0; j < kQK / 2; ++j) {
      const int q0 = std::clamp(static_cast<int>((x[j] - mn) * id + 0.5f), 0, 31);
      const int q1 = std::clamp(static_cast<int>((x[j + 16] - mn) * id + 0.5f), 0, 31);
      y[i].qs[j] = static_cast<uint8_t>((q0 & 15) | ((q1 & 15) << 4));
      qh |= static_cast<uint32_t>(q0 >> 4) << j;
      qh |= static_cast<uint32_t>(q1 >> 4) << (j + 16);
    }
    std::memcpy(y[i].qh, &qh, 4);
  }
}

void dequantize_row_q4_0(const void* vx, float* y, int64_t k) {
  const auto* x = static_cast<const BlockQ4_0*>(vx);
  for (int64_t i = 0; i < k / kQK; ++i, y += kQK) {
    const float d = fp16_to_f32(x[i].d);
    for (int j = 0; j < kQK / 2; ++j) {
      y[j] = d * ((x[i].qs[j] & 15) - 8);
      y[j + 16] = d * ((x[i].qs[j] >> 4) - 8);
    }
  }
}

void dequantize_row_q4_1(const void* vx, float* y, int64_t k) {
  const auto* x = static_cast<const BlockQ4_1*>(vx);
  for (int64_t i = 0; i < k / kQK; ++i, y += kQK) {
    const float d = fp16_to_f32(x[i].d), m = fp16_to_f32(x[i].m);
    for (int j = 0; j < kQK / 2; ++j) {
      y[j] = d * (x[i].qs[j] & 15) + m;
      y[j + 16] = d * (x[i].qs[j] >> 4) + m;
    }
  }
}

void dequantize_row_q5_0(const void* vx, float* y, int64_t k) {
  const auto* x = static_cast<const BlockQ5_0*>(vx);
  for (int64_t i = 0; i < k / kQK; ++i, y += kQK) {
    const float d = fp16_to_f32(x[i].d);
    uint32_t qh;
    std::memcpy(&qh, x[i].qh, 4);
    for (int j = 0; j < kQK / 2; ++j) {
      const int h0 = (qh >> j) & 1, h1 = (qh >> (j + 16)) & 1;
      y[j] = d * (((x[i].qs[j] & 15) | (h0 << 4)) - 16);
      y[j + 16] = d * (((x[i].qs[j] >> 4) | (h1 << 4)) - 16);
    }
  }
}

void dequantize_row_q5_1(const void* vx, float* y, int64_t k) {
  const auto* x = static_cast<const BlockQ5_1*>(vx);
  for (int64_t i = 0; i < k / kQK; ++i, y += kQK) {
    const float d = fp16_to_f32(x[i].d), m = fp16_to_f32(x[i].m);
    uint32_t qh;
    std::memcpy(&qh, x[i].qh, 4);
    for (int j = 0; j < kQK / 2; ++j) {
      const int h0 = (qh >> j) & 1, h1 = (qh >> (j + 16)) & 1;
      y[j] = d * ((x[i].qs[j] & 15) | (h0 << 4)) + m;
      y[j + 16] = d * ((x[i].qs[j] >> 4) | (h1 << 4)) + m;
    }
  }
}

void dequantize_row_q8_0(const void* vx, float* y, int64_t k) {
  const auto* x = static_cast<const BlockQ8_0*>(vx);
  for (int64_t i = 0; i < k / kQK; ++i, y += kQK) {
    const float d = fp16_to_f32(x[i].d);
    for (int j = 0; j < kQK; ++j) y[j] = d * x[i].qs[j];
  }
}

void dequantize_row_q8_1(const void* vx, float* y, int64_t k) {
  const auto* x = static_cast<const BlockQ8_1*>(vx);
  for (int64_t i = 0; i < k / kQK; ++i, y += kQK) {
    const float d = fp16_to_f32(x[i].d);
    for (int j = 0; j < kQK; ++j) y[j] = d * x[i].qs[j];
  }
}

void dequantize_row_q8_K(const void* vx, float* y, int64_t k) {
  const auto* x = static_cast<const BlockQ8_K*>(vx);
  for (int64_t i = 0; i < k / kQK_K; ++i, y += kQK_K)
    for (int j = 0; j < kQK_K; ++j) y[j] = x[i].d * x[i].qs[j];
}

}  // namespace qvl
