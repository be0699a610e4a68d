// Register-blocked float GEMM tile (kernels layer): up to kGemmRows weight rows of
// f32/f16/bf16 times up to kGemmMaxCols f32 activation rows, for matmul on float
// weights. Each loaded weight vector meets several tokens and each activation vector
// several rows, which the 1-row vec_dot cannot do (float prefill is load-bound).
#pragma once
#include <cstddef>
#include <cstdint>

#include "base/cpu_features.h"
#include "kernels/vec_dot.h"

namespace qvl {

constexpr int kGemmRows = 4;
// Most activation rows per call; GemmKernels::cols says how many a table prefers.
constexpr int kGemmMaxCols = 12;

// out[t * out_stride + r] = sum_i w_r[i] * x_t[i] for r < n_w (1..kGemmRows, rows
// w_stride bytes apart) and t < n_x (1..kGemmMaxCols, f32 rows x_stride bytes apart).
// f32 accumulation; products of f16/bf16 weights with f16/bf16-rounded activations
// are exact in f32. Tolerance against the reference: gamma(k) * sum |w_i x_i|.
using GemmFn = void (*)(int64_t k, const void* w, size_t w_stride, int n_w, const float* x, size_t x_stride,
                        int n_x, float* out, size_t out_stride);

struct GemmKernels {
  GemmFn f32, f16, bf16;  // weight format; activations always f32
  // Tokens per call matmul hands these tiles (<= kGemmMaxCols): AVX2 takes 12 (four
  // 4 x 3 tiles per 4 rows); AVX-512 4, measured a little faster there than 12.
  int cols;
};

const GemmKernels& gemm_kernels(Isa isa);
inline const GemmKernels& gemm_kernels() { return gemm_kernels(active_isa()); }

extern const GemmKernels kGemmRef;     // ref/gemm_ref.cpp
extern const GemmKernels kGemmAvx2;    // cpu/gemm_avx2.cpp
extern const GemmKernels kGemmAvx512;  // cpu/gemm_avx512.cpp

}  // namespace qvl
