// A non-owning view of a tensor: dtype, shape, contiguous data. Shapes are
// row-major, outermost first (PyTorch order): a weight is [n_out, n_in] with each
// row stored as blocks along n_in. GGUF's ne[] is the reverse of this.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/dtype.h"

namespace qvl {

struct Tensor {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;  // outermost first
  const void* data = nullptr;  // contiguous; owned by whoever produced the view
  // Optional copy re-laid out for the packed matmul kernels (runtime/repack.h),
  // owned with the weights; matmul uses it when set. gemv_only: MoE experts.
  const void* packed = nullptr;
  bool packed_gemv_only = false;

  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
  int64_t cols() const { return shape.empty() ? 1 : shape.back(); }
  int64_t rows() const { return cols() == 0 ? 0 : numel() / cols(); }
  size_t row_size() const { return row_bytes(dtype, cols()); }
  size_t nbytes() const { return static_cast<size_t>(rows()) * row_size(); }
  const uint8_t* row(int64_t r) const { return static_cast<const uint8_t*>(data) + r * row_size(); }
  std::string shape_str() const;
};

}  // namespace qvl
