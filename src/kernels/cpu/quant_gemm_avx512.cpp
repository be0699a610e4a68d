// Q8_0 tile table for AVX-512 (kernels/cpu); bodies in quant_gemm_simd.h (vpdpbusd
// integer dots on 256-bit vectors, 4 x 4 tiles in the 32 registers).
#define QVL_SIMD_NS avx512
#include "kernels/cpu/quant_gemm_simd.h"

namespace qvl {
constinit const QuantGemmKernels kQuantGemmAvx512 = avx512::make_quant_gemm_table();
}  // namespace qvl
