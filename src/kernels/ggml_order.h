// ggml's float summation orders, scalar (kernels layer, header-only). llama.cpp's
// CPU kernels sum in fixed vector shapes; these helpers spell the shapes out so the
// scalar references and the SIMD paths here reproduce them bit for bit.
// Legend: a 16-lane accumulator is a __m512 (ggml's AVX-512 build, which
// node-llama-cpp loads on AVX-512 machines), emulated on AVX2 by two __m256.
#pragma once
#include <cmath>
#include <cstdint>

#include "base/fp16.h"

namespace qvl::kernels {

// GCC's _mm512_reduce_add_ps: halves, quarters, then pairs.
inline float reduce16(const float* a) {
  float h[8], q[4];
  for (int i = 0; i < 8; ++i) h[i] = a[i + 8] + a[i];
  for (int i = 0; i < 4; ++i) q[i] = h[i + 4] + h[i];
  return (q[0] + q[2]) + (q[1] + q[3]);
}

// ggml's / tinyBLAS's hsum of one __m256.
inline float reduce8(const float* a) {
  float q[4];
  for (int i = 0; i < 4; ++i) q[i] = a[i + 4] + a[i];
  return (q[0] + q[2]) + (q[1] + q[3]);
}

// ggml_vec_dot_f16's reduction of its four 16-lane accumulators acc[4][16] (in place).
inline float reduce4x16(float (*acc)[16]) {
  for (int l = 0; l < 16; ++l) {
    acc[0][l] += acc[2][l];
    acc[1][l] += acc[3][l];
  }
  for (int l = 0; l < 16; ++l) acc[0][l] += acc[1][l];
  return reduce16(acc[0]);
}

// Dot product of n F16 (W = uint16_t) or F32 weights w with F32 activations x
// (F16-rounded for F16 weights, as ggml converts them), in the order llama.cpp's CPU
// backend uses: gemm (a batch of >= 2 tokens; tinyBLAS, n % 16 == 0): one 16-lane
// FMA chain, then reduce16. Otherwise (ggml_vec_dot_f16 / _f32): four 16-lane chains
// over 64-element steps, reduce4x16, the n % 64 tail added in double (f16) or by
// F32 FMAs (f32, as GCC contracts `sumf += x[i]*y[i]`).
inline float weight_f32(uint16_t w) { return fp16_to_f32(w); }
inline float weight_f32(float w) { return w; }

template <typename W>
float dot_ggml(const W* w, const float* x, int64_t n, bool gemm) {
  if (gemm && n % 16 == 0) {
    float acc[16] = {};
    for (int64_t i = 0; i < n; i += 16)
      for (int l = 0; l < 16; ++l) acc[l] = std::fma(weight_f32(w[i + l]), x[i + l], acc[l]);
    return reduce16(acc);
  }
  float acc[4][16] = {};
  const int64_t np = n - n % 64;
  for (int64_t i = 0; i < np; i += 64)
    for (int a = 0; a < 4; ++a)
      for (int l = 0; l < 16; ++l) acc[a][l] = std::fma(weight_f32(w[i + 16 * a + l]), x[i + 16 * a + l], acc[a][l]);
  const float r = reduce4x16(acc);
  if constexpr (sizeof(W) == 2) {
    double s = r;
    for (int64_t i = np; i < n; ++i) s += double(weight_f32(w[i]) * x[i]);
    return float(s);
  } else {
    float s = r;
    for (int64_t i = np; i < n; ++i) s = std::fma(w[i], x[i], s);
    return s;
  }
}

inline float dot_f16_ggml(const uint16_t* w, const float* x, int64_t n, bool gemm) { return dot_ggml(w, x, n, gemm); }

}  // namespace qvl::kernels
