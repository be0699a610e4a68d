// Gated activations (kernels layer): SwiGLU's silu(gate) ⊙ up, F32. Reference in
// ref/activation.cpp, AVX2 in cpu/activation_avx2.cpp; no threads here.
#pragma once
#include <cstdint>

namespace qvl::kernels {

// out[i] = gate[i] · sigmoid(gate[i]) · up[i], i < n (out may equal gate or up).
// AVX2 uses a polynomial exp with ~2 ulp error: tests allow 1e-6 relative.
void silu_mul_ref(const float* gate, const float* up, float* out, int64_t n);
void silu_mul_avx2(const float* gate, const float* up, float* out, int64_t n);
void silu_mul(const float* gate, const float* up, float* out, int64_t n);

}  // namespace qvl::kernels
