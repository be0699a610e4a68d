// Packing weights at load and the packed matmul (runtime layer): activation
// quantisation into a per-thread scratch buffer, 16-row chunks over the pool, each
// chunk meeting every 4-token tile while its weights sit in L1/L2; one token takes
// each thread's whole run of chunks in one kernel call.
#include "runtime/repack.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "base/error.h"
#include "base/mapped_file.h"
#include "kernels/repack.h"

namespace qvl {
namespace {

constexpr int64_t kChunkRows = 2 * kRepackRows;  // one AVX-512 step: two packed groups

bool packable_type(DType t) { return t == DType::kQ4_0 || t == DType::kQ4_K || t == DType::kQ8_0; }

thread_local const int32_t* tl_seq = nullptr;  // RepackSequences
thread_local int64_t tl_seq_n = 0;

// gemm[t] = 1 where ggml would put token t in a 4-token gemm group (see header).
void gemm_tokens(int64_t n, const uint8_t* single, bool gemv_only, std::vector<uint8_t>& gemm) {
  gemm.assign(size_t(n), 0);
  if (gemv_only) return;
  const int32_t* seq = tl_seq_n == n ? tl_seq : nullptr;
  for (int64_t t = 0; t < n;) {
    if (single && single[t]) {
      ++t;
      continue;
    }
    int64_t e = t + 1;
    while (e < n && !(single && single[e]) && !(seq && seq[e] != seq[t])) ++e;
    const int64_t len = e - t;
    std::fill(gemm.begin() + t, gemm.begin() + t + (len - len % 4), 1);
    t = e;
  }
}

}  // namespace

bool repack_enabled() {
  static const bool on = [] {
    const char* env = std::getenv("QVL_REPACK");
    return !(env && std::strcmp(env, "0") == 0);
  }();
  return on;
}

size_t repacked_bytes(DType t, int64_t rows, int64_t k) {
  if (t == DType::kQ4_0) return repacked_bytes_q4_0(rows, k);
  if (t == DType::kQ4_K) return repacked_bytes_q4_K(rows, k);
  if (t == DType::kQ8_0) return repacked_bytes_q8_0(rows, k);
  return 0;
}

bool repack_eligible(const Tensor& w) {
  if (!repack_enabled() || !packable_type(w.dtype) || w.shape.size() < 2 || !w.data) return false;
  const int64_t n_out = w.shape[w.shape.size() - 2], k = w.cols();
  const int64_t block = w.dtype == DType::kQ4_K ? kQK_K : kQK;
  return n_out > 0 && n_out % kRepackRows == 0 && k > 0 && k % block == 0;
}

bool repack_weight(Tensor& w, std::vector<std::vector<uint8_t>>& store, bool gemv_only) {
  if (!repack_eligible(w)) return false;
  const int64_t n_out = w.shape[w.shape.size() - 2], k = w.cols();
  const int64_t n_mat = w.rows() / n_out;
  const size_t src_bytes = size_t(n_out) * w.row_size(), dst_bytes = repacked_bytes(w.dtype, n_out, k);
  std::vector<uint8_t> buf(dst_bytes * size_t(n_mat));
  const auto* src = static_cast<const uint8_t*>(w.data);
  for (int64_t e = 0; e < n_mat; ++e) {
    uint8_t* dst = buf.data() + e * dst_bytes;
    if (w.dtype == DType::kQ4_0) repack_q4_0(src + e * src_bytes, n_out, k, dst);
    else if (w.dtype == DType::kQ8_0) repack_q8_0(src + e * src_bytes, n_out, k, dst);
    else repack_q4_K(src + e * src_bytes, n_out, k, dst);
  }
  // Matmuls read only the packed copy from now on: let the mapped original's pages
  // go, so the weight is resident once, not twice (issue 10, item 5). Anything that
  // still reads it (a tied embedding's row lookups) faults its pages back in.
  release_mapped_pages(src, src_bytes * size_t(n_mat));
  store.push_back(std::move(buf));
  w.packed = store.back().data();
  w.packed_gemv_only = gemv_only;
  return true;
}

RepackSequences::RepackSequences(const int32_t* seq, int64_t n) : prev_seq_(tl_seq), prev_n_(tl_seq_n) {
  tl_seq = seq;
  tl_seq_n = n;
}
RepackSequences::~RepackSequences() {
  tl_seq = prev_seq_;
  tl_seq_n = prev_n_;
}

void matmul_repacked(const Tensor& w, const float* x, int64_t n_tok, float* y, ThreadPool& pool,
                     const uint8_t* single) {
  QVL_CHECK(w.packed && packable_type(w.dtype) && w.shape.size() == 2 && w.rows() % kRepackRows == 0,
            "matmul: weight '", w.name, "' has no usable packed copy");
  const int64_t k = w.cols(), n_out = w.rows();
  if (n_tok == 0 || n_out == 0) return;
  // Q4_0 and Q8_0 read Q8_0 activations and have one order; Q4_K reads Q8_K.
  const bool q8_act = w.dtype == DType::kQ4_0 || w.dtype == DType::kQ8_0;
  const size_t xs = q8_act ? repack_act_bytes_q8_0(k) : row_bytes(DType::kQ8_K, k);
  thread_local std::vector<uint8_t> gemm_buf;  // the pool's threads read it through `gemm`
  gemm_tokens(n_tok, single, w.packed_gemv_only || q8_act, gemm_buf);
  const uint8_t* gemm = gemm_buf.data();

  const RepackKernels& kern = repack_kernels();
  thread_local std::vector<uint8_t> scratch;
  if (scratch.size() < xs * n_tok) scratch.resize(xs * n_tok);
  uint8_t* xq = scratch.data();
  const int64_t grain = std::max<int64_t>(1, 65536 / k);
  pool.parallel_for(n_tok, grain, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const RepackQuantizeFn quant = q8_act ? kern.q8_0_sums : gemm[t] ? kern.q8_K_x4 : kern.q8_K;
      quant(x + t * k, xq + t * xs, k);
    }
  });

  const RepackMatmulFn fn = w.dtype == DType::kQ4_0 ? kern.q4_0 : w.dtype == DType::kQ8_0 ? kern.q8_0 : kern.q4_K;
  const size_t group_bytes = repacked_bytes(w.dtype, kRepackRows, k);
  const auto* packed = static_cast<const uint8_t*>(w.packed);
  const int64_t n_chunks = (n_out + kChunkRows - 1) / kChunkRows;
  pool.parallel_for(n_chunks, 1, [&](int64_t cb, int64_t ce) {
    if (n_tok == 1) {  // decode: one call for the whole range, one weight stream
      const int64_t r0 = cb * kChunkRows, nr = std::min(ce * kChunkRows, n_out) - r0;
      fn(k, packed + (r0 / kRepackRows) * group_bytes, nr, xq, xs, 1, y + r0, size_t(n_out),
         gemm[0] ? RepackOrder::kGemm : RepackOrder::kGemv);
      return;
    }
    for (int64_t c = cb; c < ce; ++c) {
      const int64_t r0 = c * kChunkRows, nr = std::min(kChunkRows, n_out - r0);
      const uint8_t* wc = packed + (r0 / kRepackRows) * group_bytes;
      for (int64_t t0 = 0; t0 < n_tok;) {
        // A tile: up to 4 tokens of one order (each token's sums are its own, so
        // which tokens share a tile does not change any result).
        int nx = 1;
        while (nx < kRepackMaxCols && t0 + nx < n_tok && gemm[t0 + nx] == gemm[t0]) ++nx;
        const RepackOrder order = gemm[t0] ? RepackOrder::kGemm : RepackOrder::kGemv;
        fn(k, wc, nr, xq + t0 * xs, xs, nx, y + t0 * n_out + r0, size_t(n_out), order);
        t0 += nx;
      }
    }
  });
}

}  // namespace qvl
