// matmul against matmul_ref for every weight dtype, ISA and odd shape; get_rows,
// quantize_tensor, and the block structs against runtime/dtype.cpp's table.
#include "runtime/matmul.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "base/cpu_features.h"
#include "base/error.h"
#include "kernels/quant_blocks.h"
#include "runtime/quantize.h"

namespace qvl {
namespace {

const DType kWeightTypes[] = {DType::kF32,  DType::kF16,  DType::kBF16, DType::kQ4_0, DType::kQ4_1,
                              DType::kQ5_0, DType::kQ5_1, DType::kQ8_0, DType::kQ2_K, DType::kQ3_K,
                              DType::kQ4_K, DType::kQ5_K, DType::kQ6_K};

std::vector<float> gaussian(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& f : v) f = dist(rng);
  return v;
}

struct OwnedTensor {
  std::vector<uint8_t> bytes;
  Tensor t;
};

OwnedTensor make_weight(DType dt, int64_t n_out, int64_t k, uint32_t seed) {
  OwnedTensor o;
  const std::vector<float> wf = gaussian(n_out * k, seed);
  o.bytes = quantize_tensor(dt, wf.data(), n_out, k);
  o.t.name = "w";
  o.t.dtype = dt;
  o.t.shape = {n_out, k};
  o.t.data = o.bytes.data();
  return o;
}

// Largest error of one activation element after conversion to the activation type:
// half a step of the block's scale plus the fp16 rounding of that scale times the
// largest code (q8_0/q8_1: amax*(1/254 + 2^-11); q8_K keeps an f32 scale), or the
// rounding of a 16-bit float.
std::vector<double> activation_error(DType act, const float* x, int64_t k) {
  std::vector<double> e(k, 0.0);
  const int block = act == DType::kQ8_K ? 256 : 32;
  for (int64_t i = 0; i < k; ++i) {
    if (act == DType::kF16) e[i] = std::fabs(x[i]) * std::ldexp(1.0, -11);
    if (act == DType::kBF16) e[i] = std::fabs(x[i]) * std::ldexp(1.0, -8);
  }
  if (act == DType::kQ8_0 || act == DType::kQ8_1 || act == DType::kQ8_K) {
    for (int64_t b = 0; b < k; b += block) {
      double amax = 0;
      for (int j = 0; j < block; ++j) amax = std::max(amax, double(std::fabs(x[b + j])));
      const double per = amax * (1.0 / 254 + (act == DType::kQ8_K ? 1e-6 : std::ldexp(1.0, -11)));
      for (int j = 0; j < block; ++j) e[b + j] = per;
    }
  }
  return e;
}

// Tolerance per output: sum_i |w_i| * e_i (activation conversion; for q8_1 also the
// fp16-stored block sum, 2^-10 of the block-min term, bounded via |w|max) plus float
// rounding on each side, gamma(k + 16) of the partial sums' magnitude. That is
// sum_i (|w_i| + 2|w|max) |x_i|: the _1 and _K kernels add block mins (each below
// 2|w|max) apart from the codes' sum.
double tolerance(const Tensor& w, int64_t r, const std::vector<double>& e, const float* x, DType act) {
  const int64_t k = w.cols();
  std::vector<float> row(k);
  dequantize_row(w.dtype, w.row(r), row.data(), k);
  double tol = 0, S = 0, wmax = 0;
  for (int64_t i = 0; i < k; ++i) {
    tol += std::fabs(row[i]) * e[i];
    S += std::fabs(row[i]) * std::fabs(x[i]);
    wmax = std::max(wmax, double(std::fabs(row[i])));
  }
  double xsum = 0;
  for (int64_t i = 0; i < k; ++i) xsum += std::fabs(x[i]);
  if (act == DType::kQ8_1) tol += std::ldexp(1.0, -10) * wmax * xsum;
  const double n = k + 16, u = std::ldexp(1.0, -24);
  return tol + 2 * (n * u / (1 - n * u)) * (S + 2 * wmax * xsum);
}

class MatmulAllTypes : public ::testing::TestWithParam<DType> {
 protected:
  void SetUp() override { saved_ = active_isa(); }
  void TearDown() override { set_active_isa(saved_); }
  Isa saved_ = Isa::kScalar;
};

TEST_P(MatmulAllTypes, MatchesReferenceOnOddShapes) {
  const DType dt = GetParam();
  const int block = dtype_info(dt).block_size;
  const int64_t unit = block == 1 ? 32 : block;
  const DType act = matmul_activation_type(dt);
  ThreadPool pool1(1), pool2(2);
  // Every path up to the active one (QVL_ISA caps it).
  std::vector<Isa> isas = {Isa::kScalar};
  if (saved_ >= Isa::kAvx2) isas.push_back(Isa::kAvx2);
  if (saved_ >= Isa::kAvx512) isas.push_back(Isa::kAvx512);
  // Float types: 1100 > the gemm path's k block (512) and not a multiple of 16.
  for (int64_t k : {block == 1 ? int64_t{40} : unit, block == 1 ? int64_t{1100} : 3 * unit}) {
    for (int64_t n_out : {1, 7, 33}) {
      const OwnedTensor w = make_weight(dt, n_out, k, static_cast<uint32_t>(k * 131 + n_out));
      for (int64_t n_tok : {1, 3, 17}) {
        const std::vector<float> x = gaussian(n_tok * k, static_cast<uint32_t>(n_tok + 7 * k));
        std::vector<float> want(n_tok * n_out);
        matmul_ref(w.t, x.data(), n_tok, want.data());
        std::vector<double> tol(n_tok * n_out);
        for (int64_t t = 0; t < n_tok; ++t) {
          const std::vector<double> e = activation_error(act, x.data() + t * k, k);
          for (int64_t r = 0; r < n_out; ++r) tol[t * n_out + r] = tolerance(w.t, r, e, x.data() + t * k, act);
        }
        std::vector<float> first;
        for (Isa isa : isas) {
          set_active_isa(isa);
          for (ThreadPool* pool : {&pool1, &pool2}) {
            std::vector<float> got(n_tok * n_out, NAN);
            matmul(w.t, x.data(), n_tok, got.data(), *pool);
            for (int64_t i = 0; i < n_tok * n_out; ++i)
              ASSERT_NEAR(got[i], want[i], tol[i]) << dtype_info(dt).name << " isa=" << isa_name(isa) << " k=" << k
                                                   << " n_out=" << n_out << " n_tok=" << n_tok << " at " << i;
            // Threads split rows, never a reduction: results are bitwise the same.
            if (pool == &pool1) first = got;
            else EXPECT_EQ(first, got);
          }
        }
      }
    }
  }
}

TEST_P(MatmulAllTypes, GetRowsDequantisesTheRow) {
  const DType dt = GetParam();
  const int64_t k = dtype_info(dt).block_size == 1 ? 24 : 2 * dtype_info(dt).block_size;
  const OwnedTensor w = make_weight(dt, 5, k, 42);
  const int32_t ids[3] = {4, 0, 4};
  std::vector<float> out(3 * k), want(k);
  get_rows(w.t, ids, 3, out.data());
  for (int i = 0; i < 3; ++i) {
    dequantize_row(dt, w.t.row(ids[i]), want.data(), k);
    EXPECT_TRUE(std::equal(want.begin(), want.end(), out.begin() + i * k)) << dtype_info(dt).name;
  }
  const int32_t bad[1] = {5};
  EXPECT_THROW(get_rows(w.t, bad, 1, out.data()), Error);
}

TEST_P(MatmulAllTypes, TokenResultsDoNotDependOnTheBatch) {
  // Each token's accumulation order is the same whatever tile it lands in, so a
  // token's output is bitwise the same alone or batched (batched serving relies on it).
  const DType dt = GetParam();
  const int64_t k = dtype_info(dt).block_size == 1 ? 77 : 2 * 256, n_out = 9, n_tok = 7;
  const OwnedTensor w = make_weight(dt, n_out, k, 5);
  const std::vector<float> x = gaussian(n_tok * k, 6);
  ThreadPool pool(2);
  std::vector<float> batched(n_tok * n_out), alone(n_out);
  matmul(w.t, x.data(), n_tok, batched.data(), pool);
  for (int64_t t = 0; t < n_tok; ++t) {
    matmul(w.t, x.data() + t * k, 1, alone.data(), pool);
    for (int64_t r = 0; r < n_out; ++r) ASSERT_EQ(alone[r], batched[t * n_out + r]) << dtype_info(dt).name << " t=" << t;
  }
}

INSTANTIATE_TEST_SUITE_P(Types, MatmulAllTypes, ::testing::ValuesIn(kWeightTypes),
                         [](const auto& info) { return std::string(dtype_info(info.param).name); });

TEST(Matmul, PrefillSizedTileMatchesReference) {
  // 128 tokens x 64 rows exercises full token tiles and several row chunks per thread.
  ThreadPool pool(2);
  const int64_t k = 512, n_out = 64, n_tok = 130;
  const OwnedTensor w = make_weight(DType::kQ4_K, n_out, k, 9);
  const std::vector<float> x = gaussian(n_tok * k, 10);
  std::vector<float> got(n_tok * n_out), want(n_tok * n_out);
  matmul(w.t, x.data(), n_tok, got.data(), pool);
  matmul_ref(w.t, x.data(), n_tok, want.data());
  for (int64_t t = 0; t < n_tok; ++t) {
    const std::vector<double> e = activation_error(DType::kQ8_K, x.data() + t * k, k);
    for (int64_t r = 0; r < n_out; ++r)
      ASSERT_NEAR(got[t * n_out + r], want[t * n_out + r], tolerance(w.t, r, e, x.data() + t * k, DType::kQ8_K));
  }
}

TEST(Matmul, RejectsBadInput) {
  ThreadPool pool(1);
  std::vector<float> x(64), y(64);
  OwnedTensor w = make_weight(DType::kQ8_0, 2, 32, 1);
  w.t.shape = {64};
  EXPECT_THROW(matmul(w.t, x.data(), 1, y.data(), pool), Error);  // not 2-D
  w.t.shape = {1, 48};
  EXPECT_THROW(matmul(w.t, x.data(), 1, y.data(), pool), Error);  // 48 is not a multiple of 32
  w.t.shape = {2, 32};
  w.t.dtype = DType::kI32;
  EXPECT_THROW(matmul(w.t, x.data(), 1, y.data(), pool), Error);  // no kernel
  EXPECT_FALSE(matmul_supported(DType::kI32));
  EXPECT_FALSE(matmul_supported(DType::kQ8_K));
  EXPECT_TRUE(matmul_supported(DType::kQ6_K));
  EXPECT_THROW(quantize_tensor(DType::kQ4_0, x.data(), 1, 48), Error);
  EXPECT_THROW(quantize_tensor(DType::kI32, x.data(), 1, 32), Error);
}

TEST(Matmul, BlockStructsMatchDTypeTable) {
  EXPECT_EQ(sizeof(BlockQ4_0), size_t(dtype_info(DType::kQ4_0).type_size));
  EXPECT_EQ(sizeof(BlockQ4_1), size_t(dtype_info(DType::kQ4_1).type_size));
  EXPECT_EQ(sizeof(BlockQ5_0), size_t(dtype_info(DType::kQ5_0).type_size));
  EXPECT_EQ(sizeof(BlockQ5_1), size_t(dtype_info(DType::kQ5_1).type_size));
  EXPECT_EQ(sizeof(BlockQ8_0), size_t(dtype_info(DType::kQ8_0).type_size));
  EXPECT_EQ(sizeof(BlockQ8_1), size_t(dtype_info(DType::kQ8_1).type_size));
  EXPECT_EQ(sizeof(BlockQ4_K), size_t(dtype_info(DType::kQ4_K).type_size));
  EXPECT_EQ(sizeof(BlockQ5_K), size_t(dtype_info(DType::kQ5_K).type_size));
  EXPECT_EQ(sizeof(BlockQ6_K), size_t(dtype_info(DType::kQ6_K).type_size));
  EXPECT_EQ(sizeof(BlockQ8_K), size_t(dtype_info(DType::kQ8_K).type_size));
  EXPECT_EQ(dtype_info(DType::kQ4_K).block_size, kQK_K);
  EXPECT_EQ(dtype_info(DType::kQ4_0).block_size, kQK);
}

TEST(Matmul, QuantizeTensorRoundTripsRows) {
  const std::vector<float> src = gaussian(3 * 256, 77);
  for (DType dt : kWeightTypes) {
    const std::vector<uint8_t> q = quantize_tensor(dt, src.data(), 3, 256);
    ASSERT_EQ(q.size(), 3 * row_bytes(dt, 256));
    std::vector<float> back(256);
    dequantize_row(dt, q.data() + 2 * row_bytes(dt, 256), back.data(), 256);
    double err = 0, norm = 0;
    for (int i = 0; i < 256; ++i) err += std::pow(back[i] - src[512 + i], 2), norm += src[512 + i] * src[512 + i];
    // Bounds per format from quant_test.cpp: 2- and 3-bit formats are coarse.
    const double bound = dt == DType::kQ2_K ? 0.45 : dt == DType::kQ3_K ? 0.25 : 0.15;
    EXPECT_LT(std::sqrt(err / norm), bound) << dtype_info(dt).name;
  }
}

}  // namespace
}  // namespace qvl
