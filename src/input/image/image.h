// Decoded images (input layer): bytes of a JPEG / PNG / GIF (first frame) / BMP / WebP
// file in, 8-bit RGB out, upright (EXIF orientation applied) and with alpha
// composited over white. Resizing and normalising live in preprocess.h.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace qvl {

// 8-bit RGB, row-major, 3 bytes per pixel, no padding.
struct Image {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;  // [height, width, 3]

  Image() = default;
  Image(int w, int h) : width(w), height(h), rgb(static_cast<size_t>(w) * h * 3, 0) {}
  uint8_t* at(int x, int y) { return rgb.data() + (static_cast<size_t>(y) * width + x) * 3; }
  const uint8_t* at(int x, int y) const { return rgb.data() + (static_cast<size_t>(y) * width + x) * 3; }
};

// Guards against pixel bombs: dimensions are checked from the header before
// any pixel buffer is allocated.
struct DecodeLimits {
  size_t max_bytes = size_t{64} << 20;  // encoded size
  int64_t max_pixels = 64LL << 20;       // width * height as declared by the header
  int max_side = 32768;
};

// "jpeg" | "png" | "gif" | "bmp" | "webp" | "" (unknown), from the magic bytes.
// WebP decodes when built with libwebp (QVL_HAVE_WEBP), else it is a clear error.
std::string sniff_image_format(const uint8_t* data, size_t size);

// Throws qvl::Error with a one-line message for empty, truncated, corrupt,
// unsupported or oversized input; never crashes on hostile bytes.
Image decode_image(const uint8_t* data, size_t size, const DecodeLimits& limits = {});
Image load_image_file(const std::string& path, const DecodeLimits& limits = {});

// EXIF orientation tag (1..8) found in a JPEG's APP1 segment; 1 when absent or
// unreadable. Exposed for tests.
int jpeg_exif_orientation(const uint8_t* data, size_t size);
// Applies an EXIF orientation (1..8) so the result is upright.
Image apply_orientation(const Image& img, int orientation);

// Writers used by tests and tools (uncompressed formats, no dependencies).
std::vector<uint8_t> encode_bmp(const Image& img);
std::vector<uint8_t> encode_png(const Image& img);  // stored (uncompressed) deflate blocks

}  // namespace qvl
