// Packed q4_0 / q4_K matmul table for AVX2 + FMA + F16C (kernels/cpu); the bodies
// are in repack_simd.h (8 rows per step, maddubs + madd integer dots).
#define QVL_SIMD_NS avx2
#include "kernels/cpu/repack_simd.h"

namespace qvl {
constinit const RepackKernels kRepackAvx2 = avx2::make_repack_table();
}  // namespace qvl
