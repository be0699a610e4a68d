// The vision hook for chat requests with images and videos: decodes data: URLs
// (video files through FFmpeg, frame lists as images) on the HTTP thread, has
// the checkpoint's engine run the mmproj vision tower (Generator::run_compute: on
// the engine thread, between batch steps, with the shared compute threads), expands the image / video pads (with a video's timestamp text) and returns the
// engine's PromptInput with MRoPE positions and embedding spans. http(s) URLs
// arrive already fetched (fetch_remote_media, allow-listed); file paths are refused.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "model/config.h"
#include "serve/deploy/checkpoint.h"
#include "serve/media/data_url.h"
#include "serve/media/image_fetch.h"

namespace qvl::serve {

// Loads the mmproj and sets cp.vision (cp.generator must be set: it runs the
// encoder); the returned object keeps the tower alive.
std::shared_ptr<void> attach_vision(Checkpoint& cp, const std::string& mmproj_path, const TextConfig& text);

// Fetches the http(s) URLs of image parts, video files and video frames under
// the policy (image_fetch.h); data: URLs are left to the hook. Throws ApiError 400.
void fetch_remote_media(std::vector<ImageRef>& refs, const FetchPolicy& policy);

}  // namespace qvl::serve
