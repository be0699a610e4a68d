// One choice's tool calls in OpenAI's wire format (serve layer): wraps the
// ToolCallParser, numbers and names the calls (index, "call_..." id) and says
// what to stream. Each completed call streams as two tool_calls deltas, as the
// openai SDK accumulates them: {index, id, type, function: {name, arguments: ""}}
// then {index, function: {arguments}}; the whole message carries the same calls.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "serve/tools/tool_call_parser.h"

namespace qvl::serve {

class ToolCallStream {
 public:
  // `content` is this step's content delta; it is replaced by the part that is
  // final content. Returns the `delta.tool_calls` arrays to stream, in order.
  std::vector<nlohmann::json> push(std::string& content);
  std::vector<nlohmann::json> finish(std::string& content);  // end of the answer
  bool any() const { return !calls_.empty(); }
  const nlohmann::json& tool_calls() const { return calls_; }  // message.tool_calls

 private:
  std::vector<nlohmann::json> take(ToolParse p, std::string& content);
  ToolCallParser parser_;
  nlohmann::json calls_ = nlohmann::json::array();
};

}  // namespace qvl::serve
