// Splits a generated token stream into reasoning (inside <think>…</think>) and
// answer text, incrementally, so streamed deltas concatenate to exactly the
// non-streamed result. Tags are recognised by token id (<think> and </think> are
// single tokens in the Qwen vocabulary); the text is the engine's per-token text
// (TokenEvent::text: UTF-8 complete, stop strings already cut). Whitespace right
// after a tag and at the end of the reasoning is trimmed in a stream-safe way
// (held back, never retracted).
#pragma once
#include <string>

#include <cstdint>

namespace qvl::serve {

struct TextDelta {
  std::string reasoning, content;
  bool empty() const { return reasoning.empty() && content.empty(); }
};

class ReasoningParser {
 public:
  // think_start/think_end < 0: no splitting, everything is content. There is no
  // end-of-stream flush: trailing reasoning whitespace still held back is dropped.
  ReasoningParser(int32_t think_start, int32_t think_end, bool starts_open);
  TextDelta push(int32_t token, const std::string& text);
  bool in_reasoning() const { return open_; }
  int reasoning_tokens() const { return reasoning_tokens_; }

 private:
  void add_reasoning(const std::string& s, TextDelta& d);
  void add_content(const std::string& s, TextDelta& d);

  int32_t think_start_, think_end_;
  bool open_;
  bool reasoning_lead_ = true;   // still skipping whitespace after <think>
  bool content_lead_ = false;    // skipping whitespace after </think>
  std::string reasoning_ws_;     // trailing whitespace held until more reasoning arrives
  int reasoning_tokens_ = 0;
};

}  // namespace qvl::serve
