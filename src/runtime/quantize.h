// Row and tensor quantisation by DType (runtime layer): picks the kernels/ref
// function for a type. Used by matmul (activations), get_rows, `qvl quantize` /
// `make-test-model` and load-time quantisation. Does not multiply anything.
#pragma once
#include <cstdint>
#include <vector>

#include "runtime/dtype.h"

namespace qvl {

// Whether quantize_row / dequantize_row handle a type (f32, f16, bf16, the legacy
// formats, q2_K .. q6_K, q8_K; q8_1 and q8_K as activation formats).
bool can_quantize(DType t);
bool can_dequantize(DType t);

// x[k] floats -> one row of type t (row_bytes(t, k) bytes). Throws qvl::Error for an
// unsupported type or a k that is not a multiple of the block size.
void quantize_row(DType t, const float* x, void* y, int64_t k);
// One row of type t -> k floats.
void dequantize_row(DType t, const void* x, float* y, int64_t k);

// A [rows, cols] float matrix -> rows * row_bytes(t, cols) bytes of type t.
std::vector<uint8_t> quantize_tensor(DType t, const float* src, int64_t rows, int64_t cols);

}  // namespace qvl
