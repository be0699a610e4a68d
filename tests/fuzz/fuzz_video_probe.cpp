// Video containers through FFmpeg's demuxers as the server opens them (probe:
// open, stream info and the limits on declared size, length and frame count).
#include "fuzz_util.h"
#include "input/video/video_file.h"

using namespace qvl;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  VideoLimits limits;
  limits.time_limit_s = 2;
  limits.max_frame_pixels = 1 << 20;
  fuzz::expect_clean([&] { probe_video(data, size, limits); });
  return 0;
}
