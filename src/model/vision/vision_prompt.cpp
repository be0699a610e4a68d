// expand_image_pads, the encoder-output cache and encode_image (see vision_prompt.h).
#include "model/vision/vision_prompt.h"

#include "base/error.h"

namespace qvl {

VisionPrompt expand_image_pads(const std::vector<int32_t>& tokens,
                               const std::vector<std::shared_ptr<const VisionOutput>>& images,
                               const VisionTokenIds& ids) {
  VisionPrompt p;
  std::vector<VisualGrid> grids;
  size_t next = 0;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const int32_t t = tokens[i];
    if (t == ids.video_pad) QVL_FAIL("video placeholders are not supported in this prompt path");
    if (t != ids.image_pad) {
      p.tokens.push_back(t);
      continue;
    }
    QVL_CHECK(i > 0 && tokens[i - 1] == ids.vision_start, "<|image_pad|> at token ", i,
              " is not preceded by <|vision_start|>");
    QVL_CHECK(next < images.size(), "the prompt has more image placeholders than images (", images.size(), ")");
    const auto& img = images[next++];
    QVL_CHECK(img != nullptr && img->n_tokens > 0, "image ", next, " has no features");
    // A placeholder is one pad; an already-expanded run is accepted as one image too.
    size_t run = 1;
    while (i + run < tokens.size() && tokens[i + run] == ids.image_pad) ++run;
    QVL_CHECK(run == 1 || static_cast<int64_t>(run) == img->n_tokens, "image placeholder has ", run,
              " pads but the image has ", img->n_tokens, " tokens");
    i += run - 1;
    p.spans.push_back({static_cast<int32_t>(p.tokens.size()), img});
    p.tokens.insert(p.tokens.end(), static_cast<size_t>(img->n_tokens), ids.image_pad);
    grids.push_back(img->grid);
  }
  QVL_CHECK(next == images.size(), "the prompt has ", next, " image placeholders but ", images.size(),
            " images were given");
  RopeIndex r = get_rope_index(p.tokens, grids, {}, ids);
  p.positions = std::move(r.pos);
  p.rope_delta = r.rope_delta;
  return p;
}

uint64_t image_cache_key(const Image& img, const PixelBudget& budget) {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](const void* data, size_t n) {
    const auto* b = static_cast<const uint8_t*>(data);
    for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
  };
  mix(&img.width, sizeof img.width);
  mix(&img.height, sizeof img.height);
  mix(&budget.min_pixels, sizeof budget.min_pixels);
  mix(&budget.max_pixels, sizeof budget.max_pixels);
  mix(img.rgb.data(), img.rgb.size());
  return h;
}

std::shared_ptr<const VisionOutput> VisionCache::get(uint64_t key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = map_.find(key);
  if (it == map_.end()) return nullptr;
  order_.splice(order_.begin(), order_, it->second.second);
  return it->second.first;
}

void VisionCache::put(uint64_t key, std::shared_ptr<const VisionOutput> v) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = map_.find(key); it != map_.end()) {
    it->second.first = std::move(v);
    order_.splice(order_.begin(), order_, it->second.second);
    return;
  }
  order_.push_front(key);
  map_[key] = {std::move(v), order_.begin()};
  while (map_.size() > capacity_) {
    map_.erase(order_.back());
    order_.pop_back();
  }
}

size_t VisionCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return map_.size();
}

std::shared_ptr<const VisionOutput> encode_image(const VisionModel& vm, const Image& img, const PixelBudget& budget,
                                                 ThreadPool& pool, VisionCache* cache) {
  const uint64_t key = cache ? image_cache_key(img, budget) : 0;
  if (cache) {
    if (auto hit = cache->get(key)) return hit;
  }
  const PixelValues pv = preprocess_image(img, vm.preprocess_options(budget));
  auto out = std::make_shared<const VisionOutput>(vm.encode(pv, pool));
  if (cache) cache->put(key, out);
  return out;
}

}  // namespace qvl
