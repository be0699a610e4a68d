// JPEG through libjpeg-turbo's libjpeg API (docs/decisions/0016), replacing
// stb_image and the Huffman-table pre-scan that guarded stb's two known memory bugs.
// libjpeg reports fatal errors through error_exit; ours longjmps back into the one
// small function that made the call (read_header, read_pixels), which holds no C++
// objects, and decode_jpeg turns the failure into qvl::Error. Warnings (corrupt
// data libjpeg can skip, a truncated scan) do not fail the decode, as with stb.
#include <cstddef>
#include <cstdio>
// jpeglib.h needs size_t and FILE declared first.
#include <jerror.h>
#include <jpeglib.h>

#include <csetjmp>
#include <vector>

#include "base/error.h"
#include "input/image/image_decoders.h"

namespace qvl {
namespace {

// A progressive file can hold thousands of tiny scans, each a pass over the whole
// coefficient buffer: CPU out of all proportion to its size. libjpeg-turbo's own
// tools stop at 500 scans; so do we.
constexpr int kMaxScans = 500;

struct JpegReader {
  jpeg_decompress_struct cinfo;
  jpeg_error_mgr err;
  jpeg_progress_mgr progress;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX] = "corrupt or truncated";
};

void on_error(j_common_ptr cinfo) {
  auto* r = reinterpret_cast<JpegReader*>(cinfo->client_data);
  (*cinfo->err->format_message)(cinfo, r->message);
  std::longjmp(r->jump, 1);
}

void no_output(j_common_ptr) {}

void on_progress(j_common_ptr cinfo) {
  auto* d = reinterpret_cast<j_decompress_ptr>(cinfo);
  if (d->input_scan_number > kMaxScans) {
    auto* r = reinterpret_cast<JpegReader*>(cinfo->client_data);
    std::snprintf(r->message, sizeof(r->message), "more than %d progressive scans", kMaxScans);
    std::longjmp(r->jump, 1);
  }
}

bool read_header(JpegReader* r, const uint8_t* data, size_t size) {
  if (setjmp(r->jump)) return false;
  jpeg_mem_src(&r->cinfo, data, static_cast<unsigned long>(size));
  jpeg_read_header(&r->cinfo, TRUE);
  return true;
}

// Decodes into out (width x height x out_color_components bytes, allocated by the caller).
bool read_pixels(JpegReader* r, unsigned char* out) {
  if (setjmp(r->jump)) return false;
  jpeg_decompress_struct& c = r->cinfo;
  const bool cmyk = c.jpeg_color_space == JCS_CMYK || c.jpeg_color_space == JCS_YCCK;
  c.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
  c.dct_method = JDCT_ISLOW;          // the integer IDCT stb_image also uses
  c.do_fancy_upsampling = TRUE;       // triangle-filter chroma, as stb_image
  c.do_block_smoothing = FALSE;       // stb_image has no progressive smoothing
  jpeg_start_decompress(&c);
  const size_t stride = static_cast<size_t>(c.output_width) * c.output_components;
  while (c.output_scanline < c.output_height) {
    JSAMPROW row = out + c.output_scanline * stride;
    jpeg_read_scanlines(&c, &row, 1);
  }
  jpeg_finish_decompress(&c);
  return true;
}

// stb_image's CMYK rule (Adobe files store inverted ink): channel * K / 255, rounded.
uint8_t times_k(unsigned x, unsigned k) {
  const unsigned t = x * k + 128;
  return static_cast<uint8_t>((t + (t >> 8)) >> 8);
}

struct JpegDestroy {
  JpegReader* r;
  ~JpegDestroy() { jpeg_destroy_decompress(&r->cinfo); }
};

}  // namespace

Image decode_jpeg(const uint8_t* data, size_t size, const DecodeLimits& limits) {
  JpegReader r;
  r.cinfo.err = jpeg_std_error(&r.err);
  r.err.error_exit = on_error;
  r.err.output_message = no_output;
  r.cinfo.client_data = &r;
  jpeg_create_decompress(&r.cinfo);
  JpegDestroy destroy{&r};
  r.progress.progress_monitor = on_progress;
  r.cinfo.progress = &r.progress;

  if (!read_header(&r, data, size)) QVL_FAIL("cannot read jpeg header: ", r.message);
  const int64_t w = r.cinfo.image_width, h = r.cinfo.image_height;
  check_image_size(w, h, limits);
  const bool cmyk = r.cinfo.jpeg_color_space == JCS_CMYK || r.cinfo.jpeg_color_space == JCS_YCCK;
  const int channels = cmyk ? 4 : 3;
  std::vector<unsigned char> px(static_cast<size_t>(w) * h * channels);
  if (!read_pixels(&r, px.data())) QVL_FAIL("cannot decode jpeg image: ", r.message);
  QVL_CHECK(r.cinfo.output_width == w && r.cinfo.output_height == h && r.cinfo.output_components == channels,
            "corrupt jpeg image (size changed while decoding)");
  Image img(static_cast<int>(w), static_cast<int>(h));
  if (!cmyk) {
    img.rgb = std::move(px);
    return img;
  }
  const size_t n = static_cast<size_t>(w) * h;
  for (size_t i = 0; i < n; ++i) {
    const unsigned char* s = &px[i * 4];
    for (int c = 0; c < 3; ++c) img.rgb[i * 3 + c] = times_k(s[c], s[3]);
  }
  return img;
}

}  // namespace qvl
