// Small tensor ops for the decoder (runtime layer): check shapes, split work over
// the ThreadPool and call the kernels (which pick the ISA). Activations are F32
// row-major [n_tok, width]. Matmul lives in runtime/matmul.h, not here.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "kernels/attention.h"
#include "kernels/rope.h"

namespace qvl {

class ThreadPool;

// y[r] = rmsnorm(x[r]) ⊙ w for r < n_rows; w has n values (y may equal x).
void op_rms_norm(const float* x, const float* w, float* y, int64_t n_rows, int64_t n, float eps, ThreadPool& pool);

// out[r] = silu(gate[r]) ⊙ up[r]; gate/up/out rows of n with their own row strides.
void op_silu_mul(const float* gate, int64_t gate_stride, const float* up, int64_t up_stride, float* out,
                 int64_t out_stride, int64_t n_rows, int64_t n, ThreadPool& pool);

// Rotates q [n_tok, n_head, d] and k [n_tok, n_head_kv, d] in place; token i uses pos[i].
void op_rope(float* q, int n_head, float* k, int n_head_kv, const std::vector<std::array<int32_t, 3>>& pos,
             const kernels::RopeParams& p, ThreadPool& pool);

// Attention for a batch of query tokens: token i reads its own sequence's cache
// (kv[i], n_kv = positions it may see). q, out: [n_tok, n_head, d].
void op_attention(const float* q, const std::vector<kernels::PagedKv>& kv, int n_head, float scale, float* out,
                  ThreadPool& pool);

}  // namespace qvl
