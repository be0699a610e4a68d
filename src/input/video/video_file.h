// Video files (input layer): demuxes and decodes with FFmpeg's libraries only the
// frames HF's sampling picks (seeking to the keyframe before each), as RGB,
// optionally resized at once to the clip's 3-D smart_resize target. Does not
// patchify, encode or know about models; sampling rules live in image/video.h.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "input/image/image.h"
#include "input/image/preprocess.h"
#include "input/image/video.h"

namespace qvl {

// Guards against hostile or absurd input; every breach is a one-line qvl::Error.
struct VideoLimits {
  size_t max_bytes = size_t{1} << 30;         // encoded size
  double max_duration_s = 4 * 3600.0;
  int64_t max_total_frames = 2'000'000;       // frames in the stream (counted from packets, not decoded)
  int64_t max_frame_pixels = 8192LL * 4352;   // width * height as the header (or a frame) declares
  int max_side = 16384;
  double time_limit_s = 120;                  // wall clock for open + scan + decode; an interrupt stops FFmpeg
};

struct VideoInfo {
  std::string container;     // demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2", "avi", "matroska,webm"
  std::string codec;         // e.g. "h264", "mpeg4", "mjpeg"
  int width = 0, height = 0;
  double fps = 0;            // native frame rate; 0 = unknown (sampling then assumes 24, as HF)
  double duration_s = 0;
  int64_t total_frames = 0;  // video packets in the stream
};

struct VideoDecodeOptions {
  VideoSampling sampling;
  VideoLimits limits;
  // When set, each frame is resized right after decoding to video_resize_target
  // for the sampled count under this budget and `preprocess`'s sizes, so only
  // small frames are held (feed them to patchify_resized_video). Unset = native size.
  std::optional<PixelBudget> resize_budget;
  int64_t frame_min_pixels = 0, frame_max_pixels = 0;  // per-frame bounds on top (video_budget_for); 0 = none
  PreprocessOptions preprocess;
};

struct DecodedVideo {
  VideoInfo info;
  std::vector<int64_t> indices;  // sampled frame indices, ascending (sample_frame_indices)
  std::vector<Image> frames;     // one per index, RGB
};

// Decodes from memory (a custom AVIOContext over the bytes) or from a file path.
// Empty, truncated, corrupt, non-video (an image, text), unsupported and
// oversized input, and decoding past the time limit, all throw qvl::Error.
DecodedVideo decode_video(const uint8_t* data, size_t size, const VideoDecodeOptions& opt = {});
DecodedVideo decode_video_file(const std::string& path, const VideoDecodeOptions& opt = {});

// Container facts without decoding any frame (packets are counted). Same errors.
VideoInfo probe_video(const uint8_t* data, size_t size, const VideoLimits& limits = {});

}  // namespace qvl
