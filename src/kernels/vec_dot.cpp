// Run-time choice of the vec_dot table (kernels layer).
#include "kernels/vec_dot.h"

#include <algorithm>

namespace qvl {

const VecDotKernels& vec_dot_kernels(Isa isa) {
  switch (std::min(isa, detected_isa())) {
    case Isa::kAvx512: return kVecDotAvx512;
    case Isa::kAvx2: return kVecDotAvx2;
    default: return kVecDotRef;
  }
}

}  // namespace qvl
