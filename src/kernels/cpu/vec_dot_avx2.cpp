// vec_dot table for AVX2 + FMA + F16C (kernels/cpu); the bodies are in vec_dot_simd.h.
#define QVL_SIMD_NS avx2
#include "kernels/cpu/vec_dot_simd.h"

namespace qvl {
constinit const VecDotKernels kVecDotAvx2 = avx2::make_table();
}  // namespace qvl
