// Row conversions between f32 and the 16-bit float formats (kernels/ref, scalar).
// Rounding is round-to-nearest-even, as F16C and ggml's fp32->bf16 do.
#pragma once
#include <cstdint>

namespace qvl {

void convert_f32_to_f16(const float* x, void* y, int64_t n);
void convert_f32_to_bf16(const float* x, void* y, int64_t n);
void convert_f16_to_f32(const void* x, float* y, int64_t n);
void convert_bf16_to_f32(const void* x, float* y, int64_t n);

}  // namespace qvl
