// decode_data_url: base64 data: URLs of image and video parts. Its own file so the
// fuzz harness (tests/fuzz/fuzz_data_url.cpp) links this parser alone, not the
// vision tower next to it in serve_vision.cpp.
#include "serve/media/data_url.h"

#include <mutex>

#include "serve/http/api_error.h"

namespace qvl::serve {

std::vector<uint8_t> decode_data_url(const std::string& url) {
  if (url.rfind("data:", 0) != 0)
    throw bad_param("messages", "images must be data: URLs (base64); remote URLs and paths are not fetched");
  const size_t comma = url.find(',');
  if (comma == std::string::npos || url.substr(0, comma).find(";base64") == std::string::npos)
    throw bad_param("messages", "image data: URL must be base64-encoded");
  static int8_t table[256];
  static std::once_flag once;
  std::call_once(once, [] {
    for (auto& t : table) t = -1;
    const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(a[i])] = static_cast<int8_t>(i);
    table[static_cast<unsigned char>('-')] = 62;  // URL-safe alphabet too
    table[static_cast<unsigned char>('_')] = 63;
  });
  std::vector<uint8_t> out;
  out.reserve((url.size() - comma) * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = comma + 1; i < url.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(url[i]);
    if (c == '=') break;
    if (c == '\n' || c == '\r' || c == ' ') continue;
    if (table[c] < 0) throw bad_param("messages", "image data: URL holds invalid base64");
    acc = (acc << 6) | static_cast<uint32_t>(table[c]);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>((acc >> bits) & 0xff));
    }
  }
  if (out.empty()) throw bad_param("messages", "image data: URL is empty");
  return out;
}

}  // namespace qvl::serve
