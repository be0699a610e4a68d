// Run-time choice of the panel GEMM table (kernels layer).
#include "kernels/panel_gemm.h"

#include <algorithm>

namespace qvl {

const PanelGemmKernels& panel_gemm_kernels(Isa isa) {
  switch (std::min(isa, detected_isa())) {
    case Isa::kAvx512: return kPanelGemmAvx512;
    case Isa::kAvx2: return kPanelGemmAvx2;
    default: return kPanelGemmRef;
  }
}

}  // namespace qvl
