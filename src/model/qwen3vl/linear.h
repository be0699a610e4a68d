// The two weight-reading primitives the decoder needs (model layer): y = x·Wᵀ and
// embedding-row lookup. They forward to runtime/matmul.h; keeping them behind one
// name lets the decoder stay independent of how matmul is organised.
#pragma once
#include <cstdint>

#include "runtime/numerics.h"
#include "runtime/tensor.h"

namespace qvl {

class ThreadPool;

// y[t, o] = Σ_i w[o, i] · x[t, i]; x: [n_tok, w.cols()] F32, y: [n_tok, w.rows()] F32.
// single: per token, nonzero where llama.cpp would run the token in a batch of one
// (runtime/matmul.h: its summation order then differs); nullptr: all batched.
// numerics: the model's profile (runtime/numerics.h).
void linear(const Tensor& w, const float* x, int64_t n_tok, float* y, ThreadPool& pool,
            const uint8_t* single = nullptr, Numerics numerics = Numerics::kDefault);
// out[i, :] = dequantised row ids[i] of w ([rows, cols]); ids must be in range.
void embed_rows(const Tensor& w, const int32_t* ids, int64_t n, float* out);

}  // namespace qvl
