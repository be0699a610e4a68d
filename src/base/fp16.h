// IEEE half and bfloat16 <-> float conversions (scalar; SIMD paths live in kernels).
// Rounding: round-to-nearest-even, as F16C and PyTorch do; NaN stays NaN.
#pragma once
#include <cstdint>
#include <cstring>

namespace qvl {

inline float bits_to_f32(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }
inline uint32_t f32_to_bits(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }

inline float fp16_to_f32(uint16_t h) {
  // Shift the half's exponent/mantissa into float position and rescale by 2^112,
  // which fixes the exponent bias and handles subnormals in one multiply.
  const uint32_t sign = (uint32_t)(h & 0x8000) << 16;
  const uint32_t em = h & 0x7fff;
  if (em >= 0x7c00) return bits_to_f32(sign | 0x7f800000 | ((uint32_t)(em & 0x3ff) << 13));
  return bits_to_f32(sign | f32_to_bits(bits_to_f32(em << 13) * bits_to_f32(0x77800000)));
}

inline uint16_t f32_to_fp16(float f) {
  const uint32_t x = f32_to_bits(f);
  const uint16_t sign = (x >> 16) & 0x8000;
  const uint32_t ax = x & 0x7fffffff;
  if (ax > 0x7f800000) return sign | 0x7e00;               // NaN
  if (ax >= 0x477ff000) return sign | 0x7c00;              // overflow -> inf (rounds past 65504)
  if (ax < 0x38800000) {                                   // subnormal half or zero
    const float v = bits_to_f32(ax) + 0.5f;                // 0.5 = 2^-1: aligns bits so FP add rounds RNE
    return sign | (uint16_t)(f32_to_bits(v) - 0x3f000000);
  }
  const uint32_t odd = (ax >> 13) & 1;
  const uint32_t r = ax + 0xc8000fff + odd;                // rebias (-112<<23) and round to nearest even
  return sign | (uint16_t)(r >> 13);
}

inline float bf16_to_f32(uint16_t b) { return bits_to_f32((uint32_t)b << 16); }

inline uint16_t f32_to_bf16(float f) {
  uint32_t x = f32_to_bits(f);
  if ((x & 0x7fffffff) > 0x7f800000) return (uint16_t)((x >> 16) | 0x40);  // quiet NaN
  x += 0x7fff + ((x >> 16) & 1);
  return (uint16_t)(x >> 16);
}

}  // namespace qvl
