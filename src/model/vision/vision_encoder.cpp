// Qwen3-VL ViT forward (see vision_model.h): patch embed, interpolated learned
// positions, 2-D RoPE blocks with per-frame bidirectional attention, DeepStack
// taps and the 2x2 patch mergers. Weight matmuls and attention's two products are
// panel GEMMs (runtime/panel_matmul.h; runtime matmul for a quantised matrix); the
// rest goes through kernels/{layernorm,gelu,vision_rope}.
#include <algorithm>
#include <cmath>

#include "base/aligned_buffer.h"
#include "base/error.h"
#include "base/mapped_file.h"
#include "base/thread_pool.h"
#include "kernels/gelu.h"
#include "kernels/layernorm.h"
#include "kernels/vision_attention.h"
#include "kernels/vision_rope.h"
#include "model/vision/vision_internal.h"
#include "runtime/matmul.h"

namespace qvl {

namespace {

// y += b per row (b may be empty).
void add_bias(const std::vector<float>& b, int64_t n, float* y, ThreadPool& pool) {
  if (b.empty()) return;
  const int64_t m = static_cast<int64_t>(b.size());
  pool.parallel_for(n, 16, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r)
      for (int64_t i = 0; i < m; ++i) y[r * m + i] += b[i];
  });
}

void layer_norm(const float* x, const std::vector<float>& w, const std::vector<float>& b, float* y, int64_t n_rows,
                int64_t n, float eps, ThreadPool& pool) {
  pool.parallel_for(n_rows, 8, [&](int64_t r0, int64_t r1) {
    kernels::layer_norm_ref(x + r0 * n, w.data(), b.empty() ? nullptr : b.data(), y + r0 * n, r1 - r0, n, eps);
  });
}

void gelu(float* x, int64_t n, bool tanh_form, ThreadPool& pool) {
  pool.parallel_for(n, 4096, [&](int64_t i0, int64_t i1) {
    if (tanh_form) kernels::gelu_tanh(x + i0, x + i0, i1 - i0);
    else kernels::gelu_erf_ref(x + i0, x + i0, i1 - i0);
  });
}

// torch.linspace(0, end, steps) in float32 (the CPU kernel fills both halves
// from their own end to stay symmetric).
std::vector<float> linspace(float end, int steps) {
  std::vector<float> v(steps, 0.0f);
  if (steps == 1) return v;
  const float step = end / static_cast<float>(steps - 1);
  for (int i = 0; i < steps; ++i) v[i] = i < steps / 2 ? i * step : end - (steps - 1 - i) * step;
  return v;
}

}  // namespace

// Learned position table [S*S, Hv] resampled to a gh x gw grid, raster order.
std::vector<float> interpolate_pos_embed(const std::vector<float>& table, int64_t side, int64_t hv, int gh, int gw,
                                         PosEmbedInterp mode) {
  std::vector<float> out(static_cast<size_t>(gh) * gw * hv, 0.0f);
  auto P = [&](int64_t r, int64_t c) { return &table[static_cast<size_t>(r * side + c) * hv]; };
  if (mode == PosEmbedInterp::kHfLinspace) {
    const std::vector<float> hy = linspace(static_cast<float>(side - 1), gh), wx = linspace(static_cast<float>(side - 1), gw);
    for (int i = 0; i < gh; ++i) {
      const int64_t y0 = static_cast<int64_t>(hy[i]), y1 = std::min<int64_t>(y0 + 1, side - 1);
      const float dy = hy[i] - static_cast<float>(y0);
      for (int j = 0; j < gw; ++j) {
        const int64_t x0 = static_cast<int64_t>(wx[j]), x1 = std::min<int64_t>(x0 + 1, side - 1);
        const float dx = wx[j] - static_cast<float>(x0);
        const float w00 = (1 - dy) * (1 - dx), w01 = (1 - dy) * dx, w10 = dy * (1 - dx), w11 = dy * dx;
        float* o = &out[static_cast<size_t>(i * gw + j) * hv];
        const float *a = P(y0, x0), *b = P(y0, x1), *c = P(y1, x0), *d = P(y1, x1);
        for (int64_t e = 0; e < hv; ++e) o[e] = w00 * a[e] + w01 * b[e] + w10 * c[e] + w11 * d[e];
      }
    }
    return out;
  }
  // ggml bilinear + antialias (F.interpolate(align_corners=False, antialias=True)).
  const float sf0 = static_cast<float>(gw) / side, sf1 = static_cast<float>(gh) / side;
  const float sup0 = std::max(1.0f, 1.0f / sf0), sup1 = std::max(1.0f, 1.0f / sf1);
  const float inv0 = 1.0f / sup0, inv1 = 1.0f / sup1;
  auto tri = [](float x) { return std::max(1.0f - std::fabs(x), 0.0f); };
  for (int i = 0; i < gh; ++i) {
    const float y = (i + 0.5f) / sf1;
    const int64_t ylo = std::max<int64_t>(static_cast<int64_t>(y - sup1 + 0.5f), 0);
    const int64_t yhi = std::min<int64_t>(static_cast<int64_t>(y + sup1 + 0.5f), side);
    for (int j = 0; j < gw; ++j) {
      const float x = (j + 0.5f) / sf0;
      const int64_t xlo = std::max<int64_t>(static_cast<int64_t>(x - sup0 + 0.5f), 0);
      const int64_t xhi = std::min<int64_t>(static_cast<int64_t>(x + sup0 + 0.5f), side);
      float* o = &out[static_cast<size_t>(i * gw + j) * hv];
      float total = 0.0f;
      for (int64_t sy = ylo; sy < yhi; ++sy) {
        const float wy = tri((sy - y + 0.5f) * inv1);
        for (int64_t sx = xlo; sx < xhi; ++sx) {
          const float w = tri((sx - x + 0.5f) * inv0) * wy;
          if (w <= 0.0f) continue;
          const float* p = P(sy, sx);
          for (int64_t e = 0; e < hv; ++e) o[e] += p[e] * w;
          total += w;
        }
      }
      if (total > 0.0f)
        for (int64_t e = 0; e < hv; ++e) o[e] /= total;
    }
  }
  return out;
}

void vision_attention(const float* qkv, int64_t n_frames, int64_t per_frame, int64_t nh, int64_t dv, float scale,
                      float* out, ThreadPool& pool) {
  const int64_t hv = nh * dv, stride = 3 * hv;
  // Queries per unit of work: 16 heads x 13 units for a 448 x 448 image, enough to
  // balance any pool; the unit's scores (64 x per_frame) and the head's K and V
  // panels (2 x per_frame x dv) stay in L2 for 784 patches.
  constexpr int64_t kQueries = 64;
  const int64_t n_chunks = (per_frame + kQueries - 1) / kQueries, units = n_frames * nh * n_chunks;
  pool.parallel_for(units, 1, [&](int64_t u0, int64_t u1) {
    // Per thread; a thread's consecutive units mostly share (frame, head), whose K
    // and V panels are packed once.
    thread_local AlignedBuffer kp, vp, qp, sp;
    thread_local std::vector<float> sc;
    kp.reserve_discard(sizeof(float) * size_t(panel_elements(per_frame, dv)));
    vp.reserve_discard(sizeof(float) * size_t(panel_elements(dv, per_frame)));
    qp.reserve_discard(sizeof(float) * size_t(token_panel_elements(kQueries, dv)));
    sp.reserve_discard(sizeof(float) * size_t(token_panel_elements(kQueries, per_frame)));
    if (sc.size() < size_t(kQueries * per_frame)) sc.resize(size_t(kQueries * per_frame));
    auto* kf = reinterpret_cast<float*>(kp.data());
    auto* vf = reinterpret_cast<float*>(vp.data());
    auto* qf = reinterpret_cast<float*>(qp.data());
    auto* sf = reinterpret_cast<float*>(sp.data());
    const PanelMatrix k_mat{DType::kF32, per_frame, dv, kf};  // scores = q·Kᵀ: rows are keys
    const PanelMatrix v_mat{DType::kF32, dv, per_frame, vf};  // out = p·V: rows are V's columns
    int64_t packed = -1;
    for (int64_t u = u0; u < u1; ++u) {
      const int64_t fh = u / n_chunks, f = fh / nh, h = fh % nh, q0 = (u % n_chunks) * kQueries;
      const int64_t m = std::min(kQueries, per_frame - q0);
      const float* base = qkv + f * per_frame * stride;
      if (fh != packed) {
        pack_panels_f32(base + hv + h * dv, per_frame, dv, stride, kf);
        pack_panels_f32_transposed(base + 2 * hv + h * dv, dv, per_frame, stride, vf);
        packed = fh;
      }
      pack_token_panels(base + q0 * stride + h * dv, m, dv, stride, qf);
      panel_matmul_packed(k_mat, qf, m, sc.data(), per_frame);
      for (int64_t r = 0; r < m; ++r) kernels::vision_softmax(&sc[size_t(r * per_frame)], per_frame, scale);
      pack_token_panels(sc.data(), m, per_frame, per_frame, sf);
      panel_matmul_packed(v_mat, sf, m, out + (f * per_frame + q0) * hv + h * dv, hv);
    }
  });
}

void VisionModelImpl::prepare(ThreadPool& pool) const {
  if (options_.ggml_numerics) return;  // the llama.cpp path reads the original matrices
  std::call_once(panels_once_, [&] {
    auto pack = [&](const Tensor* w) {
      if (w == nullptr || !panel_packable(*w) || panels_.count(w)) return;
      panels_.emplace(w, PanelWeight(*w, pool));
      // Only the panels are read from now on: let a mapped original's pages go
      // (runtime/repack.cpp does the same); the llama.cpp path faults them back in.
      release_mapped_pages(w->data, w->nbytes());
    };
    pack(&patch_w_view_);
    for (const BlockWeights& b : blocks_)
      for (const Tensor* w : {b.qkv_w, b.proj_w, b.fc1_w, b.fc2_w}) pack(w);
    pack(merger_.fc1_w), pack(merger_.fc2_w);
    for (const MergerWeights& m : deepstack_) pack(m.fc1_w), pack(m.fc2_w);
  });
}

void VisionModelImpl::linear(const Tensor& w, const std::vector<float>& b, const float* x, int64_t n, float* y,
                             ThreadPool& pool) const {
  const auto it = panels_.find(&w);
  if (it != panels_.end()) {
    const PanelMatrix& pm = it->second.matrix();
    return panel_matmul(pm, x, n, y, pm.rows, pool, b.empty() ? nullptr : b.data());
  }
  matmul(w, x, n, y, pool);
  add_bias(b, n, y, pool);
}

void VisionModelImpl::merge(const float* x, int64_t n_patch, const MergerWeights& m, bool postshuffle, float* out,
                            ThreadPool& pool) const {
  const int64_t hv = cfg_.hidden_size, unit = cfg_.spatial_merge_size * cfg_.spatial_merge_size;
  const int64_t n = n_patch / unit, wide = hv * unit;
  std::vector<float> h(static_cast<size_t>(n_patch) * hv), f(static_cast<size_t>(n) * wide);
  // Both orders see the same memory: unit consecutive tokens form one wide row.
  if (postshuffle) layer_norm(x, m.norm_w, m.norm_b, h.data(), n, wide, cfg_.layer_norm_eps, pool);
  else layer_norm(x, m.norm_w, m.norm_b, h.data(), n_patch, hv, cfg_.layer_norm_eps, pool);
  linear(*m.fc1_w, m.fc1_b, h.data(), n, f.data(), pool);
  gelu(f.data(), static_cast<int64_t>(f.size()), options_.merger_gelu_tanh, pool);
  linear(*m.fc2_w, m.fc2_b, f.data(), n, out, pool);
}

// Patches are stored in 2x2 merge-block order; each gets the resampled position of
// its (row, col), and rows/cols receive those coordinates for the 2-D rotary.
void VisionModelImpl::add_positions_in_merge_order(const PixelValues& pv, const std::vector<float>& pos, float* x,
                                                   int32_t* rows, int32_t* cols) const {
  const int64_t hv = cfg_.hidden_size;
  const int m = static_cast<int>(cfg_.spatial_merge_size);
  int64_t i = 0;
  for (int t = 0; t < pv.grid_t; ++t)
    for (int bh = 0; bh < pv.grid_h / m; ++bh)
      for (int bw = 0; bw < pv.grid_w / m; ++bw)
        for (int mh = 0; mh < m; ++mh)
          for (int mw = 0; mw < m; ++mw, ++i) {
            const int r = bh * m + mh, c = bw * m + mw;
            rows[i] = r, cols[i] = c;
            const float* p = &pos[static_cast<size_t>(r * pv.grid_w + c) * hv];
            float* xi = &x[static_cast<size_t>(i) * hv];
            for (int64_t e = 0; e < hv; ++e) xi[e] += p[e];
          }
}

// The output of one image / video: main rows sized, one empty slot per DeepStack tap.
VisionOutput VisionModelImpl::empty_output(const PixelValues& pv) const {
  const int64_t m = cfg_.spatial_merge_size;
  VisionOutput out;
  out.grid = {pv.grid_t, pv.grid_h, pv.grid_w};
  out.n_tokens = pv.n_patches() / (m * m);
  out.hidden = cfg_.out_hidden_size;
  out.main.resize(static_cast<size_t>(out.n_tokens) * out.hidden);
  out.deepstack.assign(cfg_.deepstack_visual_indexes.size(), {});
  return out;
}

VisionOutput VisionModelImpl::encode(const PixelValues& pv, ThreadPool& pool) const {
  const int64_t hv = cfg_.hidden_size, nh = cfg_.num_heads, dv = cfg_.head_dim(), m = cfg_.spatial_merge_size;
  QVL_CHECK(pv.row_size == cfg_.patch_dim(), "pixel_values rows have ", pv.row_size, " values, the encoder expects ",
            cfg_.patch_dim());
  QVL_CHECK(pv.grid_t > 0 && pv.grid_h > 0 && pv.grid_w > 0 && pv.grid_h % m == 0 && pv.grid_w % m == 0,
            "bad visual grid ", pv.grid_t, "x", pv.grid_h, "x", pv.grid_w);
  const int64_t n = pv.n_patches(), per_frame = int64_t{pv.grid_h} * pv.grid_w;
  QVL_CHECK(static_cast<int64_t>(pv.data.size()) == n * pv.row_size, "pixel_values size does not match its grid");
  if (options_.ggml_numerics) return encode_ggml(pv, pool);
  prepare(pool);

  // 1. Patch embedding (Conv3d as a matmul over the flattened patch).
  std::vector<float> x(static_cast<size_t>(n) * hv);
  linear(patch_w_view_, patch_b_, pv.data.data(), n, x.data(), pool);

  // 2. Learned positions resampled to the grid, added in merge-block order;
  //    the same walk yields each token's (row, col) for the rotary.
  const std::vector<float> pos =
      interpolate_pos_embed(pos_embed_, pos_side_, hv, pv.grid_h, pv.grid_w, options_.pos_embed);
  std::vector<int32_t> rows(n), cols(n);
  add_positions_in_merge_order(pv, pos, x.data(), rows.data(), cols.data());
  VisionOutput out = empty_output(pv);

  std::vector<float> h(static_cast<size_t>(n) * hv), qkv(static_cast<size_t>(n) * 3 * hv),
      attn(static_cast<size_t>(n) * hv), ff(static_cast<size_t>(n) * cfg_.intermediate_size);
  const float scale = 1.0f / std::sqrt(static_cast<float>(dv));
  for (int64_t l = 0; l < cfg_.depth; ++l) {
    const BlockWeights& b = blocks_[l];
    layer_norm(x.data(), b.ln1_w, b.ln1_b, h.data(), n, hv, cfg_.layer_norm_eps, pool);
    linear(*b.qkv_w, b.qkv_b, h.data(), n, qkv.data(), pool);
    pool.parallel_for(n, 16, [&](int64_t t0, int64_t t1) {
      float* base = qkv.data() + t0 * 3 * hv;
      kernels::vision_rope_ref(base, 3 * hv, t1 - t0, static_cast<int>(nh), static_cast<int>(dv), &rows[t0], &cols[t0],
                               10000.0f);
      kernels::vision_rope_ref(base + hv, 3 * hv, t1 - t0, static_cast<int>(nh), static_cast<int>(dv), &rows[t0],
                               &cols[t0], 10000.0f);
    });
    // Attention never crosses a temporal patch (HF cu_seqlens).
    vision_attention(qkv.data(), pv.grid_t, per_frame, nh, dv, scale, attn.data(), pool);
    linear(*b.proj_w, b.proj_b, attn.data(), n, h.data(), pool);
    for (size_t i = 0; i < x.size(); ++i) x[i] += h[i];
    layer_norm(x.data(), b.ln2_w, b.ln2_b, h.data(), n, hv, cfg_.layer_norm_eps, pool);
    linear(*b.fc1_w, b.fc1_b, h.data(), n, ff.data(), pool);
    gelu(ff.data(), static_cast<int64_t>(ff.size()), true, pool);
    linear(*b.fc2_w, b.fc2_b, ff.data(), n, h.data(), pool);
    for (size_t i = 0; i < x.size(); ++i) x[i] += h[i];

    for (size_t k = 0; k < cfg_.deepstack_visual_indexes.size(); ++k) {
      if (cfg_.deepstack_visual_indexes[k] != l) continue;
      out.deepstack[k].resize(out.main.size());
      merge(x.data(), n, deepstack_[k], true, out.deepstack[k].data(), pool);
    }
  }
  merge(x.data(), n, merger_, false, out.main.data(), pool);
  return out;
}

}  // namespace qvl
