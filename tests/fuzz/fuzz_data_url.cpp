// base64 data: URLs as chat image parts carry them (decode_data_url).
#include "fuzz_util.h"
#include "serve/media/data_url.h"

using namespace qvl;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string s = fuzz::as_string(data, size);
  fuzz::expect_clean([&] { serve::decode_data_url(s); });
  fuzz::expect_clean([&] { serve::decode_data_url("data:image/png;base64," + s); });
  return 0;
}
