// Outer-product float GEMM on weights packed in 16-row panels (kernels layer), for
// the vision encoder's default (Hugging Face) path, whose results need not mirror
// llama.cpp's bits (docs/decisions/0019-vision-panel-gemm.md). Unlike the dot-style
// tiles of kernels/gemm.h (each output a vector of partial sums over k, then one
// horizontal sum), every output is one lane of an accumulator: per step of k, a
// vector of 16 weight rows meets one broadcast activation, so there are no
// horizontal sums (attention's k = 64 products paid one per output) and the
// activations are read once per 32 (AVX-512) or 16 (AVX2) rows, not per 4.
//
// Order: each output is a chain of fused multiply-adds over i = 0 .. k-1, in order,
// starting from +0: out = fma(w[i], x[i], out). Every ISA and the reference give the
// same bits, whatever the tile shape.
#pragma once
#include <cstddef>
#include <cstdint>

#include "base/cpu_features.h"

namespace qvl {

// A [n, k] matrix packed as ceil(n / 16) panels of 16 rows, k-major inside a panel:
// element (r, i) at (r / 16) * k * 16 + i * 16 + r % 16; rows past n are zero.
constexpr int kPanelRows = 16;
// Widest activation panel of any table (PanelGemmKernels::tokens).
constexpr int kPanelMaxTokens = 12;

// An activation panel holds `tokens` (the table's width) rows k-major: x(t, i) at
// i * tokens + t. One call: out[t * os + r] for t < nt (<= tokens) and r < nr (<=
// rows), from the panels starting at w (rows / 16 consecutive panels of this k).
// Lanes past nt / nr are computed from the padding and never stored.
using PanelGemmFn = void (*)(int64_t k, const void* w, int nr, const float* x, int nt, float* out, size_t os);

struct PanelGemmKernels {
  PanelGemmFn f32, f16;  // panel element: f32, or f16 widened exactly
  int rows;              // rows per call: 32 on AVX-512 (two panels), 16 on AVX2 and the reference
  int tokens;            // activation panel width: 12 on AVX-512, 6 on AVX2, 4 in the reference
};

const PanelGemmKernels& panel_gemm_kernels(Isa isa);
inline const PanelGemmKernels& panel_gemm_kernels() { return panel_gemm_kernels(active_isa()); }

extern const PanelGemmKernels kPanelGemmRef;     // ref/panel_gemm_ref.cpp
extern const PanelGemmKernels kPanelGemmAvx2;    // cpu/panel_gemm_avx2.cpp
extern const PanelGemmKernels kPanelGemmAvx512;  // cpu/panel_gemm_avx512.cpp

}  // namespace qvl
