// vec_dot table for AVX-512 F/BW/VL/VNNI (kernels/cpu); the bodies are in
// vec_dot_simd.h: VNNI for the integer dots, 16-lane vectors for the float formats.
#define QVL_SIMD_NS avx512
#include "kernels/cpu/vec_dot_simd.h"

namespace qvl {
constinit const VecDotKernels kVecDotAvx512 = avx512::make_table();
}  // namespace qvl
