// Rotary position embedding (kernels layer), rotate-half (NeoX) convention: pair j
// rotates (x[j], x[j + d/2]) by angle θ_j. Angles come from a per-token cos/sin table
// so 1-D RoPE and Qwen3-VL's interleaved MRoPE share one apply kernel.
#pragma once
#include <array>
#include <cstdint>

namespace qvl::kernels {

// How frequency index j picks its position stream (spec §3.2).
struct RopeParams {
  int head_dim = 128;            // d; rotated dims = d (Qwen3 rotates the whole head)
  float theta = 1e6f;            // base: inv_freq_j = theta^(-2j/d)
  std::array<int, 3> mrope_section = {0, 0, 0};  // all 0 = plain 1-D RoPE on stream T
  bool interleaved = true;       // Qwen3-VL: T,H,W cycle; leftovers (j >= 3·min) go to T as HF does
};

// Stream (0 = T, 1 = H, 2 = W) used by frequency index j; matches HF
// `apply_interleaved_mrope` (not ggml IMROPE, see docs/decisions/0001).
int rope_stream(const RopeParams& p, int j);

// cos/sin: [d/2]; θ_j = pos[stream(j)] · base^(-2j/d), computed as ggml does so
// greedy decoding matches llama.cpp: a running F32 angle per stream multiplied by
// powf(base, -2/d) once per j (not HF's pos · inv_freq_j; the two differ by a few
// ulps that grow with j), cosf/sinf of that angle. docs/decisions/0003.
void rope_cos_sin(const RopeParams& p, const std::array<int32_t, 3>& pos, float* cos, float* sin);

// x: [n_head, d] for one token, rotated in place: lo = fma(a, cos, -(b·sin)),
// hi = fma(a, sin, b·cos), the contraction GCC gives ggml's rotate_pairs. AVX2 and
// ref are identical.
void rope_apply_ref(float* x, int n_head, int head_dim, const float* cos, const float* sin);
void rope_apply_avx2(float* x, int n_head, int head_dim, const float* cos, const float* sin);
void rope_apply(float* x, int n_head, int head_dim, const float* cos, const float* sin);

}  // namespace qvl::kernels
