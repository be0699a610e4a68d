// Register-blocked tiles for Q8_0 weights against Q8_0 activations (kernels layer):
// several weight rows times several tokens per call, for matmul on Q8_0 weights that
// are not repacked (runtime/repack.h: QVL_REPACK=0, or rows % 8 != 0), in ggml's
// x86 Q8_0 order, the one llama.cpp uses. vec_dot's one row x
// up to 4 tokens converts every (row, token) pair's two fp16 block scales again and
// reloads each activation block per row; a tile converts the scales once per block
// (one vcvtph2ps for all rows, one for all tokens) and multiplies them lane-wise, as
// ggml's tinyBLAS_Q0_AVX does. Same integers and the same float chain per (row,
// token) as the vec_dot q8_0 kernel of the same ISA (ggml's order: one 8-lane fma
// chain, block by block, then hsum), so results are bit-identical to it.
#pragma once
#include <cstddef>
#include <cstdint>

#include "base/cpu_features.h"

namespace qvl {

constexpr int kQuantGemmRows = 4;     // most weight rows per call
constexpr int kQuantGemmMaxCols = 4;  // most activation rows (tokens) per call

// out[t * out_stride + r] = dot(w_r, x_t) for r < n_w (1..kQuantGemmRows, rows
// w_stride bytes apart) and t < n_x (1..kQuantGemmMaxCols, BlockQ8_0 rows x_stride
// bytes apart). k is a multiple of 32.
using QuantGemmFn = void (*)(int64_t k, const void* w, size_t w_stride, int n_w, const void* x, size_t x_stride,
                             int n_x, float* out, size_t out_stride);

struct QuantGemmKernels {
  QuantGemmFn q8_0;  // nullptr: no tile on this ISA, matmul calls vec_dot row by row
};

// The table for an ISA (capped at detected_isa()). The scalar table has no tiles:
// the reference is vec_dot's q8_0 kernel of the same ISA, which the tiles equal.
const QuantGemmKernels& quant_gemm_kernels(Isa isa);
inline const QuantGemmKernels& quant_gemm_kernels() { return quant_gemm_kernels(active_isa()); }

extern const QuantGemmKernels kQuantGemmAvx2;    // cpu/quant_gemm_avx2.cpp
extern const QuantGemmKernels kQuantGemmAvx512;  // cpu/quant_gemm_avx512.cpp

}  // namespace qvl
