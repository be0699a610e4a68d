// FFmpeg plumbing for video_file.cpp (input layer, internal): in-memory AVIO
// callbacks, a wall-clock deadline FFmpeg's interrupt callback reads, the container
// allow-list, one-line reasons for refused input and AVFrame -> RGB conversion.
// Not a public API; nothing here samples or resizes.
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

extern "C" {
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>
}

#include "base/error.h"
#include "input/image/image.h"

namespace qvl::video_detail {

using Clock = std::chrono::steady_clock;

// Demuxers we accept: real video containers. Image and raw-stream demuxers (png_pipe,
// image2, ...) stay out, so a picture or text given as a video is refused.
inline constexpr const char* kContainers = "mov,matroska,avi,mpegts,mpeg,flv,ogg,asf,yuv4mpegpipe,ivf";
inline constexpr const char* kContainerNames = "MP4/MOV, MKV/WebM, AVI, MPEG-TS/PS, FLV, OGG, ASF, Y4M, IVF";

std::string av_error_text(int err);
// FFmpeg logs every damaged packet to stderr; our errors carry the reason instead.
void quiet_ffmpeg();

struct Deadline {
  Clock::time_point end;
  double seconds = 0;
  bool expired() const { return Clock::now() > end; }
  void check() const { QVL_CHECK(!expired(), "video decoding exceeded the ", seconds, " s time limit"); }
};
Deadline deadline_in(double seconds);
int interrupt_cb(void* opaque);  // opaque: const Deadline*

// Bytes behind a custom AVIOContext (read + seek, AVSEEK_SIZE answered).
struct MemorySource {
  const uint8_t* data = nullptr;
  size_t size = 0;
  size_t pos = 0;
};
int mem_read(void* opaque, uint8_t* buf, int n);
int64_t mem_seek(void* opaque, int64_t offset, int whence);

// Why the demuxer refused these first bytes, in one line: an image, a container's
// damaged header, another format, or junk.
std::string not_a_video_reason(const std::vector<uint8_t>& head);

// A decoded frame as RGB at width x height (scaled when its own size differs),
// honouring its colour space and range. *sws is a cached context the caller frees.
Image frame_to_rgb(const AVFrame* f, int width, int height, SwsContext** sws);

}  // namespace qvl::video_detail
