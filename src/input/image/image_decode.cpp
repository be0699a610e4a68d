// Image decoding: the format is sniffed from the magic bytes and handed to its
// decoder (docs/decisions/0016): PNG to libpng and JPEG to libjpeg-turbo (their own
// files), WebP to libwebp, GIF and BMP to stb_image (compiled here, static, only
// those two formats). Sizes are checked from the header before any pixel buffer
// is allocated; EXIF orientation is applied to JPEGs. No resizing.
#include <cstring>
#include <fstream>
#include <string>
#include <iterator>
#include <memory>

#include "base/error.h"
#include "input/image/image_decoders.h"

#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STBI_ONLY_GIF
#define STBI_ONLY_BMP
// Second line of defence behind DecodeLimits: stb refuses larger sides itself.
#define STBI_MAX_DIMENSIONS (1 << 16)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <stb/stb_image.h>
#pragma GCC diagnostic pop

#ifdef QVL_HAVE_WEBP
#include <webp/decode.h>
#include <webp/demux.h>
#endif

namespace qvl {

std::string sniff_image_format(const uint8_t* d, size_t n) {
  if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) return "jpeg";
  if (n >= 8 && std::memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0) return "png";
  if (n >= 6 && (std::memcmp(d, "GIF87a", 6) == 0 || std::memcmp(d, "GIF89a", 6) == 0)) return "gif";
  if (n >= 2 && d[0] == 'B' && d[1] == 'M') return "bmp";
  if (n >= 12 && std::memcmp(d, "RIFF", 4) == 0 && std::memcmp(d + 8, "WEBP", 4) == 0) return "webp";
  return "";
}

void check_image_size(int64_t w, int64_t h, const DecodeLimits& limits) {
  QVL_CHECK(w > 0 && h > 0, "image has zero size (", w, "x", h, ")");
  QVL_CHECK(w <= limits.max_side && h <= limits.max_side, "image dimensions ", w, "x", h,
            " exceed the limit of ", limits.max_side, " pixels per side");
  QVL_CHECK(w * h <= limits.max_pixels, "image dimensions ", w, "x", h, " exceed the limit of ", limits.max_pixels,
            " pixels");
}

// RGBA (every decoder) to RGB with alpha composited over white, as qwen-vl-utils does.
Image rgba_over_white(const unsigned char* s, int w, int h) {
  Image img(w, h);
  const size_t n = static_cast<size_t>(w) * h;
  uint8_t* o = img.rgb.data();
  for (size_t i = 0; i < n; ++i, s += 4, o += 3) {
    const unsigned a = s[3];
    if (a == 255) {
      o[0] = s[0], o[1] = s[1], o[2] = s[2];
    } else {
      // Integer "over white" with rounding: c*a/255 + 255*(255-a)/255.
      for (int c = 0; c < 3; ++c) o[c] = static_cast<uint8_t>((s[c] * a + 255u * (255u - a) + 127u) / 255u);
    }
  }
  return img;
}

namespace {

// Declared size read straight from the header, so a pixel bomb gets a clear
// message before any decoder parses further (libjpeg reports JPEG sizes itself).
// Returns false when the header is too short to say.
bool header_size(const std::string& fmt, const uint8_t* d, size_t n, int64_t* w, int64_t* h) {
  auto be = [&](size_t o, int k) { int64_t v = 0; for (int i = 0; i < k; ++i) v = v << 8 | d[o + i]; return v; };
  auto le = [&](size_t o, int k) { int64_t v = 0; for (int i = k - 1; i >= 0; --i) v = v << 8 | d[o + i]; return v; };
  if (fmt == "png" && n >= 24) { *w = be(16, 4); *h = be(20, 4); return true; }
  if (fmt == "gif" && n >= 10) { *w = le(6, 2); *h = le(8, 2); return true; }
  if (fmt == "bmp" && n >= 26) {
    *w = static_cast<int32_t>(le(18, 4));
    *h = static_cast<int32_t>(le(22, 4));
    if (*h < 0) *h = -*h;  // top-down rows
    return true;
  }
  return false;
}

#ifdef QVL_HAVE_WEBP
// Still or animated WebP (first frame), sizes checked before any pixel buffer.
Image decode_webp(const uint8_t* data, size_t size, const DecodeLimits& limits) {
  WebPBitstreamFeatures f;
  if (WebPGetFeatures(data, size, &f) != VP8_STATUS_OK) QVL_FAIL("cannot read webp header: corrupt or truncated");
  check_image_size(f.width, f.height, limits);
  const uint8_t* bits = data;
  size_t n_bits = size;
  WebPDemuxer* demux = nullptr;
  WebPIterator it;
  if (f.has_animation) {
    const WebPData whole = {data, size};
    demux = WebPDemux(&whole);
    if (!demux || !WebPDemuxGetFrame(demux, 1, &it)) {
      if (demux) WebPDemuxDelete(demux);
      QVL_FAIL("cannot read the first frame of an animated webp");
    }
    bits = it.fragment.bytes;
    n_bits = it.fragment.size;
  }
  int w = 0, h = 0;
  uint8_t* px = WebPDecodeRGBA(bits, n_bits, &w, &h);
  if (demux) {
    WebPDemuxReleaseIterator(&it);
    WebPDemuxDelete(demux);
  }
  if (!px) QVL_FAIL("cannot decode webp image: corrupt or truncated");
  Image img;
  try {
    check_image_size(w, h, limits);
    img = rgba_over_white(px, w, h);
  } catch (...) {
    WebPFree(px);
    throw;
  }
  WebPFree(px);
  return img;
}
#endif

struct StbFree {
  void operator()(unsigned char* p) const { stbi_image_free(p); }
};

}  // namespace

Image decode_image(const uint8_t* data, size_t size, const DecodeLimits& limits) {
  QVL_CHECK(data != nullptr && size > 0, "image is empty (0 bytes)");
  QVL_CHECK(size <= limits.max_bytes, "image is too large: ", size, " bytes (limit ", limits.max_bytes, ")");
  QVL_CHECK(size <= static_cast<size_t>(INT32_MAX), "image is too large: ", size, " bytes");
  const std::string fmt = sniff_image_format(data, size);
  if (fmt.empty()) QVL_FAIL("unsupported image format (expected JPEG, PNG, GIF, BMP or WebP)");
#ifdef QVL_HAVE_WEBP
  if (fmt == "webp") return decode_webp(data, size, limits);
#else
  if (fmt == "webp") QVL_FAIL("WebP images are not supported by this build (use JPEG, PNG, GIF or BMP)");
#endif

  int64_t hw = 0, hh = 0;
  if (header_size(fmt, data, size, &hw, &hh)) check_image_size(hw, hh, limits);
  if (fmt == "png") return decode_png(data, size, limits);
  if (fmt == "jpeg") {
    Image img = decode_jpeg(data, size, limits);
    const int orientation = jpeg_exif_orientation(data, size);
    return orientation == 1 ? img : apply_orientation(img, orientation);
  }

  // GIF (first frame) and BMP through stb_image.
  int w = 0, h = 0, comp = 0;
  const int len = static_cast<int>(size);
  if (!stbi_info_from_memory(data, len, &w, &h, &comp)) {
    QVL_FAIL("cannot read ", fmt, " header: ", stbi_failure_reason() ? stbi_failure_reason() : "corrupt");
  }
  check_image_size(w, h, limits);
  // Always ask for RGBA: stb expands palettes for us, and alpha (when present) is
  // composited over white below, as qwen-vl-utils does.
  int dw = 0, dh = 0, dc = 0;
  std::unique_ptr<unsigned char, StbFree> px(stbi_load_from_memory(data, len, &dw, &dh, &dc, 4));
  if (!px) QVL_FAIL("cannot decode ", fmt, " image: ", stbi_failure_reason() ? stbi_failure_reason() : "corrupt");
  QVL_CHECK(dw == w && dh == h, "corrupt ", fmt, " image (size changed while decoding)");
  return rgba_over_white(px.get(), w, h);
}

Image load_image_file(const std::string& path, const DecodeLimits& limits) {
  std::ifstream f(path, std::ios::binary);
  QVL_CHECK(f.good(), "cannot open image file: ", path);
  f.seekg(0, std::ios::end);
  const std::streamoff len = f.tellg();
  QVL_CHECK(len >= 0, "cannot read image file: ", path);
  QVL_CHECK(static_cast<size_t>(len) <= limits.max_bytes, "image file is too large: ", path, " (", len, " bytes)");
  f.seekg(0);
  std::vector<uint8_t> bytes(static_cast<size_t>(len));
  f.read(reinterpret_cast<char*>(bytes.data()), len);
  QVL_CHECK(f.gcount() == len, "cannot read image file: ", path);
  try {
    return decode_image(bytes.data(), bytes.size(), limits);
  } catch (const Error& e) {
    throw Error(str(path, ": ", e.what()));
  }
}

}  // namespace qvl
