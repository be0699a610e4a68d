// The tool-calling fields of a chat request (serve layer): `tools`,
// `tool_choice` and `parallel_tool_calls`, checked into a plain struct. Every
// problem is an ApiError 400 naming the field (e.g. "tools[2].function.name").
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace qvl::serve {

struct ToolSpec {
  std::string name;
  nlohmann::ordered_json parameters;  // JSON Schema of the arguments; {"type":"object"} when absent
};

struct ToolRequest {
  enum class Choice { kNone, kAuto, kRequired, kNamed };
  std::vector<ToolSpec> tools;  // empty: the request offers none
  Choice choice = Choice::kNone;
  std::string named;            // kNamed: the one tool that must be called
  bool parallel = true;         // more than one call per answer

  bool active() const { return choice != Choice::kNone; }       // tool calls are parsed
  bool forced() const { return choice == Choice::kRequired || choice == Choice::kNamed; }
};

constexpr size_t kMaxToolNameBytes = 64;  // OpenAI's limit on function names

// Reads the three fields. tool_choice defaults to "auto" when tools are given and
// "none" otherwise; "required" or a named tool without tools is a 400.
ToolRequest parse_tool_request(const nlohmann::ordered_json& body);

}  // namespace qvl::serve
