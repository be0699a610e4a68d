// Every image format the server decodes (JPEG, PNG, GIF, BMP, WebP), with the
// server's limits scaled down so the fuzzer spends its time on parsing, not pixels.
#include "fuzz_util.h"
#include "input/image/image.h"

using namespace qvl;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  DecodeLimits limits;
  limits.max_pixels = 1 << 22;
  limits.max_side = 8192;
  fuzz::expect_clean([&] {
    const Image img = decode_image(data, size, limits);
    if (img.rgb.size() != static_cast<size_t>(img.width) * img.height * 3) std::abort();
  });
  fuzz::expect_clean([&] { jpeg_exif_orientation(data, size); });
  return 0;
}
