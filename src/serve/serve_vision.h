// The vision hook for chat requests with images: decodes data: URLs, runs the
// mmproj vision tower (on its own small thread pool, since the engine owns the
// default one), expands the image pads and returns the engine's PromptInput
// with MRoPE positions and embedding spans. http(s) URLs arrive already fetched
// (image_fetch.h, allow-listed); file paths are refused.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "model/config.h"
#include "serve/checkpoint.h"

namespace qvl::serve {

// Loads the mmproj and sets cp.vision; the returned object keeps the tower alive.
std::shared_ptr<void> attach_vision(Checkpoint& cp, const std::string& mmproj_path, const TextConfig& text);

// Bytes of a data: URL ("data:image/png;base64,...."). Throws ApiError 400.
std::vector<uint8_t> decode_data_url(const std::string& url);

}  // namespace qvl::serve
