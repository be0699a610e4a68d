// Packed q4_0 / q4_K / q8_0 matmul bodies shared by cpu/repack_avx2.cpp and
// cpu/repack_avx512.cpp (kernels/cpu). Include only from those, after defining
// QVL_SIMD_NS. One int32 lane per weight row: a 32-bit word of 4 codes (unsigned
// nibbles) times 4 broadcast activation codes per step (vpdpbusd, or maddubs+madd
// on AVX2: pair sums stay <= 2*15*127, so no saturation), so integer dots are exact
// and the fma order is ref/repack_ref.cpp's. AVX-512 takes two 8-row groups (16
// lanes) at a time; a lone last group and AVX2 use 8 lanes. One token (decode)
// reads one group at a time instead (q4_0: two blocks in 16 lanes), so the weights
// come as one stream.
#pragma once
#ifndef QVL_SIMD_NS
#error "define QVL_SIMD_NS before including repack_simd.h"
#endif

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cstring>

#include "kernels/ref/quant_ref.h"
#include "kernels/repack.h"

namespace qvl::QVL_SIMD_NS {
namespace repack_simd {

inline int32_t word(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// One packed group: 8 rows in 256-bit vectors (the second group pointer is unused).
struct V8 {
  using I = __m256i;
  using F = __m256;
  static constexpr int kGroups = 1;
  static I load(const uint8_t* a, const uint8_t*) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a)); }
  static I lo(I v) { return _mm256_and_si256(v, _mm256_set1_epi8(15)); }
  static I hi(I v) { return _mm256_and_si256(_mm256_srli_epi16(v, 4), _mm256_set1_epi8(15)); }
  static I zero() { return _mm256_setzero_si256(); }
  static I dot(I acc, I u, int32_t x) {
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
    return _mm256_dpbusd_epi32(acc, u, _mm256_set1_epi32(x));
#else
    const __m256i p = _mm256_maddubs_epi16(u, _mm256_set1_epi32(x));
    return _mm256_add_epi32(acc, _mm256_madd_epi16(p, _mm256_set1_epi16(1)));
#endif
  }
  // Signed codes w (abs |w|) times 4 broadcast signed activation codes: w's sign
  // moves onto x, so the unsigned operand is |w| <= 128 and pair sums stay
  // <= 2*128*127 (no maddubs saturation).
  static I abs(I w) { return _mm256_sign_epi8(w, w); }
  static I sdot(I acc, I u, I w, int32_t x) {
    const __m256i s = _mm256_sign_epi8(_mm256_set1_epi32(x), w);
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
    return _mm256_dpbusd_epi32(acc, u, s);
#else
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)));
#endif
  }
  static F halves(const uint16_t* a, const uint16_t*) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a)));
  }
  static I bytes(const uint8_t* a, const uint8_t*) {
    return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(a)));
  }
  static I add(I a, I b) { return _mm256_add_epi32(a, b); }
  static I sub(I a, I b) { return _mm256_sub_epi32(a, b); }
  static I mul(I a, I b) { return _mm256_mullo_epi32(a, b); }
  static I set1(int v) { return _mm256_set1_epi32(v); }
  static F cvt(I a) { return _mm256_cvtepi32_ps(a); }
  static F fzero() { return _mm256_setzero_ps(); }
  static F fset1(float v) { return _mm256_set1_ps(v); }
  static F fmul(F a, F b) { return _mm256_mul_ps(a, b); }
  static F fma(F a, F b, F c) { return _mm256_fmadd_ps(a, b, c); }
  static F fsub(F a, F b) { return _mm256_sub_ps(a, b); }
  static void store(float* p, F v) { _mm256_storeu_ps(p, v); }
};

#if defined(__AVX512F__)
// Two packed groups side by side: lanes 0-7 rows of group a, 8-15 rows of group b.
struct V16 {
  using I = __m512i;
  using F = __m512;
  static constexpr int kGroups = 2;
  static I load(const uint8_t* a, const uint8_t* b) {
    const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a));
    return _mm512_inserti64x4(_mm512_castsi256_si512(lo), _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b)), 1);
  }
  static I lo(I v) { return _mm512_and_si512(v, _mm512_set1_epi8(15)); }
  static I hi(I v) { return _mm512_and_si512(_mm512_srli_epi16(v, 4), _mm512_set1_epi8(15)); }
  static I zero() { return _mm512_setzero_si512(); }
  static I dot(I acc, I u, int32_t x) { return _mm512_dpbusd_epi32(acc, u, _mm512_set1_epi32(x)); }
  static I abs(I w) { return _mm512_abs_epi8(w); }
  static I sdot(I acc, I u, I w, int32_t x) {
    const __m512i xv = _mm512_set1_epi32(x);
    const __m512i s = _mm512_mask_sub_epi8(xv, _mm512_movepi8_mask(w), _mm512_setzero_si512(), xv);
    return _mm512_dpbusd_epi32(acc, u, s);  // where w = 0, |w| = 0 whatever s is
  }
  static F halves(const uint16_t* a, const uint16_t* b) {
    const __m128i ha = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a));
    const __m128i hb = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b));
    return _mm512_cvtph_ps(_mm256_inserti128_si256(_mm256_castsi128_si256(ha), hb, 1));
  }
  static I bytes(const uint8_t* a, const uint8_t* b) {
    const __m128i v = _mm_unpacklo_epi64(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(a)),
                                         _mm_loadl_epi64(reinterpret_cast<const __m128i*>(b)));
    return _mm512_cvtepu8_epi32(v);
  }
  static I add(I a, I b) { return _mm512_add_epi32(a, b); }
  static I sub(I a, I b) { return _mm512_sub_epi32(a, b); }
  static I mul(I a, I b) { return _mm512_mullo_epi32(a, b); }
  static I set1(int v) { return _mm512_set1_epi32(v); }
  static F cvt(I a) { return _mm512_cvtepi32_ps(a); }
  static F fzero() { return _mm512_setzero_ps(); }
  static F fset1(float v) { return _mm512_set1_ps(v); }
  static F fmul(F a, F b) { return _mm512_mul_ps(a, b); }
  static F fma(F a, F b, F c) { return _mm512_fmadd_ps(a, b, c); }
  static F fsub(F a, F b) { return _mm512_sub_ps(a, b); }
  static void store(float* p, F v) { _mm512_storeu_ps(p, v); }
};
#endif

// One-token calls stream weights from memory: ask for blocks a little ahead
// (past the end of a row group is harmless: prefetches do not fault).
template <class B>
inline void prefetch_blocks(const B* a, const B* b, int groups) {
  for (size_t o = 0; o < sizeof(B); o += 64) {
    _mm_prefetch(reinterpret_cast<const char*>(a) + o, _MM_HINT_T0);
    if (groups == 2) _mm_prefetch(reinterpret_cast<const char*>(b) + o, _MM_HINT_T0);
  }
}

// Rows of groups a (and b for V16) x NX activation rows, all of k.
template <class V, int NX>
void q4_0_tile(int64_t nb, const PackedQ4_0x8* a, const PackedQ4_0x8* b, const uint8_t* x, size_t xs, float* out,
               size_t os) {
  const BlockQ8_0* xb[NX];
  const int16_t* xsum[NX];
  #pragma GCC unroll 4
  for (int t = 0; t < NX; ++t) {
    xb[t] = reinterpret_cast<const BlockQ8_0*>(x + t * xs);
    xsum[t] = reinterpret_cast<const int16_t*>(xb[t] + nb);
  }
  typename V::F acc[NX];
  #pragma GCC unroll 4
  for (int t = 0; t < NX; ++t) acc[t] = V::fzero();
  for (int64_t i = 0; i < nb; ++i) {
    if (NX == 1) prefetch_blocks(a + i + 8, b + i + 8, V::kGroups);
    // Two integer accumulators per token (low / high nibbles) halve the dependency
    // chain of the one-token case; integer sums, so the split changes no result.
    typename V::I dl[NX], dh[NX];
    #pragma GCC unroll 4
    for (int t = 0; t < NX; ++t) dl[t] = dh[t] = V::zero();
    #pragma GCC unroll 4
    for (int q = 0; q < 4; ++q) {
      const typename V::I raw = V::load(a[i].qs + 32 * q, b[i].qs + 32 * q);
      const typename V::I l = V::lo(raw), h = V::hi(raw);
      #pragma GCC unroll 4
      for (int t = 0; t < NX; ++t) {
        dl[t] = V::dot(dl[t], l, word(xb[t][i].qs + 4 * q));
        dh[t] = V::dot(dh[t], h, word(xb[t][i].qs + 16 + 4 * q));
      }
    }
    const typename V::F dw = V::halves(a[i].d, b[i].d);
    #pragma GCC unroll 4
    for (int t = 0; t < NX; ++t) {
      const typename V::I is = V::sub(V::add(dl[t], dh[t]), V::set1(8 * xsum[t][i]));
      acc[t] = V::fma(V::cvt(is), V::fmul(dw, V::fset1(_cvtsh_ss(xb[t][i].d))), acc[t]);
    }
  }
  #pragma GCC unroll 4
  for (int t = 0; t < NX; ++t) V::store(out + t * os, acc[t]);
}

#if defined(__AVX512F__)
// One token, one packed group, two blocks per step: lanes 0-7 hold block i's 8
// rows and lanes 8-15 block i + 1's, so the weights stream from one address range
// (two groups side by side are two streams, which the hardware prefetcher follows
// worse). The float chain per row stays block by block: fma of the low half, then
// of the high half, each with the same product as q4_0_tile.
// 24 blocks (3.4 KB) ahead: on the 1-thread cold micro-benchmark 8 blocks gave
// ~22.5 GB/s, 16 ~24, 24-32 ~25 (of ~29 for a plain read loop).
constexpr int kPairPrefetchBlocks = 24;
inline void q4_0_gemv_pairs(int64_t nb, const PackedQ4_0x8* a, const uint8_t* x, float* out) {
  const auto* xb = reinterpret_cast<const BlockQ8_0*>(x);
  const auto* xsum = reinterpret_cast<const int16_t*>(xb + nb);
  constexpr __mmask16 kHi = 0xff00;  // lanes of block i + 1
  const __m512i lanes_half = _mm512_set_epi32(8, 8, 8, 8, 8, 8, 8, 8, 0, 0, 0, 0, 0, 0, 0, 0);
  __m256 acc = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 1 < nb; i += 2) {
    const char* pf = reinterpret_cast<const char*>(a + i + kPairPrefetchBlocks);
    #pragma GCC unroll 5
    for (int o = 0; o < int(2 * sizeof(PackedQ4_0x8)); o += 64) _mm_prefetch(pf + o, _MM_HINT_T0);
    __m512i dl = _mm512_setzero_si512(), dh = _mm512_setzero_si512();
    // Both blocks' 32 activation codes as 16 words; word w of block i + h goes to
    // lanes 8h..8h+7 by one permute.
    const __m512i xw = V16::load(reinterpret_cast<const uint8_t*>(xb[i].qs), reinterpret_cast<const uint8_t*>(xb[i + 1].qs));
    #pragma GCC unroll 4
    for (int q = 0; q < 4; ++q) {
      const __m512i raw = V16::load(a[i].qs + 32 * q, a[i + 1].qs + 32 * q);
      const __m512i xl = _mm512_permutexvar_epi32(_mm512_add_epi32(lanes_half, _mm512_set1_epi32(q)), xw);
      const __m512i xh = _mm512_permutexvar_epi32(_mm512_add_epi32(lanes_half, _mm512_set1_epi32(4 + q)), xw);
      dl = _mm512_dpbusd_epi32(dl, V16::lo(raw), xl);
      dh = _mm512_dpbusd_epi32(dh, V16::hi(raw), xh);
    }
    const __m512i corr = _mm512_mask_set1_epi32(_mm512_set1_epi32(8 * xsum[i]), kHi, 8 * xsum[i + 1]);
    const __m512 f = _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_add_epi32(dl, dh), corr));
    const __m512 dx = _mm512_mask_mov_ps(_mm512_set1_ps(_cvtsh_ss(xb[i].d)), kHi, _mm512_set1_ps(_cvtsh_ss(xb[i + 1].d)));
    const __m512 sc = _mm512_mul_ps(V16::halves(a[i].d, a[i + 1].d), dx);
    acc = _mm256_fmadd_ps(_mm512_castps512_ps256(f), _mm512_castps512_ps256(sc), acc);
    acc = _mm256_fmadd_ps(_mm512_extractf32x8_ps(f, 1), _mm512_extractf32x8_ps(sc, 1), acc);
  }
  if (i < nb) {  // odd block count: the last block alone, 8 lanes
    __m256i dl = _mm256_setzero_si256(), dh = _mm256_setzero_si256();
    for (int q = 0; q < 4; ++q) {
      const __m256i raw = V8::load(a[i].qs + 32 * q, nullptr);
      dl = V8::dot(dl, V8::lo(raw), word(xb[i].qs + 4 * q));
      dh = V8::dot(dh, V8::hi(raw), word(xb[i].qs + 16 + 4 * q));
    }
    const __m256i is = _mm256_sub_epi32(_mm256_add_epi32(dl, dh), _mm256_set1_epi32(8 * xsum[i]));
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(is), _mm256_mul_ps(V8::halves(a[i].d, nullptr), _mm256_set1_ps(_cvtsh_ss(xb[i].d))), acc);
  }
  _mm256_storeu_ps(out, acc);
}
#endif

// Q8_0: 8 steps of one word (4 codes) per row per block; the block's integer dot is
// exact (|sum| <= 32*128*127), then one fma per block in ref/repack_ref.cpp's order.
// One token keeps two integer chains (even / odd words) to halve the dependency;
// integer sums, so the split changes no result.
template <class V, int NX>
void q8_0_tile(int64_t nb, const PackedQ8_0x8* a, const PackedQ8_0x8* b, const uint8_t* x, size_t xs, float* out,
               size_t os) {
  constexpr int kChains = NX == 1 ? 2 : 1;
  const BlockQ8_0* xb[NX];
  #pragma GCC unroll 4
  for (int t = 0; t < NX; ++t) xb[t] = reinterpret_cast<const BlockQ8_0*>(x + t * xs);
  typename V::F acc[NX];
  #pragma GCC unroll 4
  for (int t = 0; t < NX; ++t) acc[t] = V::fzero();
  for (int64_t i = 0; i < nb; ++i) {
    if (NX == 1) prefetch_blocks(a + i + 4, b + i + 4, V::kGroups);
    typename V::I d[kChains][NX];
    #pragma GCC unroll 4
    for (int t = 0; t < NX; ++t)
      #pragma GCC unroll 2
      for (int c = 0; c < kChains; ++c) d[c][t] = V::zero();
    #pragma GCC unroll 8
    for (int q = 0; q < 8; ++q) {
      const typename V::I raw = V::load(reinterpret_cast<const uint8_t*>(a[i].qs) + 32 * q,
                                        reinterpret_cast<const uint8_t*>(b[i].qs) + 32 * q);
      const typename V::I u = V::abs(raw);
      #pragma GCC unroll 4
      for (int t = 0; t < NX; ++t) d[q % kChains][t] = V::sdot(d[q % kChains][t], u, raw, word(xb[t][i].qs + 4 * q));
    }
    const typename V::F dw = V::halves(a[i].d, b[i].d);
    #pragma GCC unroll 4
    for (int t = 0; t < NX; ++t) {
      typename V::I is = d[0][t];
      if constexpr (kChains == 2) is = V::add(is, d[1][t]);
      acc[t] = V::fma(V::cvt(is), V::fmul(dw, V::fset1(_cvtsh_ss(xb[t][i].d))), acc[t]);
    }
  }
  #pragma GCC unroll 4
  for (int t = 0; t < NX; ++t) V::store(out + t * os, acc[t]);
}

template <class V, int NX, RepackOrder kOrder>
void q4_K_tile(int64_t nb, const PackedQ4_Kx8* a, const PackedQ4_Kx8* b, const uint8_t* x, size_t xs, float* out,
               size_t os) {
  const BlockQ8_K* xb[NX];
  #pragma GCC unroll 4
  for (int t = 0; t < NX; ++t) xb[t] = reinterpret_cast<const BlockQ8_K*>(x + t * xs);
  typename V::F acc[NX], accm[NX];
  #pragma GCC unroll 4
  for (int t = 0; t < NX; ++t) acc[t] = accm[t] = V::fzero();
  for (int64_t i = 0; i < nb; ++i) {
    if (NX == 1) prefetch_blocks(a + i + 2, b + i + 2, V::kGroups);
    const PackedQ4_Kx8& pa = a[i];
    const PackedQ4_Kx8& pb = b[i];
    const typename V::F dw = V::halves(pa.d, pb.d), dm = V::halves(pa.dmin, pb.dmin);
    typename V::F dd[NX], ddm[NX];
    typename V::I ib[NX], mb[NX];
    #pragma GCC unroll 4
    for (int t = 0; t < NX; ++t) {
      const typename V::F dx = V::fset1(xb[t][i].d);
      dd[t] = V::fmul(dw, dx);
      ddm[t] = V::fmul(dm, dx);
      ib[t] = mb[t] = V::zero();
    }
    for (int c = 0; c < 4; ++c) {
      typename V::I d0[NX], d1[NX];
      #pragma GCC unroll 4
      for (int t = 0; t < NX; ++t) d0[t] = d1[t] = V::zero();
      #pragma GCC unroll 8
      for (int q = 0; q < 8; ++q) {
        const typename V::I raw = V::load(pa.qs + 256 * c + 32 * q, pb.qs + 256 * c + 32 * q);
        const typename V::I l = V::lo(raw), h = V::hi(raw);
        #pragma GCC unroll 4
        for (int t = 0; t < NX; ++t) {
          d0[t] = V::dot(d0[t], l, word(xb[t][i].qs + 64 * c + 4 * q));
          d1[t] = V::dot(d1[t], h, word(xb[t][i].qs + 64 * c + 32 + 4 * q));
        }
      }
      const typename V::I s0 = V::bytes(pa.sc[2 * c], pb.sc[2 * c]), s1 = V::bytes(pa.sc[2 * c + 1], pb.sc[2 * c + 1]);
      const typename V::I m0 = V::bytes(pa.m[2 * c], pb.m[2 * c]), m1 = V::bytes(pa.m[2 * c + 1], pb.m[2 * c + 1]);
      #pragma GCC unroll 4
      for (int t = 0; t < NX; ++t) {
        const int16_t* bs = xb[t][i].bsums + 4 * c;
        const typename V::I is = V::add(V::mul(d0[t], s0), V::mul(d1[t], s1));
        const typename V::I ms = V::add(V::mul(m0, V::set1(bs[0] + bs[1])), V::mul(m1, V::set1(bs[2] + bs[3])));
        if constexpr (kOrder == RepackOrder::kGemm) {
          acc[t] = V::fma(V::cvt(is), dd[t], acc[t]);
          accm[t] = V::fma(V::cvt(ms), ddm[t], accm[t]);
        } else {
          ib[t] = V::add(ib[t], is);
          mb[t] = V::add(mb[t], ms);
        }
      }
    }
    if constexpr (kOrder == RepackOrder::kGemv) {
      #pragma GCC unroll 4
      for (int t = 0; t < NX; ++t) {
        acc[t] = V::fma(V::cvt(ib[t]), dd[t], acc[t]);
        accm[t] = V::fma(V::cvt(mb[t]), ddm[t], accm[t]);
      }
    }
  }
  #pragma GCC unroll 4
  for (int t = 0; t < NX; ++t) V::store(out + t * os, V::fsub(acc[t], accm[t]));
}

template <int NX>
void q4_0_rows(int64_t k, const void* vw, int64_t n_rows, const void* vx, size_t xs, float* out, size_t os) {
  const int64_t nb = k / kQK, groups = n_rows / kRepackRows;
  const auto* w = static_cast<const PackedQ4_0x8*>(vw);
  const auto* x = static_cast<const uint8_t*>(vx);
  int64_t g = 0;
#if defined(__AVX512F__)
  if constexpr (NX == 1) {
    for (; g < groups; ++g) q4_0_gemv_pairs(nb, w + g * nb, x, out + g * 8);
    return;
  }
  for (; g + 1 < groups; g += 2) q4_0_tile<V16, NX>(nb, w + g * nb, w + (g + 1) * nb, x, xs, out + g * 8, os);
#endif
  for (; g < groups; ++g) q4_0_tile<V8, NX>(nb, w + g * nb, w + g * nb, x, xs, out + g * 8, os);
}

template <int NX>
void q8_0_rows(int64_t k, const void* vw, int64_t n_rows, const void* vx, size_t xs, float* out, size_t os) {
  const int64_t nb = k / kQK, groups = n_rows / kRepackRows;
  const auto* w = static_cast<const PackedQ8_0x8*>(vw);
  const auto* x = static_cast<const uint8_t*>(vx);
  int64_t g = 0;
#if defined(__AVX512F__)
  // Several tokens: two groups side by side in 16 lanes; one token reads one group
  // at a time, one weight stream (as q4_K_rows).
  if constexpr (NX > 1)
    for (; g + 1 < groups; g += 2) q8_0_tile<V16, NX>(nb, w + g * nb, w + (g + 1) * nb, x, xs, out + g * 8, os);
#endif
  for (; g < groups; ++g) q8_0_tile<V8, NX>(nb, w + g * nb, w + g * nb, x, xs, out + g * 8, os);
}

template <int NX, RepackOrder kOrder>
void q4_K_rows(int64_t k, const void* vw, int64_t n_rows, const void* vx, size_t xs, float* out, size_t os) {
  const int64_t nb = k / kQK_K, groups = n_rows / kRepackRows;
  const auto* w = static_cast<const PackedQ4_Kx8*>(vw);
  const auto* x = static_cast<const uint8_t*>(vx);
  int64_t g = 0;
#if defined(__AVX512F__)
  // One token: a group at a time in 8 lanes reads one weight stream, which beats
  // two groups side by side (1-thread cold micro-benchmark: ~32 vs ~23 GB/s).
  if constexpr (NX > 1)
    for (; g + 1 < groups; g += 2)
      q4_K_tile<V16, NX, kOrder>(nb, w + g * nb, w + (g + 1) * nb, x, xs, out + g * 8, os);
#endif
  for (; g < groups; ++g) q4_K_tile<V8, NX, kOrder>(nb, w + g * nb, w + g * nb, x, xs, out + g * 8, os);
}

inline void q4_0(int64_t k, const void* w, int64_t n_rows, const void* x, size_t xs, int n_x, float* out, size_t os,
                 RepackOrder) {
  switch (n_x) {
    case 1: return q4_0_rows<1>(k, w, n_rows, x, xs, out, os);
    case 2: return q4_0_rows<2>(k, w, n_rows, x, xs, out, os);
    case 3: return q4_0_rows<3>(k, w, n_rows, x, xs, out, os);
    default: return q4_0_rows<4>(k, w, n_rows, x, xs, out, os);
  }
}

inline void q8_0(int64_t k, const void* w, int64_t n_rows, const void* x, size_t xs, int n_x, float* out, size_t os,
                 RepackOrder) {
  switch (n_x) {
    case 1: return q8_0_rows<1>(k, w, n_rows, x, xs, out, os);
    case 2: return q8_0_rows<2>(k, w, n_rows, x, xs, out, os);
    case 3: return q8_0_rows<3>(k, w, n_rows, x, xs, out, os);
    default: return q8_0_rows<4>(k, w, n_rows, x, xs, out, os);
  }
}

template <RepackOrder kOrder>
void q4_K_order(int64_t k, const void* w, int64_t n_rows, const void* x, size_t xs, int n_x, float* out, size_t os) {
  switch (n_x) {
    case 1: return q4_K_rows<1, kOrder>(k, w, n_rows, x, xs, out, os);
    case 2: return q4_K_rows<2, kOrder>(k, w, n_rows, x, xs, out, os);
    case 3: return q4_K_rows<3, kOrder>(k, w, n_rows, x, xs, out, os);
    default: return q4_K_rows<4, kOrder>(k, w, n_rows, x, xs, out, os);
  }
}

inline void q4_K(int64_t k, const void* w, int64_t n_rows, const void* x, size_t xs, int n_x, float* out, size_t os,
                 RepackOrder order) {
  if (order == RepackOrder::kGemm)
    q4_K_order<RepackOrder::kGemm>(k, w, n_rows, x, xs, n_x, out, os);
  else
    q4_K_order<RepackOrder::kGemv>(k, w, n_rows, x, xs, n_x, out, os);
}

}  // namespace repack_simd

// The quantisers default to the scalar ones; the AVX-512 file passes its own.
constexpr RepackKernels make_repack_table(RepackQuantizeFn q8_0_sums = quantize_row_q8_0_sums,
                                          RepackQuantizeFn q8_K = quantize_row_q8_K,
                                          RepackQuantizeFn q8_K_x4 = quantize_row_q8_K_x4) {
  return {repack_simd::q4_0, repack_simd::q4_K, repack_simd::q8_0, q8_0_sums, q8_K, q8_K_x4};
}

}  // namespace qvl::QVL_SIMD_NS

#pragma GCC diagnostic pop
