// Float GEMM tile table for AVX2 + FMA + F16C (kernels/cpu); bodies in gemm_simd.h.
#define QVL_SIMD_NS avx2
#include "kernels/cpu/gemm_simd.h"

namespace qvl {
constinit const GemmKernels kGemmAvx2 = avx2::make_gemm_table();
}  // namespace qvl
