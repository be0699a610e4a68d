// Byte-exact GGUF/ggml quantised block layouts (kernels layer). Only the structs
// and their element order are defined here; quantise/dequantise live in ref/quant_ref.h.
// Sizes are static-asserted against the numbers in runtime/dtype.cpp's table.
#pragma once
#include <cstdint>

namespace qvl {

constexpr int kQK = 32;    // elements per block of the "legacy" formats (Q4_0 .. Q8_1)
constexpr int kQK_K = 256; // elements per super-block of the k-quants
constexpr int kKScaleSize = 12;  // Q4_K/Q5_K: 8 six-bit scales + 8 six-bit mins packed in 12 bytes

// Element order, legacy 4/5-bit formats: qs[j] holds element j in its low nibble
// and element j+16 in its high nibble. Q5 keeps bit 4 of element i in bit i of qh
// (read as a little-endian uint32).
struct BlockQ4_0 {      // x = d * (q - 8)
  uint16_t d;           // fp16 scale
  uint8_t qs[kQK / 2];
};
struct BlockQ4_1 {      // x = d * q + m
  uint16_t d, m;        // fp16 scale and min
  uint8_t qs[kQK / 2];
};
struct BlockQ5_0 {      // x = d * (q - 16)
  uint16_t d;
  uint8_t qh[4];
  uint8_t qs[kQK / 2];
};
struct BlockQ5_1 {      // x = d * q + m
  uint16_t d, m;
  uint8_t qh[4];
  uint8_t qs[kQK / 2];
};
struct BlockQ8_0 {      // x = d * q
  uint16_t d;
  int8_t qs[kQK];
};
struct BlockQ8_1 {      // x = d * q; s = fp16(d * sum(q)) lets q4_1/q5_1 dots fold in their min
  uint16_t d, s;
  int8_t qs[kQK];
};

// Q4_K: 8 sub-blocks of 32. Sub-block j has 6-bit scale sc_j and min m_j (packed,
// see unpack_scale_min_k4); x = d*sc_j*q - dmin*m_j. qs is in 4 chunks of 32 bytes:
// chunk c holds sub-block 2c in low nibbles and 2c+1 in high nibbles.
struct BlockQ4_K {
  uint16_t d, dmin;     // fp16 super-block scales for the scales and the mins
  uint8_t scales[kKScaleSize];
  uint8_t qs[kQK_K / 2];
};
// Q5_K: as Q4_K plus a fifth bit: element l of chunk c (l < 32) takes bit 2c of
// qh[l] for its low-nibble half and bit 2c+1 for its high-nibble half.
struct BlockQ5_K {
  uint16_t d, dmin;
  uint8_t scales[kKScaleSize];
  uint8_t qh[kQK_K / 8];
  uint8_t qs[kQK_K / 2];
};
// Q6_K: 16 sub-blocks of 16 with int8 scales; x = d * sc * (q - 32). Two halves of
// 128: in half h, for l < 32, ql[64h + l] low/high nibbles feed elements l / l+64,
// ql[64h + 32 + l] feed l+32 / l+96, and qh[32h + l] bits 0-1, 2-3, 4-5, 6-7 are the
// top two bits of elements l, l+32, l+64, l+96.
struct BlockQ6_K {
  uint8_t ql[kQK_K / 2];
  uint8_t qh[kQK_K / 4];
  int8_t scales[kQK_K / 16];
  uint16_t d;
};
// Q2_K: 16 sub-blocks of 16; scales[j] = 4-bit scale | 4-bit min << 4;
// x = d*sc*q - dmin*m. In half h (128 elements), 2-bit field f (bits 2f..2f+1) of
// qs[32h + l] is element 128h + 32f + l (l < 32).
struct BlockQ2_K {
  uint8_t scales[kQK_K / 16];
  uint8_t qs[kQK_K / 4];
  uint16_t d, dmin;
};
// Q3_K: 16 sub-blocks of 16 with 6-bit scales (packed in 12 bytes, offset by 32);
// x = d*(sc-32)*(q - (high bit ? 0 : 4)). Low 2 bits as in Q2_K; the high bit of
// element 32b + l (b < 8, l < 32) is bit b of hmask[l].
struct BlockQ3_K {
  uint8_t hmask[kQK_K / 8];
  uint8_t qs[kQK_K / 4];
  uint8_t scales[12];
  uint16_t d;
};
// Q8_K: the k-quants' activation format. d is fp32; bsums[i] = sum of qs[16i..16i+15].
struct BlockQ8_K {
  float d;
  int8_t qs[kQK_K];
  int16_t bsums[kQK_K / 16];
};

// Same numbers as runtime/dtype.cpp (runtime tests also compare against dtype_info()).
static_assert(sizeof(BlockQ4_0) == 18);
static_assert(sizeof(BlockQ4_1) == 20);
static_assert(sizeof(BlockQ5_0) == 22);
static_assert(sizeof(BlockQ5_1) == 24);
static_assert(sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ8_1) == 36);
static_assert(sizeof(BlockQ2_K) == 84);
static_assert(sizeof(BlockQ3_K) == 110);
static_assert(sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ5_K) == 176);
static_assert(sizeof(BlockQ6_K) == 210);
static_assert(sizeof(BlockQ8_K) == 292);

// Q4_K/Q5_K scale packing: sub-blocks 0-3 keep scale and min in the low 6 bits of
// bytes j and j+4; sub-blocks 4-7 keep their low 4 bits in byte j+4's nibbles and
// their top 2 bits in the spare top bits of bytes j-4 (scale) and j (min).
inline void unpack_scale_min_k4(int j, const uint8_t* q, uint8_t* sc, uint8_t* m) {
  if (j < 4) {
    *sc = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *sc = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

// Q3_K scale packing: bytes 0-7 hold the low 4 bits of scales 0-7 (low nibbles) and
// 8-15 (high nibbles); bytes 8-11 hold the top 2 bits, scale j's at bits 2*(j/4)
// of byte 8 + j%4. Returns the 16 six-bit values (still offset by 32).
inline void unpack_scales_q3_K(const uint8_t* q, uint8_t* sc) {
  for (int j = 0; j < 16; ++j) {
    const int low = j < 8 ? (q[j] & 15) : (q[j - 8] >> 4);
    const int high = (q[8 + j % 4] >> (2 * (j / 4))) & 3;
    sc[j] = static_cast<uint8_t>(low | (high << 4));
  }
}

}  // namespace qvl
