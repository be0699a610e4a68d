// expand_image_pads, the encoder-output cache and encode_image (see vision_prompt.h).
#include "model/vision/vision_prompt.h"

#include "base/error.h"
#include "input/image/video.h"

namespace qvl {

VisionPrompt expand_image_pads(const std::vector<int32_t>& tokens,
                               const std::vector<std::shared_ptr<const VisionOutput>>& images,
                               const VisionTokenIds& ids) {
  return expand_vision_pads(tokens, images, {}, nullptr, ids);
}

VisionPrompt expand_vision_pads(const std::vector<int32_t>& tokens,
                                const std::vector<std::shared_ptr<const VisionOutput>>& images,
                                const std::vector<VideoInput>& videos, const TextTokenizer& tokenize,
                                const VisionTokenIds& ids) {
  VisionPrompt p;
  std::vector<VisualGrid> image_grids, video_grids;
  size_t next_image = 0, next_video = 0;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const int32_t t = tokens[i];
    if (t != ids.image_pad && t != ids.video_pad) {
      p.tokens.push_back(t);
      continue;
    }
    const bool image = t == ids.image_pad;
    const char* what = image ? "<|image_pad|>" : "<|video_pad|>";
    QVL_CHECK(i > 0 && tokens[i - 1] == ids.vision_start, what, " at token ", i, " is not preceded by <|vision_start|>");
    size_t run = 1;
    while (i + run < tokens.size() && tokens[i + run] == t) ++run;
    if (image) {
      QVL_CHECK(next_image < images.size(), "the prompt has more image placeholders than images (", images.size(), ")");
      const auto& img = images[next_image++];
      QVL_CHECK(img != nullptr && img->n_tokens > 0, "image ", next_image, " has no features");
      // A placeholder is one pad; an already-expanded run is accepted as one image too.
      QVL_CHECK(run == 1 || static_cast<int64_t>(run) == img->n_tokens, "image placeholder has ", run,
                " pads but the image has ", img->n_tokens, " tokens");
      p.spans.push_back({static_cast<int32_t>(p.tokens.size()), 0, img->n_tokens, img});
      p.tokens.insert(p.tokens.end(), static_cast<size_t>(img->n_tokens), ids.image_pad);
      image_grids.push_back(img->grid);
      i += run - 1;
      continue;
    }
    QVL_CHECK(next_video < videos.size(), "the prompt has more video placeholders than videos (", videos.size(), ")");
    const VideoInput& v = videos[next_video++];
    QVL_CHECK(v.features != nullptr && v.features->grid.t > 0, "video ", next_video, " has no features");
    QVL_CHECK(run == 1, "a video placeholder must be a single <|video_pad|>");
    QVL_CHECK(i + 1 < tokens.size() && tokens[i + 1] == ids.vision_end, "<|video_pad|> at token ", i,
              " is not followed by <|vision_end|>");
    QVL_CHECK(tokenize != nullptr, "video prompts need a tokenizer for the timestamps");
    const int32_t gt = v.features->grid.t;
    QVL_CHECK(static_cast<int32_t>(v.timestamps.size()) == gt, "video ", next_video, " has ", v.timestamps.size(),
              " timestamps for ", gt, " temporal patches");
    const int64_t per = v.features->n_tokens / gt;
    p.tokens.pop_back();  // the placeholder's <|vision_start|>: each frame pair gets its own
    for (int32_t k = 0; k < gt; ++k) {
      const std::vector<int32_t> ts = tokenize(video_timestamp_text(v.timestamps[k]));
      p.tokens.insert(p.tokens.end(), ts.begin(), ts.end());
      p.tokens.push_back(ids.vision_start);
      p.spans.push_back({static_cast<int32_t>(p.tokens.size()), k * per, per, v.features});
      p.tokens.insert(p.tokens.end(), static_cast<size_t>(per), ids.video_pad);
      p.tokens.push_back(ids.vision_end);
    }
    video_grids.push_back(v.features->grid);
    i += 1;  // the placeholder's <|vision_end|> was emitted per frame pair
  }
  QVL_CHECK(next_image == images.size(), "the prompt has ", next_image, " image placeholders but ", images.size(),
            " images were given");
  QVL_CHECK(next_video == videos.size(), "the prompt has ", next_video, " video placeholders but ", videos.size(),
            " videos were given");
  RopeIndex r = get_rope_index(p.tokens, image_grids, video_grids, ids);
  p.positions = std::move(r.pos);
  p.rope_delta = r.rope_delta;
  return p;
}

Sha256Digest image_cache_key(const Image& img, const PixelBudget& budget) {
  Sha256 h;
  h.add_value(img.width);
  h.add_value(img.height);
  h.add_value(budget.min_pixels);
  h.add_value(budget.max_pixels);
  h.add(img.rgb.data(), img.rgb.size());
  return h.finish();
}

std::shared_ptr<const VisionOutput> VisionCache::get(const Sha256Digest& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = map_.find(key);
  if (it == map_.end()) return nullptr;
  order_.splice(order_.begin(), order_, it->second.second);
  return it->second.first;
}

void VisionCache::put(const Sha256Digest& key, std::shared_ptr<const VisionOutput> v) {
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
  const Sha256Digest key = cache ? image_cache_key(img, budget) : Sha256Digest{};
  if (cache) {
    if (auto hit = cache->get(key)) return hit;
  }
  const PixelValues pv = preprocess_image(img, vm.preprocess_options(budget));
  auto out = std::make_shared<const VisionOutput>(vm.encode(pv, pool));
  if (cache) cache->put(key, out);
  return out;
}

}  // namespace qvl

namespace qvl {

std::shared_ptr<const VisionOutput> encode_video(const VisionModel& vm, const std::vector<Image>& frames,
                                                 const PixelBudget& budget, ThreadPool& pool) {
  const PixelValues pv = preprocess_video(frames, budget, vm.preprocess_options(budget));
  return std::make_shared<const VisionOutput>(vm.encode(pv, pool));
}

}  // namespace qvl
