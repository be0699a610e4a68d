// Steering to completion: with any budget at or above the fewest tokens that
// complete a grammar, generation from random choices ends with the grammar
// complete. Two levels: CompletionSteering driven directly over a vocabulary
// with multi-byte tokens (the way the engine drives it), and the whole engine
// with the fake model's hash logits at max_tokens budgets.
#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <random>

#include "engine/engine.h"
#include "engine/grammar_steering.h"
#include "fake_model.h"
#include "run_to_end.h"
#include "grammar/compiled_grammar.h"
#include "grammar/completion_plan.h"
#include "grammar/front_ends.h"
#include "grammar/matcher.h"

namespace qvl {
namespace {

using testing::FakeModel;
using testing::kFakeVocab;
using testing::kImEnd;
using testing::kThinkClose;

// A small HTML-like language: nested elements that must close in order.
const char* kTagsGbnf = R"G(
root ::= "<!doctype html><html><body>" node* "</body></html>"
node ::= "<div>" node* "</div>" | "<p>" text "</p>" | "<ul>" li+ "</ul>" | "<br>"
li   ::= "<li>" text "</li>"
text ::= [a-z ]{0,12}
)G";

const char* kSchema = R"({"type":"object","properties":{
  "name":{"type":"string","maxLength":20},
  "tags":{"type":"array","items":{"type":"string"},"maxItems":4},
  "child":{"$ref":"#"}},"required":["name","tags"],"additionalProperties":false})";

std::shared_ptr<grammar::CompiledGrammar> tags_grammar() {
  return std::make_shared<grammar::CompiledGrammar>(grammar::parse_gbnf(kTagsGbnf));
}
std::shared_ptr<grammar::CompiledGrammar> schema_grammar() {
  grammar::JsonSchemaOptions opt;
  opt.max_ws = 1;
  return std::make_shared<grammar::CompiledGrammar>(grammar::compile_json_schema(nlohmann::ordered_json::parse(kSchema), opt));
}

// Every byte, some multi-byte tokens of the grammars' literals, and an end token.
std::shared_ptr<grammar::TokenTrie> multi_byte_trie(int32_t* eos) {
  std::vector<std::string> bytes;
  for (int b = 0; b < 256; ++b) bytes.push_back(std::string(1, static_cast<char>(b)));
  for (const char* t : {"<!doctype html>", "<html>", "<body>", "</body>", "</html>", "<div>", "</div>", "<p>",
                        "</p>", "<ul>", "</ul>", "<li>", "</li>", "</", "<", "{\"", "\"name\":", "\"tags\":[",
                        "\"child\":", "\"]", "\",\"", "},", "\"}", "]}", "}}", "ab", "abc", " a"})
    bytes.push_back(t);
  *eos = static_cast<int32_t>(bytes.size());
  bytes.push_back("<end>");
  std::vector<bool> usable(bytes.size(), true);
  usable[*eos] = false;
  return std::make_shared<grammar::TokenTrie>(bytes, usable, std::vector<int32_t>{*eos});
}

std::vector<int32_t> set_bits(const std::vector<uint64_t>& mask) {
  std::vector<int32_t> out;
  for (size_t w = 0; w < mask.size(); ++w)
    for (int b = 0; b < 64; ++b)
      if ((mask[w] >> b) & 1) out.push_back(static_cast<int32_t>(w * 64 + b));
  return out;
}

// The engine's loop with a uniformly random choice among the allowed tokens.
// Returns the tokens used; *complete tells whether the grammar ended complete.
int run_steered(std::shared_ptr<grammar::CompiledGrammar> g, std::shared_ptr<grammar::TokenTrie> trie, int max_tokens,
                uint32_t seed, bool* complete, std::string* text, bool steering = true) {
  grammar::Matcher m(g, trie);
  CompletionSteering steer;
  std::mt19937 rng(seed);
  auto pick = [&](const std::vector<uint64_t>& mask) {
    std::vector<int32_t> ids = set_bits(mask);
    return ids[std::uniform_int_distribution<size_t>(0, ids.size() - 1)(rng)];
  };
  int used = 0;
  text->clear();
  while (used < max_tokens && !m.is_finished()) {
    const int64_t budget = max_tokens - used;
    std::vector<uint64_t> mask = m.next_token_mask();
    const bool narrowed = steering && steer.narrow(m, budget, mask.data(), false);
    int32_t t = pick(mask);
    EXPECT_TRUE(m.accept_token(t));
    if (steering && !steer.still_fits(m, t, narrowed, budget - 1)) {
      m.rollback(1);
      EXPECT_TRUE(steer.narrow(m, budget, mask.data(), true));
      t = pick(mask);
      EXPECT_TRUE(m.accept_token(t));
      EXPECT_TRUE(steer.still_fits(m, t, true, budget - 1));
    }
    if (!trie->is_eos(t)) *text += trie->bytes_of(t);
    ++used;
  }
  *complete = m.is_complete();
  return used;
}

TEST(CompletionPlan, TokensCountMultiByteSpellings) {
  int32_t eos = 0;
  auto trie = multi_byte_trie(&eos);
  grammar::Matcher m(tags_grammar(), trie);
  // "<!doctype html>" "<html>" "<body>" "</body>" "</html>": five tokens, not 41 bytes.
  EXPECT_EQ(grammar::tokens_to_complete(m), 5);
  ASSERT_TRUE(m.accept_bytes("<!doctype html><html><body><ul><li>ab"));
  // "</li>" "</ul>" "</body>" "</html>"
  EXPECT_EQ(grammar::tokens_to_complete(m), 4);
  ASSERT_TRUE(m.accept_bytes("</li></ul></body></html>"));
  EXPECT_EQ(grammar::tokens_to_complete(m), 0);
}

TEST(CompletionSteering, EveryBudgetFromTheMinimumEndsComplete) {
  int32_t eos = 0;
  auto trie = multi_byte_trie(&eos);
  for (auto g : {tags_grammar(), schema_grammar()}) {
    grammar::Matcher fresh(g, trie);
    const int64_t least = grammar::tokens_to_complete(fresh);
    ASSERT_GT(least, 0);
    int runs = 0;
    for (int64_t budget = least; budget <= least + 60; ++budget)
      for (uint32_t seed = 1; seed <= 6; ++seed) {
        bool complete = false;
        std::string text;
        const int used = run_steered(g, trie, static_cast<int>(budget), seed, &complete, &text);
        ASSERT_TRUE(complete) << "budget " << budget << " seed " << seed << ": " << text;
        ASSERT_LE(used, budget);
        grammar::Matcher check(g, trie);  // the text alone, re-read byte by byte, is a whole document
        ASSERT_TRUE(check.accept_bytes(text) && check.is_complete()) << text;
        ++runs;
      }
    EXPECT_EQ(runs, 61 * 6);
    // The control: the same random choices without steering mostly end unfinished.
    int unfinished = 0;
    for (uint32_t seed = 1; seed <= 6; ++seed) {
      bool complete = true;
      std::string text;
      run_steered(g, trie, static_cast<int>(least + 10), seed, &complete, &text, false);
      unfinished += !complete;
    }
    EXPECT_GE(unfinished, 4);
  }
}

// The whole engine: the fake model's hash logits, max_tokens from the minimum up.
using test::Generated;

Generated generate(FakeModel& m, std::shared_ptr<grammar::CompiledGrammar> g, uint64_t seed, int max_tokens,
                   bool think) {
  EngineOptions o;
  o.max_running = 1;
  o.max_batch_tokens = 16;
  o.context_length = 512;
  o.kv_tokens = 4096;
  Engine e(m, o);
  GenerationRequest req;
  for (unsigned char c : std::string("<q>")) req.prompt.tokens.push_back(c);
  req.max_tokens = max_tokens;
  req.sampling.temperature = 1.0f;
  req.sampling.seed = seed;
  req.stop_tokens = {kImEnd};
  std::vector<std::string> bytes;
  for (int b = 0; b < 256; ++b) bytes.push_back(std::string(1, static_cast<char>(b)));
  bytes.insert(bytes.end(), {"<think>", "</think>", "<|im_end|>"});
  std::vector<bool> usable(kFakeVocab, true);
  usable[kImEnd] = false;
  auto trie = std::make_shared<grammar::TokenTrie>(bytes, usable, std::vector<int32_t>{kImEnd});
  req.grammar = std::make_shared<grammar::Matcher>(g, trie);
  if (think) {
    req.thinking.starts_open = true;
    req.thinking.think_end_id = kThinkClose;
    req.thinking.answer_reserve = static_cast<int>(grammar::tokens_to_complete(*req.grammar));
  }
  return test::run_to_end(e, std::move(req));
}

TEST(CompletionSteering, EngineOutputIsCompleteAtMaxTokens) {
  auto g = tags_grammar();
  // The fake vocabulary is bytes: the fewest tokens are the 41 bytes of the frame.
  const int least = 41;
  FakeModel m;  // hash-based logits: unconstrained it writes noise
  for (int max_tokens : {least, least + 1, least + 3, least + 8, least + 30, 160})
    for (uint64_t seed = 1; seed <= 3; ++seed) {
      Generated r = generate(m, g, seed, max_tokens, false);
      ASSERT_NE(r.result.finish, FinishReason::kError) << r.result.error;
      ASSERT_LE(r.result.completion_tokens, max_tokens);
      grammar::Matcher check(g, std::make_shared<grammar::TokenTrie>(std::vector<std::string>{"x"},
                                                                   std::vector<bool>{true}, std::vector<int32_t>{}));
      ASSERT_TRUE(check.accept_bytes(r.text) && check.is_complete())
          << "max_tokens " << max_tokens << " seed " << seed << ": " << r.text;
    }
}

TEST(CompletionSteering, ThinkingLeavesTheAnswerItsReserve) {
  // The model would think forever; the reserve makes the tracker close </think>
  // in time for the grammar to finish.
  FakeModel m([](const std::vector<int32_t>&) { return int32_t('r'); });
  auto g = tags_grammar();
  for (int max_tokens : {60, 90}) {
    Generated r = generate(m, g, 5, max_tokens, true);
    ASSERT_NE(r.result.finish, FinishReason::kError) << r.result.error;
    const size_t close = r.text.find("</think>");
    ASSERT_NE(close, std::string::npos) << r.text;
    const std::string answer = r.text.substr(close + 8);
    grammar::Matcher check(g, std::make_shared<grammar::TokenTrie>(std::vector<std::string>{"x"},
                                                                 std::vector<bool>{true}, std::vector<int32_t>{}));
    ASSERT_TRUE(check.accept_bytes(answer) && check.is_complete()) << r.text;
  }
}

}  // namespace
}  // namespace qvl
