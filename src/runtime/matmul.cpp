// matmul / matmul_ref / get_rows (runtime layer): activation conversion into a
// scratch buffer, row-chunk scheduling over the pool, token tiling of kMaxDotCols
// (GemmKernels::cols for float weights).
#include "runtime/matmul.h"

#include <algorithm>
#include <vector>

#include "base/error.h"
#include "base/fp16.h"
#include "kernels/gemm.h"
#include "kernels/ggml_scalar.h"
#include "kernels/quant_gemm.h"
#include "kernels/round_f16.h"
#include "kernels/vec_dot.h"
#include "runtime/quantize.h"
#include "runtime/repack.h"

namespace qvl {
namespace {

VecDotFn kernel_for(const VecDotKernels& k, DType t) {
  switch (t) {
    case DType::kF32: return k.f32;
    case DType::kF16: return k.f16;
    case DType::kBF16: return k.bf16;
    case DType::kQ4_0: return k.q4_0;
    case DType::kQ4_1: return k.q4_1;
    case DType::kQ5_0: return k.q5_0;
    case DType::kQ5_1: return k.q5_1;
    case DType::kQ8_0: return k.q8_0;
    case DType::kQ4_K: return k.q4_K;
    case DType::kQ5_K: return k.q5_K;
    case DType::kQ6_K: return k.q6_K;
    case DType::kQ2_K: return k.q2_K;
    case DType::kQ3_K: return k.q3_K;
    default: return nullptr;
  }
}

// Float weights go through the register-blocked gemm tiles (several rows at once).
GemmFn float_gemm_for(DType t) {
  const GemmKernels& g = gemm_kernels();
  switch (t) {
    case DType::kF32: return g.f32;
    case DType::kF16: return g.f16;
    case DType::kBF16: return g.bf16;
    default: return nullptr;
  }
}

// Converts one activation row to what the kernel for `act` reads: blocks for the
// quantised formats; for f16/bf16 weights, f32 values rounded to f16/bf16 (the
// gemm tiles), which multiply exactly like ggml's f16/bf16 rows.
void convert_activation(DType act, const float* x, uint8_t* out, int64_t k) {
  if (act == DType::kF16 || act == DType::kBF16) {
    auto* y = reinterpret_cast<float*>(out);
    if (act == DType::kF16)
      kernels::round_to_f16(x, y, k);
    else
      for (int64_t i = 0; i < k; ++i) y[i] = bf16_to_f32(f32_to_bf16(x[i]));
    return;
  }
  quantize_row(act, x, out, k);
}

size_t activation_row_bytes(DType act, int64_t k) {
  return act == DType::kF16 || act == DType::kBF16 ? k * sizeof(float) : row_bytes(act, k);
}

// Rows per scheduling unit. 16 rows of a 2048-wide Q4_0 weight are 18 KiB: they stay
// in L1/L2 while every token tile of a token block passes over them.
constexpr int64_t kRowsPerChunk = 16;

// Activation bytes per token block. A thread takes its chunks once per block of
// tokens whose converted activations fit in L2 (256 KiB of the 512 KiB-2 MiB L2s of
// x86 cores), instead of streaming every token's activations once per 16-row chunk:
// 784 vision patches of width 1024 are 3.2 MB of f32, which was read from L3 once
// per chunk (bench/RESULTS.md). Which tokens share a block never changes a result:
// each (row, token) sum is one kernel's own.
constexpr size_t kTokenBlockBytes = size_t(256) << 10;

void check_matmul_args(const Tensor& w, const float* x, int64_t n_tok, float* y) {
  QVL_CHECK(w.shape.size() == 2, "matmul: weight '", w.name, "' must be 2-D, got ", w.shape_str());
  QVL_CHECK(n_tok >= 0, "matmul: negative token count ", n_tok);
  QVL_CHECK(w.data || w.numel() == 0, "matmul: weight '", w.name, "' has no data");
  QVL_CHECK((x && y) || n_tok == 0, "matmul: null activation or output");
}

}  // namespace

DType matmul_activation_type(DType weight) {
  switch (weight) {
    case DType::kF32: case DType::kF16: case DType::kBF16: return weight;
    case DType::kQ4_0: case DType::kQ5_0: case DType::kQ8_0: return DType::kQ8_0;
    case DType::kQ4_1: case DType::kQ5_1: return DType::kQ8_1;
    case DType::kQ2_K: case DType::kQ3_K: case DType::kQ4_K: case DType::kQ5_K: case DType::kQ6_K:
      return DType::kQ8_K;
    default: QVL_FAIL("matmul: weight type ", dtype_info(weight).name, " is not supported");
  }
}

bool matmul_supported(DType weight) { return kernel_for(kVecDotRef, weight) != nullptr; }

void matmul(const Tensor& w, const float* x, int64_t n_tok, float* y, ThreadPool& pool) {
  matmul(w, x, n_tok, y, pool, nullptr);
}

void matmul(const Tensor& w, const float* x, int64_t n_tok, float* y, ThreadPool& pool, const uint8_t* single,
            Numerics numerics) {
  check_matmul_args(w, x, n_tok, y);
  if (w.packed) return matmul_repacked(w, x, n_tok, y, pool, single);  // runtime/repack.h
  const int64_t k = w.cols(), n_out = w.rows();
  const DType act = matmul_activation_type(w.dtype);
  const VecDotFn fn = kernel_for(vec_dot_kernels(), w.dtype);
  const GemmFn gemm = float_gemm_for(w.dtype);
  const int gemm_cols = gemm_kernels().cols;
  // Q8_0 weights not repacked (QVL_REPACK=0, rows % 8 != 0) take the multi-row tiles,
  // ggml's x86 order and bit-identical to fn, for runs of 2+ tokens. One token
  // (decode) streams each row once through fn: a 4-row tile read a cold 2048 x 6144
  // weight at 7.7 GB/s (AVX2) and 10.5 GB/s (AVX-512) against fn's 24.9 and 19.8
  // (matmul_bench BM_Decode, 1 thread, one run each on the shared VM).
  const QuantGemmFn qgemm = w.dtype == DType::kQ8_0 ? quant_gemm_kernels().q8_0 : nullptr;
  row_bytes(w.dtype, k);  // throws when k does not fit the block size
  // F16/F32 tokens llama.cpp would run alone take ggml_vec_dot_f16/_f32's order; the
  // rest the gemm tiles (tinyBLAS's order; it declines k % 16 != 0, so those go alone).
  // The ggml scalar-build profile (kernels/ggml_scalar.h) has no tinyBLAS: every F16
  // or F32 token takes its scalar vec_dot.
  const bool scalar16 = (w.dtype == DType::kF16 || w.dtype == DType::kF32) && numerics == Numerics::kGgmlScalar;
  const VecDotFn gemv16 = scalar16                 ? (w.dtype == DType::kF16 ? &kernels::vec_dot_f16_ggml_scalar
                                                                             : &kernels::vec_dot_f32_ggml_scalar)
                          : w.dtype == DType::kF16 ? vec_dot_kernels().f16_gemv
                          : w.dtype == DType::kF32 ? vec_dot_kernels().f32_gemv
                                                   : nullptr;
  auto alone = [&](int64_t t) { return gemv16 && (scalar16 || k % 16 != 0 || (single && single[t])); };
  if (n_tok == 0 || n_out == 0) return;
  if (k == 0) {
    std::fill(y, y + n_tok * n_out, 0.0f);
    return;
  }

  // Activations in the kernel's format: f32 is used in place, the rest go into a
  // buffer owned by the calling thread that only ever grows.
  const size_t xs = activation_row_bytes(act, k);
  const void* xq = x;
  if (act != DType::kF32) {
    thread_local std::vector<uint8_t> scratch;
    if (scratch.size() < xs * n_tok) scratch.resize(xs * n_tok);
    uint8_t* buf = scratch.data();
    const int64_t grain = std::max<int64_t>(1, 65536 / k);  // rows per task: ~64k elements
    pool.parallel_for(n_tok, grain, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) convert_activation(act, x + t * k, buf + t * xs, k);
    });
    xq = buf;
  }

  const auto* wdata = static_cast<const uint8_t*>(w.data);
  const size_t ws = w.row_size();
  const auto* xbytes = static_cast<const uint8_t*>(xq);
  const int64_t n_chunks = (n_out + kRowsPerChunk - 1) / kRowsPerChunk;
  // parallel_for hands out ranges of chunks. A thread runs its chunks once per token
  // block: each chunk's rows meet every token tile of the block, whose activations
  // stay in L2, and the thread's weights are read once per block.
  // Tokens per block: a multiple of the widest tile, at least one tile.
  const int64_t block_tok =
      std::max<int64_t>(kGemmMaxCols, int64_t(kTokenBlockBytes / xs) / kGemmMaxCols * kGemmMaxCols);
  pool.parallel_for(n_chunks, 1, [&](int64_t cb, int64_t ce) {
    for (int64_t tb = 0; tb < n_tok; tb += block_tok) {
      const int64_t te = std::min(n_tok, tb + block_tok);
      for (int64_t c = cb; c < ce; ++c) {
        const int64_t r0 = c * kRowsPerChunk, r1 = std::min(n_out, r0 + kRowsPerChunk);
        for (int64_t t0 = tb; t0 < te;) {
          // A run of tokens that all take the same order: as many as the float gemm
          // table prefers (GemmKernels::cols), kMaxDotCols for vec_dot.
          const bool a0 = alone(t0);
          const int max_nx = gemm && !a0 ? gemm_cols : kMaxDotCols;
          int nx = 1;
          while (nx < max_nx && t0 + nx < te && alone(t0 + nx) == a0) ++nx;
          float* yt = y + t0 * n_out;
          const uint8_t* xt = xbytes + t0 * xs;
          if (gemm && !a0) {
            for (int64_t r = r0; r < r1; r += kGemmRows) {
              const int nr = static_cast<int>(std::min<int64_t>(kGemmRows, r1 - r));
              gemm(k, wdata + r * ws, ws, nr, reinterpret_cast<const float*>(xt), xs, nx, yt + r,
                   static_cast<size_t>(n_out));
            }
          } else if (qgemm && nx >= 2) {
            for (int64_t r = r0; r < r1; r += kQuantGemmRows) {
              const int nr = static_cast<int>(std::min<int64_t>(kQuantGemmRows, r1 - r));
              qgemm(k, wdata + r * ws, ws, nr, xt, xs, nx, yt + r, static_cast<size_t>(n_out));
            }
          } else {
            const VecDotFn dot = a0 ? gemv16 : fn;
            for (int64_t r = r0; r < r1; ++r) dot(k, wdata + r * ws, xt, xs, nx, yt + r, static_cast<size_t>(n_out));
          }
          t0 += nx;
        }
      }
    }
  });
}

void matmul_ref(const Tensor& w, const float* x, int64_t n_tok, float* y) {
  check_matmul_args(w, x, n_tok, y);
  const int64_t k = w.cols(), n_out = w.rows();
  std::vector<float> row(k);
  for (int64_t r = 0; r < n_out; ++r) {
    dequantize_row(w.dtype, w.row(r), row.data(), k);
    for (int64_t t = 0; t < n_tok; ++t) {
      double s = 0;
      for (int64_t i = 0; i < k; ++i) s += double(row[i]) * x[t * k + i];
      y[t * n_out + r] = static_cast<float>(s);
    }
  }
}

void get_rows(const Tensor& w, const int32_t* ids, int64_t n, float* out) {
  QVL_CHECK(!w.shape.empty(), "get_rows: tensor '", w.name, "' has no shape");
  const int64_t rows = w.rows(), cols = w.cols();
  for (int64_t i = 0; i < n; ++i) {
    QVL_CHECK(ids[i] >= 0 && ids[i] < rows, "get_rows: id ", ids[i], " is outside [0, ", rows, ") of '", w.name,
              "'");
    dequantize_row(w.dtype, w.row(ids[i]), out + i * cols, cols);
  }
}

}  // namespace qvl
