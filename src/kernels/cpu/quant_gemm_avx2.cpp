// Q8_0 tile table for AVX2 + FMA + F16C (kernels/cpu); bodies in quant_gemm_simd.h
// (maddubs + madd integer dots).
#define QVL_SIMD_NS avx2
#include "kernels/cpu/quant_gemm_simd.h"

namespace qvl {
constinit const QuantGemmKernels kQuantGemmAvx2 = avx2::make_quant_gemm_table();
}  // namespace qvl
