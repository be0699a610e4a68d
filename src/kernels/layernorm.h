// LayerNorm for the vision encoder (kernels layer): y = (x - mean) / sqrt(var + eps) ⊙ w + b
// per row, F32 in and out, statistics accumulated in double (two passes). Plain
// reference in ref/layernorm.cpp; tests allow ~n·2^-24 relative error.
#pragma once
#include <cstdint>

namespace qvl::kernels {

// x, y: [n_rows, n] row-major (y may equal x); w, b: [n] (b may be nullptr).
void layer_norm_ref(const float* x, const float* w, const float* b, float* y, int64_t n_rows, int64_t n, float eps);

}  // namespace qvl::kernels
