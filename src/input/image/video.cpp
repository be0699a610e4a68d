// Video frame sampling, 3-D smart_resize, patchify and timestamps (see video.h).
#include "input/image/video.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "base/error.h"

namespace qvl {

std::vector<int64_t> sample_frame_indices(int64_t total, double video_fps, const VideoSampling& s) {
  QVL_CHECK(total > 0, "video has no frames");
  QVL_CHECK(s.fps > 0 && s.min_frames > 0 && s.max_frames >= s.min_frames, "bad video sampling settings");
  if (!(video_fps > 0)) video_fps = 24.0;
  int64_t n = static_cast<int64_t>(static_cast<double>(total) / video_fps * s.fps);
  n = std::min<int64_t>({std::max<int64_t>(n, s.min_frames), s.max_frames, total});
  std::vector<int64_t> idx(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    // torch.linspace in float32, then round half to even.
    const float step = n > 1 ? static_cast<float>(total - 1) / static_cast<float>(n - 1) : 0.0f;
    const float v = i < n / 2 ? i * step : static_cast<float>(total - 1) - (n - 1 - i) * step;
    idx[i] = static_cast<int64_t>(std::nearbyint(v));
  }
  return idx;
}

ResizeTarget smart_resize_video(int64_t n_frames, int64_t height, int64_t width, int factor, int tf,
                                int64_t min_pixels, int64_t max_pixels) {
  QVL_CHECK(tf > 0 && n_frames >= tf, "a video needs at least ", tf, " frames, got ", n_frames);
  QVL_CHECK(height > 0 && width > 0, "video frames have zero size (", width, "x", height, ")");
  QVL_CHECK(min_pixels > 0 && max_pixels >= min_pixels, "bad video pixel budget");
  const double ratio = static_cast<double>(std::max(height, width)) / std::min(height, width);
  QVL_CHECK(ratio <= 200.0, "video aspect ratio must be at most 200, got ", width, "x", height);
  const double f = factor;
  int64_t h = static_cast<int64_t>(std::nearbyint(height / f)) * factor;
  int64_t w = static_cast<int64_t>(std::nearbyint(width / f)) * factor;
  const int64_t t = static_cast<int64_t>(std::nearbyint(static_cast<double>(n_frames) / tf)) * tf;
  const double volume = static_cast<double>(n_frames) * height * width;
  if (t * h * w > max_pixels) {
    const double beta = std::sqrt(volume / max_pixels);
    h = std::max<int64_t>(factor, static_cast<int64_t>(std::floor(height / beta / f)) * factor);
    w = std::max<int64_t>(factor, static_cast<int64_t>(std::floor(width / beta / f)) * factor);
  } else if (t * h * w < min_pixels) {
    const double beta = std::sqrt(min_pixels / volume);
    h = static_cast<int64_t>(std::ceil(height * beta / f)) * factor;
    w = static_cast<int64_t>(std::ceil(width * beta / f)) * factor;
  }
  h = std::max<int64_t>(h, factor);
  w = std::max<int64_t>(w, factor);
  QVL_CHECK(h <= (1 << 16) && w <= (1 << 16), "resized video frame ", w, "x", h, " is too large");
  return {static_cast<int>(h), static_cast<int>(w)};
}

ResizeTarget video_resize_target(int64_t n_frames, int height, int width, const PixelBudget& budget,
                                 const PreprocessOptions& opt) {
  // A single frame is repeated to fill one temporal patch, as HF pads.
  const int64_t n = std::max<int64_t>(n_frames, opt.temporal_patch_size);
  return smart_resize_video(n, height, width, opt.patch_size * opt.merge_size, opt.temporal_patch_size,
                            budget.min_pixels, budget.max_pixels);
}

PixelBudget video_budget_for(int64_t n_frames, int64_t frame_min, int64_t frame_max, const PixelBudget& clip,
                             int tp) {
  QVL_CHECK(tp > 0 && frame_min >= 0 && frame_max >= 0, "bad video pixel bounds");
  const int64_t n = std::max<int64_t>(n_frames, tp);
  const int64_t t = std::max<int64_t>(static_cast<int64_t>(std::nearbyint(static_cast<double>(n) / tp)) * tp, tp);
  PixelBudget b = clip;
  if (frame_max > 0) b.max_pixels = std::min(b.max_pixels, frame_max * t);
  if (frame_min > 0) b.min_pixels = std::max(b.min_pixels, frame_min * t);
  b.min_pixels = std::min(b.min_pixels, b.max_pixels);
  return b;
}

// Throws unless every frame has the first one's size, naming the first that differs.
static void check_same_size(const std::vector<Image>& frames) {
  QVL_CHECK(!frames.empty(), "video has no frames");
  const int w0 = frames[0].width, h0 = frames[0].height;
  for (size_t i = 1; i < frames.size(); ++i)
    QVL_CHECK(frames[i].width == w0 && frames[i].height == h0, "video frames differ in size: frame ", i, " is ",
              frames[i].width, "x", frames[i].height, ", frame 0 is ", w0, "x", h0);
}

PixelValues preprocess_video(const std::vector<Image>& frames, const PixelBudget& budget,
                             const PreprocessOptions& opt) {
  check_same_size(frames);
  const int w0 = frames[0].width, h0 = frames[0].height;
  const ResizeTarget t = video_resize_target(static_cast<int64_t>(frames.size()), h0, w0, budget, opt);
  std::vector<Image> resized;
  resized.reserve(frames.size());
  for (const Image& f : frames) {
    resized.push_back(t.width == w0 && t.height == h0 ? f : resize_image(f, t.width, t.height, opt.resize));
  }
  std::vector<const Image*> ptrs;
  for (const Image& f : resized) ptrs.push_back(&f);
  return patchify_frames(ptrs, opt);
}

PixelValues patchify_resized_video(const std::vector<Image>& frames, const PreprocessOptions& opt) {
  check_same_size(frames);
  const int factor = opt.patch_size * opt.merge_size;
  QVL_CHECK(frames[0].width % factor == 0 && frames[0].height % factor == 0, "video frames of ", frames[0].width,
            "x", frames[0].height, " are not resized to multiples of ", factor);
  std::vector<const Image*> ptrs;
  for (const Image& f : frames) ptrs.push_back(&f);
  return patchify_frames(ptrs, opt);
}

std::vector<double> video_timestamps(const std::vector<int64_t>& indices, double video_fps, int tp) {
  QVL_CHECK(!indices.empty() && tp > 0, "no frame indices");
  if (!(video_fps > 0)) video_fps = 24.0;
  std::vector<int64_t> idx = indices;
  while (idx.size() % tp != 0) idx.push_back(idx.back());
  std::vector<double> out;
  for (size_t i = 0; i < idx.size(); i += tp) {
    out.push_back((idx[i] / video_fps + idx[i + tp - 1] / video_fps) / 2);
  }
  return out;
}

std::string video_timestamp_text(double seconds) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "<%.1f seconds>", seconds);
  return buf;
}

}  // namespace qvl
