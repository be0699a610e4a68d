// get_rope_index as a single walk over the tokens (see mrope_positions.h); the
// test re-implements HF's list-based algorithm independently and compares.
#include "model/positions/mrope_positions.h"

#include <algorithm>

#include "base/error.h"

namespace qvl {

RopeIndex get_rope_index(const std::vector<int32_t>& tokens, const std::vector<VisualGrid>& image_grids,
                         const std::vector<VisualGrid>& video_grids, const VisionTokenIds& ids, int merge) {
  QVL_CHECK(merge > 0, "bad spatial_merge_size ", merge);
  // Qwen3-VL splits each video into gt single-frame-pair blocks.
  std::vector<VisualGrid> videos;
  for (const VisualGrid& g : video_grids) {
    QVL_CHECK(g.t > 0, "video grid has t = ", g.t);
    for (int32_t i = 0; i < g.t; ++i) videos.push_back({1, g.h, g.w});
  }
  for (const VisualGrid& g : image_grids) QVL_CHECK(g.t == 1, "image grid must have t = 1, got ", g.t);

  RopeIndex r;
  r.pos.resize(tokens.size());
  const size_t n = tokens.size();
  size_t next_image = 0, next_video = 0;
  int32_t next = 0;
  size_t i = 0;
  while (i < n) {
    const int32_t tok = tokens[i];
    if (tok != ids.image_pad && tok != ids.video_pad) {
      r.pos[i] = {next, next, next};
      ++next, ++i;
      continue;
    }
    const bool image = tok == ids.image_pad;
    QVL_CHECK(i > 0 && tokens[i - 1] == ids.vision_start, "a run of ", image ? "<|image_pad|>" : "<|video_pad|>",
              " at index ", i, " does not follow <|vision_start|>");
    const std::vector<VisualGrid>& grids = image ? image_grids : videos;
    size_t& k = image ? next_image : next_video;
    QVL_CHECK(k < grids.size(), "more ", image ? "images" : "video frames", " in the prompt than inputs (",
              grids.size(), ")");
    const VisualGrid g = grids[k++];
    QVL_CHECK(g.h > 0 && g.w > 0 && g.h % merge == 0 && g.w % merge == 0, "bad visual grid ", g.t, "x", g.h, "x",
              g.w);
    const int32_t gh = g.h / merge, gw = g.w / merge;
    const size_t count = static_cast<size_t>(g.t) * gh * gw;
    QVL_CHECK(i + count <= n, "prompt ends inside a visual block at index ", i);
    for (size_t j = 0; j < count; ++j) {
      QVL_CHECK(tokens[i + j] == tok, "visual block at index ", i, " has ", j, " pad tokens, expected ", count);
    }
    size_t j = i;
    for (int32_t t = 0; t < g.t; ++t) {
      for (int32_t y = 0; y < gh; ++y) {
        for (int32_t x = 0; x < gw; ++x) r.pos[j++] = {next + t, next + y, next + x};
      }
    }
    next += std::max({g.t, gh, gw});
    i += count;
  }
  QVL_CHECK(next_image == image_grids.size(), "prompt has ", next_image, " images but ", image_grids.size(),
            " were given");
  QVL_CHECK(next_video == videos.size(), "prompt has ", next_video, " video frames but ", videos.size(),
            " were given");
  r.rope_delta = next - static_cast<int32_t>(n);
  return r;
}

}  // namespace qvl
