// Load-time packing of Q4_0 / Q4_K / Q8_0 weights into 8-row groups and the matmul
// on them (runtime layer). Q4_0 / Q4_K as llama.cpp's CPU "repack" buffer does on
// x86: same eligibility (rows % 8 == 0), same float order, same token grouping.
// Q8_0, which llama.cpp multiplies unpacked on x86, in the Q4_0 order (decision
// 0018: faster prefill; QVL_REPACK=0 restores ggml's x86 Q8_0 order). The mapped
// original is left in the file: once packed, its resident pages are dropped
// (release_mapped_pages), so a packed weight costs its packed size, not twice.
#pragma once
#include <cstdint>
#include <vector>

#include "base/thread_pool.h"
#include "runtime/tensor.h"

namespace qvl {

// Whether a weight gets a packed copy: Q4_0, Q4_K or Q8_0, every matrix (the innermost
// two dims, [.., n_out, k]) with n_out % 8 == 0, and packing not switched off by
// QVL_REPACK=0 in the environment (for A/B comparisons).
bool repack_enabled();
bool repack_eligible(const Tensor& w);
// Packed bytes of a [rows, k] matrix of type t (0 when t has no packed layout).
size_t repacked_bytes(DType t, int64_t rows, int64_t k);

// Packs w into a new buffer appended to `store` and points w.packed at it. A
// stacked [E, n_out, k] tensor is packed per expert in place order, so expert e's
// matrix starts at e * repacked_bytes(dtype, n_out, k). gemv_only marks MoE
// experts: ggml's MUL_MAT_ID multiplies every token with the one-row kernel.
// Does nothing (returns false) for an ineligible weight.
bool repack_weight(Tensor& w, std::vector<std::vector<uint8_t>>& store, bool gemv_only);

// y = x·wᵀ through w.packed; matmul() calls it whenever w.packed is set. Per token
// it takes the order and Q8_K rounding ggml would: the one-row (gemv) order with
// quantize_row_q8_K for MoE experts (w.packed_gemv_only), for tokens with
// single[t] != 0 (llama.cpp runs them in a batch of one; runtime/matmul.h), and for
// the last n % 4 tokens of each run of batched tokens (one sequence's run when
// RepackSequences says so, else the whole run); the 4-token (gemm) order with
// quantize_row_q8_K_x4 for the rest. Q4_0 and Q8_0 have one order for both.
void matmul_repacked(const Tensor& w, const float* x, int64_t n_tok, float* y, ThreadPool& pool,
                     const uint8_t* single = nullptr);

// While alive, packed matmuls of exactly n rows on this thread split their runs of
// batched tokens where seq[] changes: llama.cpp evaluates each sequence alone, so
// its 4-token groups start at each sequence's first token. seq must outlive this.
class RepackSequences {
 public:
  RepackSequences(const int32_t* seq, int64_t n);
  ~RepackSequences();
  RepackSequences(const RepackSequences&) = delete;
  RepackSequences& operator=(const RepackSequences&) = delete;

 private:
  const int32_t* prev_seq_;
  int64_t prev_n_;
};

}  // namespace qvl
