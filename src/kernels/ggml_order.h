// ggml's float summation orders, scalar (kernels layer, header-only). llama.cpp's
// CPU kernels sum in fixed vector shapes; these helpers spell the shapes out so the
// scalar references and the SIMD paths here reproduce them bit for bit.
// Legend: a 16-lane accumulator is a __m512 (ggml's AVX-512 build, which
// node-llama-cpp loads on AVX-512 machines), emulated on AVX2 by two __m256.
#pragma once

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

}  // namespace qvl::kernels
