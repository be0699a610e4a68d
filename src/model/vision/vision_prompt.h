// Turning a raw prompt with images into what the text model needs (model layer):
// each "<|vision_start|><|image_pad|><|vision_end|>" takes the next image and its
// single pad becomes n_tokens pads; positions come from get_rope_index. Also an
// encoder-output cache keyed by image content. Callers convert VisionPrompt to
// the engine's PromptInput (engine/request.h sits above this layer).
#pragma once
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "input/image/image.h"
#include "model/vision/vision_model.h"

namespace qvl {

struct VisionSpan {
  int32_t start = 0;  // index of the first pad in VisionPrompt::tokens
  std::shared_ptr<const VisionOutput> features;
};

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

// 64-bit FNV-1a over the pixels, size and preprocessing budget.
uint64_t image_cache_key(const Image& img, const PixelBudget& budget);

// Thread-safe LRU of encoder outputs.
class VisionCache {
 public:
  explicit VisionCache(size_t capacity = 32) : capacity_(capacity) {}
  std::shared_ptr<const VisionOutput> get(uint64_t key);
  void put(uint64_t key, std::shared_ptr<const VisionOutput> v);
  size_t size() const;

 private:
  size_t capacity_;
  mutable std::mutex mu_;
  std::list<uint64_t> order_;  // front = most recent
  std::map<uint64_t, std::pair<std::shared_ptr<const VisionOutput>, std::list<uint64_t>::iterator>> map_;
};

// Preprocess + encode one image, through the cache when one is given.
std::shared_ptr<const VisionOutput> encode_image(const VisionModel& vm, const Image& img, const PixelBudget& budget,
                                                 ThreadPool& pool, VisionCache* cache = nullptr);

}  // namespace qvl
