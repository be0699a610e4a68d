// Scalar vec_dot kernels that the SIMD tables reuse for formats without a SIMD
// version yet (kernels/ref). Same contract as VecDotFn in kernels/vec_dot.h.
#pragma once
#include <cstddef>
#include <cstdint>

namespace qvl {

void vec_dot_q2_K_q8_K_ref(int64_t k, const void* w, const void* x, size_t x_stride, int n_x, float* out,
                           size_t out_stride);
void vec_dot_q3_K_q8_K_ref(int64_t k, const void* w, const void* x, size_t x_stride, int n_x, float* out,
                           size_t out_stride);

}  // namespace qvl
