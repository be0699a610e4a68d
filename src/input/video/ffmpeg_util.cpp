// FFmpeg plumbing for video_file.cpp (see ffmpeg_util.h).
#include "input/video/ffmpeg_util.h"

#include <algorithm>
#include <cstring>
#include <mutex>

extern "C" {
#include <libavutil/avstring.h>
#include <libavutil/log.h>
#include <libavutil/mem.h>
#include <libavutil/pixdesc.h>
}

namespace qvl::video_detail {

std::string av_error_text(int err) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(err, buf, sizeof buf);
  return buf;
}


// Also caps any single FFmpeg allocation. The fuzzer found a 945-byte MP4 whose
// header makes the demuxer allocate (and zero) ~170 MB in one block: memory
// amplification a client could multiply by its connections. The largest block a
// valid video within VideoLimits needs is one RGB24 frame of max_frame_pixels
// (8192 x 4352 x 3 = 107 MB), so 128 MiB refuses the crafted block (FFmpeg then
// fails the open: a 400) and nothing legitimate.
constexpr size_t kMaxFfmpegAlloc = size_t{128} << 20;

void quiet_ffmpeg() {
  static std::once_flag once;
  std::call_once(once, [] {
    av_log_set_level(AV_LOG_QUIET);
    av_max_alloc(kMaxFfmpegAlloc);
  });
}


Deadline deadline_in(double seconds) {
  return {Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds)), seconds};
}


int interrupt_cb(void* opaque) { return static_cast<const Deadline*>(opaque)->expired() ? 1 : 0; }


int mem_read(void* opaque, uint8_t* buf, int n) {
  auto* m = static_cast<MemorySource*>(opaque);
  const size_t k = std::min(m->size - m->pos, static_cast<size_t>(std::max(n, 0)));
  if (k == 0) return AVERROR_EOF;
  std::memcpy(buf, m->data + m->pos, k);
  m->pos += k;
  return static_cast<int>(k);
}

int64_t mem_seek(void* opaque, int64_t offset, int whence) {
  auto* m = static_cast<MemorySource*>(opaque);
  whence &= ~AVSEEK_FORCE;
  if (whence == AVSEEK_SIZE) return static_cast<int64_t>(m->size);
  int64_t base = 0;
  if (whence == SEEK_CUR) base = static_cast<int64_t>(m->pos);
  else if (whence == SEEK_END) base = static_cast<int64_t>(m->size);
  else if (whence != SEEK_SET) return AVERROR(EINVAL);
  if (offset > static_cast<int64_t>(m->size) || base + offset < 0 || base + offset > static_cast<int64_t>(m->size))
    return AVERROR(EINVAL);
  m->pos = static_cast<size_t>(base + offset);
  return base + offset;
}


std::string not_a_video_reason(const std::vector<uint8_t>& head) {
  const std::string img = sniff_image_format(head.data(), head.size());
  if (!img.empty()) return "the data is a " + img + " image, not a video";
  std::vector<uint8_t> buf(head);
  buf.resize(head.size() + AVPROBE_PADDING_SIZE, 0);
  AVProbeData pd{};
  pd.filename = "";
  pd.buf = buf.data();
  pd.buf_size = static_cast<int>(head.size());
  int score = 0;
  const AVInputFormat* f = av_probe_input_format2(&pd, 1, &score);
  if (f && score > AVPROBE_SCORE_MAX / 4 && av_match_list(f->name, kContainers, ',') > 0)
    return std::string("the ") + f->name + " header is truncated or corrupt";
  if (f && score > AVPROBE_SCORE_MAX / 4)
    return std::string("unsupported format '") + f->name + "' (supported containers: " + kContainerNames + ")";
  return std::string("not a recognised video container, or its header is corrupt (supported: ") + kContainerNames + ")";
}

Image frame_to_rgb(const AVFrame* f, int width, int height, SwsContext** sws) {
  const auto src_fmt = static_cast<AVPixelFormat>(f->format);
  QVL_CHECK(src_fmt != AV_PIX_FMT_NONE, "a video frame has no pixel format");
  // Frames that change size mid-stream are scaled to the declared size, so all match.
  *sws = sws_getCachedContext(*sws, f->width, f->height, src_fmt, width, height, AV_PIX_FMT_RGB24, SWS_BICUBIC,
                              nullptr, nullptr, nullptr);
  QVL_CHECK(*sws, "cannot convert video frames of pixel format ", av_get_pix_fmt_name(src_fmt), " to RGB");
  const bool full_range = f->color_range == AVCOL_RANGE_JPEG || src_fmt == AV_PIX_FMT_YUVJ420P ||
                          src_fmt == AV_PIX_FMT_YUVJ422P || src_fmt == AV_PIX_FMT_YUVJ444P ||
                          src_fmt == AV_PIX_FMT_YUVJ440P || src_fmt == AV_PIX_FMT_YUVJ411P;
  const int space = f->colorspace == AVCOL_SPC_UNSPECIFIED ? SWS_CS_DEFAULT : static_cast<int>(f->colorspace);
  sws_setColorspaceDetails(*sws, sws_getCoefficients(space), full_range ? 1 : 0, sws_getCoefficients(SWS_CS_DEFAULT),
                           1, 0, 1 << 16, 1 << 16);
  // swscale may write past a tight row with SIMD stores: convert into padded rows.
  const int stride = (width * 3 + 63) / 64 * 64;
  std::vector<uint8_t> tmp(static_cast<size_t>(stride) * (height + 1) + 64);
  uint8_t* dst[4] = {tmp.data(), nullptr, nullptr, nullptr};
  const int dst_stride[4] = {stride, 0, 0, 0};
  const int rows = sws_scale(*sws, f->data, f->linesize, 0, f->height, dst, dst_stride);
  QVL_CHECK(rows == height, "video frame conversion to RGB failed");
  Image img(width, height);
  for (int y = 0; y < height; ++y)
    std::memcpy(img.at(0, y), tmp.data() + static_cast<size_t>(y) * stride, static_cast<size_t>(width) * 3);
  return img;
}

}  // namespace qvl::video_detail
