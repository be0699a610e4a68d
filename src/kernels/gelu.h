// GELU activations for the vision encoder (kernels layer), F32, in place allowed.
// tanh form: 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))) (HF gelu_pytorch_tanh, ViT MLP);
// erf form: 0.5x(1 + erf(x/√2)) (HF nn.GELU, patch mergers). References in ref/gelu.cpp.
#pragma once
#include <cstdint>

namespace qvl::kernels {

void gelu_tanh_ref(const float* x, float* y, int64_t n);
void gelu_erf_ref(const float* x, float* y, int64_t n);
// tanh form as x / (1 + exp(-2u)) (same function, no cancellation for x << 0) with
// a Cephes-style vector exp (~1 ulp), 8 lanes: within 1e-6 relative + 1e-30 of ref.
void gelu_tanh_avx2(const float* x, float* y, int64_t n);
void gelu_tanh(const float* x, float* y, int64_t n);  // AVX2 when active_isa() allows

}  // namespace qvl::kernels
