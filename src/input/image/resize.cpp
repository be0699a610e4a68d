// Separable resampling equal to Pillow's ImagingResample (8-bit, fixed point):
// for each output pixel a normalised filter window over the input, widened by
// the scale when shrinking (antialias). Bicubic uses a = -0.5 like PIL.
#include <algorithm>
#include <cmath>

#include "base/error.h"
#include "input/image/preprocess.h"

namespace qvl {

namespace {

constexpr int kPrecisionBits = 22;  // 32 - 8 (pixel) - 2 (headroom), as Pillow

double bicubic(double x) {
  constexpr double a = -0.5;
  x = std::fabs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
  if (x < 2.0) return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
  return 0.0;
}

double triangle(double x) {
  x = std::fabs(x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

struct Taps {
  int ksize = 0;
  std::vector<int> start, count;  // per output index
  std::vector<int32_t> w;         // [out, ksize] fixed-point weights
};

Taps make_taps(int in, int out, ResizeMode mode) {
  const double base_support = mode == ResizeMode::kBicubic ? 2.0 : 1.0;
  const double scale = static_cast<double>(in) / out;
  const double fscale = std::max(scale, 1.0);
  const double support = base_support * fscale;
  Taps t;
  t.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  t.start.resize(out), t.count.resize(out);
  t.w.assign(static_cast<size_t>(out) * t.ksize, 0);
  std::vector<double> ww(t.ksize);
  for (int o = 0; o < out; ++o) {
    const double center = (o + 0.5) * scale;
    const int lo = std::max(0, static_cast<int>(center - support + 0.5));
    const int hi = std::min(in, static_cast<int>(center + support + 0.5));
    const int n = std::min(hi - lo, t.ksize);
    double sum = 0.0;
    for (int k = 0; k < n; ++k) {
      const double x = (k + lo - center + 0.5) / fscale;
      ww[k] = mode == ResizeMode::kBicubic ? bicubic(x) : triangle(x);
      sum += ww[k];
    }
    for (int k = 0; k < n; ++k) {
      const double v = sum != 0.0 ? ww[k] / sum : ww[k];
      // Round half away from zero into fixed point, as Pillow does.
      t.w[static_cast<size_t>(o) * t.ksize + k] =
          static_cast<int32_t>(v < 0 ? -0.5 + v * (1 << kPrecisionBits) : 0.5 + v * (1 << kPrecisionBits));
    }
    t.start[o] = lo;
    t.count[o] = n;
  }
  return t;
}

inline uint8_t clip8(int32_t acc) {
  const int32_t v = acc >> kPrecisionBits;
  return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

Image pass_horizontal(const Image& in, int out_w, const Taps& t) {
  Image out(out_w, in.height);
  for (int y = 0; y < in.height; ++y) {
    for (int x = 0; x < out_w; ++x) {
      int32_t acc[3] = {1 << (kPrecisionBits - 1), 1 << (kPrecisionBits - 1), 1 << (kPrecisionBits - 1)};
      const int32_t* w = &t.w[static_cast<size_t>(x) * t.ksize];
      const uint8_t* p = in.at(t.start[x], y);
      for (int k = 0; k < t.count[x]; ++k, p += 3) {
        acc[0] += p[0] * w[k], acc[1] += p[1] * w[k], acc[2] += p[2] * w[k];
      }
      uint8_t* o = out.at(x, y);
      o[0] = clip8(acc[0]), o[1] = clip8(acc[1]), o[2] = clip8(acc[2]);
    }
  }
  return out;
}

Image pass_vertical(const Image& in, int out_h, const Taps& t) {
  Image out(in.width, out_h);
  const size_t row = static_cast<size_t>(in.width) * 3;
  for (int y = 0; y < out_h; ++y) {
    const int32_t* w = &t.w[static_cast<size_t>(y) * t.ksize];
    for (int x = 0; x < in.width; ++x) {
      int32_t acc[3] = {1 << (kPrecisionBits - 1), 1 << (kPrecisionBits - 1), 1 << (kPrecisionBits - 1)};
      const uint8_t* p = in.at(x, t.start[y]);
      for (int k = 0; k < t.count[y]; ++k, p += row) {
        acc[0] += p[0] * w[k], acc[1] += p[1] * w[k], acc[2] += p[2] * w[k];
      }
      uint8_t* o = out.at(x, y);
      o[0] = clip8(acc[0]), o[1] = clip8(acc[1]), o[2] = clip8(acc[2]);
    }
  }
  return out;
}

}  // namespace

Image resize_image(const Image& src, int width, int height, ResizeMode mode) {
  QVL_CHECK(src.width > 0 && src.height > 0, "cannot resize an empty image");
  QVL_CHECK(width > 0 && height > 0, "bad resize target ", width, "x", height);
  QVL_CHECK(int64_t{width} * height <= (int64_t{1} << 28), "resize target ", width, "x", height, " is too large");
  Image cur = src;
  if (width != src.width) cur = pass_horizontal(cur, width, make_taps(src.width, width, mode));
  if (height != src.height) cur = pass_vertical(cur, height, make_taps(src.height, height, mode));
  return cur;
}

}  // namespace qvl
