// vec_dot kernel bodies shared by cpu/vec_dot_avx2.cpp and cpu/vec_dot_avx512.cpp
// (kernels/cpu): one source compiled per ISA. Include only from those files, after
// defining QVL_SIMD_NS, so each copy lives in its own namespace (no ODR mixing of
// code built with different -m flags). Quantised formats work on 256-bit vectors of
// 32 int8 codes; the AVX-512 build multiplies them with VNNI (vpdpbusd) and runs the
// float formats 16 lanes wide.
// Legend: k = reduction length, NX = activation rows per call, t = activation row.
// The short loops over t (and rows, chunks) carry `#pragma GCC unroll`: at -O2 GCC
// keeps them rolled and the accumulator arrays then live on the stack, not in registers.
#pragma once
#ifndef QVL_SIMD_NS
#error "define QVL_SIMD_NS before including vec_dot_simd.h"
#endif

// GCC 12's AVX-512 headers build results on _mm512_undefined_*(), which trips
// -Wuninitialized false positives once inlined here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cmath>
#include <cstring>

#include "kernels/quant_blocks.h"
#include "kernels/ref/vec_dot_ref.h"
#include "kernels/vec_dot.h"

namespace qvl::QVL_SIMD_NS {

inline float h2f(uint16_t h) { return _cvtsh_ss(h); }

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Sums of 4 adjacent u8*s8 products per int32 lane. Callers keep |u*s| pair sums
// under 32767 (codes <= 128 in magnitude, activations <= 127), so the AVX2
// maddubs path never saturates and both paths give the same exact integers.
inline __m256i dot_u8s8(__m256i u, __m256i s) {
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
  return _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, s);
#else
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
#endif
}

// Signed x signed: move w's sign onto x so the unsigned operand is |w|.
inline __m256i dot_s8s8(__m256i w, __m256i x) {
  return dot_u8s8(_mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w));
}

// 0xFF in byte i where bit i of m is set.
inline __m256i bytes_from_bits(uint32_t m) {
#if defined(__AVX512BW__) && defined(__AVX512VL__)
  return _mm256_movm_epi8(m);
#else
  const __m256i shuf = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3,
                                        3, 3, 3, 3, 3);
  const __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(m)), shuf);
  const __m256i bit = _mm256_set1_epi64x(static_cast<long long>(0x8040201008040201ull));
  return _mm256_cmpeq_epi8(_mm256_and_si256(v, bit), bit);
#endif
}

// 16 bytes of packed nibbles -> 32 codes 0..15 in element order (low nibbles first).
inline __m256i unpack_nibbles(const uint8_t* qs) {
  const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m128i m = _mm_set1_epi8(15);
  return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(b, 4), m), _mm_and_si128(b, m));
}

inline __m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

template <typename B>
inline const B* col(const void* x, size_t x_stride, int t) {
  return reinterpret_cast<const B*>(static_cast<const uint8_t*>(x) + t * x_stride);
}

// ---- legacy 32-blocks ------------------------------------------------------------

// Weights with signed codes (q4_0, q5_0, q8_0) against q8_0 activations, in
// ggml's order (ggml_vec_dot_q8_0_q8_0 and tinyBLAS_Q0_AVX agree): one 8-lane
// accumulator, acc = fma(int dot lanes, d_w * d_x, acc) block after block, then hsum.
template <int NX, typename Block, typename Decode>
void dot_signed_q8_0(int64_t k, const void* vw, const void* x, size_t xs, float* out, size_t os, Decode decode) {
  const auto* w = static_cast<const Block*>(vw);
  const BlockQ8_0* xb[NX];
  #pragma GCC unroll 8
  for (int t = 0; t < NX; ++t) xb[t] = col<BlockQ8_0>(x, xs, t);
  __m256 acc[NX];
  #pragma GCC unroll 8
  for (int t = 0; t < NX; ++t) acc[t] = _mm256_setzero_ps();
  const int64_t nb = k / kQK;
  for (int64_t i = 0; i < nb; ++i) {
    const __m256i q = decode(w[i]);
    const __m256i u = _mm256_sign_epi8(q, q);
    const float dw = h2f(w[i].d);
    #pragma GCC unroll 8
    for (int t = 0; t < NX; ++t) {
      const __m256i s = _mm256_sign_epi8(load256(xb[t][i].qs), q);
      const __m256 p = _mm256_cvtepi32_ps(dot_u8s8(u, s));
      acc[t] = _mm256_fmadd_ps(p, _mm256_set1_ps(dw * h2f(xb[t][i].d)), acc[t]);
    }
  }
  #pragma GCC unroll 8
  for (int t = 0; t < NX; ++t) out[t * os] = hsum(acc[t]);
}

// Weights with unsigned codes and a min (q4_1, q5_1) against q8_1 activations:
// dot = d*dx*sum(q*qx) + m*s, with s = dx*sum(qx) stored in the activation block.
template <int NX, typename Block, typename Decode>
void dot_unsigned_q8_1(int64_t k, const void* vw, const void* x, size_t xs, float* out, size_t os, Decode decode) {
  const auto* w = static_cast<const Block*>(vw);
  const BlockQ8_1* xb[NX];
  #pragma GCC unroll 8
  for (int t = 0; t < NX; ++t) xb[t] = col<BlockQ8_1>(x, xs, t);
  __m256 acc[2][NX];
  float msum[NX];
  #pragma GCC unroll 8
  for (int t = 0; t < NX; ++t) acc[0][t] = acc[1][t] = _mm256_setzero_ps(), msum[t] = 0;
  const int64_t nb = k / kQK;
  for (int64_t i = 0; i < nb; ++i) {
    const __m256i q = decode(w[i]);
    const float dw = h2f(w[i].d), mw = h2f(w[i].m);
    #pragma GCC unroll 8
    for (int t = 0; t < NX; ++t) {
      const __m256 p = _mm256_cvtepi32_ps(dot_u8s8(q, load256(xb[t][i].qs)));
      acc[i & 1][t] = _mm256_fmadd_ps(p, _mm256_set1_ps(dw * h2f(xb[t][i].d)), acc[i & 1][t]);
      msum[t] += mw * h2f(xb[t][i].s);
    }
  }
  #pragma GCC unroll 8
  for (int t = 0; t < NX; ++t) out[t * os] = hsum(_mm256_add_ps(acc[0][t], acc[1][t])) + msum[t];
}

inline __m256i decode_q4_0(const BlockQ4_0& b) { return _mm256_sub_epi8(unpack_nibbles(b.qs), _mm256_set1_epi8(8)); }
inline __m256i decode_q8_0(const BlockQ8_0& b) { return load256(b.qs); }
inline __m256i decode_q4_1(const BlockQ4_1& b) { return unpack_nibbles(b.qs); }
// Q5_0: code-16 = nibble | 0xF0 when bit 4 is clear (two's complement), nibble when set.
inline __m256i decode_q5_0(const BlockQ5_0& b) {
  uint32_t qh;
  std::memcpy(&qh, b.qh, 4);
  return _mm256_or_si256(unpack_nibbles(b.qs), _mm256_andnot_si256(bytes_from_bits(qh), _mm256_set1_epi8(-16)));
}
inline __m256i decode_q5_1(const BlockQ5_1& b) {
  uint32_t qh;
  std::memcpy(&qh, b.qh, 4);
  return _mm256_or_si256(unpack_nibbles(b.qs), _mm256_and_si256(bytes_from_bits(qh), _mm256_set1_epi8(16)));
}

// ---- k-quants against q8_K ------------------------------------------------------

// All 8 scales and mins of a Q4_K/Q5_K block at once, 4 bytes per 32-bit word
// (same result as unpack_scale_min_k4 for j = 0..7, without 16 branchy calls).
inline void unpack_scales_mins_k4(const uint8_t* q, uint8_t* sc, uint8_t* mn) {
  uint32_t u0, u1, u2;
  std::memcpy(&u0, q, 4);
  std::memcpy(&u1, q + 4, 4);
  std::memcpy(&u2, q + 8, 4);
  const uint32_t lo6 = 0x3f3f3f3f, lo4 = 0x0f0f0f0f, lo2 = 0x03030303;
  const uint32_t s0 = u0 & lo6, m0 = u1 & lo6;
  const uint32_t s1 = (u2 & lo4) | (((u0 >> 6) & lo2) << 4);
  const uint32_t m1 = ((u2 >> 4) & lo4) | (((u1 >> 6) & lo2) << 4);
  std::memcpy(sc, &s0, 4);
  std::memcpy(sc + 4, &s1, 4);
  std::memcpy(mn, &m0, 4);
  std::memcpy(mn + 4, &m1, 4);
}

// Sum over sub-blocks of sc_j * (codes . activations), exact in int32:
// maddubs pairs <= 2*63*127, times a 6/8-bit scale, summed over 256 elements.
inline __m256i scaled_dot(__m256i q, __m256i y, __m256i sc16) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(q, y), sc16);
}

// Q4_K/Q5_K: d*sum_j sc_j*dot_j - dmin*sum_j m_j*(bsum_2j + bsum_2j+1).
template <int NX, int kBits, typename Block>
void dot_qk_min(int64_t k, const void* vw, const void* x, size_t xs, float* out, size_t os) {
  const auto* w = static_cast<const Block*>(vw);
  const BlockQ8_K* xb[NX];
  #pragma GCC unroll 8
  for (int t = 0; t < NX; ++t) xb[t] = col<BlockQ8_K>(x, xs, t);
  __m256 acc[NX];
  #pragma GCC unroll 8
  for (int t = 0; t < NX; ++t) acc[t] = _mm256_setzero_ps();
  const __m256i m4 = _mm256_set1_epi8(15);
  for (int64_t i = 0; i < k / kQK_K; ++i) {
    uint8_t sc[8], mn[8];
    unpack_scales_mins_k4(w[i].scales, sc, mn);
    // Each bsum covers 16 elements; sub-block j owns bsums 2j and 2j+1.
    const __m128i m8 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(mn));
    const __m256i mins16 = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(m8, m8));
    __m256i isum[NX];
    #pragma GCC unroll 8
    for (int t = 0; t < NX; ++t) isum[t] = _mm256_setzero_si256();
    [[maybe_unused]] __m256i hbits;
    if constexpr (kBits == 5) hbits = load256(reinterpret_cast<const BlockQ5_K*>(&w[i])->qh);
    #pragma GCC unroll 8
    for (int c = 0; c < 4; ++c) {
      const __m256i raw = load256(w[i].qs + 32 * c);
      __m256i lo = _mm256_and_si256(raw, m4);
      __m256i hi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), m4);
      if constexpr (kBits == 5) {
        const __m256i one = _mm256_set1_epi8(1);
        lo = _mm256_or_si256(lo, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hbits, 2 * c), one), 4));
        hi = _mm256_or_si256(hi, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hbits, 2 * c + 1), one), 4));
      }
      const __m256i s0 = _mm256_set1_epi16(sc[2 * c]), s1 = _mm256_set1_epi16(sc[2 * c + 1]);
      #pragma GCC unroll 8
      for (int t = 0; t < NX; ++t) {
        const __m256i p0 = scaled_dot(lo, load256(xb[t][i].qs + 64 * c), s0);
        const __m256i p1 = scaled_dot(hi, load256(xb[t][i].qs + 64 * c + 32), s1);
        isum[t] = _mm256_add_epi32(isum[t], _mm256_add_epi32(p0, p1));
      }
    }
    const float dw = h2f(w[i].d), dminw = h2f(w[i].dmin);
    #pragma GCC unroll 8
    for (int t = 0; t < NX; ++t) {
      const __m256i msum = _mm256_madd_epi16(load256(xb[t][i].bsums), mins16);
      acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[t]), _mm256_set1_ps(dw * xb[t][i].d), acc[t]);
      acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(msum), _mm256_set1_ps(-dminw * xb[t][i].d), acc[t]);
    }
  }
  #pragma GCC unroll 8
  for (int t = 0; t < NX; ++t) out[t * os] = hsum(acc[t]);
}

// Q6_K: d * sum_j sc_j * (q-32).y = d * (sum_j sc_j*q.y - 32*sum_j sc_j*bsum_j).
// Same int32 lanes (4 adjacent codes each) and float chain as ggml_vec_dot_q6_K_q8_K.
template <int NX>
void dot_q6_K(int64_t k, const void* vw, const void* x, size_t xs, float* out, size_t os) {
  const auto* w = static_cast<const BlockQ6_K*>(vw);
  const BlockQ8_K* xb[NX];
  #pragma GCC unroll 8
  for (int t = 0; t < NX; ++t) xb[t] = col<BlockQ8_K>(x, xs, t);
  __m256 acc[NX];
  #pragma GCC unroll 8
  for (int t = 0; t < NX; ++t) acc[t] = _mm256_setzero_ps();
  const __m256i m4 = _mm256_set1_epi8(15), m2 = _mm256_set1_epi8(3);
  for (int64_t i = 0; i < k / kQK_K; ++i) {
    const int8_t* sc = w[i].scales;
    const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(sc)));
    __m256i isum[NX];
    #pragma GCC unroll 8
    for (int t = 0; t < NX; ++t) {
      const __m256i bias = _mm256_madd_epi16(load256(xb[t][i].bsums), sc16);
      isum[t] = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(bias, 5));
    }
    #pragma GCC unroll 8
    for (int h = 0; h < 2; ++h) {
      const __m256i ql0 = load256(w[i].ql + 64 * h), ql1 = load256(w[i].ql + 64 * h + 32);
      const __m256i qh = load256(w[i].qh + 32 * h);
      __m256i q[4];
      q[0] = _mm256_or_si256(_mm256_and_si256(ql0, m4), _mm256_slli_epi16(_mm256_and_si256(qh, m2), 4));
      q[1] = _mm256_or_si256(_mm256_and_si256(ql1, m4),
                             _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2), m2), 4));
      q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), m4),
                             _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 4), m2), 4));
      q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), m4),
                             _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 6), m2), 4));
      #pragma GCC unroll 8
      for (int a = 0; a < 4; ++a) {
        // 32 codes = two sub-blocks of 16: lanes 0-7 of the i16 products are the first.
        const int j = 8 * h + 2 * a;
        const __m256i s = _mm256_set_m128i(_mm_set1_epi16(sc[j + 1]), _mm_set1_epi16(sc[j]));
        #pragma GCC unroll 8
        for (int t = 0; t < NX; ++t)
          isum[t] = _mm256_add_epi32(isum[t], scaled_dot(q[a], load256(xb[t][i].qs + 128 * h + 32 * a), s));
      }
    }
    const float dw = h2f(w[i].d);
    #pragma GCC unroll 8
    for (int t = 0; t < NX; ++t)
      acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[t]), _mm256_set1_ps(dw * xb[t][i].d), acc[t]);
  }
  #pragma GCC unroll 8
  for (int t = 0; t < NX; ++t) out[t * os] = hsum(acc[t]);
}

// ---- float formats ---------------------------------------------------------------

#if defined(__AVX512F__)
struct FloatLanes {  // 16 floats per vector
  using V = __m512;
  static constexpr int kN = 16;
  static V zero() { return _mm512_setzero_ps(); }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static V load(const uint16_t* p, bool bf16) {
    const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    if (bf16) return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
    return _mm512_cvtph_ps(h);
  }
  static V fmadd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static float sum(V v) { return _mm512_reduce_add_ps(v); }
};
#else
struct FloatLanes {  // 8 floats per vector
  using V = __m256;
  static constexpr int kN = 8;
  static V zero() { return _mm256_setzero_ps(); }
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static V load(const uint16_t* p, bool bf16) {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    if (bf16) return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
    return _mm256_cvtph_ps(h);
  }
  static V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static float sum(V v) { return hsum(v); }
};
#endif

// W, X: float, or uint16_t holding f16 (kBf16 false) / bf16 (kBf16 true).
template <int NX, typename W, typename X, bool kBf16>
void dot_float(int64_t k, const void* vw, const void* x, size_t xs, float* out, size_t os) {
  using L = FloatLanes;
  const auto* w = static_cast<const W*>(vw);
  const X* xr[NX];
  #pragma GCC unroll 8
  for (int t = 0; t < NX; ++t) xr[t] = col<X>(x, xs, t);
  auto load = [](const auto* p) {
    if constexpr (sizeof(*p) == 4) return L::load(p);
    else return L::load(p, kBf16);
  };
  auto scalar = [](auto e) -> float {
    if constexpr (sizeof(e) == 4) return e;
    else if constexpr (kBf16) { uint32_t u = uint32_t(e) << 16; float f; std::memcpy(&f, &u, 4); return f; }
    else return h2f(e);
  };
  typename L::V acc[2][NX];
  #pragma GCC unroll 8
  for (int t = 0; t < NX; ++t) acc[0][t] = acc[1][t] = L::zero();
  int64_t i = 0;
  for (; i + 2 * L::kN <= k; i += 2 * L::kN) {
    const typename L::V w0 = load(w + i), w1 = load(w + i + L::kN);
    #pragma GCC unroll 8
    for (int t = 0; t < NX; ++t) {
      acc[0][t] = L::fmadd(w0, load(xr[t] + i), acc[0][t]);
      acc[1][t] = L::fmadd(w1, load(xr[t] + i + L::kN), acc[1][t]);
    }
  }
  for (; i + L::kN <= k; i += L::kN) {
    const typename L::V w0 = load(w + i);
    #pragma GCC unroll 8
    for (int t = 0; t < NX; ++t) acc[0][t] = L::fmadd(w0, load(xr[t] + i), acc[0][t]);
  }
  #pragma GCC unroll 8
  for (int t = 0; t < NX; ++t) {
    float s = L::sum(acc[0][t]) + L::sum(acc[1][t]);
    for (int64_t j = i; j < k; ++j) s += scalar(w[j]) * scalar(xr[t][j]);
    out[t * os] = s;
  }
}

// F16 (W = uint16_t) or F32 weights against F32 activations (F16-rounded for F16) in
// ggml_vec_dot_f16's / ggml_vec_dot_f32's order (kernels/ggml_order.h dot_ggml with
// gemm = false): four 16-lane FMA chains over 64-element steps, folded 4 -> 1,
// reduced as _mm512_reduce_add_ps, then the tail. Bit-equal to the reference.
template <typename W>
inline float tail_ggml(float r, const W* w, const float* x, int64_t np, int64_t k) {
  if constexpr (sizeof(W) == 2) {
    double s = r;
    for (int64_t j = np; j < k; ++j) s += double(h2f(w[j]) * x[j]);
    return float(s);
  } else {
    for (int64_t j = np; j < k; ++j) r = std::fma(w[j], x[j], r);
    return r;
  }
}

template <int NX, typename W>
void dot_gemv_ggml(int64_t k, const void* vw, const void* x, size_t xs, float* out, size_t os) {
  const auto* w = static_cast<const W*>(vw);
  const float* xr[NX];
  #pragma GCC unroll 8
  for (int t = 0; t < NX; ++t) xr[t] = col<float>(x, xs, t);
  const int64_t np = k - k % 64;
#if defined(__AVX512F__)
  auto load_w = [&](int64_t i) {
    if constexpr (sizeof(W) == 2) return _mm512_cvtph_ps(load256(w + i));
    else return _mm512_loadu_ps(w + i);
  };
  __m512 acc[NX][4];
  #pragma GCC unroll 8
  for (int t = 0; t < NX; ++t)
    #pragma GCC unroll 4
    for (int a = 0; a < 4; ++a) acc[t][a] = _mm512_setzero_ps();
  for (int64_t i = 0; i < np; i += 64) {
    #pragma GCC unroll 4
    for (int a = 0; a < 4; ++a) {
      const __m512 wv = load_w(i + 16 * a);
      #pragma GCC unroll 8
      for (int t = 0; t < NX; ++t) acc[t][a] = _mm512_fmadd_ps(wv, _mm512_loadu_ps(xr[t] + i + 16 * a), acc[t][a]);
    }
  }
  #pragma GCC unroll 8
  for (int t = 0; t < NX; ++t) {
    const __m512 r = _mm512_add_ps(_mm512_add_ps(acc[t][0], acc[t][2]), _mm512_add_ps(acc[t][1], acc[t][3]));
    out[t * os] = tail_ggml(_mm512_reduce_add_ps(r), w, xr[t], np, k);
  }
#else
  auto load_w = [&](int64_t i) {
    if constexpr (sizeof(W) == 2) return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + i)));
    else return _mm256_loadu_ps(w + i);
  };
  // acc[t][2a], acc[t][2a + 1]: lanes 0-7 and 8-15 of ggml's accumulator a.
  __m256 acc[NX][8];
  #pragma GCC unroll 8
  for (int t = 0; t < NX; ++t)
    #pragma GCC unroll 8
    for (int j = 0; j < 8; ++j) acc[t][j] = _mm256_setzero_ps();
  for (int64_t i = 0; i < np; i += 64) {
    #pragma GCC unroll 8
    for (int j = 0; j < 8; ++j) {
      const __m256 wv = load_w(i + 8 * j);
      #pragma GCC unroll 8
      for (int t = 0; t < NX; ++t) acc[t][j] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(xr[t] + i + 8 * j), acc[t][j]);
    }
  }
  #pragma GCC unroll 8
  for (int t = 0; t < NX; ++t) {
    const __m256 lo = _mm256_add_ps(_mm256_add_ps(acc[t][0], acc[t][4]), _mm256_add_ps(acc[t][2], acc[t][6]));
    const __m256 hi = _mm256_add_ps(_mm256_add_ps(acc[t][1], acc[t][5]), _mm256_add_ps(acc[t][3], acc[t][7]));
    out[t * os] = tail_ggml(hsum(_mm256_add_ps(hi, lo)), w, xr[t], np, k);
  }
#endif
}

// ---- n_x dispatch ----------------------------------------------------------------

template <template <int> class K>
void by_cols(int64_t k, const void* w, const void* x, size_t xs, int n_x, float* out, size_t os) {
  switch (n_x) {
    case 1: K<1>::run(k, w, x, xs, out, os); break;
    case 2: K<2>::run(k, w, x, xs, out, os); break;
    case 3: K<3>::run(k, w, x, xs, out, os); break;
    default: K<4>::run(k, w, x, xs, out, os); break;
  }
}

template <int NX> struct KF32 { static void run(int64_t k, const void* w, const void* x, size_t xs, float* o, size_t os) { dot_float<NX, float, float, false>(k, w, x, xs, o, os); } };
template <int NX> struct KF16 { static void run(int64_t k, const void* w, const void* x, size_t xs, float* o, size_t os) { dot_float<NX, uint16_t, uint16_t, false>(k, w, x, xs, o, os); } };
template <int NX> struct KBF16 { static void run(int64_t k, const void* w, const void* x, size_t xs, float* o, size_t os) { dot_float<NX, uint16_t, uint16_t, true>(k, w, x, xs, o, os); } };
template <int NX> struct KF16G { static void run(int64_t k, const void* w, const void* x, size_t xs, float* o, size_t os) { dot_gemv_ggml<NX, uint16_t>(k, w, x, xs, o, os); } };
template <int NX> struct KF32G { static void run(int64_t k, const void* w, const void* x, size_t xs, float* o, size_t os) { dot_gemv_ggml<NX, float>(k, w, x, xs, o, os); } };
template <int NX> struct KQ4_0 { static void run(int64_t k, const void* w, const void* x, size_t xs, float* o, size_t os) { dot_signed_q8_0<NX, BlockQ4_0>(k, w, x, xs, o, os, decode_q4_0); } };
template <int NX> struct KQ5_0 { static void run(int64_t k, const void* w, const void* x, size_t xs, float* o, size_t os) { dot_signed_q8_0<NX, BlockQ5_0>(k, w, x, xs, o, os, decode_q5_0); } };
template <int NX> struct KQ8_0 { static void run(int64_t k, const void* w, const void* x, size_t xs, float* o, size_t os) { dot_signed_q8_0<NX, BlockQ8_0>(k, w, x, xs, o, os, decode_q8_0); } };
template <int NX> struct KQ4_1 { static void run(int64_t k, const void* w, const void* x, size_t xs, float* o, size_t os) { dot_unsigned_q8_1<NX, BlockQ4_1>(k, w, x, xs, o, os, decode_q4_1); } };
template <int NX> struct KQ5_1 { static void run(int64_t k, const void* w, const void* x, size_t xs, float* o, size_t os) { dot_unsigned_q8_1<NX, BlockQ5_1>(k, w, x, xs, o, os, decode_q5_1); } };
template <int NX> struct KQ4_K { static void run(int64_t k, const void* w, const void* x, size_t xs, float* o, size_t os) { dot_qk_min<NX, 4, BlockQ4_K>(k, w, x, xs, o, os); } };
template <int NX> struct KQ5_K { static void run(int64_t k, const void* w, const void* x, size_t xs, float* o, size_t os) { dot_qk_min<NX, 5, BlockQ5_K>(k, w, x, xs, o, os); } };
template <int NX> struct KQ6_K { static void run(int64_t k, const void* w, const void* x, size_t xs, float* o, size_t os) { dot_q6_K<NX>(k, w, x, xs, o, os); } };

constexpr VecDotKernels make_table() {
  return {by_cols<KF32>,  by_cols<KF16>,  by_cols<KBF16>, by_cols<KQ4_0>, by_cols<KQ4_1>, by_cols<KQ5_0>,
          by_cols<KQ5_1>, by_cols<KQ8_0>, by_cols<KQ4_K>, by_cols<KQ5_K>, by_cols<KQ6_K>,
          vec_dot_q2_K_q8_K_ref, vec_dot_q3_K_q8_K_ref, by_cols<KF16G>, by_cols<KF32G>};
}

}  // namespace qvl::QVL_SIMD_NS

#pragma GCC diagnostic pop
