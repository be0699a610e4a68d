// GELU activations for the vision encoder (kernels layer), F32, in place allowed.
// tanh form: 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))) (HF gelu_pytorch_tanh, ViT MLP);
// erf form: 0.5x(1 + erf(x/√2)) (HF nn.GELU, patch mergers). References in ref/gelu.cpp.
#pragma once
#include <cstdint>

namespace qvl::kernels {

void gelu_tanh_ref(const float* x, float* y, int64_t n);
void gelu_erf_ref(const float* x, float* y, int64_t n);

}  // namespace qvl::kernels
