// Run-time choice of the float GEMM tile table (kernels layer).
#include "kernels/gemm.h"

#include <algorithm>

namespace qvl {

const GemmKernels& gemm_kernels(Isa isa) {
  switch (std::min(isa, detected_isa())) {
    case Isa::kAvx512: return kGemmAvx512;
    case Isa::kAvx2: return kGemmAvx2;
    default: return kGemmRef;
  }
}

}  // namespace qvl
