// Structured output in the engine: a grammar matcher on a request constrains
// every sampled token (random fake-model logits, many seeds), ends on the stop
// token once complete, and leaves reasoning inside <think> unconstrained.
#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <nlohmann/json.hpp>

#include "engine/engine.h"
#include "fake_model.h"
#include "run_to_end.h"
#include "grammar/compiled_grammar.h"
#include "grammar/front_ends.h"
#include "grammar/matcher.h"

namespace qvl {
namespace {

using testing::FakeModel;
using testing::kFakeVocab;
using testing::kImEnd;
using testing::kThinkClose;

std::shared_ptr<grammar::TokenTrie> fake_trie() {
  std::vector<std::string> bytes;
  for (int b = 0; b < 256; ++b) bytes.push_back(std::string(1, static_cast<char>(b)));
  bytes.insert(bytes.end(), {"<think>", "</think>", "<|im_end|>"});
  std::vector<bool> usable(kFakeVocab, true);
  usable[kImEnd] = false;
  return std::make_shared<grammar::TokenTrie>(bytes, usable, std::vector<int32_t>{kImEnd});
}

using test::Generated;

Generated generate(FakeModel& m, std::shared_ptr<grammar::CompiledGrammar> g, uint64_t seed, bool think) {
  EngineOptions o;
  o.max_running = 1;
  o.max_batch_tokens = 16;
  // o.compute stays null: the process's default compute scheduler.
  o.context_length = 256;
  o.kv_tokens = 4096;
  Engine e(m, o);
  GenerationRequest req;
  for (unsigned char c : std::string("<q>")) req.prompt.tokens.push_back(c);
  req.max_tokens = 120;
  req.sampling.temperature = 1.0f;
  req.sampling.seed = seed;
  req.stop_tokens = {kImEnd};
  if (think) {
    req.thinking.starts_open = true;
    req.thinking.think_end_id = kThinkClose;
  }
  req.grammar = std::make_shared<grammar::Matcher>(g, fake_trie());
  return test::run_to_end(e, std::move(req));
}

TEST(GrammarEngine, EveryOutputFollowsTheSchema) {
  grammar::JsonSchemaOptions opt;
  opt.max_ws = 1;
  auto g = std::make_shared<grammar::CompiledGrammar>(grammar::compile_json_schema(nlohmann::ordered_json::parse(
      R"({"type":"object","properties":{"n":{"type":"integer","minimum":0,"maximum":999},
          "ok":{"type":"boolean"}},"required":["n","ok"],"additionalProperties":false})"), opt));
  FakeModel m;  // hash-based logits: unconstrained it writes noise
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    Generated r = generate(m, g, seed, false);
    ASSERT_EQ(r.result.finish, FinishReason::kStop) << seed << ": " << r.result.error << " text " << r.text;
    auto v = nlohmann::json::parse(r.text, nullptr, false);
    ASSERT_FALSE(v.is_discarded()) << r.text;
    ASSERT_TRUE(v["n"].is_number_integer() && v["n"].template get<int>() >= 0 && v["n"].template get<int>() <= 999) << r.text;
    ASSERT_TRUE(v["ok"].is_boolean()) << r.text;
    ASSERT_EQ(v.size(), 2u) << r.text;
  }
}

TEST(GrammarEngine, ReasoningIsFreeThenTheAnswerIsConstrained) {
  // The model thinks "rrrr" and closes </think>, then would say 'k': the
  // grammar ([0-9]{2}) overrides only the answer.
  FakeModel m([](const std::vector<int32_t>& h) {
    const size_t g = h.size() - 3;
    return g < 4 ? int32_t('r') : g == 4 ? kThinkClose : int32_t('k');
  });
  auto g = std::make_shared<grammar::CompiledGrammar>(grammar::compile_regex("[0-9]{2}"));
  Generated r = generate(m, g, 3, true);
  ASSERT_EQ(r.result.finish, FinishReason::kStop) << r.result.error;
  ASSERT_EQ(r.text.substr(0, 12), "rrrr</think>");
  std::string answer = r.text.substr(12);
  ASSERT_EQ(answer.size(), 2u) << r.text;
  EXPECT_TRUE(std::isdigit(static_cast<unsigned char>(answer[0])) && std::isdigit(static_cast<unsigned char>(answer[1])));
}

}  // namespace
}  // namespace qvl
