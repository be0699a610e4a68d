// Float GEMM tile bodies shared by cpu/gemm_avx2.cpp and cpu/gemm_avx512.cpp
// (kernels/cpu); include after defining QVL_SIMD_NS, like vec_dot_simd.h. An NR x NX
// block of accumulators stays in registers across k: per vector step, NR weight loads
// and NX activation loads feed NR*NX FMAs. AVX-512 (32 registers) runs 4 x 4 tiles;
// AVX2 (16 registers) 4 x 3: 12 accumulators, 3 activation vectors and the weight
// vector in flight fill the 16 registers, 7 loads per 12 FMAs (4 x 2: 6 per 8, and
// on F16 the 4 conversions per step weigh on 8 FMAs instead of 12). Tile shape never
// changes a result: each (row, token) sum runs lane-wise over k, then one hsum.
// Legend: k = reduction length, NR = weight rows, NX = activation rows (tokens).
#pragma once
#include "kernels/cpu/vec_dot_simd.h"
#include "kernels/gemm.h"

#pragma GCC diagnostic push  // see vec_dot_simd.h: GCC 12 AVX-512 header false positives
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace qvl::QVL_SIMD_NS {

constexpr int kGemmTileX = FloatLanes::kN == 16 ? 4 : 3;
static_assert(kGemmMaxCols % kGemmTileX == 0);

template <int kFmt>  // 0 f32, 1 f16, 2 bf16 weights
inline FloatLanes::V load_weight(const uint8_t* row, int64_t i) {
  if constexpr (kFmt == 0) return FloatLanes::load(reinterpret_cast<const float*>(row) + i);
  else return FloatLanes::load(reinterpret_cast<const uint16_t*>(row) + i, kFmt == 2);
}

template <int kFmt>
inline float weight_scalar(const uint8_t* row, int64_t i) {
  if constexpr (kFmt == 0) {
    float f;
    std::memcpy(&f, row + 4 * i, 4);
    return f;
  } else {
    uint16_t h;
    std::memcpy(&h, row + 2 * i, 2);
    if constexpr (kFmt == 1) return h2f(h);
    uint32_t u = uint32_t(h) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
}

template <int NR, int NX, int kFmt>
void gemm_tile(int64_t k, const uint8_t* w, size_t ws, const float* x, size_t xs, float* out, size_t os) {
  using L = FloatLanes;
  const uint8_t* wr[NR];
  const float* xr[NX];
  #pragma GCC unroll 8
  for (int r = 0; r < NR; ++r) wr[r] = w + r * ws;
  #pragma GCC unroll 8
  for (int t = 0; t < NX; ++t) xr[t] = reinterpret_cast<const float*>(reinterpret_cast<const uint8_t*>(x) + t * xs);
  typename L::V acc[NR][NX];
  #pragma GCC unroll 8
  for (int r = 0; r < NR; ++r)
    #pragma GCC unroll 8
    for (int t = 0; t < NX; ++t) acc[r][t] = L::zero();
  int64_t i = 0;
  for (; i + L::kN <= k; i += L::kN) {
    typename L::V xv[NX];
    #pragma GCC unroll 8
    for (int t = 0; t < NX; ++t) xv[t] = L::load(xr[t] + i);
    #pragma GCC unroll 8
    for (int r = 0; r < NR; ++r) {
      const typename L::V wv = load_weight<kFmt>(wr[r], i);
      #pragma GCC unroll 8
      for (int t = 0; t < NX; ++t) acc[r][t] = L::fmadd(wv, xv[t], acc[r][t]);
    }
  }
  #pragma GCC unroll 8
  for (int r = 0; r < NR; ++r) {
    #pragma GCC unroll 8
    for (int t = 0; t < NX; ++t) {
      float s = L::sum(acc[r][t]);
      for (int64_t j = i; j < k; ++j) s += weight_scalar<kFmt>(wr[r], j) * xr[t][j];
      out[t * os + r] = s;
    }
  }
}

template <int NR, int kFmt>
void gemm_rows(int64_t k, const uint8_t* w, size_t ws, const float* x, size_t xs, int nx, float* out, size_t os) {
  switch (nx) {
    case 1: gemm_tile<NR, 1, kFmt>(k, w, ws, x, xs, out, os); break;
    case 2: gemm_tile<NR, 2, kFmt>(k, w, ws, x, xs, out, os); break;
    case 3: gemm_tile<NR, 3, kFmt>(k, w, ws, x, xs, out, os); break;
    default: if constexpr (kGemmTileX >= 4) gemm_tile<NR, 4, kFmt>(k, w, ws, x, xs, out, os); break;
  }
}

template <int kFmt>
void gemm(int64_t k, const void* vw, size_t ws, int n_w, const float* x, size_t xs, int n_x, float* out, size_t os) {
  const auto* w = static_cast<const uint8_t*>(vw);
  for (int t0 = 0; t0 < n_x; t0 += kGemmTileX) {
    const int nx = n_x - t0 < kGemmTileX ? n_x - t0 : kGemmTileX;
    const float* xt = reinterpret_cast<const float*>(reinterpret_cast<const uint8_t*>(x) + t0 * xs);
    float* ot = out + t0 * os;
    switch (n_w) {
      case 1: gemm_rows<1, kFmt>(k, w, ws, xt, xs, nx, ot, os); break;
      case 2: gemm_rows<2, kFmt>(k, w, ws, xt, xs, nx, ot, os); break;
      case 3: gemm_rows<3, kFmt>(k, w, ws, xt, xs, nx, ot, os); break;
      default: gemm_rows<4, kFmt>(k, w, ws, xt, xs, nx, ot, os); break;
    }
  }
}

// AVX2: 12 tokens per call, a multiple of its 3-wide tile, so runs of prefill tokens
// rarely end in a narrow remainder tile; AVX-512: 4, its tile width.
constexpr GemmKernels make_gemm_table() { return {gemm<0>, gemm<1>, gemm<2>, kGemmTileX == 3 ? 12 : 4}; }

}  // namespace qvl::QVL_SIMD_NS

#pragma GCC diagnostic pop
