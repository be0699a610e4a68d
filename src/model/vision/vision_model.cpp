// VisionConfig checks and VisionModelImpl construction: resolves every tensor by
// its GGUF name, checks shapes against the config, converts small tensors to F32.
#include <cmath>

#include "base/error.h"
#include "base/fp16.h"
#include "model/vision/vision_internal.h"
#include "runtime/matmul.h"

namespace qvl {

void VisionConfig::validate() const {
  QVL_CHECK(depth > 0 && depth <= 256, "vision depth ", depth, " is out of range");
  QVL_CHECK(hidden_size > 0 && num_heads > 0 && hidden_size % num_heads == 0, "vision hidden_size ", hidden_size,
            " is not divisible by num_heads ", num_heads);
  QVL_CHECK(head_dim() % 4 == 0, "vision head_dim ", head_dim(), " must be a multiple of 4 (2-D rotary)");
  QVL_CHECK(intermediate_size > 0 && out_hidden_size > 0, "vision intermediate/out sizes must be positive");
  QVL_CHECK(in_channels == 3, "vision in_channels must be 3, got ", in_channels);
  QVL_CHECK(patch_size > 0 && patch_size <= 64 && temporal_patch_size >= 1 && temporal_patch_size <= 4,
            "bad vision patch sizes ", patch_size, "/", temporal_patch_size);
  QVL_CHECK(spatial_merge_size >= 1 && spatial_merge_size <= 4, "bad spatial_merge_size ", spatial_merge_size);
  const int64_t side = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(num_position_embeddings))));
  QVL_CHECK(side > 0 && side * side == num_position_embeddings, "num_position_embeddings ", num_position_embeddings,
            " is not a square");
  for (int64_t k : deepstack_visual_indexes) {
    QVL_CHECK(k >= 0 && k < depth, "deepstack index ", k, " outside [0, ", depth, ")");
  }
  QVL_CHECK(layer_norm_eps > 0 && layer_norm_eps < 1, "bad layer_norm_eps ", layer_norm_eps);
}

VisionOptions llama_cpp_vision_options() {
  VisionOptions o;
  o.merger_gelu_tanh = true;
  o.ggml_numerics = true;
  return o;
}

PreprocessOptions VisionModel::preprocess_options(const PixelBudget& budget) const {
  const VisionConfig& c = config();
  PreprocessOptions o;
  o.budget = budget;
  o.patch_size = static_cast<int>(c.patch_size);
  o.temporal_patch_size = static_cast<int>(c.temporal_patch_size);
  o.merge_size = static_cast<int>(c.spatial_merge_size);
  o.image_mean = c.image_mean;
  o.image_std = c.image_std;
  return o;
}

std::vector<float> tensor_to_f32(const Tensor& t) {
  std::vector<float> out(static_cast<size_t>(t.numel()));
  if (out.empty()) return out;
  std::vector<int32_t> ids(static_cast<size_t>(t.rows()));
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int32_t>(i);
  get_rows(t, ids.data(), static_cast<int64_t>(ids.size()), out.data());
  return out;
}

namespace {

const Tensor& need(const VisionTensorSource& s, const std::string& name) {
  const Tensor* t = s.find(name);
  QVL_CHECK(t != nullptr, "vision weights: missing tensor ", name);
  return *t;
}

std::vector<float> vec(const VisionTensorSource& s, const std::string& name, int64_t n) {
  const Tensor& t = need(s, name);
  QVL_CHECK(t.numel() == n, "vision weights: ", name, " has ", t.numel(), " values, expected ", n);
  return tensor_to_f32(t);
}

const Tensor* mat(const VisionTensorSource& s, const std::string& name, int64_t rows, int64_t cols) {
  const Tensor& t = need(s, name);
  QVL_CHECK(t.shape.size() == 2 && t.shape[0] == rows && t.shape[1] == cols, "vision weights: ", name, " has shape ",
            t.shape_str(), ", expected [", rows, ", ", cols, "]");
  QVL_CHECK(matmul_supported(t.dtype), "vision weights: ", name, " has unsupported type ", dtype_info(t.dtype).name);
  return &t;
}

MergerWeights load_merger(const VisionTensorSource& s, const std::string& norm, const std::string& fc1,
                          const std::string& fc2, int64_t norm_n, int64_t wide, int64_t out) {
  MergerWeights m;
  m.norm_w = vec(s, norm + ".weight", norm_n);
  m.norm_b = vec(s, norm + ".bias", norm_n);
  m.fc1_w = mat(s, fc1 + ".weight", wide, wide);
  m.fc1_b = vec(s, fc1 + ".bias", wide);
  m.fc2_w = mat(s, fc2 + ".weight", out, wide);
  m.fc2_b = vec(s, fc2 + ".bias", out);
  return m;
}

}  // namespace

VisionModelImpl::VisionModelImpl(const VisionConfig& cfg, std::shared_ptr<const VisionTensorSource> src)
    : cfg_(cfg), src_(std::move(src)) {
  cfg_.validate();
  const VisionTensorSource& s = *src_;
  const int64_t hv = cfg_.hidden_size, p = cfg_.patch_size, tp = cfg_.temporal_patch_size;
  const int64_t unit = cfg_.spatial_merge_size * cfg_.spatial_merge_size;

  // Patch kernel to [Hv, (c, t, py, px)]: GGUF splits it per frame, HF keeps 5-D.
  const Tensor& w0 = need(s, "v.patch_embd.weight");
  const int64_t pp = p * p, k = cfg_.patch_dim();
  patch_w_.assign(static_cast<size_t>(hv * k), 0.0f);
  if (w0.shape.size() == 5) {
    QVL_CHECK(w0.numel() == hv * k, "vision weights: patch kernel has shape ", w0.shape_str());
    patch_w_ = tensor_to_f32(w0);
  } else {
    QVL_CHECK(w0.numel() == hv * 3 * pp, "vision weights: v.patch_embd.weight has shape ", w0.shape_str());
    for (int64_t t = 0; t < tp; ++t) {
      const Tensor* wt = t == 0 ? &w0 : s.find("v.patch_embd.weight." + std::to_string(t));
      // One frame slice only (a Conv2d export): every frame shares it, as llama.cpp would with one kernel.
      if (wt == nullptr) wt = &w0;
      QVL_CHECK(wt->numel() == hv * 3 * pp, "vision weights: patch kernel slice ", t, " has shape ", wt->shape_str());
      const std::vector<float> f = tensor_to_f32(*wt);
      for (int64_t o = 0; o < hv; ++o)
        for (int64_t c = 0; c < 3; ++c)
          for (int64_t i = 0; i < pp; ++i) patch_w_[o * k + (c * tp + t) * pp + i] = f[(o * 3 + c) * pp + i];
    }
  }
  // The same kernel per frame in F16, as llama.cpp convolves each frame separately.
  patch_w16_.assign(static_cast<size_t>(tp), std::vector<uint16_t>(static_cast<size_t>(hv * 3 * pp)));
  for (int64_t t = 0; t < tp; ++t)
    for (int64_t o = 0; o < hv; ++o)
      for (int64_t c = 0; c < 3; ++c)
        for (int64_t i = 0; i < pp; ++i)
          patch_w16_[t][(o * 3 + c) * pp + i] = f32_to_fp16(patch_w_[o * k + (c * tp + t) * pp + i]);
  patch_w_view_.name = "v.patch_embd (f32)";
  patch_w_view_.dtype = DType::kF32;
  patch_w_view_.shape = {hv, k};
  patch_w_view_.data = patch_w_.data();
  patch_b_ = vec(s, "v.patch_embd.bias", hv);
  pos_embed_ = vec(s, "v.position_embd.weight", cfg_.num_position_embeddings * hv);
  pos_side_ = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(cfg_.num_position_embeddings))));

  blocks_.resize(cfg_.depth);
  for (int64_t l = 0; l < cfg_.depth; ++l) {
    const std::string b = "v.blk." + std::to_string(l) + ".";
    BlockWeights& w = blocks_[l];
    w.ln1_w = vec(s, b + "ln1.weight", hv);
    w.ln1_b = vec(s, b + "ln1.bias", hv);
    w.ln2_w = vec(s, b + "ln2.weight", hv);
    w.ln2_b = vec(s, b + "ln2.bias", hv);
    w.qkv_w = mat(s, b + "attn_qkv.weight", 3 * hv, hv);
    w.qkv_b = vec(s, b + "attn_qkv.bias", 3 * hv);
    w.proj_w = mat(s, b + "attn_out.weight", hv, hv);
    w.proj_b = vec(s, b + "attn_out.bias", hv);
    w.fc1_w = mat(s, b + "ffn_up.weight", cfg_.intermediate_size, hv);
    w.fc1_b = vec(s, b + "ffn_up.bias", cfg_.intermediate_size);
    w.fc2_w = mat(s, b + "ffn_down.weight", hv, cfg_.intermediate_size);
    w.fc2_b = vec(s, b + "ffn_down.bias", hv);
  }
  merger_ = load_merger(s, "v.post_ln", "mm.0", "mm.2", hv, unit * hv, cfg_.out_hidden_size);
  for (int64_t idx : cfg_.deepstack_visual_indexes) {
    const std::string d = "v.deepstack." + std::to_string(idx) + ".";
    deepstack_.push_back(load_merger(s, d + "norm", d + "fc1", d + "fc2", unit * hv, unit * hv, cfg_.out_hidden_size));
  }
}

std::unique_ptr<VisionModel> make_vision_model(const VisionConfig& cfg, std::shared_ptr<const VisionTensorSource> src) {
  return std::make_unique<VisionModelImpl>(cfg, std::move(src));
}

}  // namespace qvl
