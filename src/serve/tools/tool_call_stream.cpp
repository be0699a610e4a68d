// ToolCallStream: parser output -> message.tool_calls entries and stream deltas.
#include "serve/tools/tool_call_stream.h"

#include "serve/openai/completion_runner.h"

namespace qvl::serve {

using nlohmann::json;

std::vector<json> ToolCallStream::take(ToolParse p, std::string& content) {
  content = std::move(p.content);
  std::vector<json> deltas;
  for (auto& c : p.calls) {
    const int index = static_cast<int>(calls_.size());
    const std::string id = new_request_id("call_");
    calls_.push_back({{"id", id}, {"type", "function"}, {"function", {{"name", c.name}, {"arguments", c.arguments}}}});
    deltas.push_back(json::array({{{"index", index}, {"id", id}, {"type", "function"},
                                   {"function", {{"name", c.name}, {"arguments", ""}}}}}));
    deltas.push_back(json::array({{{"index", index}, {"function", {{"arguments", c.arguments}}}}}));
  }
  return deltas;
}

std::vector<json> ToolCallStream::push(std::string& content) { return take(parser_.push(content), content); }

std::vector<json> ToolCallStream::finish(std::string& content) {
  ToolParse p = parser_.finish();
  p.content = content + p.content;
  return take(std::move(p), content);
}

}  // namespace qvl::serve
