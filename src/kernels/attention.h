// Causal attention of one query token against a paged F16 KV cache, for one KV head
// and the n_group query heads that share it (GQA). Kernels layer: raw pointers only,
// no threads; the runtime op spreads (token, kv head) pairs over the pool.
// Legend: d = head_dim, bt = block_tokens, n_kv = positions attended ([0, n_kv)).
#pragma once
#include <cstdint>

#include "base/kv_type.h"
#include "kernels/quant_blocks.h"

namespace qvl::kernels {

// One layer of the cache. Physical block b holds, for KV head h, positions
// [0, bt) at k + (b·n_head_kv + h)·bt·d, each a row of d F16 values (same for v).
// With type == kQ8_0, k and v are null and kq / vq hold the same layout with each
// row as head_dim / 32 Q8_0 blocks (attention_q8_0.h).
struct PagedKv {
  const uint16_t* k = nullptr;
  const uint16_t* v = nullptr;
  const int32_t* block_table = nullptr;  // logical block -> physical block
  int64_t n_kv = 0;
  int block_tokens = 32;
  int n_head_kv = 1;
  int head_dim = 128;
  // True when llama.cpp would run this query token in a batch of one token (a decode
  // step): its F16 matmuls then take ggml_vec_dot_f16's order instead of tinyBLAS's.
  bool single = false;
  KvType type = KvType::kF16;
  const BlockQ8_0* kq = nullptr;
  const BlockQ8_0* vq = nullptr;
};

// out[g] = Σ_t p16_t · v_t for g < n_group, with p = softmax_t(scale · q16[g]·k_t).
// Mirrors llama.cpp's (non-flash) CPU attention bit for bit so greedy decoding
// matches it: q rounded to F16 before the dot products with F16 K, each in
// dot_f16_ggml's order (ggml_order.h: tinyBLAS for batched tokens, vec_dot_f16 when
// kv.single); softmax with ggml's exp and double group sums (softmax_exp_sum, all
// groups vector: llama.cpp pads the row to 256 with masked zeros); probabilities
// rounded to F16 (p16), as ggml converts them to V's type; the V sum for each output
// dim in the same order, over positions (lane t % 16, or t % 64 when single).
// Quantised models amplify any difference here (a tiny change flips the rounding
// of later Q8 activations), which is why the details matter.
// q, out: [n_group, d]. scratch: attention_scratch_floats() floats.
// ref and avx2 give identical bits.
int64_t attention_scratch_floats(int n_group, int head_dim, int64_t n_kv);
// In place: scores[0..n) -> F16-rounded softmax probabilities (shared by both paths
// so they produce identical probabilities). Returns the max score.
float attention_softmax_f16(float* scores, int64_t n);
void attention_ref(const float* q, int n_group, int kv_head, const PagedKv& kv, float scale, float* out,
                   float* scratch);
void attention_avx2(const float* q, int n_group, int kv_head, const PagedKv& kv, float scale, float* out,
                    float* scratch);
void attention(const float* q, int n_group, int kv_head, const PagedKv& kv, float scale, float* out,
               float* scratch);

}  // namespace qvl::kernels
