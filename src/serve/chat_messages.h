// Validation and normalisation of chat `messages` for the chat template: roles,
// string or list-of-parts content, image parts collected for the vision hook,
// and the text the mode router reads. Errors are ApiError 400 naming the message.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "serve/checkpoint.h"

namespace qvl::serve {

struct ChatInput {
  nlohmann::json messages;      // template-ready: text-only content joined into a string
  std::vector<ImageRef> images;  // in order of appearance
  std::string last_user_text;   // what the router reads
};

ChatInput parse_messages(const nlohmann::json& body);

}  // namespace qvl::serve
