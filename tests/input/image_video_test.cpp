// Video as frames: HF sample_frames indices, the 3-D smart_resize, patchify of
// frame pairs and the timestamp text (values worked by hand from the HF code).
#include <gtest/gtest.h>

#include "base/error.h"
#include "input/image/video.h"

namespace qvl {
namespace {

TEST(Video, SampleFrameIndices) {
  // 10 s at 30 fps, sampled at 2 fps: n = int(300 / 30 * 2) = 20 frames over [0, 299].
  const auto idx = sample_frame_indices(300, 30.0);
  ASSERT_EQ(idx.size(), 20u);
  EXPECT_EQ(idx.front(), 0);
  EXPECT_EQ(idx.back(), 299);
  EXPECT_EQ(idx[1], 16);  // 299 / 19 = 15.74 -> 16
  // Short clip: at least min_frames (4), but never more than it has.
  EXPECT_EQ(sample_frame_indices(30, 30.0).size(), 4u);
  EXPECT_EQ(sample_frame_indices(3, 30.0), (std::vector<int64_t>{0, 1, 2}));
  // Unknown fps: 24 assumed: int(48 / 24 * 2) = 4.
  EXPECT_EQ(sample_frame_indices(48, 0.0).size(), 4u);
  // Linspace rounding half to even: 0, 1.5 -> 2, 3 for total 4, n 3.
  VideoSampling s;
  s.min_frames = 3;
  s.max_frames = 3;
  EXPECT_EQ(sample_frame_indices(4, 2.0, s), (std::vector<int64_t>{0, 2, 3}));
  EXPECT_THROW(sample_frame_indices(0, 30.0), Error);
}

TEST(Video, SmartResize3d) {
  // 8 frames of 640x360 fit in max: round(360/32)=11 -> 352 (11.25), 640 -> 640.
  auto r = smart_resize_video(8, 360, 640, 32, 2, 4096, 25165824);
  EXPECT_EQ(r.height, 352);
  EXPECT_EQ(r.width, 640);
  // Budget includes the frame count: 100 frames of 1920x1080 over 1e7 pixels:
  // beta = sqrt(100*1080*1920/1e7) = 4.5537 -> floor(1080/4.5537/32)*32 = 224, floor(1920/4.5537/32)*32 = 416.
  r = smart_resize_video(100, 1080, 1920, 32, 2, 4096, 10000000);
  EXPECT_EQ(r.height, 224);
  EXPECT_EQ(r.width, 416);
  EXPECT_THROW(smart_resize_video(1, 64, 64, 32, 2, 1, 1 << 30), Error);
}

TEST(Video, PreprocessAndTimestamps) {
  std::vector<Image> frames;
  for (int k = 0; k < 5; ++k) {
    Image f(64, 64);
    std::fill(f.rgb.begin(), f.rgb.end(), static_cast<uint8_t>(k * 50));
    frames.push_back(f);
  }
  const PixelValues pv = preprocess_video(frames, default_video_budget());
  EXPECT_EQ(pv.grid_t, 3);  // 5 frames padded to 6
  EXPECT_EQ(pv.grid_h, 4);
  EXPECT_EQ(pv.grid_w, 4);
  // Last temporal patch: frame 4 twice (t = 0 and t = 1 slices of the row).
  const float* row = &pv.data[size_t(2) * 16 * pv.row_size];
  EXPECT_FLOAT_EQ(row[0], 200.0f / 255 * 2 - 1);
  EXPECT_FLOAT_EQ(row[256], row[0]);
  const auto ts = video_timestamps({0, 15, 30, 45, 60}, 30.0);
  ASSERT_EQ(ts.size(), 3u);
  EXPECT_DOUBLE_EQ(ts[0], 0.25);
  EXPECT_DOUBLE_EQ(ts[2], 2.0);  // (60 + 60) / 2 / 30
  EXPECT_EQ(video_timestamp_text(ts[0]), "<0.2 seconds>");  // Python f"{0.25:.1f}" is "0.2" too
  EXPECT_EQ(video_timestamp_text(1.25), "<1.2 seconds>");
  EXPECT_EQ(video_timestamp_text(1.35), "<1.4 seconds>");  // 1.35 is 1.3500000000000000888 in binary
}

TEST(Video, PerFrameBoundsBecomeClipBudget) {
  const PixelBudget clip = default_video_budget();
  // 5 frames: 5 / 2 = 2.5 rounds half-to-even to 2, so t = 4 frames.
  PixelBudget b = video_budget_for(5, 0, 1024, clip);
  EXPECT_EQ(b.max_pixels, 1024 * 4);
  EXPECT_EQ(b.min_pixels, clip.min_pixels);
  // 7 frames: 3.5 rounds to 4 -> t = 8; a per-frame minimum scales the same way.
  b = video_budget_for(7, 10000, 0, clip);
  EXPECT_EQ(b.min_pixels, 10000 * 8);
  EXPECT_EQ(b.max_pixels, clip.max_pixels);
  // One frame counts as a pair; a minimum above the cap is pulled down to it.
  b = video_budget_for(1, 5000, 1000, clip);
  EXPECT_EQ(b.max_pixels, 2000);
  EXPECT_EQ(b.min_pixels, 2000);
  // The budget gives the resize HF would do under that cap: 4 frames of 64x64 within
  // 4 * 1024 pixels -> beta = 2 -> 32x32.
  const PreprocessOptions opt;
  const ResizeTarget t = video_resize_target(4, 64, 64, video_budget_for(4, 0, 1024, clip), opt);
  EXPECT_EQ(t.width, 32);
  EXPECT_EQ(t.height, 32);
  EXPECT_THROW(video_budget_for(4, -1, 0, clip), Error);
}

}  // namespace
}  // namespace qvl
