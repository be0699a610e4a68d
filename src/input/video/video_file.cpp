// Video file decoding with libavformat / libavcodec / libswscale (see video_file.h).
// One pass demuxes packets only (count, timestamps, keyframes); a second decodes
// from the keyframe before each sampled frame, so a long video is never decoded whole.
#include "input/video/video_file.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>
}

#include "base/error.h"
#include "input/video/ffmpeg_util.h"

namespace qvl {
namespace {

using namespace video_detail;

constexpr int kIoBufferSize = 1 << 16;
constexpr int kMaxBadPackets = 64;  // packets the decoder rejects before we give up

struct Packet {
  int64_t ts;  // pts, else dts, in stream time base
  bool key;
};

// One opened container: the demuxer, its video stream and (for the decode pass) a decoder.
class VideoReader {
 public:
  VideoReader(const uint8_t* data, size_t size, const std::string* path, const VideoLimits& limits, Deadline* dl)
      : limits_(limits), deadline_(dl), path_(path ? *path : std::string()) {
    mem_.data = data;
    mem_.size = size;
    try {
      open();
    } catch (...) {
      close();  // the destructor does not run for a constructor that throws
      throw;
    }
  }
  ~VideoReader() { close(); }
  VideoReader(const VideoReader&) = delete;
  VideoReader& operator=(const VideoReader&) = delete;

  // Packet pass: fills info and the timestamp table. Leaves the demuxer at the end.
  void scan(VideoInfo& info);
  // Decode pass (reopens the container): one RGB frame per sampled index.
  std::vector<Image> decode(const std::vector<int64_t>& indices, const ResizeTarget* target, ResizeMode mode);

 private:
  void open();
  void close();
  std::vector<uint8_t> head() const;
  bool next_frame(AVFrame* frame);
  bool seek_to(int64_t ts);
  void restart();  // reopen the container and a fresh decoder: back to the first frame
  Image to_rgb(const AVFrame* f);

  VideoLimits limits_;
  Deadline* deadline_;
  std::string path_;
  MemorySource mem_;
  AVFormatContext* fmt_ = nullptr;
  AVIOContext* io_ = nullptr;
  AVCodecContext* dec_ = nullptr;
  SwsContext* sws_ = nullptr;
  AVPacket* pkt_ = nullptr;
  int stream_ = -1;
  int width_ = 0, height_ = 0;
  bool draining_ = false;
  int bad_packets_ = 0;
  bool ordinal_ = false;           // some packet had no timestamp: match frames by count
  std::vector<Packet> packets_;    // demux order
};

void VideoReader::open() {
  quiet_ffmpeg();
  fmt_ = avformat_alloc_context();
  QVL_CHECK(fmt_, "out of memory opening a video");
  fmt_->interrupt_callback.callback = interrupt_cb;
  fmt_->interrupt_callback.opaque = deadline_;
  if (path_.empty()) {
    mem_.pos = 0;
    auto* buf = static_cast<uint8_t*>(av_malloc(kIoBufferSize));
    io_ = buf ? avio_alloc_context(buf, kIoBufferSize, 0, &mem_, mem_read, nullptr, mem_seek) : nullptr;
    if (!io_) {
      av_free(buf);
      avformat_free_context(fmt_);
      fmt_ = nullptr;
      QVL_FAIL("out of memory opening a video");
    }
    fmt_->pb = io_;
    fmt_->flags |= AVFMT_FLAG_CUSTOM_IO;
  }
  AVDictionary* opts = nullptr;
  av_dict_set(&opts, "format_whitelist", kContainers, 0);
  av_dict_set(&opts, "protocol_whitelist", "file", 0);  // a path never reaches the network
  const int r = avformat_open_input(&fmt_, path_.empty() ? "" : path_.c_str(), nullptr, &opts);
  av_dict_free(&opts);
  if (r < 0) {  // fmt_ is freed (and nulled) by avformat_open_input
    deadline_->check();
    QVL_FAIL("cannot open the video: ", not_a_video_reason(head()));
  }
  const int info = avformat_find_stream_info(fmt_, nullptr);
  deadline_->check();
  QVL_CHECK(info >= 0, "cannot read the video's streams (corrupt or truncated): ", av_error_text(info));
  for (unsigned i = 0; i < fmt_->nb_streams; ++i) {
    const AVStream* st = fmt_->streams[i];
    if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO && !(st->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
      stream_ = static_cast<int>(i);
      break;
    }
  }
  QVL_CHECK(stream_ >= 0, "the file holds no video stream");
  const AVCodecParameters* par = fmt_->streams[stream_]->codecpar;
  width_ = par->width;
  height_ = par->height;
  QVL_CHECK(width_ > 0 && height_ > 0, "the video stream declares no frame size (", width_, "x", height_, ")");
  QVL_CHECK(width_ <= limits_.max_side && height_ <= limits_.max_side &&
                int64_t{width_} * height_ <= limits_.max_frame_pixels,
            "video frames of ", width_, "x", height_, " exceed the limit (", limits_.max_frame_pixels,
            " pixels, sides up to ", limits_.max_side, ")");
  pkt_ = av_packet_alloc();
  QVL_CHECK(pkt_, "out of memory opening a video");
}

void VideoReader::close() {
  sws_freeContext(sws_);
  sws_ = nullptr;
  avcodec_free_context(&dec_);
  av_packet_free(&pkt_);
  avformat_close_input(&fmt_);
  if (io_) {
    av_freep(&io_->buffer);
    avio_context_free(&io_);
  }
  stream_ = -1;
  draining_ = false;
}

std::vector<uint8_t> VideoReader::head() const {
  const size_t n = 1 << 16;
  if (path_.empty()) return std::vector<uint8_t>(mem_.data, mem_.data + std::min(n, mem_.size));
  std::vector<uint8_t> out(n);
  std::ifstream f(path_, std::ios::binary);
  f.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(n));
  out.resize(static_cast<size_t>(std::max<std::streamsize>(f.gcount(), 0)));
  return out;
}

void VideoReader::scan(VideoInfo& info) {
  const AVStream* st = fmt_->streams[stream_];
  info.container = fmt_->iformat->name;
  info.codec = avcodec_get_name(st->codecpar->codec_id);
  info.width = width_;
  info.height = height_;
  packets_.clear();
  double lo = HUGE_VAL, hi = -HUGE_VAL;
  for (;;) {
    const int r = av_read_frame(fmt_, pkt_);
    if (r < 0) {
      deadline_->check();
      break;  // end of file, or a truncated / damaged tail: keep what was read
    }
    if (pkt_->stream_index == stream_) {
      const int64_t ts = pkt_->pts != AV_NOPTS_VALUE ? pkt_->pts : pkt_->dts;
      if (ts == AV_NOPTS_VALUE) ordinal_ = true;
      packets_.push_back({ts, (pkt_->flags & AV_PKT_FLAG_KEY) != 0});
      if (ts != AV_NOPTS_VALUE) {  // in double: hostile timestamps must not overflow
        lo = std::min(lo, static_cast<double>(ts));
        hi = std::max(hi, static_cast<double>(ts) + static_cast<double>(std::max<int64_t>(pkt_->duration, 0)));
      }
      QVL_CHECK(static_cast<int64_t>(packets_.size()) <= limits_.max_total_frames, "the video has more than ",
                limits_.max_total_frames, " frames");
    }
    av_packet_unref(pkt_);
    deadline_->check();
  }
  info.total_frames = static_cast<int64_t>(packets_.size());
  QVL_CHECK(info.total_frames > 0, "the video stream holds no frames (empty or truncated)");
  const double tb = av_q2d(st->time_base);
  if (fmt_->duration != AV_NOPTS_VALUE && fmt_->duration > 0) info.duration_s = fmt_->duration / double(AV_TIME_BASE);
  else if (st->duration != AV_NOPTS_VALUE && st->duration > 0) info.duration_s = st->duration * tb;
  else if (hi > lo) info.duration_s = (hi - lo) * tb;
  QVL_CHECK(std::isfinite(info.duration_s) && info.duration_s <= limits_.max_duration_s, "the video lasts ",
            info.duration_s, " s, over the ", limits_.max_duration_s, " s limit");
  AVRational rate = st->avg_frame_rate;
  if (rate.num <= 0 || rate.den <= 0) rate = st->r_frame_rate;
  if (rate.num > 0 && rate.den > 0) info.fps = av_q2d(rate);
  else if (info.duration_s > 0) info.fps = info.total_frames / info.duration_s;
  if (!std::isfinite(info.fps) || info.fps <= 0 || info.fps > 10000) info.fps = 0;  // unknown: HF assumes 24
}

bool VideoReader::seek_to(int64_t ts) {
  if (av_seek_frame(fmt_, stream_, ts, AVSEEK_FLAG_BACKWARD) < 0) return false;  // decode forward instead
  avcodec_flush_buffers(dec_);
  draining_ = false;
  return true;
}

void VideoReader::restart() {
  close();
  open();  // back to the start without relying on the container's seek support
  const AVCodecParameters* par = fmt_->streams[stream_]->codecpar;
  const AVCodec* codec = avcodec_find_decoder(par->codec_id);
  QVL_CHECK(codec, "no decoder for the video codec '", avcodec_get_name(par->codec_id), "'");
  dec_ = avcodec_alloc_context3(codec);
  QVL_CHECK(dec_ && avcodec_parameters_to_context(dec_, par) >= 0, "cannot set up the video decoder");
  dec_->thread_count = 1;  // the server's cores belong to its own pools
  dec_->pkt_timebase = fmt_->streams[stream_]->time_base;
  QVL_CHECK(avcodec_open2(dec_, codec, nullptr) >= 0, "cannot open the '", codec->name, "' video decoder");
}

// The next decoded frame in presentation order; false at the end of the stream.
bool VideoReader::next_frame(AVFrame* frame) {
  for (;;) {
    deadline_->check();
    const int r = avcodec_receive_frame(dec_, frame);
    if (r == 0) return true;
    if (r == AVERROR_EOF || draining_) return false;
    if (r != AVERROR(EAGAIN)) {
      QVL_CHECK(++bad_packets_ <= kMaxBadPackets, "the video is corrupt (", av_error_text(r), ")");
      continue;
    }
    if (av_read_frame(fmt_, pkt_) < 0) {
      deadline_->check();
      avcodec_send_packet(dec_, nullptr);  // flush the frames still held by the decoder
      draining_ = true;
      continue;
    }
    if (pkt_->stream_index == stream_) {
      const int s = avcodec_send_packet(dec_, pkt_);
      if (s < 0 && s != AVERROR(EAGAIN))
        QVL_CHECK(++bad_packets_ <= kMaxBadPackets, "the video is corrupt (", av_error_text(s), ")");
    }
    av_packet_unref(pkt_);
  }
}

Image VideoReader::to_rgb(const AVFrame* f) {
  QVL_CHECK(f->width > 0 && f->height > 0 && f->width <= limits_.max_side && f->height <= limits_.max_side &&
                int64_t{f->width} * f->height <= limits_.max_frame_pixels,
            "a video frame of ", f->width, "x", f->height, " exceeds the limit");
  return frame_to_rgb(f, width_, height_, &sws_);
}

std::vector<Image> VideoReader::decode(const std::vector<int64_t>& indices, const ResizeTarget* target,
                                       ResizeMode mode) {
  const std::vector<Packet> packets = packets_;
  const bool ordinal = ordinal_;
  restart();

  // Frame k of the stream is the k-th smallest timestamp (packets arrive in decode order).
  std::vector<int64_t> sorted, keys;
  for (const Packet& p : packets) {
    sorted.push_back(p.ts);
    if (p.key) keys.push_back(p.ts);
  }
  std::sort(sorted.begin(), sorted.end());
  std::sort(keys.begin(), keys.end());

  std::unique_ptr<AVFrame, void (*)(AVFrame*)> frame(av_frame_alloc(), [](AVFrame* f) { av_frame_free(&f); });
  QVL_CHECK(frame, "out of memory decoding a video");
  bool have = false;     // frame holds a decoded, unconsumed-or-reusable picture
  int64_t have_ts = 0;   // its timestamp (or its ordinal)
  int64_t count = 0;     // frames decoded since the start (ordinal mode)
  bool eof = false;
  std::vector<Image> out;
  auto emit = [&] {
    Image img = to_rgb(frame.get());
    if (target && (target->width != img.width || target->height != img.height))
      img = resize_image(img, target->width, target->height, mode);
    out.push_back(std::move(img));
  };
  auto step = [&](int64_t want) {  // decodes the next frame; false at the end
    av_frame_unref(frame.get());
    if (!next_frame(frame.get())) return false;
    const int64_t ts = frame->best_effort_timestamp != AV_NOPTS_VALUE ? frame->best_effort_timestamp : frame->pts;
    have_ts = ordinal ? count : ts != AV_NOPTS_VALUE ? ts : (have ? have_ts + 1 : want);
    ++count;
    have = true;
    return true;
  };
  for (const int64_t idx : indices) {
    const int64_t want = ordinal ? idx : sorted[static_cast<size_t>(idx)];
    if (!(have && have_ts >= want) && !eof && !ordinal && !keys.empty()) {
      // The last keyframe at or before the wanted frame; seek when it lies ahead of us.
      size_t ki = static_cast<size_t>(std::upper_bound(keys.begin(), keys.end(), want) - keys.begin());
      ki = ki > 0 ? ki - 1 : 0;
      if (have ? have_ts < keys[ki] : ki > 0) {
        // Some demuxers (MPEG-TS) land past the keyframe asked for, and the decoder then
        // skips to a later one: when the first frame overshoots, step back a keyframe;
        // after a few tries start over from the first frame.
        for (int tries = 0;; ++tries) {
          const bool sought = seek_to(keys[ki]);
          have = false;
          if (!sought) break;  // decode forward from here
          if (step(want) && have_ts <= want) break;
          if (ki == 0 || tries == 3) {  // (no frame at all after the seek counts as overshooting)
            restart();
            have = false;
            break;
          }
          --ki;
        }
      }
    }
    while (!(have && have_ts >= want) && !eof) eof = !step(want);
    if (have) emit();
    else if (!out.empty()) out.push_back(out.back());  // the stream ended early: repeat the last frame
  }
  QVL_CHECK(!out.empty(), "no frame of the video could be decoded (corrupt or truncated)");
  while (out.size() < indices.size()) out.insert(out.begin(), out.front());
  return out;
}

DecodedVideo decode_impl(const uint8_t* data, size_t size, const std::string* path, const VideoDecodeOptions& opt) {
  const VideoLimits& lim = opt.limits;
  if (path) {
    std::error_code ec;
    const auto n = std::filesystem::file_size(*path, ec);
    QVL_CHECK(!ec, "cannot read video file ", *path, ": ", ec.message());
    QVL_CHECK(n > 0, "video file ", *path, " is empty");
    QVL_CHECK(n <= lim.max_bytes, "video file ", *path, " is ", n, " bytes, over the ", lim.max_bytes, "-byte limit");
  } else {
    QVL_CHECK(data && size > 0, "the video is empty");
    QVL_CHECK(size <= lim.max_bytes, "the video is ", size, " bytes, over the ", lim.max_bytes, "-byte limit");
  }
  Deadline dl = deadline_in(lim.time_limit_s);
  VideoReader reader(data, size, path, lim, &dl);
  DecodedVideo v;
  reader.scan(v.info);
  v.indices = sample_frame_indices(v.info.total_frames, v.info.fps, opt.sampling);
  std::optional<ResizeTarget> target;
  if (opt.resize_budget)
    target = video_resize_target(static_cast<int64_t>(v.indices.size()), v.info.height, v.info.width,
                                 video_budget_for(static_cast<int64_t>(v.indices.size()), opt.frame_min_pixels,
                                                  opt.frame_max_pixels, *opt.resize_budget,
                                                  opt.preprocess.temporal_patch_size),
                                 opt.preprocess);
  v.frames = reader.decode(v.indices, target ? &*target : nullptr, opt.preprocess.resize);
  return v;
}

}  // namespace

DecodedVideo decode_video(const uint8_t* data, size_t size, const VideoDecodeOptions& opt) {
  return decode_impl(data, size, nullptr, opt);
}

DecodedVideo decode_video_file(const std::string& path, const VideoDecodeOptions& opt) {
  return decode_impl(nullptr, 0, &path, opt);
}

VideoInfo probe_video(const uint8_t* data, size_t size, const VideoLimits& limits) {
  QVL_CHECK(data && size > 0, "the video is empty");
  QVL_CHECK(size <= limits.max_bytes, "the video is ", size, " bytes, over the ", limits.max_bytes, "-byte limit");
  Deadline dl = deadline_in(limits.time_limit_s);
  VideoReader reader(data, size, nullptr, limits, &dl);
  VideoInfo info;
  reader.scan(info);
  return info;
}

}  // namespace qvl
