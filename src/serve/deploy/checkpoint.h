// A loaded checkpoint as the serve layer uses it (tokenizer, chat template,
// generator, vision hook) and the registry of deployments built from them.
// Loading itself is injected (apps/qvl wires the real model + engine; tests a fake),
// so this layer never runs tensors.
#pragma once
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/generator.h"
#include "input/chat_template/chat_template.h"
#include "input/tokenizer/tokenizer.h"
#include "serve/deploy/deployment.h"

namespace qvl::serve {

// Image parts of a chat request, in message order (url is a data: URL or path),
// with the request's pixel budget: 0 = the server's; detail "" | low | high | auto.
struct ImageRef {
  std::string url;
  int64_t min_pixels = 0, max_pixels = 0;
  std::string detail;
  std::shared_ptr<const std::vector<uint8_t>> bytes;  // set when the server fetched an http(s) url
  // Video parts (video_url / video, docs/API.md): a video file in url / bytes, or
  // a list of frame images in `frames`; they take <|video_pad|> placeholders in order.
  bool video = false;
  std::vector<ImageRef> frames;  // frame-list form (url empty)
  double fps = 0;                // file: sampling rate; frame list: its frame rate; 0 = 2
  int64_t total_pixels = 0;      // cap on frames * height * width for the clip; 0 = server's
};

// Hook for the vision layer: turns a rendered prompt that holds one
// <|vision_start|><|image_pad|><|vision_end|> per image into prompt tokens with
// expanded placeholders, positions and EmbeddingSpans. Unset = no vision encoder.
using VisionHook = std::function<PromptInput(const std::string& prompt, const std::vector<ImageRef>& images)>;

struct Checkpoint {
  std::string path;
  std::shared_ptr<void> owner;  // keeps the model and engine alive
  const Tokenizer* tokenizer = nullptr;
  Generator* generator = nullptr;
  std::string template_source;  // "" -> built-in ChatML
  VisionHook vision;            // set when an mmproj is loaded

  // Filled by prepare_checkpoint():
  std::shared_ptr<ChatTemplate> chat_template;
  bool hybrid = false;          // template honours enable_thinking
  bool opens_think = false;     // generation prompt already opens <think>
  // The template renders list content (text and image parts); when false, the
  // server joins parts into one string with vision placeholders (llama-server's way).
  bool list_content = true;
  int32_t think_start = -1, think_end = -1;
  size_t max_token_bytes = 0;   // longest token's text: bytes / this bounds a prompt's tokens from below
  std::vector<int32_t> stop_ids;
  std::string bos_token, eos_token;
};

// Parses the template and probes what it does with enable_thinking. Throws qvl::Error.
void prepare_checkpoint(Checkpoint& cp);
// Renders messages (already normalised) with add_generation_prompt.
std::string render_chat(const Checkpoint& cp, const nlohmann::ordered_json& messages,
                        const nlohmann::ordered_json& extra);

using CheckpointLoader = std::function<std::shared_ptr<Checkpoint>(const CheckpointSpec& spec)>;

struct Deployment {
  DeploymentSpec spec;
  std::shared_ptr<Checkpoint> single, instruct, thinking;

  // The checkpoint serving `mode`; may overrule the mode when a single checkpoint
  // can only do one (then *mode is changed and *note says why).
  const Checkpoint& for_mode(Mode* mode, std::string* note) const;
  bool has_vision() const;
  const Checkpoint& any() const { return single ? *single : *instruct; }
};

class ModelRegistry {
 public:
  void add(std::shared_ptr<Deployment> d);
  struct Found {
    std::shared_ptr<Deployment> deployment;
    std::optional<Mode> alias_mode;
    std::string name;  // as requested
  };
  // Empty name -> the first deployment. Unknown -> nullopt.
  std::optional<Found> find(const std::string& name) const;
  std::vector<std::shared_ptr<Deployment>> all() const;
  std::vector<Generator*> generators() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<Deployment>> deployments_;
};

// Loads every checkpoint of the config through `loader`.
void load_deployments(const ServeConfig& cfg, const CheckpointLoader& loader, ModelRegistry& out);

}  // namespace qvl::serve
