// Image and video parts -> prompt tokens + vision embeddings, through encoder
// caches so a repeated image or video (same bytes, same sampling) is encoded once.
#include "serve/media/serve_vision.h"

#include <algorithm>
#include <cstring>
#include <list>
#include <mutex>

#include "base/sha256.h"
#include "base/thread_pool.h"
#include "input/image/image.h"
#include "input/image/video.h"
#include "input/video/video_file.h"
#include "model/vision/vision_model.h"
#include "model/vision/vision_prompt.h"
#include "serve/http/api_error.h"

namespace qvl::serve {

void fetch_remote_media(std::vector<ImageRef>& refs, const FetchPolicy& policy) {
  for (ImageRef& r : refs) {
    if (r.video && !r.frames.empty()) {
      fetch_remote_media(r.frames, policy);
    } else if (r.url.rfind("data:", 0) != 0) {
      try {
        r.bytes = std::make_shared<const std::vector<uint8_t>>(fetch_image_url(r.url, policy));
      } catch (const ApiError& e) {
        if (!r.video) throw;
        std::string msg = e.what();  // the fetcher speaks of images; this one is a video file
        if (const size_t at = msg.find("image URL"); at != std::string::npos) msg.replace(at, 5, "video");
        throw ApiError(e.status(), msg, e.param(), e.code());
      }
    }
  }
}

namespace {

// Small LRU of encoded videos with their timestamps (VisionCache holds features only).
class VideoCache {
 public:
  bool get(const Sha256Digest& key, VideoInput* out) {
    std::lock_guard<std::mutex> lk(mu_);
    for (auto it = items_.begin(); it != items_.end(); ++it)
      if (it->first == key) {
        items_.splice(items_.begin(), items_, it);
        *out = items_.front().second;
        return true;
      }
    return false;
  }
  void put(const Sha256Digest& key, const VideoInput& v) {
    std::lock_guard<std::mutex> lk(mu_);
    items_.emplace_front(key, v);
    if (items_.size() > kCapacity) items_.pop_back();
  }

 private:
  static constexpr size_t kCapacity = 8;
  std::mutex mu_;
  std::list<std::pair<Sha256Digest, VideoInput>> items_;  // front = most recent
};

struct VisionState {
  std::unique_ptr<VisionModel> model;
  VisionCache cache{32};
  VideoCache videos;
  Generator* engine = nullptr;  // runs the encoder on its thread, under the compute lease
  const Tokenizer* tok = nullptr;
};

std::vector<uint8_t> bytes_of(const ImageRef& r) {
  if (r.bytes) return *r.bytes;
  try {
    return decode_data_url(r.url);
  } catch (const ApiError& e) {
    if (!r.video) throw;
    std::string msg = e.what();  // decode_data_url speaks of images; this one is a video file
    for (size_t at; (at = msg.find("image")) != std::string::npos;) msg.replace(at, 5, "video");
    throw ApiError(e.status(), msg, e.param(), e.code());
  }
}

// The video budget of a part: the server's clip budget, capped by total_pixels,
// then narrowed per frame by min_pixels / max_pixels for n sampled frames.
PixelBudget clip_budget(const ImageRef& ref) {
  PixelBudget b = default_video_budget();
  if (ref.total_pixels) b.max_pixels = std::max<int64_t>(std::min(b.max_pixels, ref.total_pixels), 1);
  b.min_pixels = std::min(b.min_pixels, b.max_pixels);
  return b;
}

// One video part -> encoder features + timestamps, through the video cache. The
// key covers the bytes and every setting that changes sampling or resizing.
VideoInput encode_video_part(VisionState& s, const ImageRef& ref) {
  const double fps = ref.fps > 0 ? ref.fps : 2.0;
  std::vector<std::vector<uint8_t>> blobs;
  if (ref.frames.empty()) blobs.push_back(bytes_of(ref));
  else
    for (const ImageRef& f : ref.frames) blobs.push_back(bytes_of(f));
  Sha256 key;  // collision-resistant: a crafted video must not hit another's features
  const std::string kind = ref.frames.empty() ? "video-file" : "video-frames";
  key.add(kind.data(), kind.size());
  for (const auto& b : blobs) {
    key.add_value(b.size());
    key.add(b.data(), b.size());
  }
  for (int64_t v : {ref.min_pixels, ref.max_pixels, ref.total_pixels}) key.add_value(v);
  key.add_value(fps);
  const Sha256Digest digest = key.finish();
  VideoInput out;
  if (s.videos.get(digest, &out)) return out;

  const int tp = static_cast<int>(s.model->config().temporal_patch_size);
  const PixelBudget clip = clip_budget(ref);
  PixelValues pv;
  std::vector<int64_t> indices;
  double native_fps = fps;
  // Decoding and sampling are the request's business (a broken file is a 400);
  // the encoder below is ours (a failure there is a 500, fault_response.h).
  try {
    if (ref.frames.empty()) {
      VideoDecodeOptions vo;
      vo.sampling.fps = fps;
      vo.limits.time_limit_s = 60;
      vo.resize_budget = clip;
      vo.frame_min_pixels = ref.min_pixels;
      vo.frame_max_pixels = ref.max_pixels;
      vo.preprocess = s.model->preprocess_options(clip);
      const DecodedVideo dv = decode_video(blobs[0].data(), blobs[0].size(), vo);
      pv = patchify_resized_video(dv.frames, vo.preprocess);
      indices = dv.indices;
      native_fps = dv.info.fps;
    } else {
      // A frame list is a video at `fps` frames per second, sampled at 2 fps as HF does.
      // Each frame is resized as soon as it is decoded (to frame 0's target, as
      // preprocess_video would), so a list of huge images never sits in memory at once.
      indices = sample_frame_indices(static_cast<int64_t>(blobs.size()), fps);
      const int64_t n = static_cast<int64_t>(indices.size());
      const PixelBudget b = video_budget_for(n, ref.min_pixels, ref.max_pixels, clip, tp);
      const PreprocessOptions opt = s.model->preprocess_options(b);
      std::vector<Image> frames;
      ResizeTarget target;
      int w0 = 0, h0 = 0;
      for (int64_t i : indices) {
        const auto& bytes = blobs[static_cast<size_t>(i)];
        Image img = decode_image(bytes.data(), bytes.size());
        if (frames.empty()) {
          w0 = img.width;
          h0 = img.height;
          target = video_resize_target(n, h0, w0, b, opt);
        }
        QVL_CHECK(img.width == w0 && img.height == h0, "video frames differ in size: frame ", i, " is ", img.width, "x",
                  img.height, ", frame ", indices[0], " is ", w0, "x", h0);
        if (img.width != target.width || img.height != target.height)
          img = resize_image(img, target.width, target.height, opt.resize);
        frames.push_back(std::move(img));
      }
      pv = patchify_resized_video(frames, opt);
    }
  } catch (const ApiError&) {
    throw;
  } catch (const Error& e) {
    throw ApiError(400, e.what(), "messages", "invalid_video");
  }
  s.engine->run_compute(
      [&](ThreadPool& pool) { out.features = std::make_shared<const VisionOutput>(s.model->encode(pv, pool)); });
  out.timestamps = video_timestamps(indices, native_fps, tp);
  s.videos.put(digest, out);
  return out;
}

}  // namespace

std::shared_ptr<void> attach_vision(Checkpoint& cp, const std::string& mmproj_path, const TextConfig& text) {
  auto st = std::make_shared<VisionState>();
  st->model = load_vision_model(mmproj_path);
  QVL_CHECK(st->model->config().out_hidden_size == text.hidden_size, mmproj_path, ": vision output width ",
            st->model->config().out_hidden_size, " does not match the text model's hidden_size ", text.hidden_size);
  QVL_CHECK(cp.generator, "attach_vision: the checkpoint has no engine to run the encoder on");
  st->engine = cp.generator;
  st->tok = cp.tokenizer;
  // Pack the encoder's matrices now, on the engine's threads, not in the first
  // image request (a second or so for a 2B tower).
  st->engine->run_compute([&](ThreadPool& pool) { st->model->prepare(pool); });
  VisionState* s = st.get();
  cp.vision = [s](const std::string& prompt, const std::vector<ImageRef>& images) {
    std::vector<std::shared_ptr<const VisionOutput>> outs;
    std::vector<VideoInput> videos;
    const PixelBudget server;
    for (const auto& ref : images) {
      if (ref.video) {
        try {
          videos.push_back(encode_video_part(*s, ref));
        } catch (const ApiError& e) {  // the decode's 400; encoder faults pass as 500
          throw ApiError(e.status(), "cannot use video " + std::to_string(videos.size() + 1) + ": " + e.what(),
                         e.param(), e.code());
        }
        continue;
      }
      // Budget, bytes, decode and target size are the request's business (a 400);
      // the encoder below is ours (a failure there is a 500, fault_response.h).
      PixelBudget budget;
      Image img;
      try {
        // detail narrows the server budget; explicit min/max_pixels then narrow it further.
        budget = budget_for_detail(ref.detail, server);
        if (ref.min_pixels || ref.max_pixels)
          budget = clamp_budget({ref.min_pixels ? ref.min_pixels : std::min(budget.min_pixels, ref.max_pixels),
                                 ref.max_pixels ? ref.max_pixels : std::max(budget.max_pixels, ref.min_pixels)},
                                budget);
        const std::vector<uint8_t> decoded = ref.bytes ? std::vector<uint8_t>() : decode_data_url(ref.url);
        const std::vector<uint8_t>& bytes = ref.bytes ? *ref.bytes : decoded;
        img = decode_image(bytes.data(), bytes.size());
        const PreprocessOptions po = s->model->preprocess_options(budget);
        smart_resize(img.height, img.width, po.patch_size * po.merge_size, po.budget.min_pixels,
                     po.budget.max_pixels);  // throws for an aspect ratio over 200
      } catch (const ApiError&) {
        throw;
      } catch (const Error& e) {
        throw ApiError(400, std::string("cannot use the image: ") + e.what(), "messages", "invalid_image");
      }
      std::shared_ptr<const VisionOutput> features;
      s->engine->run_compute([&](ThreadPool& pool) { features = encode_image(*s->model, img, budget, pool, &s->cache); });
      outs.push_back(std::move(features));
    }
    const TextTokenizer tokenize = [s](const std::string& t) { return s->tok->encode(t, false); };
    VisionPrompt vp = expand_vision_pads(s->tok->encode(prompt, true), outs, videos, tokenize);
    PromptInput in;
    in.tokens = std::move(vp.tokens);
    in.positions = std::move(vp.positions);
    for (const auto& span : vp.spans) {
      // A video's spans are its temporal patches: rows [row_offset, row_offset + n_tokens).
      const int64_t h = span.features->hidden, r0 = span.row_offset * h, r1 = (span.row_offset + span.n_tokens) * h;
      EmbeddingSpan e;
      e.start = span.start;
      e.n_tokens = static_cast<int32_t>(span.n_tokens);
      e.main.assign(span.features->main.begin() + r0, span.features->main.begin() + r1);
      for (const auto& d : span.features->deepstack) e.deepstack.emplace_back(d.begin() + r0, d.begin() + r1);
      in.embeddings.push_back(std::move(e));
    }
    return in;
  };
  return st;
}

}  // namespace qvl::serve
