// Interleaved-MRoPE position ids for mixed text / image / video token sequences
// (model layer). Matches HF Qwen3VLModel.get_rope_index: text advances all three
// streams together; a visual block of gt x gh x gw merged tokens gets
// (start + t, start + row, start + col) and the next text resumes at
// start + max(gt, gh, gw). Videos are split into one block per temporal patch.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

namespace qvl {

// Grid of one image or video in patches, before the spatial merge (HF grid_thw).
struct VisualGrid {
  int32_t t = 1;
  int32_t h = 0;
  int32_t w = 0;
};

struct VisionTokenIds {
  int32_t vision_start = 151652;
  int32_t vision_end = 151653;
  int32_t image_pad = 151655;
  int32_t video_pad = 151656;
};

struct RopeIndex {
  std::vector<std::array<int32_t, 3>> pos;  // (t, h, w) per token
  int32_t rope_delta = 0;                   // max position + 1 - n_tokens; decode uses kv index + delta
};

// tokens: the expanded prompt (each image's / video frame's pads already
// repeated). Images and videos are consumed in order of appearance. Throws
// qvl::Error when pad counts do not match the grids.
RopeIndex get_rope_index(const std::vector<int32_t>& tokens, const std::vector<VisualGrid>& image_grids,
                         const std::vector<VisualGrid>& video_grids, const VisionTokenIds& ids = {},
                         int spatial_merge_size = 2);

}  // namespace qvl
