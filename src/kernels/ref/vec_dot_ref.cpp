// Scalar vec_dot kernels (kernels/ref): the oracle the SIMD tables are tested
// against, and the fallback on CPUs without AVX2. Integer sums per block are exact;
// float formats accumulate in double so the oracle carries no order error of note.
#include <cstring>

#include "base/fp16.h"
#include "kernels/ggml_order.h"
#include "kernels/quant_blocks.h"
#include "kernels/ref/vec_dot_ref.h"
#include "kernels/vec_dot.h"

namespace qvl {
namespace {

template <typename Row>
void each_col(int64_t k, const void* w, const void* x, size_t x_stride, int n_x, float* out, size_t out_stride,
              Row row) {
  for (int t = 0; t < n_x; ++t) out[t * out_stride] = row(k, w, static_cast<const uint8_t*>(x) + t * x_stride);
}

float dot_f32(int64_t k, const void* vw, const void* vx) {
  const auto* w = static_cast<const float*>(vw);
  const auto* x = static_cast<const float*>(vx);
  double s = 0;
  for (int64_t i = 0; i < k; ++i) s += double(w[i]) * x[i];
  return static_cast<float>(s);
}

float dot_f16(int64_t k, const void* vw, const void* vx) {
  const auto* w = static_cast<const uint16_t*>(vw);
  const auto* x = static_cast<const uint16_t*>(vx);
  double s = 0;
  for (int64_t i = 0; i < k; ++i) s += double(fp16_to_f32(w[i])) * fp16_to_f32(x[i]);
  return static_cast<float>(s);
}

float dot_f16_gemv(int64_t k, const void* vw, const void* vx) {
  return kernels::dot_f16_ggml(static_cast<const uint16_t*>(vw), static_cast<const float*>(vx), k, false);
}

float dot_f32_gemv(int64_t k, const void* vw, const void* vx) {
  return kernels::dot_ggml(static_cast<const float*>(vw), static_cast<const float*>(vx), k, false);
}

float dot_bf16(int64_t k, const void* vw, const void* vx) {
  const auto* w = static_cast<const uint16_t*>(vw);
  const auto* x = static_cast<const uint16_t*>(vx);
  double s = 0;
  for (int64_t i = 0; i < k; ++i) s += double(bf16_to_f32(w[i])) * bf16_to_f32(x[i]);
  return static_cast<float>(s);
}

// Legacy 32-blocks: weight codes (already centred for the _0 formats) times the
// activation codes, scaled per block.
template <typename Block, typename Decode>
float dot_legacy_q8_0(int64_t k, const void* vw, const void* vx, Decode decode) {
  const auto* w = static_cast<const Block*>(vw);
  const auto* x = static_cast<const BlockQ8_0*>(vx);
  float s = 0;
  int8_t q[kQK];
  for (int64_t i = 0; i < k / kQK; ++i) {
    decode(w[i], q);
    int isum = 0;
    for (int j = 0; j < kQK; ++j) isum += q[j] * x[i].qs[j];
    s += fp16_to_f32(w[i].d) * fp16_to_f32(x[i].d) * static_cast<float>(isum);
  }
  return s;
}

// _1 formats: x = d*q + m, so dot = d*dx*sum(q*qx) + m*(dx*sum(qx)) = ... + m*s.
template <typename Block, typename Decode>
float dot_legacy_q8_1(int64_t k, const void* vw, const void* vx, Decode decode) {
  const auto* w = static_cast<const Block*>(vw);
  const auto* x = static_cast<const BlockQ8_1*>(vx);
  float s = 0;
  int8_t q[kQK];
  for (int64_t i = 0; i < k / kQK; ++i) {
    decode(w[i], q);
    int isum = 0;
    for (int j = 0; j < kQK; ++j) isum += q[j] * x[i].qs[j];
    s += fp16_to_f32(w[i].d) * fp16_to_f32(x[i].d) * static_cast<float>(isum) +
         fp16_to_f32(w[i].m) * fp16_to_f32(x[i].s);
  }
  return s;
}

template <typename Block>
void nibbles(const Block& b, int8_t* q, int offset) {
  for (int j = 0; j < 16; ++j) {
    q[j] = static_cast<int8_t>((b.qs[j] & 15) - offset);
    q[j + 16] = static_cast<int8_t>((b.qs[j] >> 4) - offset);
  }
}

template <typename Block>
void nibbles5(const Block& b, int8_t* q, int offset) {
  uint32_t qh;
  std::memcpy(&qh, b.qh, 4);
  for (int j = 0; j < 16; ++j) {
    q[j] = static_cast<int8_t>(((b.qs[j] & 15) | (((qh >> j) & 1) << 4)) - offset);
    q[j + 16] = static_cast<int8_t>(((b.qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4)) - offset);
  }
}

float dot_q4_0(int64_t k, const void* w, const void* x) {
  return dot_legacy_q8_0<BlockQ4_0>(k, w, x, [](const BlockQ4_0& b, int8_t* q) { nibbles(b, q, 8); });
}
float dot_q5_0(int64_t k, const void* w, const void* x) {
  return dot_legacy_q8_0<BlockQ5_0>(k, w, x, [](const BlockQ5_0& b, int8_t* q) { nibbles5(b, q, 16); });
}
float dot_q8_0(int64_t k, const void* w, const void* x) {
  return dot_legacy_q8_0<BlockQ8_0>(k, w, x, [](const BlockQ8_0& b, int8_t* q) { std::memcpy(q, b.qs, kQK); });
}
float dot_q4_1(int64_t k, const void* w, const void* x) {
  return dot_legacy_q8_1<BlockQ4_1>(k, w, x, [](const BlockQ4_1& b, int8_t* q) { nibbles(b, q, 0); });
}
float dot_q5_1(int64_t k, const void* w, const void* x) {
  return dot_legacy_q8_1<BlockQ5_1>(k, w, x, [](const BlockQ5_1& b, int8_t* q) { nibbles5(b, q, 0); });
}

// Q4_K/Q5_K: sum_j d*sc_j*sum(q*qx) - dmin*m_j*sum(qx), the second sum from bsums.
template <typename Block, int kBits>
float dot_qk_min(int64_t k, const void* vw, const void* vx) {
  const auto* w = static_cast<const Block*>(vw);
  const auto* x = static_cast<const BlockQ8_K*>(vx);
  float s = 0;
  for (int64_t i = 0; i < k / kQK_K; ++i) {
    int isum = 0, msum = 0;
    for (int j = 0; j < 8; ++j) {
      uint8_t sc, m;
      unpack_scale_min_k4(j, w[i].scales, &sc, &m);
      const uint8_t* qs = w[i].qs + 32 * (j / 2);
      const int shift = 4 * (j % 2);
      int sub = 0;
      for (int l = 0; l < 32; ++l) {
        int q = (qs[l] >> shift) & 15;
        if constexpr (kBits == 5) q |= ((reinterpret_cast<const BlockQ5_K*>(&w[i])->qh[l] >> j) & 1) << 4;
        sub += q * x[i].qs[32 * j + l];
      }
      isum += sc * sub;
      msum += m * (x[i].bsums[2 * j] + x[i].bsums[2 * j + 1]);
    }
    s += fp16_to_f32(w[i].d) * x[i].d * static_cast<float>(isum) - fp16_to_f32(w[i].dmin) * x[i].d * static_cast<float>(msum);
  }
  return s;
}

float dot_q4_K(int64_t k, const void* w, const void* x) { return dot_qk_min<BlockQ4_K, 4>(k, w, x); }
float dot_q5_K(int64_t k, const void* w, const void* x) { return dot_qk_min<BlockQ5_K, 5>(k, w, x); }

float dot_q6_K(int64_t k, const void* vw, const void* vx) {
  const auto* w = static_cast<const BlockQ6_K*>(vw);
  const auto* x = static_cast<const BlockQ8_K*>(vx);
  float s = 0;
  for (int64_t i = 0; i < k / kQK_K; ++i) {
    int8_t q[kQK_K];
    for (int h = 0; h < 2; ++h) {
      const uint8_t* ql = w[i].ql + 64 * h;
      const uint8_t* qh = w[i].qh + 32 * h;
      int8_t* o = q + 128 * h;
      for (int l = 0; l < 32; ++l) {
        o[l] = static_cast<int8_t>(((ql[l] & 15) | (((qh[l] >> 0) & 3) << 4)) - 32);
        o[l + 32] = static_cast<int8_t>(((ql[l + 32] & 15) | (((qh[l] >> 2) & 3) << 4)) - 32);
        o[l + 64] = static_cast<int8_t>(((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
        o[l + 96] = static_cast<int8_t>(((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
      }
    }
    int isum = 0;
    for (int j = 0; j < 16; ++j) {
      int sub = 0;
      for (int l = 0; l < 16; ++l) sub += q[16 * j + l] * x[i].qs[16 * j + l];
      isum += w[i].scales[j] * sub;
    }
    s += fp16_to_f32(w[i].d) * x[i].d * static_cast<float>(isum);
  }
  return s;
}

// Q2_K: sum_j d*sc_j*dot_j - dmin*m_j*bsum_j over 16 sub-blocks of 16 (2-bit codes).
float dot_q2_K(int64_t k, const void* vw, const void* vx) {
  const auto* w = static_cast<const BlockQ2_K*>(vw);
  const auto* x = static_cast<const BlockQ8_K*>(vx);
  float s = 0;
  for (int64_t i = 0; i < k / kQK_K; ++i) {
    int isum = 0, msum = 0;
    for (int e = 0; e < kQK_K; e += 16) {
      int sub = 0;
      for (int l = 0; l < 16; ++l) {
        const int q = (w[i].qs[32 * ((e + l) / 128) + (e + l) % 32] >> (2 * (((e + l) % 128) / 32))) & 3;
        sub += q * x[i].qs[e + l];
      }
      isum += (w[i].scales[e / 16] & 15) * sub;
      msum += (w[i].scales[e / 16] >> 4) * x[i].bsums[e / 16];
    }
    s += x[i].d * fp16_to_f32(w[i].d) * static_cast<float>(isum) - x[i].d * fp16_to_f32(w[i].dmin) * static_cast<float>(msum);
  }
  return s;
}

// Q3_K: d * sum_j (sc_j - 32) * dot_j with signed 3-bit codes.
float dot_q3_K(int64_t k, const void* vw, const void* vx) {
  const auto* w = static_cast<const BlockQ3_K*>(vw);
  const auto* x = static_cast<const BlockQ8_K*>(vx);
  float s = 0;
  for (int64_t i = 0; i < k / kQK_K; ++i) {
    uint8_t sc[16];
    unpack_scales_q3_K(w[i].scales, sc);
    int isum = 0;
    for (int e = 0; e < kQK_K; e += 16) {
      int sub = 0;
      for (int l = e; l < e + 16; ++l) {
        const int low = (w[i].qs[32 * (l / 128) + l % 32] >> (2 * ((l % 128) / 32))) & 3;
        const int high = (w[i].hmask[l % 32] >> (l / 32)) & 1;
        sub += (low - (high ? 0 : 4)) * x[i].qs[l];
      }
      isum += (sc[e / 16] - 32) * sub;
    }
    s += fp16_to_f32(w[i].d) * x[i].d * static_cast<float>(isum);
  }
  return s;
}

template <float (*Dot)(int64_t, const void*, const void*)>
void cols(int64_t k, const void* w, const void* x, size_t x_stride, int n_x, float* out, size_t out_stride) {
  each_col(k, w, x, x_stride, n_x, out, out_stride, Dot);
}

}  // namespace

void vec_dot_q2_K_q8_K_ref(int64_t k, const void* w, const void* x, size_t xs, int n_x, float* out, size_t os) {
  cols<dot_q2_K>(k, w, x, xs, n_x, out, os);
}
void vec_dot_q3_K_q8_K_ref(int64_t k, const void* w, const void* x, size_t xs, int n_x, float* out, size_t os) {
  cols<dot_q3_K>(k, w, x, xs, n_x, out, os);
}

const VecDotKernels kVecDotRef = {
    cols<dot_f32>,  cols<dot_f16>,  cols<dot_bf16>, cols<dot_q4_0>, cols<dot_q4_1>, cols<dot_q5_0>,
    cols<dot_q5_1>, cols<dot_q8_0>, cols<dot_q4_K>, cols<dot_q5_K>, cols<dot_q6_K>, cols<dot_q2_K>, cols<dot_q3_K>,
    cols<dot_f16_gemv>, cols<dot_f32_gemv>,
};

}  // namespace qvl
