// vec_dot table for AVX-512 F/BW/VL/DQ/VNNI (kernels/cpu). The shared bodies in
// vec_dot_simd.h give every format (VNNI dots, 16-lane floats); the legacy formats
// and q4_K/q5_K get 512-bit kernels here that take 64 codes per instruction
// (q2_K/q3_K stay scalar). q6_K keeps the shared 256-bit body: its int32 lanes and
// float chain are ggml_vec_dot_q6_K_q8_K's (the LM head of Q4_K_M files), so logits
// match llama.cpp bit for bit. Exact integer sums as in the reference; see vec_dot_test.
#define QVL_SIMD_NS avx512
#include "kernels/cpu/vec_dot_simd.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace qvl::avx512 {
namespace {

inline __m512i join(__m256i lo, __m256i hi) { return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1); }
inline __m512i load512(const void* p) { return _mm512_loadu_si512(p); }

// Two fp16 scales -> [a x8 | b x8] as floats (lanes of block i, then block i+1).
inline __m512 two_scales(uint16_t a, uint16_t b) {
  const __m128 f = _mm_cvtph_ps(_mm_cvtsi32_si128(static_cast<int>(a | (uint32_t(b) << 16))));
  const __m512i idx = _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
  return _mm512_permutexvar_ps(idx, _mm512_castps128_ps512(f));
}

// q4_0 / q8_0 weights against q8_0 activations, two blocks (64 codes) per step:
// |w| (u8) . (x with w's sign) (s8) via vpdpbusd, lanes 0-7 block i, 8-15 block i+1.
// The float accumulation stays ggml's (see dot_signed_q8_0): one 8-lane chain, block
// i's lanes before block i+1's, so results equal the AVX2 path bit for bit.
template <int NX, typename Block, typename Decode>
void dot_pairs_q8_0(int64_t k, const void* vw, const void* x, size_t xs, float* out, size_t os, Decode decode) {
  const auto* w = static_cast<const Block*>(vw);
  const BlockQ8_0* xb[NX];
  #pragma GCC unroll 8
  for (int t = 0; t < NX; ++t) xb[t] = col<BlockQ8_0>(x, xs, t);
  __m256 acc[NX];
  #pragma GCC unroll 8
  for (int t = 0; t < NX; ++t) acc[t] = _mm256_setzero_ps();
  const int64_t nb = k / kQK;
  int64_t i = 0;
  for (; i + 1 < nb; i += 2) {
    const __m512i q = join(decode(w[i]), decode(w[i + 1]));
    const __m512i u = _mm512_abs_epi8(q);
    const __mmask64 neg = _mm512_movepi8_mask(q);
    const __m512 dw = two_scales(w[i].d, w[i + 1].d);
    #pragma GCC unroll 8
    for (int t = 0; t < NX; ++t) {
      const __m512i xv = join(load256(xb[t][i].qs), load256(xb[t][i + 1].qs));
      const __m512i s = _mm512_mask_sub_epi8(xv, neg, _mm512_setzero_si512(), xv);
      const __m512 p = _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(_mm512_setzero_si512(), u, s));
      const __m512 d = _mm512_mul_ps(dw, two_scales(xb[t][i].d, xb[t][i + 1].d));
      acc[t] = _mm256_fmadd_ps(_mm512_castps512_ps256(p), _mm512_castps512_ps256(d), acc[t]);
      acc[t] = _mm256_fmadd_ps(_mm512_extractf32x8_ps(p, 1), _mm512_extractf32x8_ps(d, 1), acc[t]);
    }
  }
  if (i < nb) {  // odd block count: the last block 256 bits wide
    const __m256i q = decode(w[i]);
    #pragma GCC unroll 8
    for (int t = 0; t < NX; ++t) {
      const __m256 p = _mm256_cvtepi32_ps(dot_s8s8(q, load256(xb[t][i].qs)));
      acc[t] = _mm256_fmadd_ps(p, _mm256_set1_ps(h2f(w[i].d) * h2f(xb[t][i].d)), acc[t]);
    }
  }
  #pragma GCC unroll 8
  for (int t = 0; t < NX; ++t) out[t * os] = hsum(acc[t]);
}

// q4_1 / q5_1 weights (unsigned codes, block min m) against q8_1 activations, two
// blocks per step: d*dx*(q . x) per block plus m*s (s = dx*sum(x) from the block),
// the latter accumulated two blocks at a time in a 128-bit vector.
template <int NX, typename Block, typename Decode>
void dot_pairs_q8_1(int64_t k, const void* vw, const void* x, size_t xs, float* out, size_t os, Decode decode) {
  const auto* w = static_cast<const Block*>(vw);
  const BlockQ8_1* xb[NX];
#pragma GCC unroll 8
  for (int t = 0; t < NX; ++t) xb[t] = col<BlockQ8_1>(x, xs, t);
  __m512 acc[NX];
  __m128 macc[NX];
#pragma GCC unroll 8
  for (int t = 0; t < NX; ++t) acc[t] = _mm512_setzero_ps(), macc[t] = _mm_setzero_ps();
  const int64_t nb = k / kQK;
  int64_t i = 0;
  for (; i + 1 < nb; i += 2) {
    const __m512i q = join(decode(w[i]), decode(w[i + 1]));
    const __m512 dw = two_scales(w[i].d, w[i + 1].d);
    const __m128 mw = _mm_cvtph_ps(_mm_cvtsi32_si128(static_cast<int>(w[i].m | (uint32_t(w[i + 1].m) << 16))));
#pragma GCC unroll 8
    for (int t = 0; t < NX; ++t) {
      const __m512i xv = join(load256(xb[t][i].qs), load256(xb[t][i + 1].qs));
      const __m512 p = _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(_mm512_setzero_si512(), q, xv));
      acc[t] = _mm512_fmadd_ps(p, _mm512_mul_ps(dw, two_scales(xb[t][i].d, xb[t][i + 1].d)), acc[t]);
      const uint32_t s2 = xb[t][i].s | (uint32_t(xb[t][i + 1].s) << 16);
      macc[t] = _mm_fmadd_ps(mw, _mm_cvtph_ps(_mm_cvtsi32_si128(static_cast<int>(s2))), macc[t]);
    }
  }
  float tail[NX] = {};
  if (i < nb) {
    const __m256i q = decode(w[i]);
#pragma GCC unroll 8
    for (int t = 0; t < NX; ++t) {
      const float p = hsum(_mm256_cvtepi32_ps(dot_u8s8(q, load256(xb[t][i].qs))));
      tail[t] = p * (h2f(w[i].d) * h2f(xb[t][i].d)) + h2f(w[i].m) * h2f(xb[t][i].s);
    }
  }
#pragma GCC unroll 8
  for (int t = 0; t < NX; ++t) {
    // Lanes 2-3 of macc hold products of the zero upper halves: only 0 and 1 count.
    const float m = _mm_cvtss_f32(macc[t]) + _mm_cvtss_f32(_mm_movehdup_ps(macc[t]));
    out[t * os] = _mm512_reduce_add_ps(acc[t]) + m + tail[t];
  }
}

// Q4_K/Q5_K: chunk c's 32 bytes give sub-blocks 2c (low nibbles) and 2c+1 (high),
// which line up with 64 contiguous activation codes. maddubs + madd by the i16
// scales keeps everything in exact int32 (bounds as in vec_dot_simd.h's scaled_dot).
template <int NX, int kBits, typename Block>
void dot_qk_min_zmm(int64_t k, const void* vw, const void* x, size_t xs, float* out, size_t os) {
  const auto* w = static_cast<const Block*>(vw);
  const BlockQ8_K* xb[NX];
#pragma GCC unroll 8
  for (int t = 0; t < NX; ++t) xb[t] = col<BlockQ8_K>(x, xs, t);
  __m512 acc[NX];
#pragma GCC unroll 8
  for (int t = 0; t < NX; ++t) acc[t] = _mm512_setzero_ps();
  const __m256i m4 = _mm256_set1_epi8(15);
  // i16 lanes 0-15 take sub-block 2c's scale, lanes 16-31 sub-block 2c+1's.
  const __m512i halves = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(1), 1);
  for (int64_t i = 0; i < k / kQK_K; ++i) {
    uint8_t sc[8], mn[8];
    unpack_scales_mins_k4(w[i].scales, sc, mn);
    const __m128i m8 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(mn));
    const __m256i mins16 = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(m8, m8));
    const __m512i sc16 =
        _mm512_cvtepu8_epi16(_mm256_castsi128_si256(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(sc))));
    [[maybe_unused]] __m256i hbits;
    if constexpr (kBits == 5) hbits = load256(reinterpret_cast<const BlockQ5_K*>(&w[i])->qh);
    __m512i q[4], s[4];
#pragma GCC unroll 4
    for (int c = 0; c < 4; ++c) {
      const __m256i raw = load256(w[i].qs + 32 * c);
      __m256i lo = _mm256_and_si256(raw, m4), hi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), m4);
      if constexpr (kBits == 5) {  // bit 2c of qh[l] tops the low half, bit 2c+1 the high
        const __m256i one = _mm256_set1_epi8(1);
        lo = _mm256_or_si256(lo, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hbits, 2 * c), one), 4));
        hi = _mm256_or_si256(hi, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hbits, 2 * c + 1), one), 4));
      }
      q[c] = join(lo, hi);
      s[c] = _mm512_permutexvar_epi16(_mm512_add_epi16(halves, _mm512_set1_epi16(2 * c)), sc16);
    }
    const float dw = h2f(w[i].d), dminw = h2f(w[i].dmin);
#pragma GCC unroll 8
    for (int t = 0; t < NX; ++t) {
      __m512i isum = _mm512_setzero_si512();
#pragma GCC unroll 4
      for (int c = 0; c < 4; ++c)
        isum = _mm512_add_epi32(isum, _mm512_madd_epi16(_mm512_maddubs_epi16(q[c], load512(xb[t][i].qs + 64 * c)), s[c]));
      const __m256i msum = _mm256_madd_epi16(load256(xb[t][i].bsums), mins16);
      acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_set1_ps(dw * xb[t][i].d), acc[t]);
      acc[t] = _mm512_fmadd_ps(_mm512_zextps256_ps512(_mm256_cvtepi32_ps(msum)), _mm512_set1_ps(-dminw * xb[t][i].d),
                               acc[t]);
    }
  }
#pragma GCC unroll 8
  for (int t = 0; t < NX; ++t) out[t * os] = _mm512_reduce_add_ps(acc[t]);
}

template <int NX> struct ZQ4_0 { static void run(int64_t k, const void* w, const void* x, size_t xs, float* o, size_t os) { dot_pairs_q8_0<NX, BlockQ4_0>(k, w, x, xs, o, os, decode_q4_0); } };
template <int NX> struct ZQ8_0 { static void run(int64_t k, const void* w, const void* x, size_t xs, float* o, size_t os) { dot_pairs_q8_0<NX, BlockQ8_0>(k, w, x, xs, o, os, decode_q8_0); } };
template <int NX> struct ZQ5_0 { static void run(int64_t k, const void* w, const void* x, size_t xs, float* o, size_t os) { dot_pairs_q8_0<NX, BlockQ5_0>(k, w, x, xs, o, os, decode_q5_0); } };
template <int NX> struct ZQ4_1 { static void run(int64_t k, const void* w, const void* x, size_t xs, float* o, size_t os) { dot_pairs_q8_1<NX, BlockQ4_1>(k, w, x, xs, o, os, decode_q4_1); } };
template <int NX> struct ZQ5_1 { static void run(int64_t k, const void* w, const void* x, size_t xs, float* o, size_t os) { dot_pairs_q8_1<NX, BlockQ5_1>(k, w, x, xs, o, os, decode_q5_1); } };
template <int NX> struct ZQ4_K { static void run(int64_t k, const void* w, const void* x, size_t xs, float* o, size_t os) { dot_qk_min_zmm<NX, 4, BlockQ4_K>(k, w, x, xs, o, os); } };
template <int NX> struct ZQ5_K { static void run(int64_t k, const void* w, const void* x, size_t xs, float* o, size_t os) { dot_qk_min_zmm<NX, 5, BlockQ5_K>(k, w, x, xs, o, os); } };

constexpr VecDotKernels make_table_avx512() {
  VecDotKernels t = make_table();
  t.q4_0 = by_cols<ZQ4_0>;
  t.q8_0 = by_cols<ZQ8_0>;
  t.q5_0 = by_cols<ZQ5_0>;
  t.q4_1 = by_cols<ZQ4_1>;
  t.q5_1 = by_cols<ZQ5_1>;
  t.q4_K = by_cols<ZQ4_K>;
  t.q5_K = by_cols<ZQ5_K>;
  return t;
}

}  // namespace
}  // namespace qvl::avx512

#pragma GCC diagnostic pop

namespace qvl {
constinit const VecDotKernels kVecDotAvx512 = avx512::make_table_avx512();
}  // namespace qvl
