// Preprocessing: smart_resize against values worked by hand from HF's formula,
// Pillow-style resampling against a double-precision reference, budgets, and
// the patch flatten order of spec §6.3.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "base/error.h"
#include "input/image/preprocess.h"

namespace qvl {
namespace {

TEST(SmartResize, MatchesHfFormula) {
  const PixelBudget b;  // 65536 .. 16777216
  auto r = smart_resize(768, 1024, 32, b.min_pixels, b.max_pixels);
  EXPECT_EQ(r.height, 768);
  EXPECT_EQ(r.width, 1024);  // 32 x 24 merged tokens = 768
  // Half-to-even: 48/32 = 1.5 -> 2, 80/32 = 2.5 -> 2, 112/32 = 3.5 -> 4.
  r = smart_resize(48 * 10, 80 * 10, 32, 1, 1 << 30);
  EXPECT_EQ(r.height, 480);  // 15 -> 15
  r = smart_resize(80, 48, 32, 1, 1 << 30);
  EXPECT_EQ(r.height, 64);
  EXPECT_EQ(r.width, 64);
  r = smart_resize(112, 112, 32, 1, 1 << 30);
  EXPECT_EQ(r.height, 128);
  // Upscale: 100x100 below min 65536: beta = sqrt(6.5536) = 2.56 -> ceil(256/32)*32 = 256.
  r = smart_resize(100, 100, 32, 65536, 16777216);
  EXPECT_EQ(r.height, 256);
  EXPECT_EQ(r.width, 256);
  // Downscale: 4000x3000 over max 1,048,576: beta = sqrt(12e6/1048576) = 3.3829;
  // floor(3000/3.3829/32)*32 = 864, floor(4000/3.3829/32)*32 = 1152.
  r = smart_resize(3000, 4000, 32, 4096, 1048576);
  EXPECT_EQ(r.height, 864);
  EXPECT_EQ(r.width, 1152);
  // Tiny side clamps to one factor.
  r = smart_resize(10, 1900, 32, 1024, 32 * 32 * 20);
  EXPECT_GE(r.height, 32);
  EXPECT_THROW(smart_resize(1, 201, 32, 1, 1 << 30), Error);
  EXPECT_THROW(smart_resize(0, 10, 32, 1, 100), Error);
}

TEST(SmartResize, BudgetsAndDetailLevels) {
  PixelBudget server{4096, 1 << 20};
  EXPECT_EQ(budget_for_detail("low", server).max_pixels, 512 * 512);
  EXPECT_EQ(budget_for_detail("high", server).max_pixels, 1 << 20);
  EXPECT_THROW(budget_for_detail("ultra", server), Error);
  const PixelBudget c = clamp_budget({1000, 1 << 24}, server);
  EXPECT_EQ(c.max_pixels, 1 << 20);
  EXPECT_THROW(clamp_budget({5000, 4000}, server), Error);
  for (int64_t h : {17, 300, 999, 2048}) {
    for (int64_t w : {23, 640, 1500}) {
      const auto r = smart_resize(h, w, 32, server.min_pixels, server.max_pixels);
      EXPECT_EQ(r.height % 32, 0);
      EXPECT_EQ(r.width % 32, 0);
      EXPECT_LE(int64_t{r.height} * r.width, server.max_pixels);
      EXPECT_GE(int64_t{r.height} * r.width, server.min_pixels);
    }
  }
}

// Continuous (double) version of the Pillow filter: the fixed-point resampler
// must agree within 1 level per pass (2 overall), the rounding it adds.
double ref_weight(double x, bool cubic) {
  x = std::fabs(x);
  if (!cubic) return x < 1 ? 1 - x : 0;
  const double a = -0.5;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}
std::vector<double> ref_resize_1d(const std::vector<double>& in, int out, bool cubic) {
  const int n = static_cast<int>(in.size());
  const double scale = double(n) / out, fs = std::max(1.0, scale), support = (cubic ? 2.0 : 1.0) * fs;
  std::vector<double> r(out);
  for (int o = 0; o < out; ++o) {
    const double c = (o + 0.5) * scale;
    double s = 0, ws = 0;
    for (int i = 0; i < n; ++i) {
      if (i + 0.5 < c - support || i + 0.5 > c + support) continue;
      const double w = ref_weight((i + 0.5 - c) / fs, cubic);
      s += w * in[i], ws += w;
    }
    r[o] = std::min(255.0, std::max(0.0, s / ws));
  }
  return r;
}

TEST(Resize, AgreesWithContinuousReference) {
  std::mt19937 rng(7);
  for (bool cubic : {true, false}) {
    for (auto [w, h, ow, oh] : {std::array<int, 4>{50, 30, 32, 64}, {17, 9, 64, 32}, {200, 7, 96, 7}, {5, 5, 3, 11}}) {
      Image src(w, h);
      for (auto& v : src.rgb) v = static_cast<uint8_t>(rng() % 256);
      const Image got = resize_image(src, ow, oh, cubic ? ResizeMode::kBicubic : ResizeMode::kBilinear);
      ASSERT_EQ(got.width, ow);
      ASSERT_EQ(got.height, oh);
      int worst = 0;
      for (int c = 0; c < 3; ++c) {
        // Horizontal then vertical, in doubles.
        std::vector<std::vector<double>> rows(h);
        for (int y = 0; y < h; ++y) {
          std::vector<double> line(w);
          for (int x = 0; x < w; ++x) line[x] = src.at(x, y)[c];
          rows[y] = ow == w ? line : ref_resize_1d(line, ow, cubic);
          for (auto& v : rows[y]) v = std::round(v);  // Pillow stores 8 bits between passes
        }
        for (int x = 0; x < ow; ++x) {
          std::vector<double> col(h);
          for (int y = 0; y < h; ++y) col[y] = rows[y][x];
          const auto out = oh == h ? col : ref_resize_1d(col, oh, cubic);
          for (int y = 0; y < oh; ++y) worst = std::max(worst, int(std::fabs(std::round(out[y]) - got.at(x, y)[c])));
        }
      }
      EXPECT_LE(worst, 1) << w << "x" << h << " -> " << ow << "x" << oh << " cubic=" << cubic;
    }
  }
}

TEST(Resize, FlatImagesStayFlat) {
  Image src(33, 47);
  for (size_t i = 0; i < src.rgb.size(); i += 3) src.rgb[i] = 200, src.rgb[i + 1] = 10, src.rgb[i + 2] = 128;
  const Image got = resize_image(src, 64, 32);
  for (size_t i = 0; i < got.rgb.size(); i += 3) {
    ASSERT_EQ(got.rgb[i], 200);
    ASSERT_EQ(got.rgb[i + 1], 10);
    ASSERT_EQ(got.rgb[i + 2], 128);
  }
}

TEST(Patchify, FlattenOrderMatchesSpec) {
  // 64 x 32 image: grid 2 x 4 patches, one merge block row with two blocks.
  Image img(64, 32);
  for (int y = 0; y < 32; ++y)
    for (int x = 0; x < 64; ++x) {
      uint8_t* p = img.at(x, y);
      p[0] = static_cast<uint8_t>(x * 2), p[1] = static_cast<uint8_t>(y * 4), p[2] = static_cast<uint8_t>(x + y);
    }
  PreprocessOptions opt;
  opt.budget = {1, 1 << 20};
  opt.image_mean = {0, 0, 0};
  opt.image_std = {1.0f / 255, 1.0f / 255, 1.0f / 255};  // normalised value == byte value
  const PixelValues pv = preprocess_image(img, opt);
  ASSERT_EQ(pv.grid_t, 1);
  ASSERT_EQ(pv.grid_h, 2);
  ASSERT_EQ(pv.grid_w, 4);
  ASSERT_EQ(pv.row_size, 1536);
  ASSERT_EQ(pv.n_merged(), 2);
  // Row r = block_col * 4 + in-block row * 2 + in-block col (one block row).
  for (int r = 0; r < 8; ++r) {
    const int bw = r / 4, mh = (r / 2) % 2, mw = r % 2;
    const int y0 = mh * 16, x0 = (bw * 2 + mw) * 16;
    for (int c = 0; c < 3; ++c)
      for (int t = 0; t < 2; ++t)
        for (int py = 0; py < 16; py += 5)
          for (int px = 0; px < 16; px += 3) {
            const float v = pv.data[size_t(r) * 1536 + ((c * 2 + t) * 16 + py) * 16 + px];
            ASSERT_NEAR(v, img.at(x0 + px, y0 + py)[c], 1e-3) << "row " << r;
          }
  }
  // Default normalisation maps 0..255 to [-1, 1].
  const PixelValues d = preprocess_image(img, PreprocessOptions{PixelBudget{1, 1 << 20}});
  EXPECT_NEAR(d.data[0], -1.0f, 1e-6);
}

TEST(Patchify, VideoFramesPadOddCount) {
  Image a(32, 32), b(32, 32), c(32, 32);
  std::fill(a.rgb.begin(), a.rgb.end(), 0);
  std::fill(b.rgb.begin(), b.rgb.end(), 255);
  std::fill(c.rgb.begin(), c.rgb.end(), 128);
  PreprocessOptions opt;
  const PixelValues pv = patchify_frames({&a, &b, &c}, opt);
  EXPECT_EQ(pv.grid_t, 2);
  EXPECT_EQ(pv.n_patches(), 2 * 4);
  // Second temporal patch holds frame c twice (t = 0 and t = 1 slices).
  const float* row = &pv.data[size_t(4) * 1536];
  EXPECT_FLOAT_EQ(row[0], row[256]);
  EXPECT_NEAR(row[0], 128.0f / 255 * 2 - 1, 1e-6);
}

}  // namespace
}  // namespace qvl
