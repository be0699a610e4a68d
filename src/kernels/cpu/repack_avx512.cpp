// Packed q4_0 / q4_K matmul table for AVX-512 F/BW/VL/VNNI (kernels/cpu): the bodies
// are in repack_simd.h (16 rows per step from two packed groups, vpdpbusd); the
// activation quantisers here are 16 lanes wide and byte-identical to the scalar
// ones (same products, round-half-even conversion, saturation like ggml's packs).
#define QVL_SIMD_NS avx512
#include "kernels/cpu/repack_simd.h"

#include "base/fp16.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace qvl::avx512 {
namespace {

// round-half-even(v * s) as int32 (MXCSR's default rounding), saturated to int8.
inline __m512i codes(__m512 v, __m512 s) { return _mm512_cvtps_epi32(_mm512_mul_ps(v, s)); }
inline void store_i8(int8_t* p, __m512i c) { _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm512_cvtsepi32_epi8(c)); }
// The saturated codes back as int32, for the sums.
inline __m512i sat(__m512i c) { return _mm512_cvtepi8_epi32(_mm512_cvtsepi32_epi8(c)); }

void q8_0_sums(const float* x, void* vy, int64_t k) {
  const int64_t nb = k / kQK;
  auto* y = static_cast<BlockQ8_0*>(vy);
  auto* sums = reinterpret_cast<int16_t*>(y + nb);
  for (int64_t b = 0; b < nb; ++b, x += kQK) {
    const __m512 v0 = _mm512_loadu_ps(x), v1 = _mm512_loadu_ps(x + 16);
    const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(v0), _mm512_abs_ps(v1)));
    const __m512 id = _mm512_set1_ps(amax != 0.0f ? 127.0f / amax : 0.0f);
    const __m512i c0 = codes(v0, id), c1 = codes(v1, id);
    store_i8(y[b].qs, c0);
    store_i8(y[b].qs + 16, c1);
    y[b].d = f32_to_fp16(amax / 127.0f);
    sums[b] = static_cast<int16_t>(_mm512_reduce_add_epi32(_mm512_add_epi32(sat(c0), sat(c1))));
  }
}

// One Q8_K block from its 16 vectors and scale.
void q8_K_block(const __m512* v, float iscale, BlockQ8_K* y) {
  const __m512 s = _mm512_set1_ps(iscale);
  for (int i = 0; i < 16; ++i) {
    const __m512i c = codes(v[i], s);
    store_i8(y->qs + 16 * i, c);
    y->bsums[i] = static_cast<int16_t>(_mm512_reduce_add_epi32(sat(c)));
  }
  y->d = 1.0f / iscale;
}

template <bool kX4>
void q8_K(const float* x, void* vy, int64_t k) {
  auto* y = static_cast<BlockQ8_K*>(vy);
  for (int64_t b = 0; b < k / kQK_K; ++b, x += kQK_K) {
    __m512 v[16];
    __m512 m = _mm512_setzero_ps();
    for (int i = 0; i < 16; ++i) {
      v[i] = _mm512_loadu_ps(x + 16 * i);
      m = _mm512_max_ps(m, _mm512_abs_ps(v[i]));
    }
    const float amax = _mm512_reduce_max_ps(m);
    if (amax == 0.0f) {
      std::memset(&y[b], 0, sizeof(BlockQ8_K));
      continue;
    }
    const __m512 am = _mm512_set1_ps(amax);
    float iscale;
    if constexpr (kX4) {  // negative scale when some element is +amax
      __mmask16 pos = 0;
      for (int i = 0; i < 16; ++i) pos |= _mm512_cmp_ps_mask(v[i], am, _CMP_EQ_OQ);
      iscale = pos ? -127.0f / amax : 127.0f / amax;
    } else {  // the first element with |x| = amax gives the sign
      float max = 0.0f;
      for (int i = 0; i < 16; ++i) {
        const __mmask16 hit = _mm512_cmp_ps_mask(_mm512_abs_ps(v[i]), am, _CMP_EQ_OQ);
        if (hit) {
          max = x[16 * i + __builtin_ctz(hit)];
          break;
        }
      }
      iscale = -127.0f / max;
    }
    q8_K_block(v, iscale, &y[b]);
  }
}

}  // namespace
}  // namespace qvl::avx512

#pragma GCC diagnostic pop

namespace qvl {
constinit const RepackKernels kRepackAvx512 =
    avx512::make_repack_table(avx512::q8_0_sums, avx512::q8_K<false>, avx512::q8_K<true>);
}  // namespace qvl
