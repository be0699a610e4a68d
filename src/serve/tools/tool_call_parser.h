// Splits a chat answer's text into content and Qwen3 tool calls
// (<tool_call>\n{"name": ..., "arguments": {...}}\n</tool_call>), incrementally:
// push() takes each content delta as it is generated and returns only what is
// final, so streamed deltas concatenate to exactly the non-streamed message.
// - Text that may still become "<tool_call>" is held back until it cannot.
// - Whitespace before a call and between calls is dropped; trailing whitespace
//   is held until more text comes (dropped at the end when calls were made).
// - A call whose body is not a JSON object with a string "name" (or whose
//   "arguments" is not JSON) is malformed: its raw text, tags included, becomes
//   content. So does a call still open at the end (max_tokens cut it).
// arguments is the compact JSON of the parsed arguments (a string holding JSON
// is parsed first), "{}" when absent.
#pragma once
#include <string>
#include <vector>

namespace qvl::serve {

struct ParsedToolCall {
  std::string name, arguments;
};

struct ToolParse {
  std::string content;                  // final content text of this step
  std::vector<ParsedToolCall> calls;    // calls completed in this step
};

class ToolCallParser {
 public:
  ToolParse push(const std::string& text);
  ToolParse finish();  // end of the answer: flush what was held back
  int calls_made() const { return calls_; }

  // One call body (between the tags) -> call, or false when malformed.
  static bool parse_call(const std::string& body, ParsedToolCall* out);

 private:
  void emit_text(const std::string& s, ToolParse& out);

  bool in_call_ = false;
  std::string pending_;  // outside: text that may start a tag / held whitespace; inside: the call body
  std::string ws_;       // whitespace held back outside a call
  int calls_ = 0;
};

}  // namespace qvl::serve
