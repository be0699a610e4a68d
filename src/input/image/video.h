// Video as sampled frames (input layer), as HF's Qwen3VLVideoProcessor does it:
// which frames to take, the 3-D smart_resize, patchify of the frame pairs, and
// the per-temporal-patch timestamps the prompt text carries. Frames arrive as
// decoded images (a list of files); container / codec decoding lives in
// input/video/video_file.h.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "input/image/preprocess.h"

namespace qvl {

struct VideoSampling {
  double fps = 2.0;       // frames sampled per second of video
  int min_frames = 4;
  int max_frames = 768;
};

// Qwen3-VL video budget (video_preprocessor_config.json "size", spec §6.2).
inline PixelBudget default_video_budget() { return {4096, 25165824}; }

// HF sample_frames: n = int(total / video_fps * fps) clamped to [min, max] and to
// total; indices = round-half-even(linspace(0, total - 1, n)). video_fps <= 0
// means unknown (24 is assumed, as HF does).
std::vector<int64_t> sample_frame_indices(int64_t total_frames, double video_fps, const VideoSampling& s = {});

// HF smart_resize for videos: budget checks use round(n / tp) * tp frames and
// the β formulas include n. Throws on fewer frames than tp.
ResizeTarget smart_resize_video(int64_t n_frames, int64_t height, int64_t width, int factor, int temporal_factor,
                                int64_t min_pixels, int64_t max_pixels);

// smart_resize_video's target for n_frames frames of height x width under the
// budget with opt's patch / merge / temporal sizes (fewer than tp frames count as tp).
ResizeTarget video_resize_target(int64_t n_frames, int height, int width, const PixelBudget& budget,
                                 const PreprocessOptions& opt);

// The clip budget (t̄ * h * w, t̄ = n rounded to tp as smart_resize_video does) for n
// frames: `clip` narrowed by per-frame pixel bounds (0 = none), so a request can
// speak per frame (as qwen-vl-utils does) while the 3-D resize stays HF's.
PixelBudget video_budget_for(int64_t n_frames, int64_t frame_min_pixels, int64_t frame_max_pixels,
                             const PixelBudget& clip, int temporal_patch_size = 2);

// Resizes every frame to the common target and patchifies (odd counts repeat
// the last frame). All frames must have the first frame's size.
PixelValues preprocess_video(const std::vector<Image>& frames, const PixelBudget& budget,
                             const PreprocessOptions& opt = {});

// Frames already resized to their video_resize_target (decode_video does so to
// hold only small frames): checks they share one size that the patch grid
// divides, then patchifies. No second smart_resize, which would not be idempotent.
PixelValues patchify_resized_video(const std::vector<Image>& frames, const PreprocessOptions& opt);

// Seconds per temporal patch: the mean of its first and last frame time
// (indices padded with the last one to a multiple of tp), HF _calculate_timestamps.
std::vector<double> video_timestamps(const std::vector<int64_t>& indices, double video_fps, int temporal_patch_size = 2);

// "<1.3 seconds>" (one decimal, as Python's f"{t:.1f}").
std::string video_timestamp_text(double seconds);

}  // namespace qvl
