// The "ggml scalar build" numerics profile (kernels layer): the text decoder's ops as
// ggml's CPU backend computes them when built for baseline x86-64 (SSE2 only, no
// AVX/FMA/F16C), which is what @fugood/llama.node ships. Parity runs only: a model
// loaded with Numerics::kGgmlScalar (runtime/numerics.h; `qvl run --numerics
// ggml-scalar`, implied by `--vision-compat llama`) calls these; the default profile
// mirrors ggml's SIMD builds (docs/decisions/0003).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "base/fp16.h"
#include "kernels/attention.h"

namespace qvl::kernels {

// ggml_v_expf's SSE2 form without FMA (each MADD a rounded multiply then an add),
// one lane: lanes are independent, so a 4-lane group gives these values lane by lane.
float expf_ggml_sse2(float x);

// ggml_vec_swiglu_f32, SSE2 branch: groups of 4 take x / (1 + expf_ggml_sse2(0 - x))
// then · up; the n % 4 tail ggml_silu_f32 (libm expf). out may equal gate or up.
void silu_mul_ggml_scalar(const float* gate, const float* up, float* out, int64_t n);

// ggml's rotate_pairs without FMA contraction: lo = a·cos − b·sin, hi = a·sin + b·cos,
// every product rounded to F32 first. x: [n_head, d] of one token, in place.
void rope_apply_ggml_scalar(float* x, int n_head, int head_dim, const float* cos, const float* sin);

// ggml_vec_dot_f16 without GGML_SIMD: F32 products of the F16 values (exact), summed
// in double in index order, rounded to F32. x holds F16-rounded F32 values.
float dot_f16_ggml_scalar(const uint16_t* w, const float* x, int64_t n);
// The same as a VecDotFn (kernels/vec_dot.h) for F16 weight rows; every token alone.
void vec_dot_f16_ggml_scalar(int64_t k, const void* w, const void* x, size_t x_stride, int n_x, float* out,
                             size_t out_stride);

// ggml_vec_dot_f32 without GGML_SIMD (the MoE router): F32 products summed in double
// in index order. A VecDotFn for F32 weight rows; every token alone (no tinyBLAS).
void vec_dot_f32_ggml_scalar(int64_t k, const void* w, const void* x, size_t x_stride, int n_x, float* out,
                             size_t out_stride);

// ggml_vec_soft_max_f32, SSE2 branch: x[i] = exp(x[i] − mx) by 4-lane groups
// (expf_ggml_sse2, each group's lanes added (0+1)+(2+3) in float, the groups in
// double), the n % 4 tail with libm expf added one by one. Returns the sum.
double softmax_exp_sum_ggml_scalar(float* x, int64_t n, float mx);
// ggml_soft_max over one row (the MoE router): max, the above, x · float(1 / sum).
void softmax_ggml_scalar(float* x, int64_t n);

// ggml_compute_forward_flash_attn_ext_f16_one_chunk with F16 K/V, for the n_group
// query heads of kv_head: q rounded to F16; scores dot_f16_ggml_scalar · scale over
// positions [0, n_kv) in order; online softmax with libm expf; the V accumulator
// kept in F16 (each scale and multiply-add rounded back to F16); out = acc · (1/S).
// llama.cpp takes this path when the micro-batch has fewer than 64 query tokens
// (GGML_FA_TILE_Q). scratch: 2·d floats.
void attention_ggml_scalar(const float* q, int n_group, int kv_head, const PagedKv& kv, float scale, float* out,
                           float* scratch);
// ggml_compute_forward_flash_attn_ext_tiled (64 or more query tokens), one query row
// at a time (rows are independent): F32 q; per 64-key tile (positions 64c..), scores
// as float sums in index order · scale, padding -inf; new max → libm expf rescale of
// the F32 accumulator and of S; S += the SSE2 softmax's double sum (4-lane groups
// added pairwise in float); accumulator += Σ_t p_t·v_t in float, t in order.
// scratch: 64 floats.
void attention_ggml_scalar_tiled(const float* q, int n_group, int kv_head, const PagedKv& kv, float scale,
                                 float* out, float* scratch);

inline float ggml_scalar_as_f32(float x) { return x; }
inline float ggml_scalar_as_f32(uint16_t h) { return fp16_to_f32(h); }

// One query row of the tiled flash attention below, over rows that key_row(t) /
// val_row(t) return (F16 bits or F32 values, read as F32): shared by the text
// decoder's paged KV cache and the vision encoder's per-frame K/V. kq: 64 floats.
template <class KeyRow, class ValRow>
void attend_tiled_ggml_scalar(const float* q, int64_t d, int64_t n_kv, float scale, KeyRow key_row, ValRow val_row,
                              float* out, float* kq) {
  constexpr int64_t kTile = 64;  // GGML_FA_TILE_KV
  std::fill(out, out + d, 0.0f);
  float m = -INFINITY, s_sum = 0.0f;
  for (int64_t c = 0; c < n_kv; c += kTile) {
    const int64_t nt = std::min(kTile, n_kv - c);
    for (int64_t t = 0; t < kTile; ++t) {
      if (t >= nt) {  // masked or padding: -inf, so its probability is 0
        kq[t] = -INFINITY;
        continue;
      }
      const auto* kr = key_row(c + t);
      float s = 0.0f;
      for (int64_t e = 0; e < d; ++e) s += q[e] * ggml_scalar_as_f32(kr[e]);
      kq[t] = s * scale;
    }
    float tile_max = -INFINITY;
    for (int64_t t = 0; t < kTile; ++t) tile_max = std::max(tile_max, kq[t]);
    if (tile_max == -INFINITY) continue;
    const float m_new = std::fmax(m, tile_max);
    if (m_new > m) {
      const float ms = std::exp(m - m_new);
      for (int64_t e = 0; e < d; ++e) out[e] *= ms;
      s_sum *= ms;
    }
    m = m_new;
    s_sum = static_cast<float>(static_cast<double>(s_sum) + softmax_exp_sum_ggml_scalar(kq, kTile, m_new));
    for (int64_t e = 0; e < d; ++e) {
      float acc = out[e];
      for (int64_t t = 0; t < nt; ++t) acc += kq[t] * ggml_scalar_as_f32(val_row(c + t)[e]);
      out[e] = acc;
    }
  }
  const float inv = s_sum == 0.0f ? 0.0f : 1.0f / s_sum;
  for (int64_t e = 0; e < d; ++e) out[e] *= inv;
}

}  // namespace qvl::kernels
