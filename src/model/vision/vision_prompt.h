// Turning a raw prompt with images into what the text model needs (model layer):
// each "<|vision_start|><|image_pad|><|vision_end|>" takes the next image and its
// single pad becomes n_tokens pads; positions come from get_rope_index. Also an
// encoder-output cache keyed by image content. Callers convert VisionPrompt to
// the engine's PromptInput (engine/request.h sits above this layer).
#pragma once
#include <cstdint>
#include <functional>
#include <list>
#include <string>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "base/sha256.h"
#include "input/image/image.h"
#include "model/vision/vision_model.h"

namespace qvl {

// A run of pads in the expanded prompt and the feature rows that fill it: a whole
// image, or one temporal patch (frame pair) of a video.
struct VisionSpan {
  int32_t start = 0;       // index of the first pad in VisionPrompt::tokens
  int64_t row_offset = 0;  // first row of features->main / deepstack used
  int64_t n_tokens = 0;
  std::shared_ptr<const VisionOutput> features;
};

struct VideoInput {
  std::shared_ptr<const VisionOutput> features;  // grid.t temporal patches
  std::vector<double> timestamps;                // seconds, one per temporal patch (video.h)
};

// Text -> token ids (special tokens not parsed), for the timestamp text.
using TextTokenizer = std::function<std::vector<int32_t>(const std::string&)>;

struct VisionPrompt {
  std::vector<int32_t> tokens;
  std::vector<std::array<int32_t, 3>> positions;
  int32_t rope_delta = 0;
  std::vector<VisionSpan> spans;  // prompt order
};

// images[i] feeds the i-th image placeholder. Throws when the number of
// placeholders differs from images.size(). Video pads are not handled here.
VisionPrompt expand_image_pads(const std::vector<int32_t>& tokens,
                               const std::vector<std::shared_ptr<const VisionOutput>>& images,
                               const VisionTokenIds& ids = {});

// Images and videos in order of appearance. Each video placeholder
// "<|vision_start|><|video_pad|><|vision_end|>" becomes, per temporal patch i,
// "<ts_i seconds><|vision_start|>" + pads + "<|vision_end|>" (HF Qwen3VLProcessor).
VisionPrompt expand_vision_pads(const std::vector<int32_t>& tokens,
                                const std::vector<std::shared_ptr<const VisionOutput>>& images,
                                const std::vector<VideoInput>& videos, const TextTokenizer& tokenize,
                                const VisionTokenIds& ids = {});

// SHA-256 over the pixels, size and preprocessing budget: a crafted image cannot
// collide with another request's on purpose (a 64-bit FNV key could).
Sha256Digest image_cache_key(const Image& img, const PixelBudget& budget);

// Thread-safe LRU of encoder outputs.
class VisionCache {
 public:
  explicit VisionCache(size_t capacity = 32) : capacity_(capacity) {}
  std::shared_ptr<const VisionOutput> get(const Sha256Digest& key);
  void put(const Sha256Digest& key, std::shared_ptr<const VisionOutput> v);
  size_t size() const;

 private:
  size_t capacity_;
  mutable std::mutex mu_;
  std::list<Sha256Digest> order_;  // front = most recent
  std::map<Sha256Digest, std::pair<std::shared_ptr<const VisionOutput>, std::list<Sha256Digest>::iterator>> map_;
};

// Preprocess + encode one video given as its sampled frames (video.h).
std::shared_ptr<const VisionOutput> encode_video(const VisionModel& vm, const std::vector<Image>& frames,
                                                 const PixelBudget& budget, ThreadPool& pool);

// Preprocess + encode one image, through the cache when one is given.
std::shared_ptr<const VisionOutput> encode_image(const VisionModel& vm, const Image& img, const PixelBudget& budget,
                                                 ThreadPool& pool, VisionCache* cache = nullptr);

}  // namespace qvl
