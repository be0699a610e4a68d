// Request field validation and how profile, request and server ceiling combine
// into the engine request (sampling, max_tokens vs context, thinking budget).
#include "serve/openai/request_params.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "serve/http/api_error.h"
#include "serve_test_util.h"

namespace qvl::serve {
namespace {

using nlohmann::json;

int status_of(const json& body, bool chat = true) {
  try {
    parse_request_params(body, chat, ServerLimits{});
    return 200;
  } catch (const ApiError& e) {
    return e.status();
  }
}

TEST(RequestParams, ParsesEveryField) {
  const json b = json::parse(R"({"model": "m", "max_completion_tokens": 7, "temperature": 0.3, "top_p": 0.9,
    "top_k": 5, "min_p": 0.1, "presence_penalty": 1, "frequency_penalty": -1, "repetition_penalty": 1.2,
    "seed": 42, "stop": "END", "n": 3, "stream": true, "stream_options": {"include_usage": true},
    "logprobs": true, "top_logprobs": 4, "logit_bias": {"12": -100}, "thinking_token_budget": 99, "user": "u"})");
  const RequestParams p = parse_request_params(b, true, ServerLimits{});
  EXPECT_EQ(p.model, "m");
  EXPECT_EQ(*p.max_tokens, 7);
  EXPECT_FLOAT_EQ(*p.temperature, 0.3f);
  EXPECT_EQ(*p.top_k, 5);
  EXPECT_EQ(*p.seed, 42u);
  EXPECT_EQ(p.stop, std::vector<std::string>{"END"});
  EXPECT_EQ(p.n, 3);
  EXPECT_TRUE(p.stream && p.include_usage && p.logprobs);
  EXPECT_EQ(p.top_logprobs, 4);
  EXPECT_FLOAT_EQ(p.logit_bias.at(12), -100.0f);
  EXPECT_EQ(*p.thinking_budget, 99);
  EXPECT_EQ(p.user, "u");
  EXPECT_EQ(*parse_request_params({{"max_new_tokens", 9}}, true, {}).max_tokens, 9);
  EXPECT_EQ(parse_request_params({{"logprobs", 3}}, false, {}).top_logprobs, 3);  // completions spelling
}

TEST(RequestParams, RejectsBadValues) {
  for (const char* bad : {R"({"temperature": "x"})", R"({"temperature": 2.5})", R"({"top_p": 0})",
                          R"({"max_tokens": 0})", R"({"max_tokens": 2.5})", R"({"n": 0})", R"({"n": 17})",
                          R"({"stop": [1]})", R"({"stop": [""]})", R"({"logit_bias": {"x": 1}})",
                          R"({"logit_bias": {"1": 101}})", R"({"stream_options": {}})", R"({"top_logprobs": 1})",
                          R"({"seed": 1.5})", R"({"thinking_budget": -3})", R"({"user": 5})"})
    EXPECT_EQ(status_of(json::parse(bad)), 400) << bad;
  EXPECT_EQ(status_of(json::parse(R"({"max_tokens": 3.0})")), 200);  // integral floats are fine
}

struct Fixture {
  test::Vocab v;
  Tokenizer tok = test::make_tokenizer(&v);
  test::FakeGenerator gen;
  Checkpoint cp;
  Fixture() {
    cp.tokenizer = &tok;
    cp.generator = &gen;
    cp.think_start = v.think;
    cp.think_end = v.end_think;
    cp.stop_ids = {v.im_end};
  }
};

PromptInput prompt(int n) {
  PromptInput p;
  p.tokens.assign(n, 65);
  return p;
}

TEST(MakeGeneration, ProfileThenRequestOverrides) {
  Fixture f;
  const Profiles profiles = Profiles::qwen_defaults();
  Budget b;
  RequestParams p;
  auto g = make_generation(p, profiles.thinking, f.cp, Mode::kThinking, prompt(10), 512, {}, true, &b);
  EXPECT_FLOAT_EQ(g.sampling.temperature, 0.6f);
  EXPECT_FLOAT_EQ(g.sampling.top_p, 0.95f);
  EXPECT_EQ(g.sampling.top_k, 20);
  EXPECT_EQ(g.max_tokens, 502);  // profile's 32768 clamped to the context
  EXPECT_TRUE(g.thinking.starts_open);
  EXPECT_EQ(g.thinking.think_end_id, f.v.end_think);
  const auto& w = g.thinking.wrapup_tokens;
  EXPECT_NE(std::find(w.begin(), w.end(), f.v.end_think), w.end()) << "wrap-up closes the think block";
  p.temperature = 0.0f;
  p.top_k = 0;
  p.max_tokens = 50;
  g = make_generation(p, profiles.instruct, f.cp, Mode::kInstruct, prompt(10), 512, {}, false, &b);
  EXPECT_FLOAT_EQ(g.sampling.temperature, 0.0f);
  EXPECT_EQ(g.sampling.top_k, 0);
  EXPECT_FLOAT_EQ(g.sampling.presence_penalty, 1.5f);  // instruct profile default survives
  EXPECT_EQ(g.max_tokens, 50);
  EXPECT_EQ(g.thinking.budget, -1);  // no budget in instruct mode
  EXPECT_EQ(b.thinking_budget, -1);
}

TEST(MakeGeneration, BudgetUnderCeilingAndAnswerFloor) {
  Fixture f;
  Profile prof = Profiles::qwen_defaults().thinking;
  ServerLimits lim;
  lim.thinking_budget_max = 100;
  RequestParams p;
  p.thinking_budget = 5000;
  p.max_tokens = 400;
  Budget b;
  auto g = make_generation(p, prof, f.cp, Mode::kThinking, prompt(4), 4096, lim, false, &b);
  EXPECT_EQ(g.thinking.budget, 100);  // server ceiling
  lim.thinking_budget_max = 1000;
  p.max_tokens = 400;
  g = make_generation(p, prof, f.cp, Mode::kThinking, prompt(4), 4096, lim, false, &b);
  // floor = min(256, 400 / 2); reasoning + sentence grace + wrap-up leave the floor for the answer
  const int wrap = static_cast<int>(g.thinking.wrapup_tokens.size());
  EXPECT_EQ(g.thinking.answer_floor, 200);
  EXPECT_EQ(g.thinking.budget, 400 - 200 - prof.sentence_grace - wrap);
  EXPECT_EQ(b.thinking_budget, g.thinking.budget);
  p.max_tokens = 20;  // too small for any reasoning: budget 0, the wrap-up comes at once
  g = make_generation(p, prof, f.cp, Mode::kThinking, prompt(4), 4096, lim, false, &b);
  EXPECT_EQ(g.thinking.budget, 0);
}

TEST(MakeGeneration, ReasoningEffortPicksBudget) {
  Fixture f;
  Profile prof = Profiles::qwen_defaults().thinking;
  ServerLimits lim;
  lim.thinking_budget_max = 3000;
  Budget b;
  auto budget_for = [&](const json& body) {
    RequestParams p = parse_request_params(body, true, lim);
    p.max_tokens = 100000;
    return make_generation(p, prof, f.cp, Mode::kThinking, prompt(4), 1 << 20, lim, false, &b).thinking.budget;
  };
  EXPECT_EQ(budget_for({{"reasoning_effort", "low"}}), 512);
  EXPECT_EQ(budget_for({{"reasoning_effort", "medium"}}), 2048);
  EXPECT_EQ(budget_for({{"reasoning_effort", "high"}}), 3000);  // the server ceiling
  EXPECT_EQ(budget_for({{"think", "low"}}), 512);
  EXPECT_EQ(budget_for(json::object()), prof.thinking_budget);
  EXPECT_EQ(budget_for({{"reasoning_effort", "low"}, {"thinking_budget", 77}}), 77);  // explicit wins
  parse_effort_budgets("low=10,high=2500", lim);
  EXPECT_EQ(budget_for({{"reasoning_effort", "low"}}), 10);
  EXPECT_EQ(budget_for({{"reasoning_effort", "high"}}), 2500);
  parse_effort_budgets("medium=99999", lim);
  EXPECT_EQ(budget_for({{"reasoning_effort", "medium"}}), 3000);  // still under the ceiling
  for (const char* bad : {"low", "low=", "low=-1", "huge=5", "low=5,", "low=abc"})
    EXPECT_THROW(parse_effort_budgets(bad, lim), Error) << bad;
}

TEST(MakeGeneration, SeedFromRequestOrFresh) {
  Fixture f;
  Budget b;
  RequestParams p;
  const auto g1 = make_generation(p, Profile{}, f.cp, Mode::kInstruct, prompt(3), 512, {}, false, &b);
  const auto g2 = make_generation(p, Profile{}, f.cp, Mode::kInstruct, prompt(3), 512, {}, false, &b);
  EXPECT_NE(g1.sampling.seed, g2.sampling.seed);  // 2^-64 chance of a false failure
  p.seed = 1234;
  EXPECT_EQ(make_generation(p, Profile{}, f.cp, Mode::kInstruct, prompt(3), 512, {}, false, &b).sampling.seed, 1234u);
}

TEST(MakeGeneration, PromptLimits) {
  Fixture f;
  Budget b;
  RequestParams p;
  EXPECT_THROW(make_generation(p, Profile{}, f.cp, Mode::kInstruct, prompt(512), 512, {}, false, &b), ApiError);
  EXPECT_THROW(make_generation(p, Profile{}, f.cp, Mode::kInstruct, prompt(0), 512, {}, false, &b), ApiError);
  p.logit_bias[1 << 20] = 1.0f;
  EXPECT_THROW(make_generation(p, Profile{}, f.cp, Mode::kInstruct, prompt(3), 512, {}, false, &b), ApiError);
}

// Issue 11: a prompt that cannot fit is refused from its byte length, before the
// tokenizer spends time on megabytes of it.
TEST(CheckPromptBytes, RefusesOnlyWhatCannotFit) {
  Checkpoint cp;
  cp.max_token_bytes = 10;
  EXPECT_NO_THROW(check_prompt_bytes(2 * 10 * 512, cp, 512));  // might still fit: the tokenizer decides
  try {
    check_prompt_bytes(2 * 10 * 512 + 1, cp, 512, "prompt");
    ADD_FAILURE() << "not refused";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status(), 400);
    EXPECT_EQ(e.code(), "context_length_exceeded");
    EXPECT_EQ(e.param(), "prompt");
  }
  cp.max_token_bytes = 0;  // unknown vocabulary: no early refusal
  EXPECT_NO_THROW(check_prompt_bytes(size_t{1} << 40, cp, 512));
}

TEST(PromptOpensThink, LastTagDecides) {
  EXPECT_TRUE(prompt_opens_think("<|im_start|>assistant\n<think>\n"));
  EXPECT_FALSE(prompt_opens_think("<|im_start|>assistant\n<think>\n\n</think>\n\n"));
  EXPECT_FALSE(prompt_opens_think("<|im_start|>assistant\n"));
}

}  // namespace
}  // namespace qvl::serve
