// Minimal BMP and PNG writers for tests and tools: 24-bit BMP, and PNG with
// stored (uncompressed) deflate blocks. Not a general-purpose encoder.
#include "input/image/image.h"

#include "base/error.h"

namespace qvl {

namespace {

void put_le(std::vector<uint8_t>& o, uint32_t v, int n) {
  for (int i = 0; i < n; ++i) o.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void put_be32(std::vector<uint8_t>& o, uint32_t v) {
  for (int i = 3; i >= 0; --i) o.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

uint32_t crc32(const uint8_t* p, size_t n, uint32_t crc = 0) {
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) {
    crc ^= p[i];
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

void png_chunk(std::vector<uint8_t>& o, const char* type, const std::vector<uint8_t>& body) {
  put_be32(o, static_cast<uint32_t>(body.size()));
  const size_t start = o.size();
  o.insert(o.end(), type, type + 4);
  o.insert(o.end(), body.begin(), body.end());
  put_be32(o, crc32(o.data() + start, o.size() - start));
}

}  // namespace

std::vector<uint8_t> encode_bmp(const Image& img) {
  QVL_CHECK(img.width > 0 && img.height > 0, "cannot encode an empty image");
  const uint32_t stride = (static_cast<uint32_t>(img.width) * 3 + 3) & ~3u;
  const uint32_t data = stride * img.height;
  std::vector<uint8_t> o{'B', 'M'};
  put_le(o, 54 + data, 4);
  put_le(o, 0, 4);
  put_le(o, 54, 4);
  put_le(o, 40, 4);
  put_le(o, img.width, 4);
  put_le(o, img.height, 4);  // positive: rows stored bottom-up
  put_le(o, 1, 2);
  put_le(o, 24, 2);
  for (int i = 0; i < 6; ++i) put_le(o, 0, 4);
  for (int y = img.height - 1; y >= 0; --y) {
    for (int x = 0; x < img.width; ++x) {
      const uint8_t* p = img.at(x, y);
      o.push_back(p[2]), o.push_back(p[1]), o.push_back(p[0]);
    }
    for (uint32_t k = img.width * 3; k < stride; ++k) o.push_back(0);
  }
  return o;
}

std::vector<uint8_t> encode_png(const Image& img) {
  QVL_CHECK(img.width > 0 && img.height > 0, "cannot encode an empty image");
  std::vector<uint8_t> raw;  // filter byte 0 + RGB row
  raw.reserve(static_cast<size_t>(img.height) * (img.width * 3 + 1));
  for (int y = 0; y < img.height; ++y) {
    raw.push_back(0);
    raw.insert(raw.end(), img.at(0, y), img.at(0, y) + img.width * 3);
  }
  std::vector<uint8_t> z{0x78, 0x01};
  for (size_t off = 0; off < raw.size() || off == 0;) {
    const size_t len = std::min<size_t>(65535, raw.size() - off);
    const bool last = off + len == raw.size();
    z.push_back(last ? 1 : 0);
    put_le(z, static_cast<uint32_t>(len), 2);
    put_le(z, static_cast<uint32_t>(~len & 0xFFFF), 2);
    z.insert(z.end(), raw.begin() + off, raw.begin() + off + len);
    off += len;
    if (last) break;
  }
  uint32_t a = 1, b = 0;  // adler32
  for (uint8_t c : raw) a = (a + c) % 65521, b = (b + a) % 65521;
  put_be32(z, (b << 16) | a);

  std::vector<uint8_t> o{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  std::vector<uint8_t> ihdr;
  put_be32(ihdr, img.width);
  put_be32(ihdr, img.height);
  ihdr.insert(ihdr.end(), {8, 2, 0, 0, 0});  // 8-bit RGB, deflate, no filter method, no interlace
  png_chunk(o, "IHDR", ihdr);
  png_chunk(o, "IDAT", z);
  png_chunk(o, "IEND", {});
  return o;
}

}  // namespace qvl
