// Q8_0 x Q8_0 tile bodies shared by cpu/quant_gemm_avx2.cpp and
// cpu/quant_gemm_avx512.cpp (kernels/cpu); include after defining QVL_SIMD_NS, like
// vec_dot_simd.h. An NR x NX block of 8-lane float accumulators stays in registers
// across k. Per 32-element block: one vcvtph2ps turns the NR weight scales into
// floats and one the NX activation scales; each (row, token) pair then costs a sign
// fix, the integer dot (maddubs + madd on AVX2, vpdpbusd with AVX-512 VNNI), a
// conversion, one multiply of two broadcast scales and the fma, where vec_dot_simd's
// dot_signed_q8_0 also rebuilds both scalar scales per pair.
// Bit-identical to dot_signed_q8_0 of the same ISA: the int32 lanes are the same
// exact sums of 4 adjacent products, the scale is the same fp32 product dw * dx, and
// the fma chain per (row, token) runs block by block in the same order.
// Registers: NR*NX accumulators + the row's codes, |codes|, one activation vector and
// a scale; AVX2's 16 hold a 4 x 2 tile (as tinyBLAS's 4 x N on AVX2), AVX-512's 32 a
// 4 x 4 (see kQ8Tile* below).
// Legend: k = reduction length, NR = weight rows, NX = activation rows (tokens).
#pragma once
#include "kernels/cpu/vec_dot_simd.h"
#include "kernels/quant_gemm.h"

#pragma GCC diagnostic push  // see vec_dot_simd.h: GCC 12 AVX-512 header false positives
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace qvl::QVL_SIMD_NS {
namespace quant_gemm {

// Up to four fp16 scales -> floats in one conversion (lanes past N are 0, unused).
template <int N>
inline __m128 four_halves(const uint16_t* const* d) {
  uint64_t packed = 0;
  #pragma GCC unroll 4
  for (int j = 0; j < N; ++j) packed |= uint64_t(*d[j]) << (16 * j);
  return _mm_cvtph_ps(_mm_cvtsi64_si128(static_cast<long long>(packed)));
}
template <int N>
inline void four_scales(const uint16_t* const* d, float* out) { _mm_store_ps(out, four_halves<N>(d)); }

template <int NR, int NX>
void q8_0_tile(int64_t k, const uint8_t* w, size_t ws, const uint8_t* x, size_t xs, float* out, size_t os) {
  static_assert(NR <= 4 && NX <= 4);
  const BlockQ8_0* wr[NR];
  const BlockQ8_0* xb[NX];
  #pragma GCC unroll 4
  for (int r = 0; r < NR; ++r) wr[r] = reinterpret_cast<const BlockQ8_0*>(w + r * ws);
  #pragma GCC unroll 4
  for (int t = 0; t < NX; ++t) xb[t] = reinterpret_cast<const BlockQ8_0*>(x + t * xs);
  __m256 acc[NR][NX];
  #pragma GCC unroll 4
  for (int r = 0; r < NR; ++r)
    #pragma GCC unroll 4
    for (int t = 0; t < NX; ++t) acc[r][t] = _mm256_setzero_ps();
  const int64_t nb = k / kQK;
  for (int64_t i = 0; i < nb; ++i) {
    // sc[t][r] = dw_r * dx_t: NX 4-lane multiplies per block, stored, then read back
    // by broadcast loads. A multiply per pair would compete with maddubs, madd and
    // the fma for the multiply pipes (measured on the 2b Q8_0 model, 1 thread, AVX2
    // code: prefill 32.0 -> 33.1 tok/s; AVX-512 matmul_bench 85 -> 125 GFLOP/s).
    const uint16_t* dp[4];
    alignas(16) float dx[4], sc[NX][4];
    #pragma GCC unroll 4
    for (int t = 0; t < NX; ++t) dp[t] = &xb[t][i].d;
    four_scales<NX>(dp, dx);
    #pragma GCC unroll 4
    for (int r = 0; r < NR; ++r) dp[r] = &wr[r][i].d;
    const __m128 dw = four_halves<NR>(dp);
    #pragma GCC unroll 4
    for (int t = 0; t < NX; ++t) _mm_store_ps(sc[t], _mm_mul_ps(dw, _mm_broadcast_ss(&dx[t])));
    #pragma GCC unroll 4
    for (int r = 0; r < NR; ++r) {
      const __m256i q = load256(wr[r][i].qs);
      const __m256i u = _mm256_sign_epi8(q, q);
      #pragma GCC unroll 4
      for (int t = 0; t < NX; ++t) {
        const __m256i s = _mm256_sign_epi8(load256(xb[t][i].qs), q);
        const __m256 p = _mm256_cvtepi32_ps(dot_u8s8(u, s));
        acc[r][t] = _mm256_fmadd_ps(p, _mm256_broadcast_ss(&sc[t][r]), acc[r][t]);
      }
    }
  }
  #pragma GCC unroll 4
  for (int r = 0; r < NR; ++r)
    #pragma GCC unroll 4
    for (int t = 0; t < NX; ++t) out[t * os + r] = hsum(acc[r][t]);
}

// Tile shape per ISA. AVX2, 2b Q8_0 model, 1 thread, pp256 (Zen 5 core running the
// AVX2 code), three interleaved runs: 4 x 2 33.1, 32.4, 33.1 tok/s; 2 x 4 28.9, 28.6,
// 28.7. matmul_bench alone was too noisy on the shared VM to choose between them.
#if defined(__AVX512F__)
constexpr int kQ8TileRows = 4, kQ8TileCols = 4;
#else
constexpr int kQ8TileRows = 4, kQ8TileCols = 2;
#endif
static_assert(kQ8TileRows <= kQuantGemmRows && kQ8TileCols <= kQuantGemmMaxCols);

template <int NR>
void q8_0_rows(int64_t k, const uint8_t* w, size_t ws, const uint8_t* x, size_t xs, int nx, float* out, size_t os) {
  switch (nx) {
    case 1: q8_0_tile<NR, 1>(k, w, ws, x, xs, out, os); break;
    case 2: if constexpr (kQ8TileCols >= 2) q8_0_tile<NR, 2>(k, w, ws, x, xs, out, os); break;
    case 3: if constexpr (kQ8TileCols >= 3) q8_0_tile<NR, 3>(k, w, ws, x, xs, out, os); break;
    default: if constexpr (kQ8TileCols >= 4) q8_0_tile<NR, 4>(k, w, ws, x, xs, out, os); break;
  }
}

inline void q8_0(int64_t k, const void* vw, size_t ws, int n_w, const void* vx, size_t xs, int n_x, float* out,
                 size_t os) {
  const auto* x = static_cast<const uint8_t*>(vx);
  for (int r0 = 0; r0 < n_w; r0 += kQ8TileRows) {
    const int nr = n_w - r0 < kQ8TileRows ? n_w - r0 : kQ8TileRows;
    const auto* w = static_cast<const uint8_t*>(vw) + r0 * ws;
    for (int t0 = 0; t0 < n_x; t0 += kQ8TileCols) {
      const int nx = n_x - t0 < kQ8TileCols ? n_x - t0 : kQ8TileCols;
      const uint8_t* xt = x + t0 * xs;
      float* ot = out + t0 * os + r0;
      switch (nr) {
        case 1: q8_0_rows<1>(k, w, ws, xt, xs, nx, ot, os); break;
        case 2: if constexpr (kQ8TileRows >= 2) q8_0_rows<2>(k, w, ws, xt, xs, nx, ot, os); break;
        case 3: if constexpr (kQ8TileRows >= 3) q8_0_rows<3>(k, w, ws, xt, xs, nx, ot, os); break;
        default: if constexpr (kQ8TileRows >= 4) q8_0_rows<4>(k, w, ws, xt, xs, nx, ot, os); break;
      }
    }
  }
}

}  // namespace quant_gemm

constexpr QuantGemmKernels make_quant_gemm_table() { return {quant_gemm::q8_0}; }

}  // namespace qvl::QVL_SIMD_NS

#pragma GCC diagnostic pop
