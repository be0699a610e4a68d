// Float GEMM tile table for AVX-512 (kernels/cpu); bodies in gemm_simd.h, 16 lanes.
#define QVL_SIMD_NS avx512
#include "kernels/cpu/gemm_simd.h"

namespace qvl {
constinit const GemmKernels kGemmAvx512 = avx512::make_gemm_table();
}  // namespace qvl
