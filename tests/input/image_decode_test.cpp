// Image decoding: formats round-trip, alpha over white, EXIF orientation, and
// hostile inputs (empty, truncated, corrupt, wrong type, pixel bombs) that must
// end in qvl::Error. The fuzz case mutates valid files for a bounded time.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <random>

#include "base/error.h"
#include "input/image/image.h"

#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-function"
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop

#ifdef QVL_HAVE_WEBP
#include <webp/encode.h>
#endif

namespace qvl {
namespace {

Image pattern(int w, int h) {
  Image img(w, h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      uint8_t* p = img.at(x, y);
      p[0] = static_cast<uint8_t>(x * 7 + y), p[1] = static_cast<uint8_t>(y * 13), p[2] = static_cast<uint8_t>(x ^ y);
    }
  return img;
}

// Four flat quadrants (red, green, blue, white) so JPEG loss does not matter.
Image quadrants(int w, int h) {
  Image img(w, h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const int q = (y >= h / 2) * 2 + (x >= w / 2);
      static const uint8_t col[4][3] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 255}};
      std::memcpy(img.at(x, y), col[q], 3);
    }
  return img;
}

std::vector<uint8_t> encode_jpeg(const Image& img) {
  std::vector<uint8_t> out;
  stbi_write_jpg_to_func(
      [](void* ctx, void* data, int size) {
        auto* o = static_cast<std::vector<uint8_t>*>(ctx);
        o->insert(o->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
      },
      &out, img.width, img.height, 3, img.rgb.data(), 95);
  return out;
}

// Inserts an APP1 EXIF segment (big-endian TIFF, one IFD entry) after SOI.
std::vector<uint8_t> with_exif(const std::vector<uint8_t>& jpg, int orientation) {
  const uint8_t tiff[] = {'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1,
                          0, static_cast<uint8_t>(orientation), 0, 0, 0, 0, 0, 0};
  std::vector<uint8_t> seg = {0xFF, 0xE1, 0, 0, 'E', 'x', 'i', 'f', 0, 0};
  seg.insert(seg.end(), tiff, tiff + sizeof(tiff));
  const size_t len = seg.size() - 2;
  seg[2] = static_cast<uint8_t>(len >> 8), seg[3] = static_cast<uint8_t>(len);
  std::vector<uint8_t> out(jpg.begin(), jpg.begin() + 2);
  out.insert(out.end(), seg.begin(), seg.end());
  out.insert(out.end(), jpg.begin() + 2, jpg.end());
  return out;
}

// Uncompressed GIF: 7-bit codes padded to 8 (LZW min code size 7, a clear code
// every 100 pixels keeps the code width at 8), so each pixel is one byte.
std::vector<uint8_t> encode_gif_grey(const Image& img, int transparent_index = -1) {
  std::vector<uint8_t> o = {'G', 'I', 'F', '8', '9', 'a'};
  auto le16 = [&](int v) { o.push_back(v & 255), o.push_back(v >> 8); };
  le16(img.width), le16(img.height);
  o.push_back(0xF6), o.push_back(0), o.push_back(0);  // global table, 128 entries
  for (int i = 0; i < 128; ++i) o.push_back(i * 2), o.push_back(i * 2), o.push_back(i * 2);
  if (transparent_index >= 0) {
    o.insert(o.end(), {0x21, 0xF9, 4, 1, 0, 0, static_cast<uint8_t>(transparent_index), 0});
  }
  o.push_back(0x2C), le16(0), le16(0), le16(img.width), le16(img.height), o.push_back(0);
  o.push_back(7);
  std::vector<uint8_t> codes;
  const size_t n = static_cast<size_t>(img.width) * img.height;
  for (size_t i = 0; i < n; ++i) {
    if (i % 100 == 0) codes.push_back(128);
    codes.push_back(img.rgb[i * 3] / 2);
  }
  codes.push_back(129);
  for (size_t i = 0; i < codes.size(); i += 255) {
    const size_t len = std::min<size_t>(255, codes.size() - i);
    o.push_back(static_cast<uint8_t>(len));
    o.insert(o.end(), codes.begin() + i, codes.begin() + i + len);
  }
  o.push_back(0), o.push_back(0x3B);
  return o;
}

// A zero-length IDAT before the data (valid PNG) decodes like the file without it;
// stb alone would memcpy into a null buffer (found by the image fuzzer under UBSan).
TEST(ImageDecode, PngWithLeadingEmptyIdatDecodes) {
  const Image src = pattern(9, 5);
  const auto png = encode_png(src);
  size_t o = 8;  // find the first IDAT and put an empty one (length 0, "IDAT", CRC) before it
  while (std::memcmp(png.data() + o + 4, "IDAT", 4) != 0)
    o += 12 + ((size_t(png[o]) << 24) | (size_t(png[o + 1]) << 16) | (size_t(png[o + 2]) << 8) | png[o + 3]);
  std::vector<uint8_t> with(png.begin(), png.begin() + o);
  const uint8_t empty[12] = {0, 0, 0, 0, 'I', 'D', 'A', 'T', 0x35, 0xAF, 0x06, 0x1E};
  with.insert(with.end(), empty, empty + 12);
  with.insert(with.end(), png.begin() + o, png.end());
  const Image got = decode_image(with.data(), with.size());
  EXPECT_EQ(got.width, 9);
  EXPECT_EQ(got.rgb, src.rgb);
}

TEST(ImageDecode, BmpAndPngRoundTripExactly) {
  const Image src = pattern(37, 21);  // odd sizes exercise BMP row padding
  for (const auto& bytes : {encode_bmp(src), encode_png(src)}) {
    const Image got = decode_image(bytes.data(), bytes.size());
    ASSERT_EQ(got.width, 37);
    ASSERT_EQ(got.height, 21);
    EXPECT_EQ(got.rgb, src.rgb);
  }
  EXPECT_EQ(sniff_image_format(encode_png(src).data(), 8), "png");
}

TEST(ImageDecode, GifFirstFrameAndTransparencyOverWhite) {
  Image src(10, 3);
  for (int i = 0; i < 30; ++i) src.rgb[i * 3] = src.rgb[i * 3 + 1] = src.rgb[i * 3 + 2] = static_cast<uint8_t>(i * 8);
  auto gif = encode_gif_grey(src);
  Image got = decode_image(gif.data(), gif.size());
  ASSERT_EQ(got.width, 10);
  EXPECT_EQ(got.rgb, src.rgb);
  // Palette index 0 (black, pixel 0) transparent: it must come out white.
  gif = encode_gif_grey(src, 0);
  got = decode_image(gif.data(), gif.size());
  EXPECT_EQ(got.rgb[0], 255);
  EXPECT_EQ(got.rgb[3 * 5], src.rgb[3 * 5]);
}

TEST(ImageDecode, JpegExifOrientationIsApplied) {
  const Image src = quadrants(64, 32);
  const auto jpg = encode_jpeg(src);
  EXPECT_EQ(jpeg_exif_orientation(jpg.data(), jpg.size()), 1);
  auto near = [](const uint8_t* p, int r, int g, int b) {
    return std::abs(p[0] - r) < 40 && std::abs(p[1] - g) < 40 && std::abs(p[2] - b) < 40;
  };
  // Orientation 6 (rotate 90 CW): the stored top-left (red) ends top-right.
  auto j6 = with_exif(jpg, 6);
  EXPECT_EQ(jpeg_exif_orientation(j6.data(), j6.size()), 6);
  Image r = decode_image(j6.data(), j6.size());
  ASSERT_EQ(r.width, 32);
  ASSERT_EQ(r.height, 64);
  EXPECT_TRUE(near(r.at(24, 8), 255, 0, 0));
  EXPECT_TRUE(near(r.at(8, 8), 0, 0, 255));
  EXPECT_TRUE(near(r.at(24, 56), 0, 255, 0));
  // Orientation 3 (rotate 180): white ends top-left.
  auto j3 = with_exif(jpg, 3);
  r = decode_image(j3.data(), j3.size());
  ASSERT_EQ(r.width, 64);
  EXPECT_TRUE(near(r.at(8, 8), 255, 255, 255));
  // All eight orientations agree with a direct pixel check on a small image.
  const Image p = pattern(5, 3);
  for (int o = 1; o <= 8; ++o) {
    const Image q = apply_orientation(p, o);
    EXPECT_EQ(q.width, o >= 5 ? 3 : 5);
    const Image back = o == 6 ? apply_orientation(q, 8) : o == 8 ? apply_orientation(q, 6) : apply_orientation(q, o);
    EXPECT_EQ(back.rgb, p.rgb) << "orientation " << o;
  }
}

#ifdef QVL_HAVE_WEBP
TEST(ImageDecode, WebpLosslessRoundTripAndAlpha) {
  const Image src = pattern(19, 11);
  std::vector<uint8_t> rgba;
  for (size_t i = 0; i < src.rgb.size(); i += 3) {
    rgba.insert(rgba.end(), {src.rgb[i], src.rgb[i + 1], src.rgb[i + 2], static_cast<uint8_t>(i == 0 ? 0 : 255)});
  }
  uint8_t* out = nullptr;
  const size_t n = WebPEncodeLosslessRGBA(rgba.data(), 19, 11, 19 * 4, &out);
  ASSERT_GT(n, 0u);
  std::vector<uint8_t> bytes(out, out + n);
  WebPFree(out);
  EXPECT_EQ(sniff_image_format(bytes.data(), bytes.size()), "webp");
  const Image got = decode_image(bytes.data(), bytes.size());
  ASSERT_EQ(got.width, 19);
  ASSERT_EQ(got.height, 11);
  EXPECT_EQ(got.rgb[0], 255);  // transparent pixel over white
  EXPECT_TRUE(std::equal(got.rgb.begin() + 3, got.rgb.end(), src.rgb.begin() + 3));
  EXPECT_THROW(decode_image(bytes.data(), bytes.size() / 2), Error);
  DecodeLimits small;
  small.max_pixels = 100;
  EXPECT_THROW(decode_image(bytes.data(), bytes.size(), small), Error);
}
#endif

TEST(ImageDecode, BadInputsAreErrors) {
  const auto png = encode_png(pattern(8, 8));
  EXPECT_THROW(decode_image(nullptr, 0), Error);
  EXPECT_THROW(decode_image(png.data(), 0), Error);
  const std::string text = "{\"not\": \"an image\"}";
  EXPECT_THROW(decode_image(reinterpret_cast<const uint8_t*>(text.data()), text.size()), Error);
  EXPECT_THROW(decode_image(png.data(), 20), Error);               // truncated in the header
  EXPECT_THROW(decode_image(png.data(), png.size() - 40), Error);  // truncated in the data
  const uint8_t webp[] = {'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'E', 'B', 'P', 0, 0};
  EXPECT_THROW(decode_image(webp, sizeof(webp)), Error);
  EXPECT_THROW(load_image_file("/nonexistent/x.png"), Error);
}

TEST(ImageDecode, PixelBombIsRejectedBeforeDecoding) {
  // A valid PNG header declaring 60000 x 60000 pixels with a tiny body.
  auto png = encode_png(pattern(4, 4));
  auto be32 = [&](size_t off, uint32_t v) {
    for (int i = 0; i < 4; ++i) png[off + i] = static_cast<uint8_t>(v >> (24 - 8 * i));
  };
  be32(16, 60000), be32(20, 60000);
  try {
    decode_image(png.data(), png.size());
    FAIL() << "pixel bomb accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("exceed"), std::string::npos) << e.what();
  }
  DecodeLimits small;
  small.max_pixels = 10;
  const auto ok = encode_bmp(pattern(4, 4));
  EXPECT_THROW(decode_image(ok.data(), ok.size(), small), Error);
  // Zero-sized BMP.
  auto bmp = encode_bmp(pattern(4, 4));
  bmp[18] = bmp[19] = bmp[20] = bmp[21] = 0;
  EXPECT_THROW(decode_image(bmp.data(), bmp.size()), Error);
}

TEST(ImageDecode, FuzzMutatedFilesNeverCrash) {
  std::vector<std::vector<uint8_t>> seeds = {encode_png(pattern(24, 16)), encode_bmp(pattern(13, 9)),
                                             encode_jpeg(quadrants(32, 16)), with_exif(encode_jpeg(pattern(16, 16)), 6),
                                             encode_gif_grey(pattern(12, 12))};
#ifdef QVL_HAVE_WEBP
  {
    const Image p = pattern(16, 8);
    uint8_t* out = nullptr;
    const size_t n = WebPEncodeRGB(p.rgb.data(), 16, 8, 16 * 3, 80.0f, &out);
    seeds.emplace_back(out, out + n);
    WebPFree(out);
  }
#endif
  // CI keeps the default bound; QVL_FUZZ_MS / QVL_FUZZ_SEED allow longer local runs.
  auto env = [](const char* k, long def) { const char* v = std::getenv(k); return v ? std::atol(v) : def; };
  std::mt19937_64 rng(static_cast<uint64_t>(env("QVL_FUZZ_SEED", 1234)));
  const long ms = env("QVL_FUZZ_MS", 1500);
  const int max_runs = ms > 1500 ? INT32_MAX : 20000;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  int runs = 0, decoded = 0;
  DecodeLimits limits;
  limits.max_pixels = 1 << 20;  // keeps mutated headers from allocating much
  while (std::chrono::steady_clock::now() < deadline && runs < max_runs) {
    std::vector<uint8_t> b = seeds[rng() % seeds.size()];
    const int edits = 1 + rng() % 8;
    for (int e = 0; e < edits && !b.empty(); ++e) {
      const size_t at = rng() % b.size();
      switch (rng() % 4) {
        case 0: b[at] ^= static_cast<uint8_t>(1u << (rng() % 8)); break;
        case 1: b[at] = static_cast<uint8_t>(rng()); break;
        case 2: b.resize(at + 1); break;
        default: b.insert(b.begin() + at, static_cast<uint8_t>(rng())); break;
      }
    }
    ++runs;
    try {
      const Image img = decode_image(b.data(), b.size(), limits);
      ASSERT_EQ(img.rgb.size(), static_cast<size_t>(img.width) * img.height * 3);
      ++decoded;
    } catch (const Error&) {
    }
  }
  EXPECT_GT(runs, 100);
  RecordProperty("runs", runs);
  RecordProperty("decoded", decoded);
}

}  // namespace
}  // namespace qvl

namespace qvl {
namespace {

// A hand-made progressive 8x8 greyscale JPEG: a DC first scan (Al = 1) and then
// `refinements` DC refinement scans (each a single bit per block). Repeats past the
// first are bogus progressions libjpeg only warns about, so every scan is decoded.
std::vector<uint8_t> progressive_jpeg_with_scans(int refinements) {
  std::vector<uint8_t> j = {0xFF, 0xD8, 0xFF, 0xDB, 0x00, 0x43, 0x00};
  j.insert(j.end(), 64, 1);                                                          // DQT: all ones
  j.insert(j.end(), {0xFF, 0xC2, 0x00, 0x0B, 0x08, 0x00, 0x08, 0x00, 0x08, 0x01, 0x01, 0x11, 0x00});  // SOF2
  j.insert(j.end(), {0xFF, 0xC4, 0x00, 0x14, 0x00, 1});                              // DHT: DC 0, one code
  j.insert(j.end(), 15, 0);
  j.push_back(0x00);                                                                 // ... for category 0
  j.insert(j.end(), {0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x00, 0x01, 0x7F});  // DC first, Al = 1
  for (int i = 0; i < refinements; ++i)
    j.insert(j.end(), {0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x00, 0x10, 0x00});  // DC refine
  j.insert(j.end(), {0xFF, 0xD9});
  return j;
}

TEST(ImageDecode, ProgressiveJpegScanCountIsCapped) {
  const auto ok = progressive_jpeg_with_scans(400);
  const Image img = decode_image(ok.data(), ok.size());
  EXPECT_EQ(img.width, 8);
  EXPECT_EQ(img.height, 8);
  const auto bomb = progressive_jpeg_with_scans(600);
  try {
    decode_image(bomb.data(), bomb.size());
    ADD_FAILURE() << "a 601-scan JPEG decoded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("more than 500 progressive scans"), std::string::npos) << e.what();
  }
}

// libpng checks what stb did not: a PNG whose zlib stream is garbage is an error
// with libpng's reason, never a crash or a silently black image.
TEST(ImageDecode, PngWithCorruptZlibDataIsAnError) {
  std::vector<uint8_t> png = encode_png(pattern(16, 16));
  // The IDAT payload starts after signature (8) + IHDR chunk (25) + IDAT length/type (8).
  for (size_t i = 8 + 25 + 8 + 2; i < 8 + 25 + 8 + 40 && i < png.size(); ++i) png[i] ^= 0x5A;
  try {
    decode_image(png.data(), png.size());
    ADD_FAILURE() << "corrupt zlib data decoded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("png"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace qvl
