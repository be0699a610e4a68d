// Video files through FFmpeg: videos written in the test (video_writer.h) with
// one colour per frame, so each check reads back which frames were sampled and
// in what order; limits and hostile input (truncations, byte flips) are errors.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include <gtest/gtest.h>

#include "base/error.h"
#include "input/video/video_file.h"
#include "video_writer.h"

extern "C" {
#include <libavutil/mem.h>
}

namespace qvl {
namespace {

namespace fs = std::filesystem;

// A per-process scratch folder, removed when the test binary exits.
const fs::path& scratch() {
  static struct Dir {
    fs::path p = fs::temp_directory_path() / ("qvl-video-test-" + std::to_string(getpid()));
    Dir() { fs::create_directories(p); }
    ~Dir() {
      std::error_code ec;
      fs::remove_all(p, ec);
    }
  } dir;
  return dir.p;
}

std::vector<uint8_t> make_video(const test::VideoSpec& s, const std::string& name) {
  return test::write_test_video(s, (scratch() / name).string());
}

std::vector<int> shown_indices(const DecodedVideo& v) {
  std::vector<int> out;
  for (const Image& f : v.frames) out.push_back(test::colour_index(f));
  return out;
}

std::vector<int> as_int(const std::vector<int64_t>& v) { return std::vector<int>(v.begin(), v.end()); }

std::string error_of(const std::vector<uint8_t>& bytes, const VideoDecodeOptions& opt = {}) {
  try {
    decode_video(bytes.data(), bytes.size(), opt);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

struct Case {
  const char* container;
  AVCodecID codec;
  int b_frames;
  const char* file;
};

TEST(VideoFile, SampledFramesAcrossContainersAndCodecs) {
  // 60 frames at 30 fps = 2 s; HF samples int(60 / 30 * 2) = 4 frames: linspace(0, 59, 4)
  // = 0, 19.67, 39.33, 59 -> 0, 20, 39, 59.
  const std::vector<int> want = {0, 20, 39, 59};
  for (const Case& c : {Case{"avi", AV_CODEC_ID_MJPEG, 0, "a.avi"}, Case{"mp4", AV_CODEC_ID_MPEG4, 0, "b.mp4"},
                        Case{"matroska", AV_CODEC_ID_MPEG4, 2, "c.mkv"}, Case{"avi", AV_CODEC_ID_FFV1, 0, "d.avi"}}) {
    SCOPED_TRACE(c.file);
    test::VideoSpec s;
    s.container = c.container;
    s.codec = c.codec;
    s.b_frames = c.b_frames;
    s.frames = 60;
    const std::vector<uint8_t> bytes = make_video(s, c.file);
    const DecodedVideo v = decode_video(bytes.data(), bytes.size());
    EXPECT_EQ(v.info.total_frames, 60);
    EXPECT_NEAR(v.info.fps, 30.0, 1e-6);
    EXPECT_NEAR(v.info.duration_s, 2.0, 0.05);
    EXPECT_EQ(v.info.width, 32);
    EXPECT_EQ(v.info.height, 32);
    EXPECT_EQ(as_int(v.indices), want);
    EXPECT_EQ(shown_indices(v), want);
    // The same file through the path API.
    const DecodedVideo f = decode_video_file((scratch() / c.file).string());
    EXPECT_EQ(shown_indices(f), want);
  }
}

TEST(VideoFile, LongVideoSeeksToEachSampledFrame) {
  // 400 frames at 25 fps (16 s), a keyframe every 25: 32 frames sampled, most
  // reached by a seek; B-frames make presentation order differ from decode order.
  test::VideoSpec s;
  s.container = "mp4";
  s.codec = AV_CODEC_ID_MPEG4;
  s.frames = 400;
  s.fps_num = 25;
  s.gop = 25;
  s.b_frames = 2;
  s.width = 16;
  s.height = 16;
  const std::vector<uint8_t> bytes = make_video(s, "long.mp4");
  const DecodedVideo v = decode_video(bytes.data(), bytes.size());
  ASSERT_EQ(v.indices.size(), 32u);
  EXPECT_EQ(shown_indices(v), as_int(v.indices));
  EXPECT_EQ(v.indices.back(), 399);
}

TEST(VideoFile, SeeksInCommonDeliveryCodecs) {
  // H.264 with B-frames in MP4, VP9 in WebM, MPEG-2 in MPEG-TS (timestamp-searched
  // seeks): 200 frames at 25 fps (8 s), 16 sampled, each the frame HF would take.
  struct Codec {
    const char* container;
    AVCodecID id;
    const char* encoder;
    int b_frames;
    const char* file;
  };
  for (const Codec& c : {Codec{"mp4", AV_CODEC_ID_H264, "libx264", 3, "h264.mp4"},
                         Codec{"webm", AV_CODEC_ID_VP9, "libvpx-vp9", 0, "vp9.webm"},
                         Codec{"mpegts", AV_CODEC_ID_MPEG2VIDEO, nullptr, 2, "mpeg2.ts"}}) {
    SCOPED_TRACE(c.file);
    test::VideoSpec s;
    s.container = c.container;
    s.codec = c.id;
    s.encoder = c.encoder;
    s.b_frames = c.b_frames;
    s.frames = 200;
    s.fps_num = 25;
    s.gop = 25;
    s.width = 32;
    s.height = 32;
    if (!test::can_write(s)) {
      std::printf("skipped %s: no %s encoder in this FFmpeg build\n", c.file, c.encoder);
      continue;
    }
    const std::vector<uint8_t> bytes = make_video(s, c.file);
    const DecodedVideo v = decode_video(bytes.data(), bytes.size());
    EXPECT_EQ(v.info.total_frames, 200);
    ASSERT_EQ(v.indices.size(), 16u);
    EXPECT_EQ(shown_indices(v), as_int(v.indices));
  }
}

TEST(VideoFile, FrameRateAndOddSizes) {
  // 50 frames at 10 fps (5 s) -> int(50 / 10 * 2) = 10 frames; 48x34 is not a multiple of 32.
  test::VideoSpec s;
  s.container = "matroska";
  s.codec = AV_CODEC_ID_MPEG4;
  s.frames = 50;
  s.fps_num = 10;
  s.width = 48;
  s.height = 34;
  const std::vector<uint8_t> bytes = make_video(s, "odd.mkv");
  const DecodedVideo v = decode_video(bytes.data(), bytes.size());
  EXPECT_NEAR(v.info.fps, 10.0, 1e-6);
  ASSERT_EQ(v.indices.size(), 10u);
  EXPECT_EQ(shown_indices(v), as_int(v.indices));
  EXPECT_EQ(v.frames[0].width, 48);
  EXPECT_EQ(v.frames[0].height, 34);
  // A sampling rate of its own: 1 fps -> int(50 / 10 * 1) = 5 frames.
  VideoDecodeOptions opt;
  opt.sampling.fps = 1.0;
  EXPECT_EQ(decode_video(bytes.data(), bytes.size(), opt).indices.size(), 5u);
}

TEST(VideoFile, ShortVideoTakesEveryFrame) {
  // 3 frames: fewer than min_frames (4), so all of them.
  test::VideoSpec s;
  s.frames = 3;
  const std::vector<uint8_t> bytes = make_video(s, "short.avi");
  const DecodedVideo v = decode_video(bytes.data(), bytes.size());
  EXPECT_EQ(shown_indices(v), (std::vector<int>{0, 1, 2}));
}

TEST(VideoFile, ResizedFramesPatchifyAsPreprocessVideo) {
  test::VideoSpec s;
  s.frames = 20;
  s.width = 96;
  s.height = 64;
  const std::vector<uint8_t> bytes = make_video(s, "resize.avi");
  VideoDecodeOptions opt;
  opt.resize_budget = PixelBudget{4096, 4 * 64 * 64};
  const DecodedVideo small = decode_video(bytes.data(), bytes.size(), opt);
  const ResizeTarget t = video_resize_target(4, 64, 96, *opt.resize_budget, opt.preprocess);
  ASSERT_EQ(small.frames.size(), 4u);
  EXPECT_EQ(small.frames[0].width, t.width);
  EXPECT_EQ(small.frames[0].height, t.height);
  EXPECT_LT(int64_t{t.width} * t.height, 96 * 64);  // the budget did shrink it
  // Resizing at decode time equals HF's order (decode all, then resize the clip).
  const DecodedVideo full = decode_video(bytes.data(), bytes.size());
  const PixelValues a = patchify_resized_video(small.frames, opt.preprocess);
  const PixelValues b = preprocess_video(full.frames, *opt.resize_budget, opt.preprocess);
  EXPECT_EQ(a.grid_t, b.grid_t);
  EXPECT_EQ(a.grid_h, b.grid_h);
  EXPECT_EQ(a.grid_w, b.grid_w);
  EXPECT_EQ(a.data, b.data);
}

TEST(VideoFile, WrongTypeEmptyAndTruncatedInputAreErrors) {
  EXPECT_NE(error_of({}).find("empty"), std::string::npos);
  Image img(8, 8);
  EXPECT_NE(error_of(encode_png(img)).find("png image, not a video"), std::string::npos);
  const std::string text = "this is plain text, not a video at all\n";
  EXPECT_NE(error_of(std::vector<uint8_t>(text.begin(), text.end())).find("not a recognised video container"),
            std::string::npos);
  test::VideoSpec s;
  s.container = "mp4";
  s.codec = AV_CODEC_ID_MPEG4;
  const std::vector<uint8_t> bytes = make_video(s, "trunc.mp4");
  EXPECT_NE(error_of(std::vector<uint8_t>(bytes.begin(), bytes.begin() + 40)), "");
  test::VideoSpec a;
  const std::vector<uint8_t> avi = make_video(a, "trunc.avi");
  EXPECT_NE(error_of(std::vector<uint8_t>(avi.begin(), avi.begin() + 100)).find("avi header is truncated"),
            std::string::npos);
  EXPECT_THROW(decode_video_file((scratch() / "missing.mp4").string()), Error);
}

TEST(VideoFile, LimitsAreClearErrors) {
  test::VideoSpec s;
  s.frames = 40;
  const std::vector<uint8_t> bytes = make_video(s, "limits.avi");
  VideoDecodeOptions o;
  o.limits.max_bytes = bytes.size() - 1;
  EXPECT_NE(error_of(bytes, o).find("byte limit"), std::string::npos);
  o = {};
  o.limits.max_frame_pixels = 31 * 32;
  EXPECT_NE(error_of(bytes, o).find("32x32 exceed the limit"), std::string::npos);
  o = {};
  o.limits.max_side = 16;
  EXPECT_NE(error_of(bytes, o).find("exceed the limit"), std::string::npos);
  o = {};
  o.limits.max_duration_s = 1.0;  // the clip lasts 40 / 30 s
  EXPECT_NE(error_of(bytes, o).find("over the 1 s limit"), std::string::npos);
  o = {};
  o.limits.max_total_frames = 39;
  EXPECT_NE(error_of(bytes, o).find("more than 39 frames"), std::string::npos);
  o = {};
  o.limits.time_limit_s = 0;
  EXPECT_NE(error_of(bytes, o).find("time limit"), std::string::npos);
  const VideoInfo info = probe_video(bytes.data(), bytes.size());
  EXPECT_EQ(info.total_frames, 40);
  EXPECT_EQ(info.codec, "mjpeg");
  EXPECT_EQ(info.container, "avi");
}

// Fuzz-style: every outcome must be frames of the declared shape or a qvl::Error;
// a crash, a hang or another exception type fails (run under ASan in CI builds too).
TEST(VideoFile, TruncationsAndByteFlipsNeverCrash) {
  std::mt19937 rng(1234);
  for (const Case& c : {Case{"avi", AV_CODEC_ID_MJPEG, 0, "fa.avi"}, Case{"mp4", AV_CODEC_ID_MPEG4, 0, "fb.mp4"},
                        Case{"matroska", AV_CODEC_ID_MPEG4, 2, "fc.mkv"}}) {
    test::VideoSpec s;
    s.container = c.container;
    s.codec = c.codec;
    s.b_frames = c.b_frames;
    s.frames = 12;
    s.width = 16;
    s.height = 16;
    const std::vector<uint8_t> good = make_video(s, c.file);
    int ok = 0, refused = 0;
    auto attempt = [&](const std::vector<uint8_t>& bytes) {
      VideoDecodeOptions opt;
      opt.limits.time_limit_s = 10;
      try {
        const DecodedVideo v = decode_video(bytes.data(), bytes.size(), opt);
        ASSERT_EQ(v.frames.size(), v.indices.size());
        for (const Image& f : v.frames) ASSERT_EQ(f.rgb.size(), size_t(f.width) * f.height * 3);
        ++ok;
      } catch (const Error&) {
        ++refused;
      }
    };
    for (size_t n = 0; n < good.size(); n += std::max<size_t>(1, good.size() / 40))
      attempt(std::vector<uint8_t>(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n)));
    // QVL_VIDEO_FUZZ_ITERS raises the count for a longer run (e.g. under ASan).
    const char* env = std::getenv("QVL_VIDEO_FUZZ_ITERS");
    const int iters = env ? std::max(1, std::atoi(env)) : 60;
    for (int i = 0; i < iters; ++i) {
      std::vector<uint8_t> bad = good;
      const int flips = 1 + static_cast<int>(rng() % 8);
      for (int f = 0; f < flips; ++f) bad[rng() % bad.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
      if (i % 4 == 3) {  // a run of 0xff: sizes and counts turn huge
        const size_t at = rng() % bad.size(), n = std::min<size_t>(1 + rng() % 16, bad.size() - at);
        std::fill_n(bad.begin() + static_cast<std::ptrdiff_t>(at), n, uint8_t{0xff});
      }
      attempt(bad);
    }
    std::printf("%s: %d decoded, %d refused\n", c.file, ok, refused);
    EXPECT_GT(refused, 0) << c.file;  // the tiny truncations at least
    EXPECT_GT(ok, 0) << c.file;       // most single flips land in pixel data
  }
}

}  // namespace
}  // namespace qvl

namespace qvl {
namespace {

// Found by fuzz_video_probe (10-minute run): a 945-byte MP4 whose header made the
// demuxer allocate and zero ~170 MB in one block. FFmpeg's single-allocation cap
// (video_detail::quiet_ffmpeg, 128 MiB) refuses it; the largest legitimate block
// (one RGB24 frame at max_frame_pixels, 107 MB) still fits.
TEST(VideoFile, FfmpegSingleAllocationsAreCapped) {
  std::ifstream f(std::string(QVL_SOURCE_DIR) + "/tests/fuzz/corpus/video_probe/mp4-170mb-single-alloc",
                  std::ios::binary);
  ASSERT_TRUE(f) << "seed corpus file missing";
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  try {
    probe_video(bytes.data(), bytes.size());
  } catch (const Error&) {  // refused with a clear error is fine; a crash or the block is not
  }
  void* big = av_malloc(size_t{170} << 20);
  EXPECT_EQ(big, nullptr) << "FFmpeg's allocation cap is not set after a probe";
  av_free(big);
  void* frame = av_malloc(size_t{8192} * 4352 * 3);
  EXPECT_NE(frame, nullptr) << "the cap refuses a max-size RGB frame";
  av_free(frame);
}

}  // namespace
}  // namespace qvl
