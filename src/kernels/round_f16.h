// Rounding F32 values to the nearest F16 value, kept as F32 (kernels layer): what
// matmul does to activations that meet F16 weights, so that their products are the
// exact F32 products ggml's F16 x F16 dots form. Reference in ref/round_f16.cpp
// (base/fp16.h, bit for bit), F16C in cpu/round_f16_avx2.cpp; same bits for every
// non-NaN input (a NaN stays a NaN; its payload may differ).
#pragma once
#include <cstdint>

namespace qvl::kernels {

void round_to_f16_ref(const float* x, float* y, int64_t n);
void round_to_f16_avx2(const float* x, float* y, int64_t n);
// y may equal x. Picks the F16C body when the active ISA has AVX2.
void round_to_f16(const float* x, float* y, int64_t n);

}  // namespace qvl::kernels
