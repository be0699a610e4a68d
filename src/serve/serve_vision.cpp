// Image parts -> prompt tokens + vision embeddings, through the vision layer's
// encoder cache so a repeated image is encoded once.
#include "serve/serve_vision.h"

#include <algorithm>
#include <mutex>

#include "base/thread_pool.h"
#include "input/image/image.h"
#include "model/vision/vision_model.h"
#include "model/vision/vision_prompt.h"
#include "serve/api_error.h"

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

namespace {

struct VisionState {
  std::unique_ptr<VisionModel> model;
  VisionCache cache{32};
  std::unique_ptr<ThreadPool> pool;
  std::mutex pool_mu;  // ThreadPool::run is not reentrant across callers
  const Tokenizer* tok = nullptr;
};

}  // namespace

std::shared_ptr<void> attach_vision(Checkpoint& cp, const std::string& mmproj_path, const TextConfig& text) {
  auto st = std::make_shared<VisionState>();
  st->model = load_vision_model(mmproj_path);
  QVL_CHECK(st->model->config().out_hidden_size == text.hidden_size, mmproj_path, ": vision output width ",
            st->model->config().out_hidden_size, " does not match the text model's hidden_size ", text.hidden_size);
  st->pool = std::make_unique<ThreadPool>(std::max(1, default_threads() / 2));
  st->tok = cp.tokenizer;
  VisionState* s = st.get();
  cp.vision = [s](const std::string& prompt, const std::vector<ImageRef>& images) {
    std::vector<std::shared_ptr<const VisionOutput>> outs;
    const PixelBudget server;
    for (const auto& ref : images) {
      // detail narrows the server budget; explicit min/max_pixels then narrow it further.
      PixelBudget budget = budget_for_detail(ref.detail, server);
      if (ref.min_pixels || ref.max_pixels)
        budget = clamp_budget({ref.min_pixels ? ref.min_pixels : std::min(budget.min_pixels, ref.max_pixels),
                               ref.max_pixels ? ref.max_pixels : std::max(budget.max_pixels, ref.min_pixels)},
                              budget);
      const std::vector<uint8_t> decoded = ref.bytes ? std::vector<uint8_t>() : decode_data_url(ref.url);
      const std::vector<uint8_t>& bytes = ref.bytes ? *ref.bytes : decoded;
      Image img = decode_image(bytes.data(), bytes.size());
      std::lock_guard<std::mutex> lk(s->pool_mu);
      outs.push_back(encode_image(*s->model, img, budget, *s->pool, &s->cache));
    }
    VisionPrompt vp = expand_image_pads(s->tok->encode(prompt, true), outs);
    PromptInput in;
    in.tokens = std::move(vp.tokens);
    in.positions = std::move(vp.positions);
    for (const auto& span : vp.spans) {
      EmbeddingSpan e;
      e.start = span.start;
      e.n_tokens = static_cast<int32_t>(span.features->n_tokens);
      e.main = span.features->main;
      e.deepstack = span.features->deepstack;
      in.embeddings.push_back(std::move(e));
    }
    return in;
  };
  return st;
}

}  // namespace qvl::serve
