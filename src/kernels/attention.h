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

// out[g] = Σ_t p16_t · v_t for g < n_group, with p = softmax_t(scale · q16[g]·k_t).
// Mirrors llama.cpp's (non-flash) CPU attention so greedy decoding matches it: q is
// rounded to F16 before the dot products with F16 K, the softmax sum is accumulated
// in double, and the normalised probabilities are rounded to F16 (p16) before the
// V sum, as ggml converts them to V's type. Scores and the V sum are F32.
// Quantised models amplify any difference here (a tiny change flips the rounding
// of later Q8 activations), which is why the details matter.
// q, out: [n_group, d]. scratch: attention_scratch_floats() floats.
// ref and avx2 compute identical probabilities (both use float exp and the same
// sum order); they differ only in dot-product summation order: ~1e-5 relative.
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
