// Scalar F32 -> F16 -> F32 rounding (kernels/ref): base/fp16.h's round to nearest
// even, the oracle for cpu/round_f16_avx2.cpp.
#include "base/fp16.h"
#include "kernels/round_f16.h"

namespace qvl::kernels {

void round_to_f16_ref(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = fp16_to_f32(f32_to_fp16(x[i]));
}

}  // namespace qvl::kernels
