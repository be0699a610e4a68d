// Private to model/vision: the concrete tower, its weights and shared helpers.
// Big matrices stay views into the mapped file; vectors and the patch kernel are
// converted to F32 once at load.
#pragma once
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/vision/vision_model.h"
#include "runtime/panel_matmul.h"

namespace qvl {

// Any readable tensor as F32 values (throws on an unsupported dtype).
std::vector<float> tensor_to_f32(const Tensor& t);

std::vector<float> interpolate_pos_embed(const std::vector<float>& table, int64_t side, int64_t hv, int gh, int gw,
                                         PosEmbedInterp mode);

// Bidirectional attention per temporal patch: qkv [n_frames·per_frame, 3·nh·dv]
// (q | k | v, RoPE applied) -> out [n_frames·per_frame, nh·dv]. Scores and
// probabilities·V are panel GEMMs (runtime/panel_matmul.h, F32) over units of
// (frame, head, 64 queries) split across the pool; kernels::vision_attention_ref
// is its oracle in the tests.
void vision_attention(const float* qkv, int64_t n_frames, int64_t per_frame, int64_t nh, int64_t dv, float scale,
                      float* out, ThreadPool& pool);

struct MergerWeights {
  std::vector<float> norm_w, norm_b;    // [Hv] (main) or [4Hv] (DeepStack, post-shuffle)
  const Tensor* fc1_w = nullptr;        // [4Hv, 4Hv]
  std::vector<float> fc1_b;             // [4Hv]
  const Tensor* fc2_w = nullptr;        // [H, 4Hv]
  std::vector<float> fc2_b;             // [H]
};

struct BlockWeights {
  std::vector<float> ln1_w, ln1_b, ln2_w, ln2_b;  // [Hv]
  const Tensor* qkv_w = nullptr;                   // [3Hv, Hv], rows q | k | v
  std::vector<float> qkv_b;                        // [3Hv]
  const Tensor* proj_w = nullptr;                  // [Hv, Hv]
  std::vector<float> proj_b;
  const Tensor* fc1_w = nullptr;                   // [I, Hv]
  std::vector<float> fc1_b;
  const Tensor* fc2_w = nullptr;                   // [Hv, I]
  std::vector<float> fc2_b;
};

class VisionModelImpl : public VisionModel {
 public:
  VisionModelImpl(const VisionConfig& cfg, std::shared_ptr<const VisionTensorSource> src);
  const VisionConfig& config() const override { return cfg_; }
  VisionOptions& options() override { return options_; }
  VisionOutput encode(const PixelValues& pv, ThreadPool& pool) const override;
  void prepare(ThreadPool& pool) const override;

 private:
  void merge(const float* x, int64_t n_patch, const MergerWeights& m, bool postshuffle, float* out,
             ThreadPool& pool) const;
  // options_.ggml_numerics: the same forward with llama.cpp's arithmetic (vision_encoder_ggml.cpp).
  VisionOutput encode_ggml(const PixelValues& pv, ThreadPool& pool) const;
  void add_positions_in_merge_order(const PixelValues& pv, const std::vector<float>& pos, float* x, int32_t* rows,
                                    int32_t* cols) const;
  VisionOutput empty_output(const PixelValues& pv) const;
  // y = x·Wᵀ + b over n rows: W's panels when prepare() packed it, else runtime matmul.
  void linear(const Tensor& w, const std::vector<float>& b, const float* x, int64_t n, float* y,
              ThreadPool& pool) const;
  void merge_ggml(const float* x, int64_t n_patch, const MergerWeights& m, bool postshuffle, float* out,
                  ThreadPool& pool) const;

  VisionConfig cfg_;
  VisionOptions options_;
  std::shared_ptr<const VisionTensorSource> src_;  // keeps the mapped file alive
  std::vector<float> patch_w_;                     // [Hv, 3·tp·p·p] F32, (c, t, py, px) columns
  Tensor patch_w_view_;
  std::vector<std::vector<uint16_t>> patch_w16_;   // per frame [Hv, 3·p·p] F16 (llama.cpp's two kernels)
  std::vector<float> patch_b_;                     // [Hv]
  std::vector<float> pos_embed_;                   // [S·S, Hv] F32
  int64_t pos_side_ = 0;                           // S
  std::vector<BlockWeights> blocks_;
  MergerWeights merger_;
  std::vector<MergerWeights> deepstack_;           // tap order
  // The default path's matrices packed by prepare(), by the tensor they copy. Filled
  // once under panels_once_, read-only after.
  mutable std::once_flag panels_once_;
  mutable std::unordered_map<const Tensor*, PanelWeight> panels_;
};

}  // namespace qvl
