// parse_tool_request: the OpenAI tool fields, validated one by one.
#include "serve/tools/tool_request.h"

#include <cctype>
#include <set>

#include "serve/http/api_error.h"
#include "serve/http/request_limits.h"

namespace qvl::serve {

using ojson = nlohmann::ordered_json;

namespace {

bool valid_name(const std::string& n) {
  if (n.empty() || n.size() > kMaxToolNameBytes) return false;
  for (char c : n)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') return false;
  return true;
}

ToolSpec tool_of(const ojson& t, const std::string& where) {
  if (!t.is_object()) throw bad_param(where, where + " must be an object");
  if (t.contains("type") && t["type"] != "function")
    throw bad_param(where + ".type", where + ".type must be \"function\" (the only tool type)");
  if (!t.contains("function") || !t["function"].is_object())
    throw bad_param(where + ".function", where + ".function must be an object with a 'name'");
  const ojson& f = t["function"];
  if (!f.contains("name") || !f["name"].is_string() || !valid_name(f["name"].get<std::string>()))
    throw bad_param(where + ".function.name", where + ".function.name must be 1 to " +
                                                  std::to_string(kMaxToolNameBytes) +
                                                  " characters of a-z, A-Z, 0-9, _, - and .");
  ToolSpec s;
  s.name = f["name"].get<std::string>();
  if (f.contains("parameters") && !f["parameters"].is_null()) {
    if (!f["parameters"].is_object())
      throw bad_param(where + ".function.parameters", where + ".function.parameters must be a JSON Schema object");
    s.parameters = f["parameters"];
  } else {
    s.parameters = ojson{{"type", "object"}};
  }
  return s;
}

}  // namespace

ToolRequest parse_tool_request(const ojson& body) {
  ToolRequest r;
  auto present = [&](const char* k) { return body.contains(k) && !body[k].is_null(); };
  if (present("tools")) {
    const ojson& tools = body["tools"];
    if (!tools.is_array()) throw bad_param("tools", "'tools' must be an array");
    if (tools.size() > limits::kTools) throw bad_param("tools", str("'tools' holds at most ", limits::kTools, " tools"));
    std::set<std::string> seen;
    for (size_t i = 0; i < tools.size(); ++i) {
      const std::string where = "tools[" + std::to_string(i) + "]";
      r.tools.push_back(tool_of(tools[i], where));
      if (!seen.insert(r.tools.back().name).second)
        throw bad_param(where + ".function.name", "two tools are named '" + r.tools.back().name + "'");
    }
  }
  if (present("parallel_tool_calls")) {
    if (!body["parallel_tool_calls"].is_boolean())
      throw bad_param("parallel_tool_calls", "'parallel_tool_calls' must be true or false");
    r.parallel = body["parallel_tool_calls"].get<bool>();
  }
  r.choice = r.tools.empty() ? ToolRequest::Choice::kNone : ToolRequest::Choice::kAuto;
  if (!present("tool_choice")) return r;
  const ojson& c = body["tool_choice"];
  if (c.is_string()) {
    const std::string s = c.get<std::string>();
    if (s == "none") r.choice = ToolRequest::Choice::kNone;
    else if (s == "auto") r.choice = r.tools.empty() ? ToolRequest::Choice::kNone : ToolRequest::Choice::kAuto;
    else if (s == "required") r.choice = ToolRequest::Choice::kRequired;
    else
      throw bad_param("tool_choice", "'tool_choice' must be none, auto, required or "
                                     "{\"type\":\"function\",\"function\":{\"name\":...}}");
  } else if (c.is_object()) {
    if (c.contains("type") && c["type"] != "function")
      throw bad_param("tool_choice.type", "'tool_choice.type' must be \"function\"");
    if (!c.contains("function") || !c["function"].is_object() || !c["function"].contains("name") ||
        !c["function"]["name"].is_string())
      throw bad_param("tool_choice.function.name",
                      "'tool_choice' names a tool as {\"type\":\"function\",\"function\":{\"name\":...}}");
    r.choice = ToolRequest::Choice::kNamed;
    r.named = c["function"]["name"].get<std::string>();
    bool known = false;
    for (const auto& t : r.tools) known = known || t.name == r.named;
    if (!known)
      throw bad_param("tool_choice.function.name", "'tool_choice' names '" + r.named.substr(0, kMaxToolNameBytes) +
                                                       "', which is not in 'tools'");
  } else {
    throw bad_param("tool_choice", "'tool_choice' must be a string or an object");
  }
  if (r.forced() && r.tools.empty())
    throw bad_param("tool_choice", "'tool_choice' requires a tool call but 'tools' is empty");
  return r;
}

}  // namespace qvl::serve
