// Scalar float GEMM tile (kernels/ref): the oracle for cpu/gemm_*.cpp and the
// fallback without AVX2. Accumulates in double.
#include <cstring>

#include "base/fp16.h"
#include "kernels/gemm.h"

namespace qvl {
namespace {

template <int kFmt>  // 0 f32, 1 f16, 2 bf16
void gemm(int64_t k, const void* w, size_t ws, int n_w, const float* x, size_t xs, int n_x, float* out, size_t os) {
  for (int r = 0; r < n_w; ++r) {
    const uint8_t* wr = static_cast<const uint8_t*>(w) + r * ws;
    for (int t = 0; t < n_x; ++t) {
      const float* xr = reinterpret_cast<const float*>(reinterpret_cast<const uint8_t*>(x) + t * xs);
      double s = 0;
      for (int64_t i = 0; i < k; ++i) {
        float wv;
        if constexpr (kFmt == 0) std::memcpy(&wv, wr + 4 * i, 4);
        else {
          uint16_t h;
          std::memcpy(&h, wr + 2 * i, 2);
          wv = kFmt == 1 ? fp16_to_f32(h) : bf16_to_f32(h);
        }
        s += double(wv) * xr[i];
      }
      out[t * os + r] = static_cast<float>(s);
    }
  }
}

}  // namespace

const GemmKernels kGemmRef = {gemm<0>, gemm<1>, gemm<2>, kMaxDotCols};

}  // namespace qvl
