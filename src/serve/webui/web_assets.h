// The web UI's files (web/), compiled into the binary at build time by
// embed_web_assets.cmake: name, Content-Type, bytes and a content-hash ETag.
#pragma once
#include <span>
#include <string_view>

namespace qvl::serve {

struct WebAsset {
  std::string_view name;          // file name under web/, e.g. "app.js"
  std::string_view content_type;  // with charset for text
  std::string_view body;
  std::string_view etag;          // quoted, e.g. "\"3f2a...\"": changes whenever the bytes do
};

std::span<const WebAsset> web_assets();  // defined in the generated web_assets_data.cpp

}  // namespace qvl::serve
