// The Qwen3-VL vision tower (model layer): loads an mmproj GGUF (llama.cpp
// layout, spec §9.2) or an HF directory (model.visual.*), and turns one image's
// pixel_values into merged embeddings for the text model plus the DeepStack
// features. Mirrors Qwen3VLVisionModel.forward in modeling_qwen3_vl.py.
// Does not tokenise, schedule or touch the KV cache.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "input/image/preprocess.h"
#include "model/positions/mrope_positions.h"
#include "runtime/tensor.h"

namespace qvl {

class ThreadPool;

// Hyper-parameters, named as HF's vision_config keys.
struct VisionConfig {
  int64_t depth = 0;
  int64_t hidden_size = 0;        // Hv
  int64_t num_heads = 0;
  int64_t intermediate_size = 0;
  int64_t out_hidden_size = 0;    // = text hidden_size
  int64_t in_channels = 3;
  int64_t patch_size = 16;
  int64_t temporal_patch_size = 2;
  int64_t spatial_merge_size = 2;
  int64_t num_position_embeddings = 2304;
  std::vector<int64_t> deepstack_visual_indexes;  // 0-based ViT block indices, tap order
  float layer_norm_eps = 1e-6f;
  std::array<float, 3> image_mean = {0.5f, 0.5f, 0.5f};
  std::array<float, 3> image_std = {0.5f, 0.5f, 0.5f};

  int64_t head_dim() const { return num_heads > 0 ? hidden_size / num_heads : 0; }
  int64_t patch_dim() const { return in_channels * temporal_patch_size * patch_size * patch_size; }
  void validate() const;  // throws qvl::Error on values that cannot run
};

// Numerical choices where llama.cpp differs from HF (docs/decisions/vision-llama-parity.md).
enum class PosEmbedInterp {
  kHfLinspace,       // HF fast_pos_embed_interpolate: corner-aligned linspace, bilinear
  kGgmlBilinearAA,   // ggml_interpolate(BILINEAR | ANTIALIAS): half-pixel, triangle filter
};
struct VisionOptions {
  PosEmbedInterp pos_embed = PosEmbedInterp::kHfLinspace;
  bool merger_gelu_tanh = false;  // HF: erf GELU in the mergers; llama.cpp: tanh
  // Mirror llama.cpp's CPU arithmetic step by step (F16 casts of activations and
  // K/V, flash attention, F16 GELU table, ggml's rope and interpolation); implies
  // tanh GELU everywhere. Slower; for parity runs (model/vision/vision_ggml.h).
  bool ggml_numerics = false;
};
// What `--vision-compat llama` selects: llama.cpp's merger GELU and numerics.
VisionOptions llama_cpp_vision_options();

// Encoder output for one image or video: n_tokens merged tokens of width
// out_hidden_size, in the merge-block order the prompt's pads take.
struct VisionOutput {
  VisualGrid grid;  // patches, pre-merge (HF grid_thw)
  int64_t n_tokens = 0;
  int64_t hidden = 0;
  std::vector<float> main;                    // [n_tokens, hidden]: replaces the pad embeddings
  std::vector<std::vector<float>> deepstack;  // per tap, [n_tokens, hidden]: added after decoder layer k
};

// llama.cpp mtmd's MTMD_DEBUG_EMBEDDINGS summary of an output laid out as mtmd
// returns it (per token [main | deepstack taps...]), float sums as mtmd computes
// them: "mean=%.6f, std=%.6f, min=%.6f, max=%.6f, sum=%.6f". A fingerprint that
// parity tests compare with llama.cpp's "Stats:" line.
std::string llama_embedding_stats(const VisionOutput& out);

class VisionModel {
 public:
  virtual ~VisionModel() = default;
  virtual const VisionConfig& config() const = 0;
  virtual VisionOptions& options() = 0;
  // Preprocessing settings this tower expects, with the given pixel budget.
  PreprocessOptions preprocess_options(const PixelBudget& budget) const;
  // pixel_values of one image / video (preprocess.h) -> embeddings.
  virtual VisionOutput encode(const PixelValues& pv, ThreadPool& pool) const = 0;
  // Readies the weights for the options in force: the default (Hugging Face) path
  // repacks its F32/F16/BF16 matrices once into the panels its GEMM reads
  // (runtime/panel_matmul.h), the llama.cpp path needs nothing. encode() does it on
  // first use too; loaders call it after setting options so the first request does
  // not pay for it. Thread-safe; later calls return at once.
  virtual void prepare(ThreadPool& pool) const = 0;
};

// An mmproj .gguf file, or a directory with config.json (vision_config) and
// safetensors holding model.visual.* (or visual.*). Throws qvl::Error.
std::unique_ptr<VisionModel> load_vision_model(const std::string& path);

// Builds the model from already-resolved tensors (used by the loaders and tests).
// Tensor names follow the GGUF layout (v.blk.N.*, mm.0/mm.2, v.deepstack.K.*).
struct VisionTensorSource {
  virtual ~VisionTensorSource() = default;
  virtual const Tensor* find(const std::string& gguf_name) const = 0;
};
std::unique_ptr<VisionModel> make_vision_model(const VisionConfig& cfg, std::shared_ptr<const VisionTensorSource> src);

}  // namespace qvl
