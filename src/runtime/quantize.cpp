// DType -> kernels/ref quantise/dequantise function lookup (runtime layer).
#include "runtime/quantize.h"

#include <cstring>

#include "base/error.h"
#include "kernels/ref/convert_ref.h"
#include "kernels/ref/quant_ref.h"

namespace qvl {
namespace {

void copy_f32(const float* x, void* y, int64_t k) { std::memcpy(y, x, k * sizeof(float)); }
void copy_f32_out(const void* x, float* y, int64_t k) { std::memcpy(y, x, k * sizeof(float)); }

QuantizeRowFn quantizer(DType t) {
  switch (t) {
    case DType::kF32: return copy_f32;
    case DType::kF16: return convert_f32_to_f16;
    case DType::kBF16: return convert_f32_to_bf16;
    case DType::kQ4_0: return quantize_row_q4_0;
    case DType::kQ4_1: return quantize_row_q4_1;
    case DType::kQ5_0: return quantize_row_q5_0;
    case DType::kQ5_1: return quantize_row_q5_1;
    case DType::kQ8_0: return quantize_row_q8_0;
    case DType::kQ8_1: return quantize_row_q8_1;
    case DType::kQ2_K: return quantize_row_q2_K;
    case DType::kQ3_K: return quantize_row_q3_K;
    case DType::kQ4_K: return quantize_row_q4_K;
    case DType::kQ5_K: return quantize_row_q5_K;
    case DType::kQ6_K: return quantize_row_q6_K;
    case DType::kQ8_K: return quantize_row_q8_K;
    default: return nullptr;
  }
}

DequantizeRowFn dequantizer(DType t) {
  switch (t) {
    case DType::kF32: return copy_f32_out;
    case DType::kF16: return convert_f16_to_f32;
    case DType::kBF16: return convert_bf16_to_f32;
    case DType::kQ4_0: return dequantize_row_q4_0;
    case DType::kQ4_1: return dequantize_row_q4_1;
    case DType::kQ5_0: return dequantize_row_q5_0;
    case DType::kQ5_1: return dequantize_row_q5_1;
    case DType::kQ8_0: return dequantize_row_q8_0;
    case DType::kQ8_1: return dequantize_row_q8_1;
    case DType::kQ2_K: return dequantize_row_q2_K;
    case DType::kQ3_K: return dequantize_row_q3_K;
    case DType::kQ4_K: return dequantize_row_q4_K;
    case DType::kQ5_K: return dequantize_row_q5_K;
    case DType::kQ6_K: return dequantize_row_q6_K;
    case DType::kQ8_K: return dequantize_row_q8_K;
    default: return nullptr;
  }
}

void check_row(DType t, int64_t k) {
  const DTypeInfo& info = dtype_info(t);
  QVL_CHECK(k >= 0 && k % info.block_size == 0, "row of ", k, " elements is not a multiple of ", info.name,
            "'s block size ", info.block_size);
}

}  // namespace

bool can_quantize(DType t) { return quantizer(t) != nullptr; }
bool can_dequantize(DType t) { return dequantizer(t) != nullptr; }

void quantize_row(DType t, const float* x, void* y, int64_t k) {
  const QuantizeRowFn fn = quantizer(t);
  QVL_CHECK(fn, "quantising to ", dtype_info(t).name, " is not supported");
  check_row(t, k);
  fn(x, y, k);
}

void dequantize_row(DType t, const void* x, float* y, int64_t k) {
  const DequantizeRowFn fn = dequantizer(t);
  QVL_CHECK(fn, "reading ", dtype_info(t).name, " tensors is not supported");
  check_row(t, k);
  fn(x, y, k);
}

std::vector<uint8_t> quantize_tensor(DType t, const float* src, int64_t rows, int64_t cols) {
  QVL_CHECK(rows >= 0 && cols >= 0, "quantize_tensor: negative shape [", rows, ", ", cols, "]");
  const QuantizeRowFn fn = quantizer(t);
  QVL_CHECK(fn, "quantising to ", dtype_info(t).name, " is not supported");
  check_row(t, cols);
  const size_t rb = row_bytes(t, cols);
  std::vector<uint8_t> out(rb * static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) fn(src + r * cols, out.data() + r * rb, cols);
  return out;
}

}  // namespace qvl
