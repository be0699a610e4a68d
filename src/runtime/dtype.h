// Element types, including quantised block formats. Values equal GGML's type ids,
// so GGUF tensor types map 1:1. Block layouts are defined in kernels/quant_blocks.h.
#pragma once
#include <cstddef>
#include <cstdint>

namespace qvl {

enum class DType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kI8 = 24,
  kI16 = 25,
  kI32 = 26,
  kI64 = 27,
  kF64 = 28,
  kBF16 = 30,
};

struct DTypeInfo {
  const char* name;   // GGUF / llama.cpp spelling, e.g. "q4_K"
  int block_size;     // elements per block (1 for plain types)
  int type_size;      // bytes per block
  bool quantized;
};

// Throws qvl::Error for an id that is not a known type (e.g. from a corrupt file).
const DTypeInfo& dtype_info(DType t);
bool dtype_known(uint32_t id);
// Bytes taken by n elements (n must be a multiple of the block size).
size_t row_bytes(DType t, int64_t n);
// Parses "f32", "f16", "bf16", "q8_0", "q4_0", "q4_k" ... (case-insensitive).
DType dtype_from_name(const char* name);

}  // namespace qvl
