// Panel GEMM table for AVX-512 (kernels/cpu); bodies in panel_gemm_simd.h.
#define QVL_SIMD_NS avx512
#include "kernels/cpu/panel_gemm_simd.h"

namespace qvl {
constinit const PanelGemmKernels kPanelGemmAvx512 = avx512::make_panel_gemm_table();
}  // namespace qvl
