// VisionModelImpl::encode_ggml: the forward of vision_encoder.cpp in the order and
// arithmetic of llama.cpp's clip.cpp Qwen3-VL graph (models/qwen3vl.cpp) on ggml's
// CPU backend, for --vision-compat llama. Checks of the input happen in encode().
// Does not change what is computed, only how it is rounded.
#include <cmath>

#include "base/thread_pool.h"
#include "model/vision/vision_ggml.h"
#include "model/vision/vision_internal.h"

namespace qvl {

void VisionModelImpl::merge_ggml(const float* x, int64_t n_patch, const MergerWeights& m, bool postshuffle,
                                 float* out, ThreadPool& pool) const {
  const int64_t hv = cfg_.hidden_size, unit = cfg_.spatial_merge_size * cfg_.spatial_merge_size;
  const int64_t n = n_patch / unit, wide = hv * unit;
  std::vector<float> h(static_cast<size_t>(n_patch) * hv), f(static_cast<size_t>(n) * wide);
  if (postshuffle) ggml_ops::layer_norm(x, m.norm_w, m.norm_b, h.data(), n, wide, cfg_.layer_norm_eps, pool);
  else ggml_ops::layer_norm(x, m.norm_w, m.norm_b, h.data(), n_patch, hv, cfg_.layer_norm_eps, pool);
  ggml_ops::linear(*m.fc1_w, m.fc1_b, h.data(), n, f.data(), pool);
  ggml_ops::gelu(f.data(), static_cast<int64_t>(f.size()));  // FFN_GELU: the tanh table
  ggml_ops::linear(*m.fc2_w, m.fc2_b, f.data(), n, out, pool);
}

VisionOutput VisionModelImpl::encode_ggml(const PixelValues& pv, ThreadPool& pool) const {
  const int64_t hv = cfg_.hidden_size, nh = cfg_.num_heads, dv = cfg_.head_dim();
  const int64_t n = pv.n_patches(), per_frame = int64_t{pv.grid_h} * pv.grid_w;

  // conv(frame 0) + conv(frame 1), + bias, + interpolated positions.
  std::vector<float> x = ggml_ops::patch_embed(patch_w16_, patch_b_, pv, hv, pool);
  const std::vector<float> pos =
      options_.pos_embed == PosEmbedInterp::kGgmlBilinearAA
          ? interpolate_pos_embed(pos_embed_, pos_side_, hv, pv.grid_h, pv.grid_w, options_.pos_embed)
          : ggml_ops::interpolate_bilinear(pos_embed_, pos_side_, hv, pv.grid_h, pv.grid_w);
  std::vector<int32_t> rows(n), cols(n);
  add_positions_in_merge_order(pv, pos, x.data(), rows.data(), cols.data());
  VisionOutput out = empty_output(pv);

  std::vector<float> h(static_cast<size_t>(n) * hv), qkv(static_cast<size_t>(n) * 3 * hv),
      attn(static_cast<size_t>(n) * hv), ff(static_cast<size_t>(n) * cfg_.intermediate_size);
  const float scale = 1.0f / std::sqrt(static_cast<float>(dv));
  for (int64_t l = 0; l < cfg_.depth; ++l) {
    const BlockWeights& b = blocks_[l];
    ggml_ops::layer_norm(x.data(), b.ln1_w, b.ln1_b, h.data(), n, hv, cfg_.layer_norm_eps, pool);
    ggml_ops::linear(*b.qkv_w, b.qkv_b, h.data(), n, qkv.data(), pool);
    pool.parallel_for(n, 16, [&](int64_t t0, int64_t t1) {
      float* base = qkv.data() + t0 * 3 * hv;
      ggml_ops::vision_rope(base, 3 * hv, t1 - t0, static_cast<int>(nh), static_cast<int>(dv), &rows[t0], &cols[t0]);
      ggml_ops::vision_rope(base + hv, 3 * hv, t1 - t0, static_cast<int>(nh), static_cast<int>(dv), &rows[t0],
                            &cols[t0]);
    });
    ggml_ops::flash_attention(qkv.data(), pv.grid_t, per_frame, nh, dv, scale, attn.data(), pool);
    ggml_ops::linear(*b.proj_w, b.proj_b, attn.data(), n, h.data(), pool);
    for (size_t i = 0; i < x.size(); ++i) x[i] = h[i] + x[i];
    ggml_ops::layer_norm(x.data(), b.ln2_w, b.ln2_b, h.data(), n, hv, cfg_.layer_norm_eps, pool);
    ggml_ops::linear(*b.fc1_w, b.fc1_b, h.data(), n, ff.data(), pool);
    ggml_ops::gelu(ff.data(), static_cast<int64_t>(ff.size()));
    ggml_ops::linear(*b.fc2_w, b.fc2_b, ff.data(), n, h.data(), pool);
    for (size_t i = 0; i < x.size(); ++i) x[i] = x[i] + h[i];

    for (size_t k = 0; k < cfg_.deepstack_visual_indexes.size(); ++k) {
      if (cfg_.deepstack_visual_indexes[k] != l) continue;
      out.deepstack[k].resize(out.main.size());
      merge_ggml(x.data(), n, deepstack_[k], true, out.deepstack[k].data(), pool);
    }
  }
  merge_ggml(x.data(), n, merger_, false, out.main.data(), pool);
  return out;
}

}  // namespace qvl
