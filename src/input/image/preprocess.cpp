// smart_resize, pixel budgets, normalisation and patchify for Qwen-VL encoders.
// Mirrors HF `smart_resize` and Qwen2VLImageProcessor._preprocess (flatten order).
#include "input/image/preprocess.h"

#include <algorithm>
#include <cmath>

#include "base/error.h"

namespace qvl {

PixelBudget budget_for_detail(const std::string& detail, const PixelBudget& server) {
  if (detail.empty() || detail == "auto" || detail == "high") return server;
  if (detail == "low") {
    PixelBudget b = server;
    b.max_pixels = std::min<int64_t>(server.max_pixels, 512 * 512);
    b.min_pixels = std::min(b.min_pixels, b.max_pixels);
    return b;
  }
  QVL_FAIL("bad image detail level '", detail, "' (expected low, high or auto)");
}

PixelBudget clamp_budget(const PixelBudget& req, const PixelBudget& server) {
  QVL_CHECK(req.min_pixels > 0 && req.max_pixels > 0, "min_pixels and max_pixels must be positive");
  QVL_CHECK(req.min_pixels <= req.max_pixels, "min_pixels (", req.min_pixels, ") exceeds max_pixels (",
            req.max_pixels, ")");
  PixelBudget b;
  b.max_pixels = std::min(req.max_pixels, server.max_pixels);
  b.min_pixels = std::min(req.min_pixels, b.max_pixels);
  return b;
}

ResizeTarget smart_resize(int64_t height, int64_t width, int factor, int64_t min_pixels, int64_t max_pixels) {
  QVL_CHECK(height > 0 && width > 0, "image has zero size (", width, "x", height, ")");
  QVL_CHECK(factor > 0 && min_pixels > 0 && max_pixels >= min_pixels, "bad pixel budget [", min_pixels, ", ",
            max_pixels, "]");
  const double ratio = static_cast<double>(std::max(height, width)) / std::min(height, width);
  QVL_CHECK(ratio <= 200.0, "image aspect ratio must be at most 200, got ", width, "x", height);
  const double f = factor;
  // Python's round() is half-to-even; nearbyint in the default rounding mode is too.
  int64_t h = static_cast<int64_t>(std::nearbyint(height / f)) * factor;
  int64_t w = static_cast<int64_t>(std::nearbyint(width / f)) * factor;
  if (h * w > max_pixels) {
    const double beta = std::sqrt(static_cast<double>(height) * width / max_pixels);
    h = std::max<int64_t>(factor, static_cast<int64_t>(std::floor(height / beta / f)) * factor);
    w = std::max<int64_t>(factor, static_cast<int64_t>(std::floor(width / beta / f)) * factor);
  } else if (h * w < min_pixels) {
    const double beta = std::sqrt(static_cast<double>(min_pixels) / (static_cast<double>(height) * width));
    h = static_cast<int64_t>(std::ceil(height * beta / f)) * factor;
    w = static_cast<int64_t>(std::ceil(width * beta / f)) * factor;
  }
  // HF would produce 0 here only for a degenerate budget; keep the grid non-empty.
  h = std::max<int64_t>(h, factor);
  w = std::max<int64_t>(w, factor);
  QVL_CHECK(h <= (1 << 16) && w <= (1 << 16), "resized image ", w, "x", h, " is too large");
  return {static_cast<int>(h), static_cast<int>(w)};
}

PixelValues patchify_frames(const std::vector<const Image*>& frames, const PreprocessOptions& opt) {
  QVL_CHECK(!frames.empty(), "no frames to patchify");
  const int p = opt.patch_size, tp = opt.temporal_patch_size, m = opt.merge_size;
  const int width = frames[0]->width, height = frames[0]->height;
  const int unit = p * m;
  QVL_CHECK(width % unit == 0 && height % unit == 0, "frame size ", width, "x", height, " is not a multiple of ",
            unit);
  for (const Image* f : frames) {
    QVL_CHECK(f->width == width && f->height == height, "video frames differ in size");
  }
  PixelValues pv;
  pv.grid_t = static_cast<int>((frames.size() + tp - 1) / tp);
  pv.grid_h = height / p;
  pv.grid_w = width / p;
  pv.row_size = 3 * tp * p * p;
  pv.data.resize(static_cast<size_t>(pv.n_patches()) * pv.row_size);

  // Lookup table: normalised value per (channel, byte).
  float lut[3][256];
  for (int c = 0; c < 3; ++c) {
    for (int v = 0; v < 256; ++v) lut[c][v] = (static_cast<float>(v) / 255.0f - opt.image_mean[c]) / opt.image_std[c];
  }
  float* out = pv.data.data();
  for (int t = 0; t < pv.grid_t; ++t) {
    for (int bh = 0; bh < pv.grid_h / m; ++bh) {
      for (int bw = 0; bw < pv.grid_w / m; ++bw) {
        for (int mh = 0; mh < m; ++mh) {
          for (int mw = 0; mw < m; ++mw) {
            const int y0 = (bh * m + mh) * p, x0 = (bw * m + mw) * p;
            for (int c = 0; c < 3; ++c) {
              for (int k = 0; k < tp; ++k) {
                // Pad the last temporal patch by repeating the last frame.
                const size_t fi = std::min<size_t>(static_cast<size_t>(t) * tp + k, frames.size() - 1);
                const Image& f = *frames[fi];
                for (int py = 0; py < p; ++py) {
                  const uint8_t* src = f.at(x0, y0 + py) + c;
                  for (int px = 0; px < p; ++px) *out++ = lut[c][src[px * 3]];
                }
              }
            }
          }
        }
      }
    }
  }
  return pv;
}

PixelValues preprocess_image(const Image& img, const PreprocessOptions& opt) {
  const ResizeTarget t = smart_resize(img.height, img.width, opt.patch_size * opt.merge_size, opt.budget.min_pixels,
                                      opt.budget.max_pixels);
  if (t.width == img.width && t.height == img.height) return patchify_frames({&img}, opt);
  const Image resized = resize_image(img, t.width, t.height, opt.resize);
  return patchify_frames({&resized}, opt);
}

}  // namespace qvl
