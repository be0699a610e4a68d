// Packed q4_0 / q4_K matmul table for AVX-512 F/BW/VL/VNNI (kernels/cpu); the bodies
// are in repack_simd.h (16 rows per step from two packed groups, vpdpbusd).
#define QVL_SIMD_NS avx512
#include "kernels/cpu/repack_simd.h"

namespace qvl {
constinit const RepackKernels kRepackAvx512 = avx512::make_repack_table();
}  // namespace qvl
