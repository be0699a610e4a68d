// Softmax over a row (kernels layer): p = exp(x - max) / Σ exp(x - max), in place, F32.
// Reference in ref/softmax.cpp, AVX2 in cpu/softmax_avx2.cpp. Used by the MoE router
// and by attention; no threads here.
#pragma once
#include <cstdint>

namespace qvl::kernels {

// x: [n] in place, n >= 1, finite values. AVX2 uses the polynomial
// exp (activation_avx2.h): tests allow 1e-6 relative per element.
void softmax_ref(float* x, int64_t n);
void softmax_avx2(float* x, int64_t n);
void softmax(float* x, int64_t n);

}  // namespace qvl::kernels
