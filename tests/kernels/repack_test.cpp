// Packed q4_0 / q4_K / q8_0 kernels: the scalar reference against the fma chain written
// from the block formats (bit-exact), every ISA against the reference (bit-exact),
// the reference against vec_dot (float tolerance), and the activation quantisers.
#include "kernels/repack.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <tuple>
#include <vector>

#include "base/fp16.h"
#include "kernels/quant_blocks.h"
#include "kernels/ref/quant_ref.h"
#include "kernels/vec_dot.h"

namespace qvl {
namespace {

std::vector<float> random_floats(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (float& f : v) f = dist(rng);
  return v;
}

enum class Fmt { kQ4_0, kQ4_K, kQ8_0 };

struct Case {
  Fmt type;
  int64_t rows, k;
  int n_x;
};

// Weight rows in GGUF layout, their packed copy, and activation rows for both kinds
// of kernel input (q8_0 + sums, or q8_K).
struct Operands {
  std::vector<uint8_t> w, packed, x;
  size_t w_row = 0, x_row = 0;
};

Operands make(const Case& c, uint32_t seed, bool x4_quant = false) {
  Operands o;
  const bool q40 = c.type == Fmt::kQ4_0 || c.type == Fmt::kQ8_0;  // q8_0 activations
  const bool q80 = c.type == Fmt::kQ8_0;
  const int64_t block = q40 ? kQK : kQK_K;
  o.w_row = size_t(c.k / block) * (q80 ? sizeof(BlockQ8_0) : q40 ? sizeof(BlockQ4_0) : sizeof(BlockQ4_K));
  o.w.resize(o.w_row * c.rows);
  const auto wf = random_floats(size_t(c.rows * c.k), seed);
  for (int64_t r = 0; r < c.rows; ++r)
    (q80 ? quantize_row_q8_0 : q40 ? quantize_row_q4_0 : quantize_row_q4_K)(wf.data() + r * c.k,
                                                                            o.w.data() + r * o.w_row, c.k);
  if (q80) {  // codes -128 (|w| = 128, the widest maddubs operand) and 127 occur in files
    auto* b = reinterpret_cast<BlockQ8_0*>(o.w.data());
    for (int64_t i = 0; i < c.rows * (c.k / kQK); i += 3) b[i].qs[i % kQK] = -128, b[i].qs[(i + 5) % kQK] = 127;
  }
  o.packed.resize(q80 ? repacked_bytes_q8_0(c.rows, c.k) : q40 ? repacked_bytes_q4_0(c.rows, c.k)
                                                               : repacked_bytes_q4_K(c.rows, c.k));
  (q80 ? repack_q8_0 : q40 ? repack_q4_0 : repack_q4_K)(o.w.data(), c.rows, c.k, o.packed.data());
  o.x_row = q40 ? repack_act_bytes_q8_0(c.k) : size_t(c.k / kQK_K) * sizeof(BlockQ8_K);
  o.x.resize(o.x_row * c.n_x);
  const auto xf = random_floats(size_t(c.n_x * c.k), seed + 1, 3.0f);
  for (int t = 0; t < c.n_x; ++t) {
    uint8_t* dst = o.x.data() + t * o.x_row;
    if (q40)
      quantize_row_q8_0_sums(xf.data() + t * c.k, dst, c.k);
    else
      (x4_quant ? quantize_row_q8_K_x4 : quantize_row_q8_K)(xf.data() + t * c.k, dst, c.k);
  }
  return o;
}

// The fma chain of kernels/repack.h, straight from the unpacked GGUF blocks.
float expected(const Case& c, const Operands& o, int64_t r, int t, RepackOrder order) {
  const uint8_t* xrow = o.x.data() + t * o.x_row;
  float acc = 0.0f, accm = 0.0f;
  if (c.type == Fmt::kQ8_0) {
    const auto* w = reinterpret_cast<const BlockQ8_0*>(o.w.data() + r * o.w_row);
    const auto* x = reinterpret_cast<const BlockQ8_0*>(xrow);
    for (int64_t b = 0; b < c.k / kQK; ++b) {
      int isum = 0;
      for (int j = 0; j < kQK; ++j) isum += w[b].qs[j] * x[b].qs[j];
      acc = std::fma(float(isum), fp16_to_f32(w[b].d) * fp16_to_f32(x[b].d), acc);
    }
    return acc;
  }
  if (c.type == Fmt::kQ4_0) {
    const auto* w = reinterpret_cast<const BlockQ4_0*>(o.w.data() + r * o.w_row);
    const auto* x = reinterpret_cast<const BlockQ8_0*>(xrow);
    for (int64_t b = 0; b < c.k / kQK; ++b) {
      int isum = 0;
      for (int j = 0; j < 16; ++j)
        isum += ((w[b].qs[j] & 15) - 8) * x[b].qs[j] + ((w[b].qs[j] >> 4) - 8) * x[b].qs[j + 16];
      acc = std::fma(float(isum), fp16_to_f32(w[b].d) * fp16_to_f32(x[b].d), acc);
    }
    return acc;
  }
  const auto* w = reinterpret_cast<const BlockQ4_K*>(o.w.data() + r * o.w_row);
  const auto* x = reinterpret_cast<const BlockQ8_K*>(xrow);
  for (int64_t b = 0; b < c.k / kQK_K; ++b) {
    const float dd = fp16_to_f32(w[b].d) * x[b].d, dm = fp16_to_f32(w[b].dmin) * x[b].d;
    int is_all = 0, ms_all = 0;
    for (int pair = 0; pair < 4; ++pair) {
      int is = 0, ms = 0;
      for (int h = 0; h < 2; ++h) {
        const int j = 2 * pair + h;
        uint8_t sc, m;
        unpack_scale_min_k4(j, w[b].scales, &sc, &m);
        int dot = 0, bsum = 0;
        for (int l = 0; l < 32; ++l) {
          const uint8_t byte = w[b].qs[32 * pair + l];
          dot += (h ? byte >> 4 : byte & 15) * x[b].qs[32 * j + l];
          bsum += x[b].qs[32 * j + l];
        }
        is += sc * dot;
        ms += m * bsum;
      }
      if (order == RepackOrder::kGemm) {
        acc = std::fma(float(is), dd, acc);
        accm = std::fma(float(ms), dm, accm);
      }
      is_all += is;
      ms_all += ms;
    }
    if (order == RepackOrder::kGemv) {
      acc = std::fma(float(is_all), dd, acc);
      accm = std::fma(float(ms_all), dm, accm);
    }
  }
  return acc - accm;
}

const Case kCases[] = {
    {Fmt::kQ4_0, 8, 32, 1},    {Fmt::kQ4_0, 24, 96, 3},   {Fmt::kQ4_0, 40, 224, 4},
    {Fmt::kQ4_0, 16, 2048, 2}, {Fmt::kQ4_K, 8, 256, 1},   {Fmt::kQ4_K, 24, 768, 3},
    {Fmt::kQ4_K, 40, 512, 4},  {Fmt::kQ4_K, 16, 2048, 2},
    // One token over several groups, odd and even block counts: the AVX-512
    // one-token q4_0 kernel takes blocks in pairs with a lone last block, q4_K
    // one group at a time.
    {Fmt::kQ4_0, 24, 224, 1},  {Fmt::kQ4_0, 40, 1024, 1}, {Fmt::kQ4_0, 8, 64, 1},
    {Fmt::kQ4_K, 40, 512, 1},
    // q8_0: several tokens take two groups side by side on AVX-512 (24 rows: a lone
    // last group), one token one group at a time.
    {Fmt::kQ8_0, 8, 32, 1},    {Fmt::kQ8_0, 24, 96, 3},   {Fmt::kQ8_0, 40, 224, 4},
    {Fmt::kQ8_0, 16, 2048, 2}, {Fmt::kQ8_0, 24, 1024, 1}, {Fmt::kQ8_0, 32, 64, 4},
};

std::vector<float> run(const RepackKernels& kern, const Case& c, const Operands& o, RepackOrder order) {
  // Output stride wider than the row count, poisoned, to catch stray writes.
  const size_t os = size_t(c.rows + 5);
  std::vector<float> out(os * c.n_x, NAN);
  const RepackMatmulFn fn = c.type == Fmt::kQ4_0 ? kern.q4_0 : c.type == Fmt::kQ8_0 ? kern.q8_0 : kern.q4_K;
  fn(c.k, o.packed.data(), c.rows, o.x.data(), o.x_row, c.n_x, out.data(), os, order);
  return out;
}

TEST(Repack, ReferenceIsTheDocumentedFmaChain) {
  uint32_t seed = 1;
  for (const Case& c : kCases)
    for (RepackOrder order : {RepackOrder::kGemv, RepackOrder::kGemm}) {
      const Operands o = make(c, seed++, order == RepackOrder::kGemm);
      const auto out = run(kRepackRef, c, o, order);
      const size_t os = size_t(c.rows + 5);
      for (int t = 0; t < c.n_x; ++t)
        for (int64_t r = 0; r < c.rows; ++r)
          ASSERT_EQ(out[t * os + r], expected(c, o, r, t, order))
              << "type " << int(c.type) << " rows " << c.rows << " k " << c.k << " t " << t << " r " << r;
    }
}

TEST(Repack, EveryIsaMatchesReferenceBitwise) {
  uint32_t seed = 100;
  for (Isa isa : {Isa::kAvx2, Isa::kAvx512}) {
    if (detected_isa() < isa) continue;
    const RepackKernels& kern = repack_kernels(isa);
    for (const Case& c : kCases)
      for (RepackOrder order : {RepackOrder::kGemv, RepackOrder::kGemm}) {
        const Operands o = make(c, seed++);
        const auto want = run(kRepackRef, c, o, order), got = run(kern, c, o, order);
        const size_t os = size_t(c.rows + 5);
        for (int t = 0; t < c.n_x; ++t) {
          for (int64_t r = 0; r < c.rows; ++r)
            ASSERT_EQ(got[t * os + r], want[t * os + r])
                << isa_name(isa) << " type " << int(c.type) << " rows " << c.rows << " k " << c.k << " t " << t;
          for (int64_t r = c.rows; r < int64_t(os); ++r) ASSERT_TRUE(std::isnan(got[t * os + r])) << "stray write";
        }
      }
  }
}

// Same products, another summation order: within gamma(k) of the vec_dot result.
TEST(Repack, ReferenceAgreesWithVecDot) {
  uint32_t seed = 200;
  for (const Case& c : kCases) {
    const Operands o = make(c, seed++);
    const auto got = run(kRepackRef, c, o, RepackOrder::kGemv);
    const size_t os = size_t(c.rows + 5);
    // vec_dot's q4_0 takes plain q8_0 rows: the blocks are the prefix of ours.
    for (int t = 0; t < c.n_x; ++t)
      for (int64_t r = 0; r < c.rows; ++r) {
        float want = 0;
        const VecDotFn fn = c.type == Fmt::kQ4_0   ? kVecDotRef.q4_0
                            : c.type == Fmt::kQ8_0 ? kVecDotRef.q8_0
                                                   : kVecDotRef.q4_K;
        fn(c.k, o.w.data() + r * o.w_row, o.x.data() + t * o.x_row, o.x_row, 1, &want, 1);
        EXPECT_NEAR(got[t * os + r], want, 1e-5f * c.k * (1.0f + std::fabs(want)))
            << "type " << int(c.type) << " k " << c.k;
      }
  }
}

TEST(Repack, Q8_0SumsFollowTheBlocks) {
  const int64_t k = 96;
  const auto x = random_floats(k, 7);
  std::vector<uint8_t> a(repack_act_bytes_q8_0(k)), b(k / kQK * sizeof(BlockQ8_0));
  quantize_row_q8_0_sums(x.data(), a.data(), k);
  quantize_row_q8_0(x.data(), b.data(), k);
  ASSERT_EQ(std::memcmp(a.data(), b.data(), b.size()), 0);
  const auto* blocks = reinterpret_cast<const BlockQ8_0*>(a.data());
  for (int64_t i = 0; i < k / kQK; ++i) {
    int sum = 0;
    for (int j = 0; j < kQK; ++j) sum += blocks[i].qs[j];
    int16_t got;
    std::memcpy(&got, a.data() + b.size() + 2 * i, 2);
    EXPECT_EQ(got, sum);
  }
}

// ggml_quantize_mat_q8_K_4x8 (x86), from its definition: amax = max |x|; the scale
// is -127/amax if some element equals +amax, else 127/amax; q = round-half-even
// (x * iscale) saturated to int8; d = 1/iscale; bsums over 16 codes.
void q8_K_x4_by_definition(const float* x, BlockQ8_K* y) {
  float amax = 0;
  for (int j = 0; j < kQK_K; ++j) amax = std::fmax(amax, std::fabs(x[j]));
  std::memset(y, 0, sizeof(*y));
  if (amax == 0) return;
  bool pos = false;
  for (int j = 0; j < kQK_K; ++j) pos = pos || x[j] == amax;
  const float iscale = (pos ? -127.0f : 127.0f) / amax;
  for (int j = 0; j < kQK_K; ++j) {
    const float v = std::nearbyint(x[j] * iscale);  // default rounding: half to even
    y->qs[j] = int8_t(std::fmax(-128.0f, std::fmin(127.0f, v)));
    y->bsums[j / 16] = int16_t(y->bsums[j / 16] + y->qs[j]);
  }
  y->d = 1 / iscale;
}

TEST(Repack, Q8KX4MatchesItsDefinition) {
  for (uint32_t seed = 0; seed < 40; ++seed) {
    auto x = random_floats(2 * kQK_K, seed, 0.5f + seed);
    // Ties on the largest magnitude: -M before +M (the row quantiser's first-wins
    // rule picks -M; the 4-row one picks +M), and a lone +M / -M.
    if (seed % 4 == 1) { x[3] = -1000.0f; x[200] = 1000.0f; }
    if (seed % 4 == 2) x[17] = 1000.0f;
    if (seed % 4 == 3) x[kQK_K + 5] = -1000.0f;
    if (seed == 4) std::fill(x.begin(), x.begin() + kQK_K, 0.0f);
    BlockQ8_K got[2], want[2];
    quantize_row_q8_K_x4(x.data(), got, 2 * kQK_K);
    for (int b = 0; b < 2; ++b) q8_K_x4_by_definition(x.data() + b * kQK_K, &want[b]);
    ASSERT_EQ(std::memcmp(got, want, sizeof(got)), 0) << "seed " << seed;
    if (seed % 4 == 1) {
      BlockQ8_K row[2];
      quantize_row_q8_K(x.data(), row, 2 * kQK_K);
      EXPECT_GT(row[0].d, 0.0f);  // first-wins: -1000 comes first
      EXPECT_LT(got[0].d, 0.0f);  // positive max present
    }
  }
}

TEST(Repack, QuantisersAreByteIdenticalOnEveryIsa) {
  const int64_t k = 3 * kQK_K;
  for (Isa isa : {Isa::kAvx2, Isa::kAvx512}) {
    if (detected_isa() < isa) continue;
    const RepackKernels& kern = repack_kernels(isa);
    for (uint32_t seed = 0; seed < 30; ++seed) {
      auto x = random_floats(k, 300 + seed, 0.1f + seed);
      if (seed % 3 == 1) { x[40] = -500.0f; x[41] = 500.0f; }  // tie on max |x|, negative first
      if (seed % 3 == 2) std::fill(x.begin() + kQK_K, x.begin() + 2 * kQK_K, 0.0f);  // an all-zero block
      for (auto [fn, ref, bytes] : {std::tuple{kern.q8_0_sums, kRepackRef.q8_0_sums, repack_act_bytes_q8_0(k)},
                                    std::tuple{kern.q8_K, kRepackRef.q8_K, 3 * sizeof(BlockQ8_K)},
                                    std::tuple{kern.q8_K_x4, kRepackRef.q8_K_x4, 3 * sizeof(BlockQ8_K)}}) {
        std::vector<uint8_t> a(bytes, 0xAB), b(bytes, 0xAB);
        fn(x.data(), a.data(), k);
        ref(x.data(), b.data(), k);
        ASSERT_EQ(a, b) << isa_name(isa) << " seed " << seed;
      }
    }
  }
}

}  // namespace
}  // namespace qvl
