// Panel GEMM bodies shared by cpu/panel_gemm_avx2.cpp and cpu/panel_gemm_avx512.cpp
// (kernels/cpu); include after defining QVL_SIMD_NS. Accumulators hold 16-row
// panel columns: AVX-512 runs 2 panels (two zmm) x 12 tokens, 24 accumulators, per
// step of k 2 weight loads and 12 broadcasts for 24 FMAs; AVX2 (16 registers) 1
// panel (two ymm) x 6 tokens, 12 accumulators, 2 loads and 6 broadcasts for 12 FMAs.
#pragma once
#include <immintrin.h>

#include <cstring>

#include "kernels/panel_gemm.h"

#pragma GCC diagnostic push  // GCC 12 AVX-512 header false positives (see vec_dot_simd.h)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace qvl::QVL_SIMD_NS {

#if defined(__AVX512F__)
struct PanelLanes {
  using V = __m512;
  static constexpr int kN = 16;
  static V zero() { return _mm512_setzero_ps(); }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static V load(const uint16_t* p) { return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))); }
  static V bcast(const float* p) { return _mm512_set1_ps(*p); }
  static V fmadd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
};
constexpr int kPanels = 2, kTokens = 12;
#else
struct PanelLanes {
  using V = __m256;
  static constexpr int kN = 8;
  static V zero() { return _mm256_setzero_ps(); }
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static V load(const uint16_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
  static V bcast(const float* p) { return _mm256_broadcast_ss(p); }
  static V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
};
constexpr int kPanels = 1, kTokens = 6;
#endif
static_assert(kTokens <= kPanelMaxTokens);

// NP panels (NP * 16 rows) x kTokens tokens; E: float or uint16_t (f16).
template <int NP, typename E>
void panel_tile(int64_t k, const E* w, int nr, const float* x, int nt, float* out, size_t os) {
  using L = PanelLanes;
  constexpr int VP = kPanelRows / L::kN, NV = NP * VP;
  const E* wp[NP];
  #pragma GCC unroll 4
  for (int p = 0; p < NP; ++p) wp[p] = w + p * k * kPanelRows;
  typename L::V acc[kTokens][NV];
  #pragma GCC unroll 16
  for (int t = 0; t < kTokens; ++t)
    #pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[t][v] = L::zero();
  for (int64_t i = 0; i < k; ++i) {
    typename L::V wv[NV];
    #pragma GCC unroll 4
    for (int p = 0; p < NP; ++p)
      #pragma GCC unroll 4
      for (int v = 0; v < VP; ++v) wv[p * VP + v] = L::load(wp[p] + i * kPanelRows + v * L::kN);
    const float* xi = x + i * kTokens;
    #pragma GCC unroll 16
    for (int t = 0; t < kTokens; ++t) {
      const typename L::V b = L::bcast(xi + t);
      #pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[t][v] = L::fmadd(wv[v], b, acc[t][v]);
    }
  }
  // Stores with compile-time accumulator indices only: an accumulator indexed by a
  // run-time value makes GCC keep the whole array in memory, stored every step of k.
  const bool full = nr == NV * L::kN;
  #pragma GCC unroll 16
  for (int t = 0; t < kTokens; ++t) {
    if (t >= nt) continue;
    if (full) {
      #pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) L::store(out + t * os + v * L::kN, acc[t][v]);
    } else {  // a partial last row group: store the lanes, copy nr of them
      float tmp[NV * L::kN];
      #pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) L::store(tmp + v * L::kN, acc[t][v]);
      std::memcpy(out + t * os, tmp, sizeof(float) * size_t(nr));
    }
  }
}

template <typename E>
void panel_gemm(int64_t k, const void* w, int nr, const float* x, int nt, float* out, size_t os) {
  const E* we = static_cast<const E*>(w);
  if constexpr (kPanels == 2) {
    if (nr > kPanelRows) return panel_tile<2>(k, we, nr, x, nt, out, os);
  }
  panel_tile<1>(k, we, nr, x, nt, out, os);
}

constexpr PanelGemmKernels make_panel_gemm_table() {
  return {panel_gemm<float>, panel_gemm<uint16_t>, kPanels * kPanelRows, kTokens};
}

}  // namespace qvl::QVL_SIMD_NS

#pragma GCC diagnostic pop
