// Reasoning/answer split on token ids: tags consumed, whitespace after tags and at
// the end of reasoning trimmed, prompt-opened <think>, and deltas that always
// concatenate to the same text however the stream is cut.
#include "serve/openai/reasoning_parser.h"

#include <gtest/gtest.h>

#include "serve_test_util.h"

namespace qvl::serve {
namespace {

struct Split {
  std::string reasoning, content;
};

// The engine hands each token's text along (TokenEvent::text); decode it the way
// the engine does: UTF-8 safe, control tokens dropped.
Split run(const Tokenizer& tok, const test::Vocab& v, const std::vector<int32_t>& ids, bool open) {
  ReasoningParser p(v.think, v.end_think, open);
  IncrementalDecoder dec(tok, true);
  Split s;
  for (int32_t id : ids) {
    const TextDelta d = p.push(id, dec.push(id));
    s.reasoning += d.reasoning;
    s.content += d.content;
  }
  return s;
}

TEST(ReasoningParser, SplitsThinkBlock) {
  test::Vocab v;
  const Tokenizer tok = test::make_tokenizer(&v);
  const auto s = run(tok, v, {v.think, v.nl2, v.hello, v.world, v.nl2, v.end_think, v.nl2, v.hello, v.dot}, false);
  EXPECT_EQ(s.reasoning, "Hello world");
  EXPECT_EQ(s.content, "Hello.");
}

TEST(ReasoningParser, PromptOpenedThink) {
  test::Vocab v;
  const Tokenizer tok = test::make_tokenizer(&v);
  ReasoningParser p(v.think, v.end_think, true);
  EXPECT_TRUE(p.in_reasoning());
  const auto s = run(tok, v, {v.hello, v.end_think, v.world}, true);
  EXPECT_EQ(s.reasoning, "Hello");
  EXPECT_EQ(s.content, "world");  // leading space after </think> trimmed
}

TEST(ReasoningParser, UnclosedReasoningAndCounts) {
  test::Vocab v;
  const Tokenizer tok = test::make_tokenizer(&v);
  ReasoningParser p(v.think, v.end_think, true);
  p.push(v.hello, "Hello");
  p.push(v.nl2, "\n\n");
  EXPECT_EQ(p.reasoning_tokens(), 2);
  const auto s = run(tok, v, {v.hello, v.nl2}, true);
  EXPECT_EQ(s.reasoning, "Hello");  // trailing whitespace never emitted
  EXPECT_EQ(s.content, "");
}

TEST(ReasoningParser, InnerWhitespaceIsKept) {
  test::Vocab v;
  const Tokenizer tok = test::make_tokenizer(&v);
  const auto s = run(tok, v, {v.hello, v.nl2, v.hello, v.end_think, v.hello, v.nl2, v.hello}, true);
  EXPECT_EQ(s.reasoning, "Hello\n\nHello");
  EXPECT_EQ(s.content, "Hello\n\nHello");
}

TEST(ReasoningParser, DisabledSplitKeepsTagsAsText) {
  test::Vocab v;
  const Tokenizer tok = test::make_tokenizer(&v);
  ReasoningParser p(-1, -1, true);
  IncrementalDecoder dec(tok, true);
  std::string out;
  for (int32_t id : {v.think, v.hello, v.end_think}) {
    const TextDelta d = p.push(id, dec.push(id));
    EXPECT_TRUE(d.reasoning.empty());
    out += d.content;
  }
  EXPECT_EQ(out, "<think>Hello</think>");
}

TEST(ReasoningParser, UsesTheEngineTextNotTheTokenBytes) {
  test::Vocab v;
  // The engine shortens a token that straddles a stop string ("Hello" -> "Hel")
  // and gives "" for a byte that does not complete a character yet.
  ReasoningParser p(v.think, v.end_think, false);
  EXPECT_EQ(p.push(v.hello, "Hel").content, "Hel");
  EXPECT_EQ(p.push(0xC3, "").content, "");
  EXPECT_EQ(p.push(0xA9, "\xC3\xA9").content, "\xC3\xA9");
}

}  // namespace
}  // namespace qvl::serve
