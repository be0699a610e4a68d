// Run-time choice of the Q8_0 tile table (kernels layer).
#include "kernels/quant_gemm.h"

#include <algorithm>

namespace qvl {
namespace {
constexpr QuantGemmKernels kNoTiles = {nullptr};
}  // namespace

const QuantGemmKernels& quant_gemm_kernels(Isa isa) {
  switch (std::min(isa, detected_isa())) {
    case Isa::kAvx512: return kQuantGemmAvx512;
    case Isa::kAvx2: return kQuantGemmAvx2;
    default: return kNoTiles;
  }
}

}  // namespace qvl
