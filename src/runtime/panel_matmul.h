// Float weights packed once into the 16-row panels of kernels/panel_gemm.h, and the
// matmul on them (runtime layer). For callers whose results need not mirror
// llama.cpp's bits: the vision encoder's default (Hugging Face) path, its linear
// layers and attention products (docs/decisions/0019-vision-panel-gemm.md). Every
// output is an in-order fma chain over k from +0, so the result is the same on
// every ISA, thread count and batch (kernels/panel_gemm.h); nothing is rounded to
// F16 on the way (runtime matmul rounds activations for F16 weights, as ggml does).
#pragma once
#include <cstdint>

#include "base/aligned_buffer.h"
#include "base/thread_pool.h"
#include "runtime/tensor.h"

namespace qvl {

// A packed [rows, cols] matrix: ceil(rows / 16) panels, element kF32 or kF16.
struct PanelMatrix {
  DType dtype = DType::kF32;
  int64_t rows = 0, cols = 0;
  const void* data = nullptr;
};

// Elements of a packed [rows, cols] matrix, padding rows included.
int64_t panel_elements(int64_t rows, int64_t cols);

// Whether pack_panels takes w: a 2-D F32, F16 or BF16 tensor.
bool panel_packable(const Tensor& w);

// An owned packed copy of a weight. F16 stays F16; F32 stays F32; BF16 becomes F32
// (exact; twice the bytes: no BF16 kernel, and BF16 vision weights are rare).
class PanelWeight {
 public:
  PanelWeight() = default;
  PanelWeight(const Tensor& w, ThreadPool& pool);  // throws qvl::Error unless panel_packable(w)
  const PanelMatrix& matrix() const { return m_; }
  size_t bytes() const { return buf_.size(); }

 private:
  PanelMatrix m_;
  AlignedBuffer buf_;
};

// Packs n rows of a row-major f32 matrix (`cols` wide, rows `stride` floats apart)
// into dst (panel_elements(n, cols) floats): matrices built at run time, such as
// attention's K ([keys, head_dim]: rows are keys).
void pack_panels_f32(const float* src, int64_t n, int64_t cols, int64_t stride, float* dst);
// Packs the transpose of a row-major [cols, n] f32 block (row stride `stride`): panel
// row r is source column r. Attention's V ([keys, head_dim]) as [head_dim, keys].
void pack_panels_f32_transposed(const float* src, int64_t n, int64_t cols, int64_t stride, float* dst);

// y[t, o] = sum_i w[o, i] * x[t, i], x [n_tok, w.cols] and y [n_tok, w.rows]
// row-major f32 (y rows y_stride floats apart; y_stride >= w.rows). Activations are
// repacked into the kernel's token panels in a per-calling-thread buffer (at most
// 64 MiB: larger batches run in slices of tokens), then row groups are split over
// the pool. bias (w.rows values, or null) is added to each finished output: the bits
// of adding it in a pass of its own, without that pass.
void panel_matmul(const PanelMatrix& w, const float* x, int64_t n_tok, float* y, int64_t y_stride, ThreadPool& pool,
                  const float* bias = nullptr);
inline void panel_matmul(const PanelMatrix& w, const float* x, int64_t n_tok, float* y, ThreadPool& pool) {
  panel_matmul(w, x, n_tok, y, w.rows, pool);
}

// The same on the calling thread alone, for callers that split work themselves:
// x_panels holds the activations packed by pack_token_panels (x rows x_stride
// floats apart) into token_panel_elements(n_tok, k) floats, for the active table.
void pack_token_panels(const float* x, int64_t n_tok, int64_t k, int64_t x_stride, float* dst);
int64_t token_panel_elements(int64_t n_tok, int64_t k);  // for the active table
void panel_matmul_packed(const PanelMatrix& w, const float* x_panels, int64_t n_tok, float* y, int64_t y_stride);

}  // namespace qvl
