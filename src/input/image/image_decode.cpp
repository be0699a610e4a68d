// Image decoding through stb_image (compiled here, static, only the formats we
// accept), with header-first size checks and EXIF orientation. No resizing.
#include <cstring>
#include <fstream>
#include <string>
#include <iterator>
#include <memory>

#include "base/error.h"
#include "input/image/image.h"

#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
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

namespace {

// Declared size read straight from the header, so a pixel bomb gets a clear
// message even where stb's own info call only says "unknown image type".
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
  if (fmt == "jpeg") {
    for (size_t pos = 2; pos + 9 <= n;) {
      if (d[pos] != 0xFF) return false;
      const uint8_t m = d[pos + 1];
      if (m == 0xFF) { ++pos; continue; }
      const bool sof = m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
      if (sof) { *h = be(pos + 5, 2); *w = be(pos + 7, 2); return true; }
      if (m == 0xDA || m == 0xD9) return false;
      pos += 2 + static_cast<size_t>(be(pos + 2, 2));
    }
  }
  return false;
}

void check_size(int64_t w, int64_t h, const DecodeLimits& limits) {
  QVL_CHECK(w > 0 && h > 0, "image has zero size (", w, "x", h, ")");
  QVL_CHECK(w <= limits.max_side && h <= limits.max_side, "image dimensions ", w, "x", h,
            " exceed the limit of ", limits.max_side, " pixels per side");
  QVL_CHECK(w * h <= limits.max_pixels, "image dimensions ", w, "x", h, " exceed the limit of ", limits.max_pixels,
            " pixels");
}

// Debian's stb_image (2.27) has two memory bugs on corrupt JPEGs (both found by
// the fuzz test): a Huffman table with more than 256 codes overflows a
// 257-entry array, and a scan that uses a table no DHT defined decodes through
// uninitialised memory. Every FF C4 (DHT) and FF DA (SOS) in the file is checked
// in file order the way stb would read it: a marker walk could disagree with
// stb's own on a corrupt file, a byte scan cannot miss one.
void check_jpeg_huffman_tables(const uint8_t* d, size_t n) {
  auto at = [&](size_t i) -> unsigned { return i < n ? d[i] : 0u; };
  bool defined[2][4] = {};  // [class: 0 DC, 1 AC][table id]
  for (size_t pos = 0; pos + 4 <= n; ++pos) {
    if (d[pos] != 0xFF || (d[pos + 1] != 0xC4 && d[pos + 1] != 0xDA)) continue;
    const size_t len = (size_t{d[pos + 2]} << 8) | d[pos + 3];
    if (d[pos + 1] == 0xC4) {
      // stb reads tables while the declared length lasts, each table's 16
      // counts even past that length.
      size_t t = pos + 4;
      const size_t end = pos + 2 + len;
      while (t < end && t < n) {
        const unsigned tc = at(t) >> 4, th = at(t) & 15;
        size_t codes = 0;
        for (size_t i = 1; i <= 16; ++i) codes += at(t + i);
        QVL_CHECK(codes <= 256, "corrupt jpeg image (Huffman table with ", codes, " codes)");
        if (tc <= 1 && th <= 3) defined[tc][th] = true;
        t += 17 + codes;
      }
      continue;
    }
    // SOS: Ns, Ns x (component, DC table << 4 | AC table), Ss, Se, Ah/Al.
    const unsigned ns = at(pos + 4);
    const unsigned ss = at(pos + 5 + 2 * ns), se = at(pos + 6 + 2 * ns);
    for (unsigned c = 0; c < ns && c < 4; ++c) {
      const unsigned tables = at(pos + 6 + 2 * c), dc = tables >> 4, ac = tables & 15;
      if (dc > 3 || ac > 3) continue;  // stb rejects these itself
      QVL_CHECK(ss != 0 || defined[0][dc], "corrupt jpeg image (scan uses undefined DC Huffman table ", dc, ")");
      QVL_CHECK((ss == 0 && se == 0) || defined[1][ac], "corrupt jpeg image (scan uses undefined AC Huffman table ",
                ac, ")");
    }
  }
}

// RGBA (stb or libwebp) to RGB with alpha composited over white, as qwen-vl-utils does.
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

#ifdef QVL_HAVE_WEBP
// Still or animated WebP (first frame), sizes checked before any pixel buffer.
Image decode_webp(const uint8_t* data, size_t size, const DecodeLimits& limits) {
  WebPBitstreamFeatures f;
  if (WebPGetFeatures(data, size, &f) != VP8_STATUS_OK) QVL_FAIL("cannot read webp header: corrupt or truncated");
  check_size(f.width, f.height, limits);
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
    check_size(w, h, limits);
    img = rgba_over_white(px, w, h);
  } catch (...) {
    WebPFree(px);
    throw;
  }
  WebPFree(px);
  return img;
}
#endif

// stb_image reads a zero-length IDAT chunk that comes before any image data by
// copying 0 bytes into its not-yet-allocated buffer (memcpy to a null pointer:
// undefined behaviour, found by tests/fuzz/fuzz_image_decode under UBSan). Such
// chunks carry nothing, so they are dropped before stb sees the file; a copy is made
// only when one is present. Chunk CRCs are not checked by stb, so none is rewritten.
std::string png_without_empty_idat(const uint8_t* d, size_t n) {
  auto be32 = [&](size_t o) { return (uint32_t(d[o]) << 24) | (uint32_t(d[o + 1]) << 16) | (uint32_t(d[o + 2]) << 8) | d[o + 3]; };
  auto empty_idat = [&](size_t o) { return be32(o) == 0 && std::memcmp(d + o + 4, "IDAT", 4) == 0; };
  bool any = false;
  for (size_t o = 8; o + 12 <= n; o += 12 + size_t(be32(o))) {
    if (empty_idat(o)) any = true;
    if (size_t(be32(o)) > n - o - 12) break;  // truncated: stb reports it
  }
  if (!any) return {};
  std::string out(reinterpret_cast<const char*>(d), 8);
  size_t o = 8;
  for (; o + 12 <= n && size_t(be32(o)) <= n - o - 12; o += 12 + size_t(be32(o)))
    if (!empty_idat(o)) out.append(reinterpret_cast<const char*>(d + o), 12 + size_t(be32(o)));
  out.append(reinterpret_cast<const char*>(d + o), n - o);  // a truncated tail, as it was
  return out;
}

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
  if (header_size(fmt, data, size, &hw, &hh)) check_size(hw, hh, limits);
  if (fmt == "jpeg") check_jpeg_huffman_tables(data, size);
  std::string cleaned;
  if (fmt == "png" && !(cleaned = png_without_empty_idat(data, size)).empty()) {
    data = reinterpret_cast<const uint8_t*>(cleaned.data());
    size = cleaned.size();
  }
  int w = 0, h = 0, comp = 0;
  const int len = static_cast<int>(size);
  if (!stbi_info_from_memory(data, len, &w, &h, &comp)) {
    QVL_FAIL("cannot read ", fmt, " header: ", stbi_failure_reason() ? stbi_failure_reason() : "corrupt");
  }
  check_size(w, h, limits);

  // Always ask for RGBA: stb expands grey / palette / 16-bit for us, and alpha
  // (when present) is composited over white below, as qwen-vl-utils does.
  int dw = 0, dh = 0, dc = 0;
  std::unique_ptr<unsigned char, StbFree> px(stbi_load_from_memory(data, len, &dw, &dh, &dc, 4));
  if (!px) QVL_FAIL("cannot decode ", fmt, " image: ", stbi_failure_reason() ? stbi_failure_reason() : "corrupt");
  QVL_CHECK(dw == w && dh == h, "corrupt ", fmt, " image (size changed while decoding)");

  Image img = rgba_over_white(px.get(), w, h);
  if (fmt == "jpeg") {
    const int orientation = jpeg_exif_orientation(data, size);
    if (orientation != 1) img = apply_orientation(img, orientation);
  }
  return img;
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
