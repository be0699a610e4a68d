// EXIF orientation: finds tag 0x0112 in a JPEG's APP1 "Exif" TIFF block and
// rotates / mirrors pixels upright. Every read is bounds-checked; anything odd
// means "no orientation" (1), never an error.
#include <cstring>

#include "base/error.h"
#include "input/image/image.h"

namespace qvl {

namespace {

struct Tiff {
  const uint8_t* p;
  size_t n;
  bool le;
  bool u16(size_t off, uint32_t* v) const {
    if (off + 2 > n) return false;
    *v = le ? (p[off] | p[off + 1] << 8) : (p[off] << 8 | p[off + 1]);
    return true;
  }
  bool u32(size_t off, uint32_t* v) const {
    if (off + 4 > n) return false;
    *v = le ? (uint32_t(p[off]) | uint32_t(p[off + 1]) << 8 | uint32_t(p[off + 2]) << 16 | uint32_t(p[off + 3]) << 24)
            : (uint32_t(p[off]) << 24 | uint32_t(p[off + 1]) << 16 | uint32_t(p[off + 2]) << 8 | uint32_t(p[off + 3]));
    return true;
  }
};

int orientation_from_tiff(const uint8_t* p, size_t n) {
  if (n < 8) return 1;
  Tiff t{p, n, false};
  if (p[0] == 'I' && p[1] == 'I') t.le = true;
  else if (!(p[0] == 'M' && p[1] == 'M')) return 1;
  uint32_t magic = 0, ifd = 0, count = 0;
  if (!t.u16(2, &magic) || magic != 42 || !t.u32(4, &ifd) || !t.u16(ifd, &count)) return 1;
  for (uint32_t i = 0; i < count && i < 512; ++i) {
    const size_t e = size_t{ifd} + 2 + size_t{i} * 12;
    uint32_t tag = 0, type = 0, val = 0;
    if (!t.u16(e, &tag) || !t.u16(e + 2, &type)) return 1;
    if (tag != 0x0112) continue;
    if (type != 3 || !t.u16(e + 8, &val)) return 1;  // SHORT, value stored inline
    return (val >= 1 && val <= 8) ? static_cast<int>(val) : 1;
  }
  return 1;
}

}  // namespace

int jpeg_exif_orientation(const uint8_t* d, size_t n) {
  if (n < 4 || d[0] != 0xFF || d[1] != 0xD8) return 1;
  size_t pos = 2;
  while (pos + 4 <= n) {
    if (d[pos] != 0xFF) return 1;
    const uint8_t marker = d[pos + 1];
    if (marker == 0xFF) { ++pos; continue; }            // fill byte
    if (marker == 0xDA || marker == 0xD9) return 1;     // start of scan / end: no EXIF before pixels
    const size_t len = (size_t{d[pos + 2]} << 8) | d[pos + 3];
    if (len < 2 || pos + 2 + len > n) return 1;
    if (marker == 0xE1 && len >= 8 && std::memcmp(d + pos + 4, "Exif\0\0", 6) == 0) {
      return orientation_from_tiff(d + pos + 10, len - 8);
    }
    pos += 2 + len;
  }
  return 1;
}

Image apply_orientation(const Image& src, int o) {
  QVL_CHECK(o >= 1 && o <= 8, "bad EXIF orientation ", o);
  if (o == 1) return src;
  const int w = src.width, h = src.height;
  const bool swap = o >= 5;  // 5..8 transpose the axes
  Image dst(swap ? h : w, swap ? w : h);
  for (int y = 0; y < dst.height; ++y) {
    for (int x = 0; x < dst.width; ++x) {
      // (sx, sy): the source pixel shown at display position (x, y).
      int sx = 0, sy = 0;
      switch (o) {
        case 2: sx = w - 1 - x; sy = y; break;              // mirror horizontal
        case 3: sx = w - 1 - x; sy = h - 1 - y; break;      // rotate 180
        case 4: sx = x; sy = h - 1 - y; break;              // mirror vertical
        case 5: sx = y; sy = x; break;                      // transpose
        case 6: sx = y; sy = h - 1 - x; break;              // rotate 90 CW
        case 7: sx = w - 1 - y; sy = h - 1 - x; break;      // transverse
        case 8: sx = w - 1 - y; sy = x; break;              // rotate 90 CCW
        default: break;
      }
      std::memcpy(dst.at(x, y), src.at(sx, sy), 3);
    }
  }
  return dst;
}

}  // namespace qvl
