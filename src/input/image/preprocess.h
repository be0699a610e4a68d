// Qwen-VL image preprocessing (input layer): smart_resize to a multiple of
// patch*merge within a pixel budget, bicubic resampling, rescale + normalise,
// and patchify into the encoder's pixel_values rows. Matches HF's
// Qwen2VLImageProcessor as configured by Qwen3-VL; no model weights here.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "input/image/image.h"

namespace qvl {

// Pixel budget for one image (HF `size.shortest_edge` / `longest_edge`, which
// despite their names are min_pixels / max_pixels).
struct PixelBudget {
  int64_t min_pixels = 65536;     // Qwen3-VL preprocessor_config.json
  int64_t max_pixels = 16777216;
};

// llama.cpp's mtmd budget for Qwen-VL: 8..4096 merged tokens of 32x32 pixels.
inline PixelBudget llama_cpp_budget() { return {8 * 32 * 32, 4096 * 32 * 32}; }

// OpenAI-style detail levels on top of a server budget: "low" caps the image at
// 256 merged tokens (512x512 pixels), "high" and "auto" use the server budget.
// Throws on other values.
PixelBudget budget_for_detail(const std::string& detail, const PixelBudget& server);
// Request budget narrowed by the server's (a request may never exceed the server max).
PixelBudget clamp_budget(const PixelBudget& request, const PixelBudget& server);

struct ResizeTarget {
  int height = 0;
  int width = 0;
};

// HF smart_resize (qwen2_vl image processing): round each side to a multiple of
// `factor` (half-to-even, as Python's round), then scale down / up keeping the
// aspect ratio to fit [min_pixels, max_pixels]. Throws when the aspect ratio
// exceeds 200 or the inputs are not positive.
ResizeTarget smart_resize(int64_t height, int64_t width, int factor, int64_t min_pixels, int64_t max_pixels);

enum class ResizeMode {
  kBicubic,   // PIL / torchvision-antialias bicubic (a = -0.5, support widened when shrinking): HF default
  kBilinear,  // PIL-style antialiased bilinear (triangle filter)
};

// Resamples to (width, height) with Pillow's separable convolution in 8-bit
// fixed point, so results equal PIL's Image.resize(BICUBIC / BILINEAR).
Image resize_image(const Image& src, int width, int height, ResizeMode mode = ResizeMode::kBicubic);

struct PreprocessOptions {
  PixelBudget budget;
  int patch_size = 16;
  int temporal_patch_size = 2;
  int merge_size = 2;
  std::array<float, 3> image_mean = {0.5f, 0.5f, 0.5f};
  std::array<float, 3> image_std = {0.5f, 0.5f, 0.5f};
  ResizeMode resize = ResizeMode::kBicubic;
};

// Encoder input for one image or one video: grid in patches (HF grid_thw) and
// pixel_values rows [grid_t * grid_h * grid_w, 3 * tp * p * p], each row in
// (channel, frame, py, px) order, rows in merge-block order (spec §6.3).
struct PixelValues {
  int grid_t = 0;
  int grid_h = 0;
  int grid_w = 0;
  int row_size = 0;  // 3 * temporal_patch_size * patch^2
  std::vector<float> data;

  int64_t n_patches() const { return int64_t{grid_t} * grid_h * grid_w; }
  // LLM tokens after the spatial merge.
  int64_t n_merged(int merge = 2) const { return n_patches() / (merge * merge); }
};

PixelValues preprocess_image(const Image& img, const PreprocessOptions& opt = {});

// Frames already at the target size: normalise and patchify (a single frame is
// repeated to fill the temporal patch; an odd count repeats the last frame).
PixelValues patchify_frames(const std::vector<const Image*>& frames, const PreprocessOptions& opt);

}  // namespace qvl
