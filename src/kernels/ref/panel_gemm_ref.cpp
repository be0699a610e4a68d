// Scalar panel GEMM (kernels/ref): the oracle for cpu/panel_gemm_*.cpp and the
// fallback without AVX2. The documented order itself: one std::fma chain per output.
#include <cmath>
#include <cstring>

#include "base/fp16.h"
#include "kernels/panel_gemm.h"

namespace qvl {
namespace {

constexpr int kRefTokens = 4;

template <bool kF16>
void panel_gemm(int64_t k, const void* w, int nr, const float* x, int nt, float* out, size_t os) {
  for (int r = 0; r < nr; ++r) {
    const int64_t base = int64_t(r / kPanelRows) * k * kPanelRows + r % kPanelRows;
    for (int t = 0; t < nt; ++t) {
      float s = 0.0f;
      for (int64_t i = 0; i < k; ++i) {
        float wv;
        if constexpr (kF16) wv = fp16_to_f32(static_cast<const uint16_t*>(w)[base + i * kPanelRows]);
        else wv = static_cast<const float*>(w)[base + i * kPanelRows];
        s = std::fma(wv, x[i * kRefTokens + t], s);
      }
      out[size_t(t) * os + size_t(r)] = s;
    }
  }
}

}  // namespace

const PanelGemmKernels kPanelGemmRef = {panel_gemm<false>, panel_gemm<true>, kPanelRows, kRefTokens};

}  // namespace qvl
