// Panel GEMM table for AVX2 + FMA + F16C (kernels/cpu); bodies in panel_gemm_simd.h.
#define QVL_SIMD_NS avx2
#include "kernels/cpu/panel_gemm_simd.h"

namespace qvl {
constinit const PanelGemmKernels kPanelGemmAvx2 = avx2::make_panel_gemm_table();
}  // namespace qvl
