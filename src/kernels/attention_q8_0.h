// Causal attention of one query token against a paged Q8_0 KV cache (`--kv-type
// q8_0`), for one KV head and its n_group query heads. Same contract as attention.h's
// F16 kernels, but no llama.cpp bit-parity to keep (ggml's quantised-cache path
// quantises q to Q8_0 as well; we do not, so only the cache's rounding costs
// accuracy): docs/decisions/0014-kv-q8_0.md.
// Arithmetic, in every ISA:
//   score_t = scale · Σ_blocks d_b · Σ_i qs_i · q_i   (q in F32; order differs by ISA)
//   p = softmax(score) in F32 (softmax_exp_sum: identical bits in every ISA)
//   out_i = Σ_t fma(qs_t,i, p_t · d_t,b(i))          (t ascending: identical bits)
// So the ISAs differ only by the summation order of the K dot products (a few ulp).
// head_dim must be a multiple of 32 (KvCache checks it when the cache is made).
#pragma once
#include <cstdint>

#include "kernels/attention.h"

namespace qvl::kernels {

// Row t of KV head h in a Q8_0 pool (k or v of PagedKv): head_dim / 32 blocks.
inline const BlockQ8_0* q8_0_row(const BlockQ8_0* base, const PagedKv& kv, int kv_head, int64_t t) {
  const int64_t b = kv.block_table[t / kv.block_tokens];
  return base + ((b * kv.n_head_kv + kv_head) * kv.block_tokens + t % kv.block_tokens) * (kv.head_dim / kQK);
}

// q, out: [n_group, d]. scratch: attention_scratch_floats() floats.
void attention_q8_0_ref(const float* q, int n_group, int kv_head, const PagedKv& kv, float scale, float* out,
                        float* scratch);
void attention_q8_0_avx2(const float* q, int n_group, int kv_head, const PagedKv& kv, float scale, float* out,
                         float* scratch);
void attention_q8_0_avx512(const float* q, int n_group, int kv_head, const PagedKv& kv, float scale, float* out,
                           float* scratch);

// In place: scores[0..n) -> F32 softmax probabilities (shared by every ISA path).
void attention_softmax_f32(float* scores, int64_t n);

}  // namespace qvl::kernels
