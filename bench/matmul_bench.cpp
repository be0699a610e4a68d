// matmul speed per weight dtype (Google Benchmark): decode (n_tok = 1, weight GB/s)
// and prefill (n_tok = 128, GFLOP/s) on a 2048 x 6144 weight, 1 and 2 threads, next
// to a plain streaming read of memory (the decode roofline). Not a test: no asserts.
// "cold" runs rotate through copies of the weight totalling >= 256 MiB so every read
// comes from DRAM, as in a real model; "hot" reuses one copy (L3-resident if small).
#include <benchmark/benchmark.h>

#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "base/thread_pool.h"
#include "runtime/matmul.h"
#include "runtime/panel_matmul.h"
#include "runtime/quantize.h"

namespace qvl {
namespace {

constexpr int64_t kIn = 2048, kOut = 6144;
constexpr size_t kColdBytes = size_t(256) << 20;

const DType kTypes[] = {DType::kF32,  DType::kF16,  DType::kBF16, DType::kQ8_0, DType::kQ4_0, DType::kQ4_1,
                        DType::kQ5_0, DType::kQ5_1, DType::kQ4_K, DType::kQ5_K, DType::kQ6_K};

std::vector<float> gaussian(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& f : v) f = dist(rng);
  return v;
}

// n copies of one quantised 2048 x 6144 weight. Only the latest dtype is kept
// (256 MiB each); benchmarks are registered grouped by dtype.
struct Weights {
  std::vector<uint8_t> bytes;
  size_t one = 0;
  int copies = 0;
  Tensor view(int i) const {
    Tensor t;
    t.name = "bench";
    t.dtype = dtype;
    t.shape = {kOut, kIn};
    t.data = bytes.data() + (i % copies) * one;
    return t;
  }
  DType dtype = DType::kF32;
};

const Weights& weights(DType dt) {
  static std::unique_ptr<Weights> w;
  if (!w || w->dtype != dt) {
    w.reset();
    w = std::make_unique<Weights>();
    w->dtype = dt;
    const std::vector<float> src = gaussian(kIn * kOut, 1);
    const std::vector<uint8_t> q = quantize_tensor(dt, src.data(), kOut, kIn);
    w->one = q.size();
    w->copies = static_cast<int>((kColdBytes + q.size() - 1) / q.size());
    w->bytes.resize(w->one * w->copies);
    for (int i = 0; i < w->copies; ++i) std::memcpy(w->bytes.data() + i * w->one, q.data(), q.size());
  }
  return *w;
}

ThreadPool& pool(int n) {
  static ThreadPool p1(1), p2(2);
  return n == 1 ? p1 : p2;
}

// args: dtype id, threads, cold (0/1)
void BM_Decode(benchmark::State& state) {
  const DType dt = static_cast<DType>(state.range(0));
  const Weights& w = weights(dt);
  const bool cold = state.range(2) != 0;
  const std::vector<float> x = gaussian(kIn, 2);
  std::vector<float> y(kOut);
  int i = 0;
  for (auto _ : state) {
    matmul(w.view(cold ? i++ : 0), x.data(), 1, y.data(), pool(static_cast<int>(state.range(1))));
    benchmark::DoNotOptimize(y.data());
  }
  state.SetLabel(std::string(dtype_info(dt).name) + (cold ? " cold" : " hot"));
  state.counters["GB/s"] = benchmark::Counter(double(w.one), benchmark::Counter::kIsIterationInvariantRate,
                                              benchmark::Counter::kIs1000);
}

void BM_Prefill(benchmark::State& state) {
  const DType dt = static_cast<DType>(state.range(0));
  const Weights& w = weights(dt);
  constexpr int64_t kTok = 128;
  const std::vector<float> x = gaussian(kIn * kTok, 3);
  std::vector<float> y(kOut * kTok);
  for (auto _ : state) {
    matmul(w.view(0), x.data(), kTok, y.data(), pool(static_cast<int>(state.range(1))));
    benchmark::DoNotOptimize(y.data());
  }
  state.SetLabel(dtype_info(dt).name);
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * kIn * kOut * kTok / 1e9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

// The vision encoder's matmuls (Qwen3-VL-2B tower, 448 x 448 image: 784 patches):
// runtime matmul (ggml's order, activations rounded for F16 weights) against the
// panel matmul the encoder's default path takes (runtime/panel_matmul.h).
// args: path (0 matmul, 1 panel), shape (0 qkv 3072x1024, 1 fc1 4096x1024,
// 2 fc2 1024x4096), dtype id (F16 / F32), threads.
void BM_Vision(benchmark::State& state) {
  static const int64_t kShapes[3][2] = {{3072, 1024}, {4096, 1024}, {1024, 4096}};
  const bool panel = state.range(0) != 0;
  const int64_t n_out = kShapes[state.range(1)][0], k = kShapes[state.range(1)][1], n_tok = 784;
  const DType dt = static_cast<DType>(state.range(2));
  const std::vector<float> src = gaussian(n_out * k, 5);
  const std::vector<uint8_t> q = quantize_tensor(dt, src.data(), n_out, k);
  Tensor t;
  t.name = "vision";
  t.dtype = dt;
  t.shape = {n_out, k};
  t.data = q.data();
  ThreadPool& p = pool(static_cast<int>(state.range(3)));
  const PanelWeight pw(t, p);
  const std::vector<float> x = gaussian(k * n_tok, 6);
  std::vector<float> y(n_out * n_tok);
  for (auto _ : state) {
    if (panel) panel_matmul(pw.matrix(), x.data(), n_tok, y.data(), p);
    else matmul(t, x.data(), n_tok, y.data(), p);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetLabel(std::string(panel ? "panel " : "matmul ") + dtype_info(dt).name);
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * k * n_out * n_tok / 1e9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

void vision_args(benchmark::internal::Benchmark* b) {
  for (int shape : {0, 1, 2})
    for (DType dt : {DType::kF16, DType::kF32})
      for (int threads : {1, 2})
        for (int path : {0, 1}) b->Args({path, shape, static_cast<int64_t>(dt), threads});
}

// The roofline: each thread sums its share of a 256 MiB buffer (the compiler
// vectorises the loop; 16-byte loads are enough to saturate DRAM).
void BM_StreamRead(benchmark::State& state) {
  static std::vector<uint8_t> buf(kColdBytes, 1);
  const int n = static_cast<int>(state.range(0));
  for (auto _ : state) {
    pool(n).run([&](int ith, int nth) {
      const size_t part = buf.size() / nth;
      const uint64_t* p = reinterpret_cast<const uint64_t*>(buf.data() + ith * part);
      uint64_t acc[8] = {};
      for (size_t j = 0; j + 8 <= part / 8; j += 8)
        for (int l = 0; l < 8; ++l) acc[l] += p[j + l];
      benchmark::DoNotOptimize(acc);
    });
  }
  state.counters["GB/s"] = benchmark::Counter(double(buf.size()), benchmark::Counter::kIsIterationInvariantRate,
                                              benchmark::Counter::kIs1000);
}

void BM_Memcpy(benchmark::State& state) {
  static std::vector<uint8_t> src(kColdBytes / 2, 1), dst(kColdBytes / 2);
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), src.size());
    benchmark::DoNotOptimize(dst.data());
  }
  state.counters["GB/s(r+w)"] = benchmark::Counter(2.0 * src.size(), benchmark::Counter::kIsIterationInvariantRate,
                                                   benchmark::Counter::kIs1000);
}

void decode_args(benchmark::internal::Benchmark* b) {
  for (DType dt : kTypes)
    for (int threads : {1, 2})
      for (int cold : {1, 0}) b->Args({static_cast<int64_t>(dt), threads, cold});
}

void prefill_args(benchmark::internal::Benchmark* b) {
  for (DType dt : kTypes)
    for (int threads : {1, 2}) b->Args({static_cast<int64_t>(dt), threads});
}

BENCHMARK(BM_StreamRead)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Memcpy)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Decode)->Apply(decode_args)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Prefill)->Apply(prefill_args)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Vision)->Apply(vision_args)->UseRealTime()->Unit(benchmark::kMillisecond);
// The same prefill timed by the process's CPU time (all threads): on a machine shared
// with other jobs this tracks kernel cost where wall time mostly tracks the load.
// Compare with QVL_ISA=avx2|avx512 and --benchmark_filter='PrefillCpu/<dtype id>/1'.
BENCHMARK(BM_Prefill)->Name("BM_PrefillCpu")->Apply(prefill_args)->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace qvl

BENCHMARK_MAIN();
