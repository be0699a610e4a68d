// ToolCallParser: a two-state scanner (outside / inside a call) over the content text.
#include "serve/tools/tool_call_parser.h"

#include <nlohmann/json.hpp>

#include "serve/tools/tool_grammar.h"

namespace qvl::serve {

namespace {

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

// Length of the longest suffix of s that is a proper prefix of tag.
size_t partial_tag_suffix(const std::string& s, const std::string& tag) {
  for (size_t k = std::min(s.size(), tag.size() - 1); k > 0; --k)
    if (s.compare(s.size() - k, k, tag, 0, k) == 0) return k;
  return 0;
}

}  // namespace

bool ToolCallParser::parse_call(const std::string& body, ParsedToolCall* out) {
  using ojson = nlohmann::ordered_json;
  const ojson v = ojson::parse(body, nullptr, false);
  if (v.is_discarded() || !v.is_object() || !v.contains("name") || !v["name"].is_string()) return false;
  out->name = v["name"].get<std::string>();
  if (out->name.empty()) return false;
  const char* key = v.contains("arguments") ? "arguments" : v.contains("parameters") ? "parameters" : nullptr;
  if (!key || v[key].is_null()) {
    out->arguments = "{}";
    return true;
  }
  const ojson& a = v[key];
  if (a.is_string()) {
    const ojson inner = ojson::parse(a.get<std::string>(), nullptr, false);
    if (inner.is_discarded()) return false;
    out->arguments = inner.dump();
  } else {
    out->arguments = a.dump();
  }
  return true;
}

// Outside a call: whitespace is held (it is dropped if a call follows), anything
// else releases it.
void ToolCallParser::emit_text(const std::string& s, ToolParse& out) {
  size_t end = s.size();
  while (end > 0 && is_space(s[end - 1])) --end;
  if (end == 0) {
    ws_ += s;
    return;
  }
  out.content += ws_;
  out.content.append(s, 0, end);
  ws_ = s.substr(end);
}

ToolParse ToolCallParser::push(const std::string& text) {
  ToolParse out;
  pending_ += text;
  static const std::string open = kToolCallOpen, close = kToolCallClose;
  for (;;) {
    if (!in_call_) {
      const size_t at = pending_.find(open);
      if (at == std::string::npos) {
        const size_t keep = partial_tag_suffix(pending_, open);
        emit_text(pending_.substr(0, pending_.size() - keep), out);
        pending_.erase(0, pending_.size() - keep);
        return out;
      }
      emit_text(pending_.substr(0, at), out);
      pending_.erase(0, at + open.size());
      in_call_ = true;
      continue;
    }
    const size_t at = pending_.find(close);
    if (at == std::string::npos) return out;
    const std::string body = pending_.substr(0, at);
    pending_.erase(0, at + close.size());
    in_call_ = false;
    ParsedToolCall call;
    if (parse_call(body, &call)) {
      ws_.clear();  // whitespace between text / calls and a call is not content
      out.calls.push_back(std::move(call));
      ++calls_;
    } else {
      emit_text(open + body + close, out);
    }
  }
}

ToolParse ToolCallParser::finish() {
  ToolParse out;
  if (in_call_) {
    emit_text(kToolCallOpen + pending_, out);
  } else {
    emit_text(pending_, out);
  }
  pending_.clear();
  in_call_ = false;
  if (calls_ == 0) out.content += ws_;
  ws_.clear();
  return out;
}

}  // namespace qvl::serve
