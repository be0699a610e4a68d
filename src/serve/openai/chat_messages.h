// Validation and normalisation of chat `messages` for the chat template: roles,
// string or list-of-parts content, image parts collected for the vision hook,
// and the text the mode router reads. Errors are ApiError 400 naming the message.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "serve/deploy/checkpoint.h"

namespace qvl::serve {

// Template inputs are ordered_json: the client's key order reaches the template
// (`tool | tojson` prints keys in order, as Hugging Face does).
struct ChatInput {
  nlohmann::ordered_json messages;  // template-ready: text-only content joined into a string
  std::vector<ImageRef> images;  // in order of appearance
  std::string last_user_text;   // what the router reads
};

ChatInput parse_messages(const nlohmann::ordered_json& body);

// For templates that only take string content (Checkpoint::list_content false):
// joins each message's parts into one string, text as written and each image or
// video as its <|vision_start|><|image_pad|>/<|video_pad|><|vision_end|> placeholder,
// the text Qwen3-VL's own template renders for the same parts (decision 0010).
void flatten_content_parts(nlohmann::ordered_json& messages);

// Everything else the template sees besides messages: `chat_template_kwargs` (in
// client order), `tools` when non-empty (400 unless an array), and
// `enable_thinking` set from the resolved mode (it overrides the kwarg).
nlohmann::ordered_json template_extras(const nlohmann::ordered_json& body, bool thinking);

}  // namespace qvl::serve
