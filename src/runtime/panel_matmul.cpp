// Packing into kernels/panel_gemm.h's panels and the pooled matmul on them (runtime layer).
#include "runtime/panel_matmul.h"

#include <algorithm>
#include <cstring>

#include "base/error.h"
#include "base/fp16.h"
#include "kernels/panel_gemm.h"

namespace qvl {
namespace {

// Packed activation bytes per pass: a thread runs its row groups once per block of
// token panels whose activations stay in L2 (256 KiB of the 512 KiB - 2 MiB L2s of
// x86 cores) next to the row group's weights (64 KiB for 32 rows of 1024 F16).
constexpr size_t kTokenBlockBytes = size_t(256) << 10;
// Most packed activation bytes one panel_matmul holds (per calling thread).
constexpr size_t kMaxPackedBytes = size_t(64) << 20;

size_t element_bytes(DType t) { return t == DType::kF16 ? 2 : 4; }

// Panels [pb, pe) of a row-major matrix of Src (rows `rs` bytes apart) into dst:
// each source row is read once, in order, and written down its panel column through
// convert; rows past `rows` are zero.
template <typename Src, typename Dst, typename Convert>
void pack_rows(const uint8_t* src, size_t rs, int64_t rows, int64_t k, int64_t pb, int64_t pe, Dst* dst,
               Convert convert) {
  for (int64_t p = pb; p < pe; ++p)
    for (int64_t r = 0; r < kPanelRows; ++r) {
      const int64_t row = p * kPanelRows + r;
      Dst* d = dst + p * k * kPanelRows + r;
      if (row >= rows) {
        for (int64_t i = 0; i < k; ++i) d[i * kPanelRows] = Dst{};
        continue;
      }
      const auto* s = reinterpret_cast<const Src*>(src + size_t(row) * rs);
      for (int64_t i = 0; i < k; ++i) d[i * kPanelRows] = convert(s[i]);
    }
}

void check_matrix(const PanelMatrix& w) {
  QVL_CHECK(w.dtype == DType::kF32 || w.dtype == DType::kF16, "panel_matmul: element type must be f32 or f16");
  QVL_CHECK(w.rows >= 0 && w.cols >= 0 && (w.data || w.rows == 0 || w.cols == 0), "panel_matmul: bad matrix");
}

}  // namespace

int64_t panel_elements(int64_t rows, int64_t cols) { return (rows + kPanelRows - 1) / kPanelRows * cols * kPanelRows; }

int64_t token_panel_elements(int64_t n_tok, int64_t k) {
  const int64_t nt = panel_gemm_kernels().tokens;
  return (n_tok + nt - 1) / nt * k * nt;
}

bool panel_packable(const Tensor& w) {
  return w.shape.size() == 2 && w.data != nullptr &&
         (w.dtype == DType::kF32 || w.dtype == DType::kF16 || w.dtype == DType::kBF16);
}

PanelWeight::PanelWeight(const Tensor& w, ThreadPool& pool) {
  QVL_CHECK(panel_packable(w), "panel pack: '", w.name, "' must be a 2-D f32/f16/bf16 matrix, got ",
            dtype_info(w.dtype).name, " ", w.shape_str());
  m_.rows = w.rows();
  m_.cols = w.cols();
  m_.dtype = w.dtype == DType::kF16 ? DType::kF16 : DType::kF32;
  const int64_t rows = m_.rows, k = m_.cols, n_panels = (rows + kPanelRows - 1) / kPanelRows;
  buf_.resize(size_t(panel_elements(rows, k)) * element_bytes(m_.dtype));
  m_.data = buf_.data();
  const auto* src = static_cast<const uint8_t*>(w.data);
  const size_t rs = w.row_size();
  pool.parallel_for(n_panels, 1, [&](int64_t pb, int64_t pe) {
    if (w.dtype == DType::kF16)
      pack_rows<uint16_t>(src, rs, rows, k, pb, pe, reinterpret_cast<uint16_t*>(buf_.data()), [](uint16_t h) { return h; });
    else if (w.dtype == DType::kBF16)
      pack_rows<uint16_t>(src, rs, rows, k, pb, pe, reinterpret_cast<float*>(buf_.data()), bf16_to_f32);
    else
      pack_rows<float>(src, rs, rows, k, pb, pe, reinterpret_cast<float*>(buf_.data()), [](float f) { return f; });
  });
}

void pack_panels_f32(const float* src, int64_t n, int64_t cols, int64_t stride, float* dst) {
  pack_rows<float>(reinterpret_cast<const uint8_t*>(src), size_t(stride) * sizeof(float), n, cols, 0,
            (n + kPanelRows - 1) / kPanelRows, dst, [](float f) { return f; });
}

void pack_panels_f32_transposed(const float* src, int64_t n, int64_t cols, int64_t stride, float* dst) {
  const int64_t n_panels = (n + kPanelRows - 1) / kPanelRows;
  for (int64_t p = 0; p < n_panels; ++p) {
    float* d = dst + p * cols * kPanelRows;
    const int64_t r_end = std::min<int64_t>(kPanelRows, n - p * kPanelRows);
    for (int64_t i = 0; i < cols; ++i) {
      const float* s = src + i * stride + p * kPanelRows;  // source row i, columns of this panel
      std::copy(s, s + r_end, d + i * kPanelRows);
      std::fill(d + i * kPanelRows + r_end, d + (i + 1) * kPanelRows, 0.0f);
    }
  }
}

void pack_token_panels(const float* x, int64_t n_tok, int64_t k, int64_t x_stride, float* dst) {
  const int64_t nt = panel_gemm_kernels().tokens, n_tp = (n_tok + nt - 1) / nt;
  for (int64_t tp = 0; tp < n_tp; ++tp) {
    float* d = dst + tp * k * nt;
    const int64_t t_end = std::min(nt, n_tok - tp * nt);
    const float* s = x + tp * nt * x_stride;
    if (t_end < nt) std::fill(d, d + k * nt, 0.0f);
    // Along k outer: the panel is written in order while t_end rows are read in order.
    for (int64_t i = 0; i < k; ++i)
      for (int64_t t = 0; t < t_end; ++t) d[i * nt + t] = s[t * x_stride + i];
  }
}

namespace {

// Row groups [gb, ge) times token panels [pb, pe) of packed activations.
void run_groups(const PanelMatrix& w, const PanelGemmKernels& kt, const float* xp, int64_t n_tok, float* y,
                int64_t y_stride, int64_t gb, int64_t ge, int64_t pb, int64_t pe, const float* bias) {
  const PanelGemmFn fn = w.dtype == DType::kF16 ? kt.f16 : kt.f32;
  const int64_t k = w.cols;
  const size_t es = element_bytes(w.dtype);
  const auto* wd = static_cast<const uint8_t*>(w.data);
  for (int64_t g = gb; g < ge; ++g) {
    const int64_t r0 = g * kt.rows;
    const int nr = static_cast<int>(std::min<int64_t>(kt.rows, w.rows - r0));
    const uint8_t* wg = wd + size_t(r0 / kPanelRows) * size_t(k) * kPanelRows * es;
    for (int64_t tp = pb; tp < pe; ++tp) {
      const int64_t t0 = tp * kt.tokens;
      const int nt = static_cast<int>(std::min<int64_t>(kt.tokens, n_tok - t0));
      float* yt = y + t0 * y_stride + r0;
      fn(k, wg, nr, xp + tp * k * kt.tokens, nt, yt, size_t(y_stride));
      if (bias)  // while the tile is in L1, instead of another pass over y
        for (int t = 0; t < nt; ++t)
          for (int r = 0; r < nr; ++r) yt[t * y_stride + r] += bias[r0 + r];
    }
  }
}

bool trivial(const PanelMatrix& w, int64_t n_tok, float* y, int64_t y_stride) {
  if (n_tok == 0 || w.rows == 0) return true;
  if (w.cols == 0) {
    for (int64_t t = 0; t < n_tok; ++t) std::fill(y + t * y_stride, y + t * y_stride + w.rows, 0.0f);
    return true;
  }
  return false;
}

}  // namespace

void panel_matmul_packed(const PanelMatrix& w, const float* x_panels, int64_t n_tok, float* y, int64_t y_stride) {
  check_matrix(w);
  QVL_CHECK(y_stride >= w.rows, "panel_matmul: output stride ", y_stride, " < rows ", w.rows);
  if (trivial(w, n_tok, y, y_stride)) return;
  const PanelGemmKernels& kt = panel_gemm_kernels();
  const int64_t n_groups = (w.rows + kt.rows - 1) / kt.rows, n_tp = (n_tok + kt.tokens - 1) / kt.tokens;
  run_groups(w, kt, x_panels, n_tok, y, y_stride, 0, n_groups, 0, n_tp, nullptr);
}

void panel_matmul(const PanelMatrix& w, const float* x, int64_t n_tok, float* y, int64_t y_stride, ThreadPool& pool,
                  const float* bias) {
  check_matrix(w);
  QVL_CHECK(n_tok >= 0 && y_stride >= w.rows, "panel_matmul: bad token count or output stride");
  if (trivial(w, n_tok, y, y_stride)) {
    if (bias && w.cols == 0)
      for (int64_t t = 0; t < n_tok; ++t)
        for (int64_t r = 0; r < w.rows; ++r) y[t * y_stride + r] = bias[r];
    return;
  }
  const PanelGemmKernels& kt = panel_gemm_kernels();
  const int64_t k = w.cols, nt = kt.tokens;
  // Tokens per slice: packed activations of at most kMaxPackedBytes, so the
  // per-thread buffer stays bounded whatever the image (16384 patches x 4096 would
  // be 268 MB); each slice re-reads the weights once, which is noise at this size.
  const int64_t slice = std::max<int64_t>(nt, int64_t(kMaxPackedBytes / (size_t(k) * sizeof(float))) / nt * nt);
  thread_local AlignedBuffer scratch;
  scratch.reserve_discard(size_t(std::min(n_tok, slice) + nt) * size_t(k) * sizeof(float));
  float* xp = reinterpret_cast<float*>(scratch.data());
  const int64_t n_groups = (w.rows + kt.rows - 1) / kt.rows;
  const int64_t block = std::max<int64_t>(1, int64_t(kTokenBlockBytes / (size_t(k * nt) * sizeof(float))));
  for (int64_t s0 = 0; s0 < n_tok; s0 += slice) {
    const int64_t m = std::min(slice, n_tok - s0), n_tp = (m + nt - 1) / nt;
    const float* xs = x + s0 * k;
    pool.parallel_for(n_tp, std::max<int64_t>(1, 16384 / (k * nt)), [&](int64_t b, int64_t e) {
      pack_token_panels(xs + b * nt * k, std::min(m, e * nt) - b * nt, k, k, xp + b * k * nt);
    });
    float* ys = y + s0 * y_stride;
    pool.parallel_for(n_groups, 1, [&](int64_t gb, int64_t ge) {
      for (int64_t pb = 0; pb < n_tp; pb += block)
        run_groups(w, kt, xp, m, ys, y_stride, gb, ge, pb, std::min(n_tp, pb + block), bias);
    });
  }
}

}  // namespace qvl
