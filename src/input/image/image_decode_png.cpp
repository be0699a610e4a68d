// PNG through libpng (docs/decisions/0016): a decoder that checks chunk lengths,
// zlib streams and row sizes itself, instead of stb_image, whose PNG reader the
// image fuzzer caught in undefined behaviour. libpng reports errors by longjmp, so
// each call into it happens inside a small function (read_header, read_pixels)
// that holds no C++ objects and whose only job is to turn the longjmp into a
// return value; everything with a destructor lives in decode_png.
#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <vector>

#include "base/error.h"
#include "input/image/image_decoders.h"

namespace qvl {
namespace {

struct PngReader {
  png_structp png = nullptr;
  png_infop info = nullptr;
  const uint8_t* data = nullptr;
  size_t size = 0;
  size_t pos = 0;
  char message[160] = "corrupt or truncated";
};

void on_error(png_structp png, png_const_charp msg) {
  auto* r = static_cast<PngReader*>(png_get_error_ptr(png));
  std::snprintf(r->message, sizeof(r->message), "%s", msg ? msg : "corrupt");
  png_longjmp(png, 1);
}

void on_warning(png_structp, png_const_charp) {}  // ancillary trouble: decode anyway, quietly

void read_bytes(png_structp png, png_bytep out, png_size_t n) {
  auto* r = static_cast<PngReader*>(png_get_io_ptr(png));
  if (n > r->size - r->pos) png_error(png, "truncated file");
  std::memcpy(out, r->data + r->pos, n);
  r->pos += n;
}

// Reads the chunks before the image data and sets up the expansion to 8-bit RGBA.
bool read_header(PngReader* r, const DecodeLimits* limits) {
  if (setjmp(png_jmpbuf(r->png))) return false;
  png_set_read_fn(r->png, r, read_bytes);
  // Second line behind check_image_size: libpng refuses larger sides from IHDR.
  png_set_user_limits(r->png, static_cast<png_uint_32>(limits->max_side), static_cast<png_uint_32>(limits->max_side));
  // Ancillary chunks (text, ICC profiles) are decompressed into memory: bound them.
  png_set_chunk_malloc_max(r->png, 8u << 20);
  png_set_chunk_cache_max(r->png, 256);
  // stb_image never checked CRCs; a bad checksum on otherwise readable data still
  // decodes, as before. Lengths and zlib data are checked regardless.
  png_set_crc_action(r->png, PNG_CRC_QUIET_USE, PNG_CRC_QUIET_USE);
  png_read_info(r->png, r->info);
  const int type = png_get_color_type(r->png, r->info);
  const int depth = png_get_bit_depth(r->png, r->info);
  if (type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(r->png);
  if (type == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(r->png);
  if (png_get_valid(r->png, r->info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(r->png);
  if (depth == 16) png_set_strip_16(r->png);  // high byte, as stb_image did
  if (type == PNG_COLOR_TYPE_GRAY || type == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(r->png);
  png_set_filler(r->png, 0xFF, PNG_FILLER_AFTER);  // no-op when alpha is already there
  png_set_interlace_handling(r->png);
  png_read_update_info(r->png, r->info);
  return true;
}

bool read_pixels(PngReader* r, png_bytepp rows) {
  if (setjmp(png_jmpbuf(r->png))) return false;
  png_read_image(r->png, rows);
  return true;
}

struct PngDestroy {
  PngReader* r;
  ~PngDestroy() { png_destroy_read_struct(&r->png, r->info ? &r->info : nullptr, nullptr); }
};

}  // namespace

Image decode_png(const uint8_t* data, size_t size, const DecodeLimits& limits) {
  PngReader r;
  r.data = data;
  r.size = size;
  r.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &r, on_error, on_warning);
  QVL_CHECK(r.png != nullptr, "cannot decode png image: out of memory");
  PngDestroy destroy{&r};
  r.info = png_create_info_struct(r.png);
  QVL_CHECK(r.info != nullptr, "cannot decode png image: out of memory");

  if (!read_header(&r, &limits)) QVL_FAIL("cannot read png header: ", r.message);
  const int64_t w = png_get_image_width(r.png, r.info), h = png_get_image_height(r.png, r.info);
  check_image_size(w, h, limits);
  QVL_CHECK(png_get_rowbytes(r.png, r.info) == static_cast<size_t>(w) * 4, "corrupt png image (unexpected row size)");

  std::vector<unsigned char> rgba(static_cast<size_t>(w) * h * 4);
  std::vector<png_bytep> rows(static_cast<size_t>(h));
  for (int64_t y = 0; y < h; ++y) rows[y] = rgba.data() + static_cast<size_t>(y) * w * 4;
  if (!read_pixels(&r, rows.data())) QVL_FAIL("cannot decode png image: ", r.message);
  return rgba_over_white(rgba.data(), static_cast<int>(w), static_cast<int>(h));
}

}  // namespace qvl
