// Scalar quantise/dequantise for the k-quant weight formats Q2_K, Q3_K, Q4_K, Q5_K,
// Q6_K (kernels/ref). Our own scale search: min/max per sub-block refined by one
// least-squares fit; not ggml's imatrix-aware search (layouts are ggml's exactly).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "base/fp16.h"
#include "kernels/quant_blocks.h"
#include "kernels/ref/quant_ref.h"

namespace qvl {
namespace {

// Fits x ~ scale * q - min with q in [0, nmax], min >= 0 (the form Q4_K/Q5_K store).
// Starts from the min/max grid, then one least-squares pass over the chosen codes.
void fit_scale_min(const float* x, int n, int nmax, float* scale, float* min) {
  float lo = std::min(0.0f, *std::min_element(x, x + n));
  float hi = *std::max_element(x, x + n);
  if (hi <= lo) {
    *scale = 0.0f;
    *min = -lo;
    return;
  }
  float s = (hi - lo) / nmax;
  // Least squares for (s, lo) given codes q: minimise sum (s*q + lo - x)^2.
  double sq = 0, sqq = 0, sx = 0, sqx = 0;
  for (int i = 0; i < n; ++i) {
    const int q = std::clamp(round_half_even((x[i] - lo) / s), 0, nmax);
    sq += q;
    sqq += double(q) * q;
    sx += x[i];
    sqx += double(q) * x[i];
  }
  const double det = n * sqq - sq * sq;
  if (det > 0) {
    const double s2 = (n * sqx - sq * sx) / det;
    const double lo2 = (sx - s2 * sq) / n;
    if (s2 > 0 && lo2 <= 0) {
      s = static_cast<float>(s2);
      lo = static_cast<float>(lo2);
    }
  }
  *scale = s;
  *min = -lo;
}

// Quantises 8 sub-blocks of 32 to codes in [0, nmax] with 6-bit scales and mins;
// writes d, dmin, the packed scales and the codes L[256].
void quantize_k_superblock(const float* x, int nmax, uint16_t* d_out, uint16_t* dmin_out, uint8_t* packed,
                           uint8_t* L) {
  float scale[8], min[8];
  float max_scale = 0, max_min = 0;
  for (int j = 0; j < 8; ++j) {
    fit_scale_min(x + 32 * j, 32, nmax, &scale[j], &min[j]);
    max_scale = std::max(max_scale, scale[j]);
    max_min = std::max(max_min, min[j]);
  }
  const float d = max_scale / 63.0f, dmin = max_min / 63.0f;
  *d_out = f32_to_fp16(d);
  *dmin_out = f32_to_fp16(dmin);
  const float dh = fp16_to_f32(*d_out), dminh = fp16_to_f32(*dmin_out);
  uint8_t sc[8], m[8];
  for (int j = 0; j < 8; ++j) {
    sc[j] = dh > 0 ? static_cast<uint8_t>(std::clamp(round_half_even(scale[j] / dh), 0, 63)) : 0;
    m[j] = dminh > 0 ? static_cast<uint8_t>(std::clamp(round_half_even(min[j] / dminh), 0, 63)) : 0;
  }
  for (int j = 0; j < 4; ++j) {
    packed[j] = static_cast<uint8_t>(sc[j] | ((sc[j + 4] >> 4) << 6));
    packed[j + 4] = static_cast<uint8_t>(m[j] | ((m[j + 4] >> 4) << 6));
    packed[j + 8] = static_cast<uint8_t>((sc[j + 4] & 15) | ((m[j + 4] & 15) << 4));
  }
  for (int j = 0; j < 8; ++j) {
    const float ds = dh * sc[j], dm = dminh * m[j];
    for (int i = 0; i < 32; ++i) {
      const int q = ds > 0 ? round_half_even((x[32 * j + i] + dm) / ds) : 0;
      L[32 * j + i] = static_cast<uint8_t>(std::clamp(q, 0, nmax));
    }
  }
}

}  // namespace

void quantize_row_q4_K(const float* x, void* vy, int64_t k) {
  auto* y = static_cast<BlockQ4_K*>(vy);
  uint8_t L[kQK_K];
  for (int64_t i = 0; i < k / kQK_K; ++i, x += kQK_K) {
    quantize_k_superblock(x, 15, &y[i].d, &y[i].dmin, y[i].scales, L);
    for (int c = 0; c < 4; ++c)
      for (int l = 0; l < 32; ++l) y[i].qs[32 * c + l] = static_cast<uint8_t>(L[64 * c + l] | (L[64 * c + 32 + l] << 4));
  }
}

void quantize_row_q5_K(const float* x, void* vy, int64_t k) {
  auto* y = static_cast<BlockQ5_K*>(vy);
  uint8_t L[kQK_K];
  for (int64_t i = 0; i < k / kQK_K; ++i, x += kQK_K) {
    quantize_k_superblock(x, 31, &y[i].d, &y[i].dmin, y[i].scales, L);
    std::memset(y[i].qh, 0, sizeof(y[i].qh));
    for (int c = 0; c < 4; ++c) {
      for (int l = 0; l < 32; ++l) {
        const int a = L[64 * c + l], b = L[64 * c + 32 + l];
        y[i].qs[32 * c + l] = static_cast<uint8_t>((a & 15) | ((b & 15) << 4));
        y[i].qh[l] |= static_cast<uint8_t>(((a >> 4) << (2 * c)) | ((b >> 4) << (2 * c + 1)));
      }
    }
  }
}

void quantize_row_q6_K(const float* x, void* vy, int64_t k) {
  auto* y = static_cast<BlockQ6_K*>(vy);
  uint8_t L[kQK_K];
  for (int64_t i = 0; i < k / kQK_K; ++i, x += kQK_K) {
    // Per sub-block of 16: the largest-magnitude element maps to -32 (the code with
    // no +32 partner); then the largest such scale maps to int8 -128.
    float scale[16], big = 0;
    for (int j = 0; j < 16; ++j) {
      float amax = 0, max = 0;
      for (int l = 0; l < 16; ++l)
        if (std::fabs(x[16 * j + l]) > amax) amax = std::fabs(x[16 * j + l]), max = x[16 * j + l];
      scale[j] = max / -32.0f;
      if (std::fabs(scale[j]) > std::fabs(big)) big = scale[j];
    }
    const float d = big / -128.0f;
    y[i].d = f32_to_fp16(d);
    const float dh = fp16_to_f32(y[i].d);
    for (int j = 0; j < 16; ++j) {
      y[i].scales[j] = dh != 0 ? static_cast<int8_t>(std::clamp(round_half_even(scale[j] / dh), -128, 127)) : 0;
      const float ds = dh * y[i].scales[j];
      for (int l = 0; l < 16; ++l) {
        const int q = ds != 0 ? round_half_even(x[16 * j + l] / ds) : 0;
        L[16 * j + l] = static_cast<uint8_t>(std::clamp(q, -32, 31) + 32);
      }
    }
    for (int h = 0; h < 2; ++h) {
      const uint8_t* q = L + 128 * h;
      for (int l = 0; l < 32; ++l) {
        y[i].ql[64 * h + l] = static_cast<uint8_t>((q[l] & 15) | ((q[l + 64] & 15) << 4));
        y[i].ql[64 * h + 32 + l] = static_cast<uint8_t>((q[l + 32] & 15) | ((q[l + 96] & 15) << 4));
        y[i].qh[32 * h + l] =
            static_cast<uint8_t>((q[l] >> 4) | ((q[l + 32] >> 4) << 2) | ((q[l + 64] >> 4) << 4) | ((q[l + 96] >> 4) << 6));
      }
    }
  }
}

void quantize_row_q2_K(const float* x, void* vy, int64_t k) {
  auto* y = static_cast<BlockQ2_K*>(vy);
  for (int64_t i = 0; i < k / kQK_K; ++i, x += kQK_K) {
    float scale[16], min[16], max_scale = 0, max_min = 0;
    for (int j = 0; j < 16; ++j) {
      fit_scale_min(x + 16 * j, 16, 3, &scale[j], &min[j]);
      max_scale = std::max(max_scale, scale[j]);
      max_min = std::max(max_min, min[j]);
    }
    y[i].d = f32_to_fp16(max_scale / 15.0f);
    y[i].dmin = f32_to_fp16(max_min / 15.0f);
    const float dh = fp16_to_f32(y[i].d), dminh = fp16_to_f32(y[i].dmin);
    std::memset(y[i].qs, 0, sizeof(y[i].qs));
    for (int j = 0; j < 16; ++j) {
      const int sc = dh > 0 ? std::clamp(round_half_even(scale[j] / dh), 0, 15) : 0;
      const int m = dminh > 0 ? std::clamp(round_half_even(min[j] / dminh), 0, 15) : 0;
      y[i].scales[j] = static_cast<uint8_t>(sc | (m << 4));
      const float ds = dh * sc, dm = dminh * m;
      for (int l = 0; l < 16; ++l) {
        const int e = 16 * j + l;
        const int q = ds > 0 ? std::clamp(round_half_even((x[e] + dm) / ds), 0, 3) : 0;
        y[i].qs[32 * (e / 128) + e % 32] |= static_cast<uint8_t>(q << (2 * ((e % 128) / 32)));
      }
    }
  }
}

void quantize_row_q3_K(const float* x, void* vy, int64_t k) {
  auto* y = static_cast<BlockQ3_K*>(vy);
  for (int64_t i = 0; i < k / kQK_K; ++i, x += kQK_K) {
    // Per sub-block of 16 the largest-magnitude element maps to code -4; the scales
    // are then 6-bit with an offset of 32, the largest mapping to -32.
    float scale[16], big = 0;
    for (int j = 0; j < 16; ++j) {
      float amax = 0, max = 0;
      for (int l = 0; l < 16; ++l)
        if (std::fabs(x[16 * j + l]) > amax) amax = std::fabs(x[16 * j + l]), max = x[16 * j + l];
      scale[j] = max / -4.0f;
      if (std::fabs(scale[j]) > std::fabs(big)) big = scale[j];
    }
    y[i].d = f32_to_fp16(big / -32.0f);
    const float dh = fp16_to_f32(y[i].d);
    std::memset(y[i].hmask, 0, sizeof(y[i].hmask));
    std::memset(y[i].qs, 0, sizeof(y[i].qs));
    std::memset(y[i].scales, 0, sizeof(y[i].scales));
    for (int j = 0; j < 16; ++j) {
      const int sc = dh != 0 ? std::clamp(round_half_even(scale[j] / dh), -32, 31) : 0;
      const int packed = sc + 32;
      y[i].scales[j % 8] |= static_cast<uint8_t>((packed & 15) << (j < 8 ? 0 : 4));
      y[i].scales[8 + j % 4] |= static_cast<uint8_t>((packed >> 4) << (2 * (j / 4)));
      const float ds = dh * sc;
      for (int l = 0; l < 16; ++l) {
        const int e = 16 * j + l;
        const int q = (ds != 0 ? std::clamp(round_half_even(x[e] / ds), -4, 3) : 0) + 4;
        y[i].qs[32 * (e / 128) + e % 32] |= static_cast<uint8_t>((q & 3) << (2 * ((e % 128) / 32)));
        if (q & 4) y[i].hmask[e % 32] |= static_cast<uint8_t>(1u << (e / 32));
      }
    }
  }
}

void dequantize_row_q2_K(const void* vx, float* y, int64_t k) {
  const auto* x = static_cast<const BlockQ2_K*>(vx);
  for (int64_t i = 0; i < k / kQK_K; ++i, y += kQK_K) {
    const float d = fp16_to_f32(x[i].d), dmin = fp16_to_f32(x[i].dmin);
    for (int e = 0; e < kQK_K; ++e) {
      const uint8_t sc = x[i].scales[e / 16];
      const int q = (x[i].qs[32 * (e / 128) + e % 32] >> (2 * ((e % 128) / 32))) & 3;
      y[e] = d * (sc & 15) * q - dmin * (sc >> 4);
    }
  }
}

void dequantize_row_q3_K(const void* vx, float* y, int64_t k) {
  const auto* x = static_cast<const BlockQ3_K*>(vx);
  for (int64_t i = 0; i < k / kQK_K; ++i, y += kQK_K) {
    const float d = fp16_to_f32(x[i].d);
    uint8_t sc[16];
    unpack_scales_q3_K(x[i].scales, sc);
    for (int e = 0; e < kQK_K; ++e) {
      const int low = (x[i].qs[32 * (e / 128) + e % 32] >> (2 * ((e % 128) / 32))) & 3;
      const int high = (x[i].hmask[e % 32] >> (e / 32)) & 1;
      y[e] = d * (sc[e / 16] - 32) * (low - (high ? 0 : 4));
    }
  }
}

void dequantize_row_q4_K(const void* vx, float* y, int64_t k) {
  const auto* x = static_cast<const BlockQ4_K*>(vx);
  for (int64_t i = 0; i < k / kQK_K; ++i) {
    const float d = fp16_to_f32(x[i].d), dmin = fp16_to_f32(x[i].dmin);
    for (int c = 0; c < 4; ++c) {
      uint8_t sc0, m0, sc1, m1;
      unpack_scale_min_k4(2 * c, x[i].scales, &sc0, &m0);
      unpack_scale_min_k4(2 * c + 1, x[i].scales, &sc1, &m1);
      const uint8_t* q = x[i].qs + 32 * c;
      for (int l = 0; l < 32; ++l) {
        y[l] = d * sc0 * (q[l] & 15) - dmin * m0;
        y[l + 32] = d * sc1 * (q[l] >> 4) - dmin * m1;
      }
      y += 64;
    }
  }
}

void dequantize_row_q5_K(const void* vx, float* y, int64_t k) {
  const auto* x = static_cast<const BlockQ5_K*>(vx);
  for (int64_t i = 0; i < k / kQK_K; ++i) {
    const float d = fp16_to_f32(x[i].d), dmin = fp16_to_f32(x[i].dmin);
    for (int c = 0; c < 4; ++c) {
      uint8_t sc0, m0, sc1, m1;
      unpack_scale_min_k4(2 * c, x[i].scales, &sc0, &m0);
      unpack_scale_min_k4(2 * c + 1, x[i].scales, &sc1, &m1);
      const uint8_t* q = x[i].qs + 32 * c;
      for (int l = 0; l < 32; ++l) {
        const int h0 = (x[i].qh[l] >> (2 * c)) & 1, h1 = (x[i].qh[l] >> (2 * c + 1)) & 1;
        y[l] = d * sc0 * ((q[l] & 15) | (h0 << 4)) - dmin * m0;
        y[l + 32] = d * sc1 * ((q[l] >> 4) | (h1 << 4)) - dmin * m1;
      }
      y += 64;
    }
  }
}

void dequantize_row_q6_K(const void* vx, float* y, int64_t k) {
  const auto* x = static_cast<const BlockQ6_K*>(vx);
  for (int64_t i = 0; i < k / kQK_K; ++i) {
    const float d = fp16_to_f32(x[i].d);
    for (int h = 0; h < 2; ++h) {
      const uint8_t* ql = x[i].ql + 64 * h;
      const uint8_t* qh = x[i].qh + 32 * h;
      const int8_t* sc = x[i].scales + 8 * h;
      for (int l = 0; l < 32; ++l) {
        const int s = l / 16;
        const int q1 = ((ql[l] & 15) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q2 = ((ql[l + 32] & 15) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        y[l] = d * sc[s] * q1;
        y[l + 32] = d * sc[s + 2] * q2;
        y[l + 64] = d * sc[s + 4] * q3;
        y[l + 96] = d * sc[s + 6] * q4;
      }
      y += 128;
    }
  }
}

}  // namespace qvl
