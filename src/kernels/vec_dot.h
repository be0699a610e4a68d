// Dot products of one weight row with up to kMaxDotCols activation rows (kernels
// layer): the inner loop of every matmul. Pure functions on raw pointers, one table
// per ISA (ref/vec_dot_ref.cpp, cpu/vec_dot_avx2.cpp, cpu/vec_dot_avx512.cpp).
#pragma once
#include <cstddef>
#include <cstdint>

#include "base/cpu_features.h"

namespace qvl {

constexpr int kMaxDotCols = 4;  // activation rows per call: each weight block is decoded once for all

// out[t * out_stride] = sum_i w[i] * x_t[i] for t < n_x (1..kMaxDotCols), where the
// activation row x_t starts x_stride bytes after x_{t-1}. k elements, a multiple of
// the weight's block size. The activation format pairs with the weight format as in
// ggml (matmul_activation_type in runtime/matmul.h): q4_0/q5_0/q8_0 <- q8_0,
// q4_1/q5_1 <- q8_1, k-quants <- q8_K, f16 <- f16, bf16 <- bf16, f32 <- f32.
// Integer block sums are exact; float accumulation order differs per ISA (tests
// bound the difference by gamma(k) * sum |w_i x_i|), except that q4_0/q5_0/q8_0
// follow ggml's order on AVX2 and AVX-512 alike (one 8-lane chain over blocks).
using VecDotFn = void (*)(int64_t k, const void* w, const void* x, size_t x_stride, int n_x, float* out,
                          size_t out_stride);

struct VecDotKernels {
  VecDotFn f32, f16, bf16, q4_0, q4_1, q5_0, q5_1, q8_0, q4_K, q5_K, q6_K;
  VecDotFn q2_K, q3_K;  // scalar on every ISA for now (ref/vec_dot_ref.h)
  // F16 weights against F32 activations already rounded to F16 (what matmul holds
  // for f16 weights), in ggml_vec_dot_f16's order (kernels/ggml_order.h
  // dot_f16_ggml): the order llama.cpp uses for a token it runs alone. Every ISA's
  // table gives the reference's bits.
  VecDotFn f16_gemv;
  VecDotFn f32_gemv;  // F32 weights and activations, ggml_vec_dot_f32's order
};

// The table for an ISA (capped at detected_isa()); active_isa() picks the default.
const VecDotKernels& vec_dot_kernels(Isa isa);
inline const VecDotKernels& vec_dot_kernels() { return vec_dot_kernels(active_isa()); }

extern const VecDotKernels kVecDotRef;     // ref/vec_dot_ref.cpp
extern const VecDotKernels kVecDotAvx2;    // cpu/vec_dot_avx2.cpp
extern const VecDotKernels kVecDotAvx512;  // cpu/vec_dot_avx512.cpp

}  // namespace qvl
