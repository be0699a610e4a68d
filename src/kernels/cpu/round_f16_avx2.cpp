// F32 -> F16 -> F32 rounding 8 lanes at a time with F16C (kernels/cpu):
// vcvtps2ph rounds to nearest even like base/fp16.h, including subnormals and
// overflow to infinity.
#include <immintrin.h>

#include "kernels/round_f16.h"

namespace qvl::kernels {

void round_to_f16_avx2(const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    _mm256_storeu_ps(y + i, _mm256_cvtph_ps(h));
  }
  if (i < n) round_to_f16_ref(x + i, y + i, n - i);
}

}  // namespace qvl::kernels
