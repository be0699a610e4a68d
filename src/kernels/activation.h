// Gated activations (kernels layer): SwiGLU's silu(gate) ⊙ up, F32, and the vector
// exp they and the softmaxes share. Reference in ref/activation.cpp, AVX2 in
// cpu/activation_avx2.cpp; no threads here.
#pragma once
#include <cstdint>

namespace qvl::kernels {

// ggml's vector expf (its AVX-512 ggml_v_expf, from ARM's optimized routines:
// 2^n · poly(b), max error ~1.5 ulp; 0 below about -104, inf above about 88.4),
// one element at a time. llama.cpp runs it for SiLU and softmax on every element of
// each full 16-lane group, and libm expf on the rest; we do the same, so greedy
// decoding matches llama.cpp bit for bit (docs/decisions/0003).
float expf_ggml(float x);
// y[i] = expf_ggml(x[i]) through the AVX2 lanes (8 at a time, scalar tail); for tests.
void exp_ggml_avx2_rows(const float* x, float* y, int64_t n);
// Elements [0, ggml_vec_span(n)) take expf_ggml, the rest libm expf.
inline int64_t ggml_vec_span(int64_t n) { return n - n % 16; }

// out[i] = gate[i] / (1 + exp(-gate[i])) · up[i], i < n (out may equal gate or up),
// exp as ggml's swiglu computes it (see above). AVX2 and ref are identical.
void silu_mul_ref(const float* gate, const float* up, float* out, int64_t n);
void silu_mul_avx2(const float* gate, const float* up, float* out, int64_t n);
void silu_mul(const float* gate, const float* up, float* out, int64_t n);

}  // namespace qvl::kernels
