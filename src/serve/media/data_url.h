// Bytes of a data: URL ("data:image/png;base64,...."), standard or URL-safe
// base64. Throws ApiError 400 (param "messages") for anything else.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace qvl::serve {

std::vector<uint8_t> decode_data_url(const std::string& url);

}  // namespace qvl::serve
