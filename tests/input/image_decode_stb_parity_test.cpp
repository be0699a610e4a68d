// Old decoder vs new (docs/decisions/0016): PNG moved from stb_image to libpng and
// JPEG to libjpeg-turbo. stb_image is compiled here, in the test only, and both
// decode the same files: PNGs of every colour type, bit depth, tRNS and interlace
// (written with libpng) must come out byte-identical; JPEGs (baseline and
// progressive, 4:4:4 / 4:2:2 / 4:2:0, grey, written with libjpeg) differ only by
// the rounding of two integer IDCT / colour-conversion implementations, bounded here.
#include <gtest/gtest.h>
#include <png.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>
// jpeglib.h needs size_t and FILE declared first.
#include <jpeglib.h>

#include "input/image/image.h"

#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_NO_STDIO
#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <stb/stb_image.h>
#pragma GCC diagnostic pop

namespace qvl {
namespace {

// What decode_image did with stb: RGBA, alpha over white with the same rounding.
Image stb_decode(const std::vector<uint8_t>& f) {
  int w = 0, h = 0, c = 0;
  unsigned char* px = stbi_load_from_memory(f.data(), static_cast<int>(f.size()), &w, &h, &c, 4);
  EXPECT_NE(px, nullptr) << (stbi_failure_reason() ? stbi_failure_reason() : "");
  Image img(w, h);
  if (!px) return img;
  for (size_t i = 0; i < static_cast<size_t>(w) * h; ++i) {
    const unsigned a = px[i * 4 + 3];
    for (int k = 0; k < 3; ++k)
      img.rgb[i * 3 + k] = a == 255 ? px[i * 4 + k]
                                    : static_cast<uint8_t>((px[i * 4 + k] * a + 255u * (255u - a) + 127u) / 255u);
  }
  stbi_image_free(px);
  return img;
}

// Deterministic noise plus smooth gradients, so both flat and busy areas are covered.
uint32_t next(uint32_t& s) { return s = s * 1664525u + 1013904223u; }

void write_to_vector(png_structp png, png_bytep d, png_size_t n) {
  auto* o = static_cast<std::vector<uint8_t>*>(png_get_io_ptr(png));
  o->insert(o->end(), d, d + n);
}

// A PNG of the given colour type / depth, samples from a seeded generator; palette
// files get a 16-entry palette with a tRNS table, others optionally a tRNS key.
std::vector<uint8_t> make_png(int w, int h, int type, int depth, bool interlace, bool trns, uint32_t seed) {
  std::vector<uint8_t> out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    ADD_FAILURE() << "libpng write failed";
    return {};
  }
  png_set_write_fn(png, &out, write_to_vector, nullptr);
  png_set_IHDR(png, info, w, h, depth, type, interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  const int channels = type == PNG_COLOR_TYPE_RGB ? 3 : type == PNG_COLOR_TYPE_RGB_ALPHA ? 4
                       : type == PNG_COLOR_TYPE_GRAY_ALPHA ? 2 : 1;
  const int maxv = (1 << depth) - 1;
  if (type == PNG_COLOR_TYPE_PALETTE) {
    const int entries = std::min(16, 1 << depth);
    png_color pal[16];
    png_byte alpha[16];
    for (int i = 0; i < entries; ++i)
      pal[i] = {png_byte(i * 17), png_byte(255 - i * 13), png_byte(i * 29)}, alpha[i] = png_byte(i * 16 + 7);
    png_set_PLTE(png, info, pal, entries);
    if (trns) png_set_tRNS(png, info, alpha, entries, nullptr);
  } else if (trns && (type == PNG_COLOR_TYPE_GRAY || type == PNG_COLOR_TYPE_RGB)) {
    png_color_16 key{};
    key.gray = key.red = key.green = key.blue = static_cast<png_uint_16>(maxv / 3);
    png_set_tRNS(png, info, nullptr, 0, &key);
  }
  png_write_info(png, info);
  if (depth < 8) png_set_packing(png);
  if (depth == 16) png_set_swap(png);  // samples below are host-order uint16
  const size_t bytes_per_sample = depth == 16 ? 2 : 1;
  std::vector<uint8_t> row(static_cast<size_t>(w) * channels * bytes_per_sample);
  const int palette_max = type == PNG_COLOR_TYPE_PALETTE ? std::min(15, maxv) : maxv;
  uint32_t s = seed;
  std::vector<std::vector<uint8_t>> rows(h, row);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < channels; ++c) {
        int v = (x + y) % 5 == 0 ? palette_max / 3 : static_cast<int>(next(s) >> 8) % (palette_max + 1);
        if (y < h / 4) v = (x * palette_max) / std::max(1, w - 1);  // a smooth band
        if (depth == 16) {
          const uint16_t v16 = static_cast<uint16_t>(v);
          std::memcpy(&rows[y][(static_cast<size_t>(x) * channels + c) * 2], &v16, 2);
        } else {
          rows[y][static_cast<size_t>(x) * channels + c] = static_cast<uint8_t>(v);
        }
      }
  std::vector<png_bytep> ptrs(h);
  for (int y = 0; y < h; ++y) ptrs[y] = rows[y].data();
  png_write_image(png, ptrs.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

TEST(ImageDecodeStbParity, PngEveryColourTypeAndDepthIsByteIdentical) {
  struct Kind { int type; std::vector<int> depths; };
  const Kind kinds[] = {{PNG_COLOR_TYPE_GRAY, {1, 2, 4, 8, 16}},
                        {PNG_COLOR_TYPE_RGB, {8, 16}},
                        {PNG_COLOR_TYPE_PALETTE, {1, 2, 4, 8}},
                        {PNG_COLOR_TYPE_GRAY_ALPHA, {8, 16}},
                        {PNG_COLOR_TYPE_RGB_ALPHA, {8, 16}}};
  int files = 0;
  for (const Kind& k : kinds)
    for (int depth : k.depths)
      for (bool interlace : {false, true})
        for (bool trns : {false, true}) {
          const auto f = make_png(37, 23, k.type, depth, interlace, trns, 7u + files);
          ASSERT_FALSE(f.empty());
          const Image want = stb_decode(f);
          const Image got = decode_image(f.data(), f.size());
          ASSERT_EQ(got.width, want.width);
          ASSERT_EQ(got.height, want.height);
          EXPECT_TRUE(got.rgb == want.rgb) << "type " << k.type << " depth " << depth << " interlace " << interlace
                                           << " tRNS " << trns;
          ++files;
        }
  EXPECT_EQ(files, 60);
}

std::vector<uint8_t> make_jpeg(int w, int h, bool grey, int h_samp, int v_samp, bool progressive, int quality) {
  jpeg_compress_struct c;
  jpeg_error_mgr err;
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  unsigned char* buf = nullptr;
  unsigned long len = 0;
  jpeg_mem_dest(&c, &buf, &len);
  c.image_width = w, c.image_height = h;
  c.input_components = grey ? 1 : 3;
  c.in_color_space = grey ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, quality, TRUE);
  if (!grey) c.comp_info[0].h_samp_factor = h_samp, c.comp_info[0].v_samp_factor = v_samp;
  if (progressive) jpeg_simple_progression(&c);
  jpeg_start_compress(&c, TRUE);
  std::vector<uint8_t> row(static_cast<size_t>(w) * c.input_components);
  uint32_t s = 99;
  while (c.next_scanline < c.image_height) {
    const int y = static_cast<int>(c.next_scanline);
    for (size_t i = 0; i < row.size(); ++i) {
      const int x = static_cast<int>(i / c.input_components);
      row[i] = y < h / 2 ? static_cast<uint8_t>(x * 255 / w + (i % 3) * 40) : static_cast<uint8_t>(next(s) >> 24);
    }
    JSAMPROW r = row.data();
    jpeg_write_scanlines(&c, &r, 1);
  }
  jpeg_finish_compress(&c);
  std::vector<uint8_t> out(buf, buf + len);
  std::free(buf);
  jpeg_destroy_compress(&c);
  return out;
}

TEST(ImageDecodeStbParity, JpegDiffersFromStbOnlyByRounding) {
  struct Case { const char* name; bool grey; int hs, vs; bool progressive; };
  const Case cases[] = {{"444", false, 1, 1, false}, {"422", false, 2, 1, false}, {"420", false, 2, 2, false},
                        {"420-progressive", false, 2, 2, true}, {"444-progressive", false, 1, 1, true},
                        {"grey", true, 1, 1, false}};
  for (const Case& k : cases) {
    const auto f = make_jpeg(67, 45, k.grey, k.hs, k.vs, k.progressive, 90);
    const Image want = stb_decode(f);
    const Image got = decode_image(f.data(), f.size());
    ASSERT_EQ(got.width, want.width) << k.name;
    ASSERT_EQ(got.height, want.height) << k.name;
    int max_diff = 0, edge_max = 0;
    size_t differing = 0;
    for (size_t i = 0; i < got.rgb.size(); ++i) {
      const int d = std::abs(int(got.rgb[i]) - int(want.rgb[i]));
      // The last column of a horizontally subsampled odd-width image: the two
      // decoders upsample the edge chroma sample differently (libjpeg-turbo reads
      // the encoder's padding column, stb repeats the last sample); counted apart.
      if (k.hs == 2 && got.width % 2 == 1 && (i / 3) % got.width == size_t(got.width - 1)) {
        edge_max = std::max(edge_max, d);
        continue;
      }
      max_diff = std::max(max_diff, d);
      differing += d != 0;
    }
    const double share = double(differing) / got.rgb.size();
    std::printf("jpeg %-16s max |libjpeg - stb| = %d, %zu of %zu samples differ (%.2f%%); odd last column: max %d\n",
                k.name, max_diff, differing, got.rgb.size(), 100 * share, edge_max);
    // Measured with Debian 12's stb 2.27 and libjpeg-turbo 2.1.5 (see the printout).
    EXPECT_LE(max_diff, 3) << k.name;
    EXPECT_LE(share, 0.15) << k.name;
  }
}

}  // namespace
}  // namespace qvl
