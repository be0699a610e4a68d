// Packing of Q4_0 / Q4_K / Q8_0 rows into 8-row groups, the activation quantisers the packed
// kernels read, and the scalar packed kernels (kernels/ref): the oracle for the SIMD
// ones, with the same float order (one fma per block as kernels/repack.h describes).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "base/fp16.h"
#include "kernels/ref/quant_ref.h"
#include "kernels/repack.h"

namespace qvl {

size_t repacked_bytes_q4_0(int64_t rows, int64_t k) {
  return size_t(rows / kRepackRows) * size_t(k / kQK) * sizeof(PackedQ4_0x8);
}
size_t repacked_bytes_q4_K(int64_t rows, int64_t k) {
  return size_t(rows / kRepackRows) * size_t(k / kQK_K) * sizeof(PackedQ4_Kx8);
}
size_t repacked_bytes_q8_0(int64_t rows, int64_t k) {
  return size_t(rows / kRepackRows) * size_t(k / kQK) * sizeof(PackedQ8_0x8);
}

void repack_q4_0(const void* src, int64_t rows, int64_t k, void* dst) {
  const int64_t nb = k / kQK;
  const auto* in = static_cast<const BlockQ4_0*>(src);
  auto* out = static_cast<PackedQ4_0x8*>(dst);
  for (int64_t g = 0; g < rows / kRepackRows; ++g)
    for (int64_t b = 0; b < nb; ++b) {
      PackedQ4_0x8& p = out[g * nb + b];
      for (int r = 0; r < kRepackRows; ++r) {
        const BlockQ4_0& s = in[(g * kRepackRows + r) * nb + b];
        p.d[r] = s.d;
        for (int q = 0; q < 4; ++q) std::memcpy(&p.qs[32 * q + 4 * r], &s.qs[4 * q], 4);
      }
    }
}

void repack_q8_0(const void* src, int64_t rows, int64_t k, void* dst) {
  const int64_t nb = k / kQK;
  const auto* in = static_cast<const BlockQ8_0*>(src);
  auto* out = static_cast<PackedQ8_0x8*>(dst);
  for (int64_t g = 0; g < rows / kRepackRows; ++g)
    for (int64_t b = 0; b < nb; ++b) {
      PackedQ8_0x8& p = out[g * nb + b];
      for (int r = 0; r < kRepackRows; ++r) {
        const BlockQ8_0& s = in[(g * kRepackRows + r) * nb + b];
        p.d[r] = s.d;
        for (int q = 0; q < 8; ++q) std::memcpy(&p.qs[32 * q + 4 * r], &s.qs[4 * q], 4);
      }
    }
}

void repack_q4_K(const void* src, int64_t rows, int64_t k, void* dst) {
  const int64_t nb = k / kQK_K;
  const auto* in = static_cast<const BlockQ4_K*>(src);
  auto* out = static_cast<PackedQ4_Kx8*>(dst);
  for (int64_t g = 0; g < rows / kRepackRows; ++g)
    for (int64_t b = 0; b < nb; ++b) {
      PackedQ4_Kx8& p = out[g * nb + b];
      for (int r = 0; r < kRepackRows; ++r) {
        const BlockQ4_K& s = in[(g * kRepackRows + r) * nb + b];
        p.d[r] = s.d;
        p.dmin[r] = s.dmin;
        for (int j = 0; j < 8; ++j) unpack_scale_min_k4(j, s.scales, &p.sc[j][r], &p.m[j][r]);
        for (int c = 0; c < 4; ++c)
          for (int q = 0; q < 8; ++q) std::memcpy(&p.qs[256 * c + 32 * q + 4 * r], &s.qs[32 * c + 4 * q], 4);
      }
    }
}

size_t repack_act_bytes_q8_0(int64_t k) { return size_t(k / kQK) * (sizeof(BlockQ8_0) + sizeof(int16_t)); }

void quantize_row_q8_0_sums(const float* x, void* y, int64_t k) {
  const int64_t nb = k / kQK;
  quantize_row_q8_0(x, y, k);
  const auto* q = static_cast<const BlockQ8_0*>(y);
  auto* sums = reinterpret_cast<int16_t*>(static_cast<BlockQ8_0*>(y) + nb);  // 34 * nb bytes: 2-aligned
  for (int64_t b = 0; b < nb; ++b) {
    int sum = 0;
    for (int j = 0; j < kQK; ++j) sum += q[b].qs[j];
    sums[b] = static_cast<int16_t>(sum);
  }
}

void quantize_row_q8_K_x4(const float* x, void* vy, int64_t k) {
  auto* y = static_cast<BlockQ8_K*>(vy);
  for (int64_t i = 0; i < k / kQK_K; ++i, x += kQK_K) {
    float amax = 0.0f;
    for (int j = 0; j < kQK_K; ++j) amax = std::max(amax, std::fabs(x[j]));
    if (amax == 0.0f) {
      std::memset(&y[i], 0, sizeof(BlockQ8_K));
      continue;
    }
    bool positive_max = false;
    for (int j = 0; j < kQK_K; ++j) positive_max |= x[j] == amax;
    const float iscale = positive_max ? -127.0f / amax : 127.0f / amax;
    // No clamp needed: |x * iscale| <= 127 up to rounding, and ggml's packs saturate.
    for (int j = 0; j < kQK_K; ++j)
      y[i].qs[j] = static_cast<int8_t>(std::clamp(round_half_even(x[j] * iscale), -128, 127));
    for (int g = 0; g < kQK_K / 16; ++g) {
      int sum = 0;
      for (int j = 0; j < 16; ++j) sum += y[i].qs[16 * g + j];
      y[i].bsums[g] = static_cast<int16_t>(sum);
    }
    y[i].d = 1.0f / iscale;
  }
}

namespace {

void ref_q4_0(int64_t k, const void* vw, int64_t n_rows, const void* x, size_t xs, int n_x, float* out, size_t os,
              RepackOrder) {
  const int64_t nb = k / kQK;
  const auto* w = static_cast<const PackedQ4_0x8*>(vw);
  for (int64_t r = 0; r < n_rows; ++r) {
    const PackedQ4_0x8* g = w + (r / kRepackRows) * nb;
    const int lr = int(r % kRepackRows);
    for (int t = 0; t < n_x; ++t) {
      const auto* xb = reinterpret_cast<const BlockQ8_0*>(static_cast<const uint8_t*>(x) + t * xs);
      float acc = 0.0f;
      for (int64_t b = 0; b < nb; ++b) {
        int isum = 0;
        for (int q = 0; q < 4; ++q)
          for (int i = 0; i < 4; ++i) {
            const uint8_t byte = g[b].qs[32 * q + 4 * lr + i];
            isum += ((byte & 15) - 8) * xb[b].qs[4 * q + i] + ((byte >> 4) - 8) * xb[b].qs[16 + 4 * q + i];
          }
        acc = std::fma(float(isum), fp16_to_f32(g[b].d[lr]) * fp16_to_f32(xb[b].d), acc);
      }
      out[t * os + r] = acc;
    }
  }
}

void ref_q8_0(int64_t k, const void* vw, int64_t n_rows, const void* x, size_t xs, int n_x, float* out, size_t os,
              RepackOrder) {
  const int64_t nb = k / kQK;
  const auto* w = static_cast<const PackedQ8_0x8*>(vw);
  for (int64_t r = 0; r < n_rows; ++r) {
    const PackedQ8_0x8* g = w + (r / kRepackRows) * nb;
    const int lr = int(r % kRepackRows);
    for (int t = 0; t < n_x; ++t) {
      const auto* xb = reinterpret_cast<const BlockQ8_0*>(static_cast<const uint8_t*>(x) + t * xs);
      float acc = 0.0f;
      for (int64_t b = 0; b < nb; ++b) {
        int isum = 0;
        for (int q = 0; q < 8; ++q)
          for (int i = 0; i < 4; ++i) isum += g[b].qs[32 * q + 4 * lr + i] * xb[b].qs[4 * q + i];
        acc = std::fma(float(isum), fp16_to_f32(g[b].d[lr]) * fp16_to_f32(xb[b].d), acc);
      }
      out[t * os + r] = acc;
    }
  }
}

void ref_q4_K(int64_t k, const void* vw, int64_t n_rows, const void* x, size_t xs, int n_x, float* out, size_t os,
              RepackOrder order) {
  const int64_t nb = k / kQK_K;
  const auto* w = static_cast<const PackedQ4_Kx8*>(vw);
  for (int64_t r = 0; r < n_rows; ++r) {
    const PackedQ4_Kx8* g = w + (r / kRepackRows) * nb;
    const int lr = int(r % kRepackRows);
    for (int t = 0; t < n_x; ++t) {
      const auto* xb = reinterpret_cast<const BlockQ8_K*>(static_cast<const uint8_t*>(x) + t * xs);
      float acc = 0.0f, accm = 0.0f;
      for (int64_t b = 0; b < nb; ++b) {
        const PackedQ4_Kx8& p = g[b];
        const float dd = fp16_to_f32(p.d[lr]) * xb[b].d, dm = fp16_to_f32(p.dmin[lr]) * xb[b].d;
        int ib = 0, mb = 0;
        for (int c = 0; c < 4; ++c) {
          int dot0 = 0, dot1 = 0;
          for (int q = 0; q < 8; ++q)
            for (int i = 0; i < 4; ++i) {
              const uint8_t byte = p.qs[256 * c + 32 * q + 4 * lr + i];
              dot0 += (byte & 15) * xb[b].qs[64 * c + 4 * q + i];
              dot1 += (byte >> 4) * xb[b].qs[64 * c + 32 + 4 * q + i];
            }
          const int bs0 = xb[b].bsums[4 * c] + xb[b].bsums[4 * c + 1];
          const int bs1 = xb[b].bsums[4 * c + 2] + xb[b].bsums[4 * c + 3];
          const int is = p.sc[2 * c][lr] * dot0 + p.sc[2 * c + 1][lr] * dot1;
          const int ms = p.m[2 * c][lr] * bs0 + p.m[2 * c + 1][lr] * bs1;
          if (order == RepackOrder::kGemm) {
            acc = std::fma(float(is), dd, acc);
            accm = std::fma(float(ms), dm, accm);
          } else {
            ib += is;
            mb += ms;
          }
        }
        if (order == RepackOrder::kGemv) {
          acc = std::fma(float(ib), dd, acc);
          accm = std::fma(float(mb), dm, accm);
        }
      }
      out[t * os + r] = acc - accm;
    }
  }
}

}  // namespace

constinit const RepackKernels kRepackRef = {ref_q4_0, ref_q4_K, ref_q8_0, quantize_row_q8_0_sums, quantize_row_q8_K,
                                              quantize_row_q8_K_x4};

}  // namespace qvl
