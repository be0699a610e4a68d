// Token-level reasoning/answer split with stream-safe whitespace trimming.
#include "serve/openai/reasoning_parser.h"

namespace qvl::serve {

static bool is_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

ReasoningParser::ReasoningParser(int32_t think_start, int32_t think_end, bool starts_open)
    : think_start_(think_start),
      think_end_(think_end),
      open_(starts_open && think_end >= 0) {}

void ReasoningParser::add_reasoning(const std::string& s, TextDelta& d) {
  size_t i = 0;
  if (reasoning_lead_) {
    while (i < s.size() && is_space(s[i])) ++i;
    if (i == s.size()) return;
    reasoning_lead_ = false;
  }
  size_t end = s.size();
  while (end > i && is_space(s[end - 1])) --end;
  if (end == i) {  // all whitespace: hold it
    reasoning_ws_ += s.substr(i);
    return;
  }
  d.reasoning += reasoning_ws_;
  reasoning_ws_.clear();
  d.reasoning += s.substr(i, end - i);
  reasoning_ws_ = s.substr(end);
}

void ReasoningParser::add_content(const std::string& s, TextDelta& d) {
  size_t i = 0;
  if (content_lead_) {
    while (i < s.size() && is_space(s[i])) ++i;
    if (i == s.size()) return;
    content_lead_ = false;
  }
  d.content += s.substr(i);
}

TextDelta ReasoningParser::push(int32_t token, const std::string& text) {
  TextDelta d;
  if (think_end_ >= 0 && token == think_start_ && !open_) {
    open_ = true;
    reasoning_lead_ = true;
    ++reasoning_tokens_;
    return d;
  }
  if (open_ && token == think_end_) {
    reasoning_ws_.clear();  // trailing whitespace of the reasoning is dropped
    open_ = false;
    content_lead_ = true;
    ++reasoning_tokens_;
    return d;
  }
  if (open_) {
    ++reasoning_tokens_;
    add_reasoning(text, d);
  } else {
    add_content(text, d);
  }
  return d;
}

}  // namespace qvl::serve
