// Scalar quantise/dequantise of one row for every block format (kernels/ref). These
// are the oracle and the only implementation (quantising activations is a small
// share of a matmul). No allocation, no threads; k must be a multiple of the block size.
#pragma once
#include <cstdint>

namespace qvl {

using QuantizeRowFn = void (*)(const float* x, void* y, int64_t k);
using DequantizeRowFn = void (*)(const void* x, float* y, int64_t k);

// Activation formats: bit-exact with ggml's x86 CPU backend, because our forward
// pass must match llama.cpp token for token. Q8_0/Q8_1 follow ggml's AVX path
// (amax over the block, d = amax/127, q = round-half-even(x * (127/amax))); Q8_K
// follows quantize_row_q8_K_ref (signed max m with the largest |x|, first wins;
// q = min(127, round-half-even(x * -127/m)), d = 1/(-127/m)).
void quantize_row_q8_0(const float* x, void* y, int64_t k);
void quantize_row_q8_1(const float* x, void* y, int64_t k);
void quantize_row_q8_K(const float* x, void* y, int64_t k);

// Weight formats: ggml layouts; the legacy ones round as ggml's reference does,
// the k-quants use our own (simpler) scale search. Error bounds: quant_test.cpp.
void quantize_row_q4_0(const float* x, void* y, int64_t k);
void quantize_row_q4_1(const float* x, void* y, int64_t k);
void quantize_row_q5_0(const float* x, void* y, int64_t k);
void quantize_row_q5_1(const float* x, void* y, int64_t k);
void quantize_row_q2_K(const float* x, void* y, int64_t k);
void quantize_row_q3_K(const float* x, void* y, int64_t k);
void quantize_row_q4_K(const float* x, void* y, int64_t k);
void quantize_row_q5_K(const float* x, void* y, int64_t k);
void quantize_row_q6_K(const float* x, void* y, int64_t k);

void dequantize_row_q4_0(const void* x, float* y, int64_t k);
void dequantize_row_q4_1(const void* x, float* y, int64_t k);
void dequantize_row_q5_0(const void* x, float* y, int64_t k);
void dequantize_row_q5_1(const void* x, float* y, int64_t k);
void dequantize_row_q8_0(const void* x, float* y, int64_t k);
void dequantize_row_q8_1(const void* x, float* y, int64_t k);
void dequantize_row_q2_K(const void* x, float* y, int64_t k);
void dequantize_row_q3_K(const void* x, float* y, int64_t k);
void dequantize_row_q4_K(const void* x, float* y, int64_t k);
void dequantize_row_q5_K(const void* x, float* y, int64_t k);
void dequantize_row_q6_K(const void* x, float* y, int64_t k);
void dequantize_row_q8_K(const void* x, float* y, int64_t k);

// Round half to even for |v| < 2^22 (ggml's nearest_int; the default FP mode).
// Adding 1.5*2^23 pushes the fraction out of the mantissa, so the FPU's own
// round-to-nearest-even does the rounding; the low mantissa bits are the result.
inline int round_half_even(float v) {
  const float t = v + 12582912.0f;
  int32_t i;
  __builtin_memcpy(&i, &t, 4);
  return (i & 0x007fffff) - 0x00400000;
}

}  // namespace qvl
