// Test helper: writes small videos with libavformat / libavcodec (MJPEG, MPEG-4
// Part 2, FFV1 in AVI / MP4 / MKV), one solid colour per frame that encodes the
// frame's index, so a test can tell which frames were decoded. Not for production.
#pragma once
#include <cmath>
#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
}

#include "input/image/image.h"

namespace qvl::test {

// Colour of frame k: three base-10 digits of k on a 24-level grid, far enough apart
// that lossy coding (a few levels of error) cannot turn one index into another.
inline void index_colour(int k, uint8_t rgb[3]) {
  rgb[0] = static_cast<uint8_t>(20 + 24 * (k % 10));
  rgb[1] = static_cast<uint8_t>(20 + 24 * (k / 10 % 10));
  rgb[2] = static_cast<uint8_t>(20 + 24 * (k / 100 % 10));
}

// The index a decoded frame shows (its centre pixel), or -1 when a channel is off-grid.
inline int colour_index(const Image& img) {
  const uint8_t* p = img.at(img.width / 2, img.height / 2);
  int k = 0, scale = 1;
  for (int c = 0; c < 3; ++c, scale *= 10) {
    const double d = (p[c] - 20) / 24.0;
    const long digit = std::lround(d);
    if (std::abs(d - digit) > 0.4 || digit < 0 || digit > 9) return -1;
    k += static_cast<int>(digit) * scale;
  }
  return k;
}

struct VideoSpec {
  const char* container = "avi";  // libavformat muxer name: avi, mp4, matroska
  AVCodecID codec = AV_CODEC_ID_MJPEG;
  int width = 32, height = 32;
  int frames = 16;
  int fps_num = 30, fps_den = 1;
  int gop = 12;
  int b_frames = 0;
  const char* encoder = nullptr;  // by name (libx264, libvpx-vp9, ...); null = FFmpeg's default for codec
};

// Whether this FFmpeg build can write the spec (external encoders are optional).
inline bool can_write(const VideoSpec& s) {
  return s.encoder ? avcodec_find_encoder_by_name(s.encoder) != nullptr : avcodec_find_encoder(s.codec) != nullptr;
}

[[noreturn]] inline void writer_fail(const std::string& what) { throw std::runtime_error("video writer: " + what); }

// Writes the video to `path` and returns the file's bytes.
inline std::vector<uint8_t> write_test_video(const VideoSpec& s, const std::string& path) {
  av_log_set_level(AV_LOG_QUIET);  // the yuvj pixel-format notice is expected
  AVFormatContext* oc = nullptr;
  if (avformat_alloc_output_context2(&oc, nullptr, s.container, path.c_str()) < 0) writer_fail("no muxer");
  const AVCodec* codec = s.encoder ? avcodec_find_encoder_by_name(s.encoder) : avcodec_find_encoder(s.codec);
  if (!codec) writer_fail("no encoder");
  AVStream* st = avformat_new_stream(oc, nullptr);
  AVCodecContext* enc = avcodec_alloc_context3(codec);
  enc->width = s.width;
  enc->height = s.height;
  enc->pix_fmt = s.codec == AV_CODEC_ID_MJPEG ? AV_PIX_FMT_YUVJ420P : AV_PIX_FMT_YUV420P;
  enc->time_base = AVRational{s.fps_den, s.fps_num};
  enc->framerate = AVRational{s.fps_num, s.fps_den};
  enc->gop_size = s.gop;
  enc->max_b_frames = s.b_frames;
  enc->flags |= AV_CODEC_FLAG_QSCALE;  // near-lossless, so colours survive
  enc->global_quality = FF_QP2LAMBDA * 2;
  enc->thread_count = 1;
  if (oc->oformat->flags & AVFMT_GLOBALHEADER) enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  // Quality for the external encoders (they ignore qscale); options a build lacks are skipped.
  av_opt_set(enc->priv_data, "preset", "veryfast", 0);
  av_opt_set(enc->priv_data, "crf", "12", 0);
  av_opt_set(enc->priv_data, "deadline", "realtime", 0);
  av_opt_set(enc->priv_data, "cpu-used", "8", 0);
  if (avcodec_open2(enc, codec, nullptr) < 0) writer_fail("cannot open encoder");
  avcodec_parameters_from_context(st->codecpar, enc);
  st->time_base = enc->time_base;
  st->avg_frame_rate = enc->framerate;
  if (avio_open(&oc->pb, path.c_str(), AVIO_FLAG_WRITE) < 0) writer_fail("cannot open " + path);
  if (avformat_write_header(oc, nullptr) < 0) writer_fail("cannot write header");

  SwsContext* sws = sws_getContext(s.width, s.height, AV_PIX_FMT_RGB24, s.width, s.height, enc->pix_fmt,
                                   SWS_BICUBIC, nullptr, nullptr, nullptr);
  AVFrame* frame = av_frame_alloc();
  frame->format = enc->pix_fmt;
  frame->width = s.width;
  frame->height = s.height;
  av_frame_get_buffer(frame, 0);
  AVPacket* pkt = av_packet_alloc();
  auto drain = [&] {
    while (avcodec_receive_packet(enc, pkt) == 0) {
      av_packet_rescale_ts(pkt, enc->time_base, st->time_base);
      pkt->stream_index = st->index;
      if (av_interleaved_write_frame(oc, pkt) < 0) writer_fail("cannot write a packet");
    }
  };
  Image rgb(s.width, s.height);
  for (int k = 0; k < s.frames; ++k) {
    uint8_t c[3];
    index_colour(k, c);
    for (int i = 0; i < s.width * s.height; ++i)
      for (int ch = 0; ch < 3; ++ch) rgb.rgb[static_cast<size_t>(i) * 3 + ch] = c[ch];
    av_frame_make_writable(frame);
    const uint8_t* src[1] = {rgb.rgb.data()};
    const int src_stride[1] = {3 * s.width};
    sws_scale(sws, src, src_stride, 0, s.height, frame->data, frame->linesize);
    frame->pts = k;
    if (avcodec_send_frame(enc, frame) < 0) writer_fail("cannot encode a frame");
    drain();
  }
  avcodec_send_frame(enc, nullptr);
  drain();
  av_write_trailer(oc);
  avio_closep(&oc->pb);
  av_packet_free(&pkt);
  av_frame_free(&frame);
  sws_freeContext(sws);
  avcodec_free_context(&enc);
  avformat_free_context(oc);

  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

}  // namespace qvl::test
