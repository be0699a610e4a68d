// Causal attention of one query token against a paged F16 KV cache, for one KV head
// and the n_group query heads that share it (GQA). Kernels layer: raw pointers only,
// no threads; the runtime op spreads (token, kv head) pairs over the pool.
// Legend: d = head_dim, bt = block_tokens, n_kv = positions attended ([0, n_kv)).
#pragma once
#include <cstdint>

namespace qvl::kernels {

// One layer of the cache. Physical block b holds, for KV head h, positions
// [0, bt) at k + (b·n_head_kv + h)·bt·d, each a row of d F16 values (same for v).
struct PagedKv {
  const uint16_t* k = nullptr;
  const uint16_t* v = nullptr;
  const int32_t* block_table = nullptr;  // logical block -> physical block
  int64_t n_kv = 0;
  int block_tokens = 32;
  int n_head_kv = 1;
  int head_dim = 128;
};

// out[g] = Σ_t softmax_t(scale · q16[g]·k_t) · v_t for g < n_group, where q16 is q
// rounded to F16 first (llama.cpp multiplies F16 K by an F16 copy of Q; mirroring
// that keeps greedy parity). Scores, softmax and the V sum are F32.
// q, out: [n_group, d]. scratch: attention_scratch_floats() floats.
// ref: two-pass softmax in double; avx2: one pass with a running max (flash style),
// so tests allow ~1e-5 relative to the largest |out|.
int64_t attention_scratch_floats(int n_group, int head_dim, int64_t n_kv);
void attention_ref(const float* q, int n_group, int kv_head, const PagedKv& kv, float scale, float* out,
                   float* scratch);
void attention_avx2(const float* q, int n_group, int kv_head, const PagedKv& kv, float scale, float* out,
                    float* scratch);
void attention(const float* q, int n_group, int kv_head, const PagedKv& kv, float scale, float* out,
               float* scratch);

}  // namespace qvl::kernels
