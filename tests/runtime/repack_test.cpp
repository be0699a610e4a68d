// Packed matmul (runtime/repack.h): eligibility, agreement with the unpacked path,
// thread-count invariance, ggml's token grouping (4-token groups, one-row tail,
// experts one row at a time), and stacked-expert offsets.
#include "runtime/repack.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "runtime/matmul.h"
#include "runtime/quantize.h"

namespace qvl {
namespace {

std::vector<float> gaussian(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& f : v) f = dist(rng);
  return v;
}

struct Weight {
  std::vector<uint8_t> bytes;
  std::vector<std::vector<uint8_t>> store;
  Tensor t;
};

Weight make_weight(DType dt, std::vector<int64_t> shape, uint32_t seed) {
  Weight w;
  const int64_t k = shape.back(), rows = [&] {
    int64_t n = 1;
    for (size_t i = 0; i + 1 < shape.size(); ++i) n *= shape[i];
    return n;
  }();
  const auto f = gaussian(rows * k, seed);
  w.bytes = quantize_tensor(dt, f.data(), rows, k);
  w.t.name = "w";
  w.t.dtype = dt;
  w.t.shape = std::move(shape);
  w.t.data = w.bytes.data();
  return w;
}

std::vector<float> mm(const Tensor& t, const std::vector<float>& x, int64_t n, ThreadPool& pool) {
  std::vector<float> y(size_t(n * t.rows()));
  matmul(t, x.data(), n, y.data(), pool);
  return y;
}

TEST(RepackRuntime, Eligibility) {
  if (!repack_enabled()) GTEST_SKIP() << "QVL_REPACK=0";
  Weight a = make_weight(DType::kQ4_0, {12, 64}, 1), b = make_weight(DType::kF16, {16, 64}, 2),
         c = make_weight(DType::kQ4_K, {16, 256}, 3);
  EXPECT_FALSE(repack_weight(a.t, a.store, false));  // 12 rows: not a multiple of 8
  EXPECT_FALSE(repack_weight(b.t, b.store, false));  // no packed layout for f16
  EXPECT_TRUE(repack_weight(c.t, c.store, false));
  Weight d = make_weight(DType::kQ8_0, {8, 64}, 4);
  EXPECT_TRUE(repack_weight(d.t, d.store, false));
  EXPECT_EQ(repacked_bytes(DType::kQ8_0, 8, 64), d.store[0].size());
  EXPECT_EQ(a.t.packed, nullptr);
  EXPECT_NE(c.t.packed, nullptr);
  EXPECT_EQ(c.store.size(), 1u);
  EXPECT_EQ(repacked_bytes(DType::kQ4_K, 16, 256), c.store[0].size());
}

TEST(RepackRuntime, AgreesWithUnpackedAndReferenceForEveryThreadCount) {
  if (!repack_enabled()) GTEST_SKIP() << "QVL_REPACK=0";
  ThreadPool one(1), three(3);
  uint32_t seed = 10;
  for (DType dt : {DType::kQ4_0, DType::kQ4_K, DType::kQ8_0})
    for (int64_t rows : {8, 24, 40})
      for (int64_t n : {1, 3, 4, 7, 9}) {
        const int64_t k = dt == DType::kQ4_K ? 512 : 96;
        Weight w = make_weight(dt, {rows, k}, seed++);
        const Tensor plain = w.t;
        ASSERT_TRUE(repack_weight(w.t, w.store, false));
        const auto x = gaussian(n * k, seed++);
        const auto y1 = mm(w.t, x, n, one), y3 = mm(w.t, x, n, three), yp = mm(plain, x, n, one);
        std::vector<float> yr(y1.size());
        matmul_ref(plain, x.data(), n, yr.data());
        for (size_t i = 0; i < y1.size(); ++i) {
          ASSERT_EQ(y1[i], y3[i]) << "thread count changed the result";
          // Same quantised products as the vec_dot path, another summation order.
          EXPECT_NEAR(y1[i], yp[i], 1e-4f * (1.0f + std::fabs(yp[i])));
          // Activation quantisation error against the f64 oracle.
          EXPECT_NEAR(y1[i], yr[i], 0.05f * std::sqrt(float(k)));
        }
      }
}

// ggml: tokens [0, n - n % 4) in 4-token gemm groups, the tail one by one.
TEST(RepackRuntime, TokenGroupingFollowsGgml) {
  if (!repack_enabled()) GTEST_SKIP() << "QVL_REPACK=0";
  ThreadPool pool(2);
  const int64_t rows = 16, k = 512, n = 7;
  Weight w = make_weight(DType::kQ4_K, {rows, k}, 50);
  ASSERT_TRUE(repack_weight(w.t, w.store, false));
  const auto x = gaussian(n * k, 51);
  const auto all = mm(w.t, x, n, pool);
  const auto first4 = mm(w.t, std::vector<float>(x.begin(), x.begin() + 4 * k), 4, pool);
  int gemm_vs_gemv_differs = 0;
  for (int64_t t = 0; t < n; ++t) {
    const auto alone = mm(w.t, std::vector<float>(x.begin() + t * k, x.begin() + (t + 1) * k), 1, pool);
    for (int64_t r = 0; r < rows; ++r) {
      if (t < 4) {
        ASSERT_EQ(all[t * rows + r], first4[t * rows + r]);
        gemm_vs_gemv_differs += all[t * rows + r] != alone[r];
      } else {
        ASSERT_EQ(all[t * rows + r], alone[r]) << "tail token " << t;
      }
    }
  }
  // The two orders round differently somewhere in 64 values (else this test
  // could not tell them apart).
  EXPECT_GT(gemm_vs_gemv_differs, 0);

  // Experts (MUL_MAT_ID): every token takes the one-row order.
  w.t.packed_gemv_only = true;
  const auto experts = mm(w.t, x, n, pool);
  for (int64_t t = 0; t < n; ++t) {
    const auto alone = mm(w.t, std::vector<float>(x.begin() + t * k, x.begin() + (t + 1) * k), 1, pool);
    for (int64_t r = 0; r < rows; ++r) ASSERT_EQ(experts[t * rows + r], alone[r]);
  }
}

// Runs split per sequence (RepackSequences) and at tokens marked single.
TEST(RepackRuntime, SequencesAndSingleTokensRestartTheGroups) {
  if (!repack_enabled()) GTEST_SKIP() << "QVL_REPACK=0";
  ThreadPool pool(2);
  const int64_t rows = 16, k = 256, n = 10;
  Weight w = make_weight(DType::kQ4_K, {rows, k}, 60);
  ASSERT_TRUE(repack_weight(w.t, w.store, false));
  const auto x = gaussian(n * k, 61);
  auto part = [&](int64_t t0, int64_t m) {
    return mm(w.t, std::vector<float>(x.begin() + t0 * k, x.begin() + (t0 + m) * k), m, pool);
  };
  // seq 0: tokens 0-4 (a group of 4, then one alone); seq 1: tokens 5-9, token 9 marked single.
  const std::vector<int32_t> seq = {0, 0, 0, 0, 0, 1, 1, 1, 1, 1};
  const std::vector<uint8_t> single = {0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  std::vector<float> y(size_t(n * rows));
  {
    const RepackSequences scope(seq.data(), n);
    matmul_repacked(w.t, x.data(), n, y.data(), pool, single.data());
  }
  const auto g0 = part(0, 4), t4 = part(4, 1), g1 = part(5, 4), t9 = part(9, 1);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t t = 0; t < 4; ++t) ASSERT_EQ(y[t * rows + r], g0[t * rows + r]);
    ASSERT_EQ(y[4 * rows + r], t4[r]);
    for (int64_t t = 0; t < 4; ++t) ASSERT_EQ(y[(5 + t) * rows + r], g1[t * rows + r]);
    ASSERT_EQ(y[9 * rows + r], t9[r]);
  }
  // Outside the scope, or for another row count, the whole call is one run.
  std::vector<float> whole(size_t(n * rows));
  matmul_repacked(w.t, x.data(), n, whole.data(), pool);
  const auto first8 = part(0, 8);
  for (int64_t i = 0; i < 8 * rows; ++i) ASSERT_EQ(whole[i], first8[i]);
}

TEST(RepackRuntime, StackedExpertsPackPerExpert) {
  if (!repack_enabled()) GTEST_SKIP() << "QVL_REPACK=0";
  ThreadPool pool(1);
  const int64_t E = 3, rows = 24, k = 256, n = 5;
  Weight w = make_weight(DType::kQ4_K, {E, rows, k}, 70);
  ASSERT_TRUE(repack_weight(w.t, w.store, true));
  const auto x = gaussian(n * k, 71);
  for (int64_t e = 0; e < E; ++e) {
    Tensor slice = w.t;  // as model/qwen3vl expert_slice() cuts it
    slice.shape = {rows, k};
    slice.data = w.bytes.data() + e * rows * slice.row_size();
    slice.packed = static_cast<const uint8_t*>(w.t.packed) + e * repacked_bytes(DType::kQ4_K, rows, k);
    Tensor alone = slice;
    alone.packed = nullptr;
    std::vector<std::vector<uint8_t>> store;
    ASSERT_TRUE(repack_weight(alone, store, true));
    EXPECT_EQ(mm(slice, x, n, pool), mm(alone, x, n, pool)) << "expert " << e;
  }
}

}  // namespace
}  // namespace qvl
