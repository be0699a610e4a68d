// Run-time choice of the packed q4_0 / q4_K matmul kernels (kernels layer).
#include "kernels/repack.h"

#include <algorithm>

namespace qvl {

const RepackKernels& repack_kernels(Isa isa) {
  switch (std::min(isa, detected_isa())) {
    case Isa::kAvx512: return kRepackAvx512;
    case Isa::kAvx2: return kRepackAvx2;
    default: return kRepackRef;
  }
}

}  // namespace qvl
