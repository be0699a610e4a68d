// Matrix multiply of a weight (any supported dtype, rows stored as blocks) with f32
// activations, and embedding row lookup (runtime layer). Checks shapes and picks the
// kernels/ vec_dot for the active ISA; the kernels do the arithmetic.
#pragma once
#include <cstdint>

#include "base/thread_pool.h"
#include "runtime/numerics.h"
#include "runtime/tensor.h"

namespace qvl {

// The format activations are converted to for a weight dtype (ggml's vec_dot_type):
// q4_0/q5_0/q8_0 -> q8_0, q4_1/q5_1 -> q8_1, q2_K..q6_K -> q8_K, f16 -> f16,
// bf16 -> bf16, f32 -> f32. Throws qvl::Error for a dtype matmul cannot use.
DType matmul_activation_type(DType weight);
bool matmul_supported(DType weight);

// y[t, o] = sum_i w[o, i] * x[t, i] for w [n_out, k], x [n_tok, k], y [n_tok, n_out]
// (row-major, f32). x is first converted to matmul_activation_type(w.dtype), once,
// into a per-calling-thread scratch buffer (no allocation in steady state); output
// rows are split across the pool, and each weight block is decoded once per up to
// kMaxDotCols tokens. Accuracy: that of the activation format (see matmul_test.cpp).
// Deterministic: a token's output row is bitwise the same whatever the batch it is
// in and whatever the thread count. Activation rounding is bit-exact with ggml's x86
// CPU backend (q8_0/q8_1/q8_K/f16/bf16), so logits track llama.cpp closely.
void matmul(const Tensor& w, const float* x, int64_t n_tok, float* y, ThreadPool& pool);
// The same, with the summation order of llama.cpp's CPU backend per token, so
// greedy decoding matches it bit for bit: single[t] != 0 marks a token llama.cpp
// would run in a batch of one (a decode step, or the rows kept for logits after the
// last layer's attention), which it multiplies with ggml_vec_dot_* instead of
// tinyBLAS. Only f16 and f32 weights differ between the two here (q4_0/q5_0/q8_0
// sum in the same order both ways). single == nullptr: every token batched.
// Numerics::kGgmlScalar: F16/F32 weights take the scalar build's vec_dot for every
// token (kernels/ggml_scalar.h: that build has no tinyBLAS).
void matmul(const Tensor& w, const float* x, int64_t n_tok, float* y, ThreadPool& pool, const uint8_t* single,
            Numerics numerics = Numerics::kDefault);

// The oracle: dequantise each weight row to f32 and take f64 dot products with the
// unquantised x. Slow; for tests and debugging.
void matmul_ref(const Tensor& w, const float* x, int64_t n_tok, float* y);

// out[i, :] = row ids[i] of w as f32 (embedding lookup), for any readable dtype.
// Throws qvl::Error for an id outside [0, rows).
void get_rows(const Tensor& w, const int32_t* ids, int64_t n, float* out);

}  // namespace qvl
