// OpenAI request fields shared by /v1/chat/completions and /v1/completions:
// parsed and range-checked into a plain struct (ApiError 400 naming the field on
// bad input), then combined with a profile into an engine GenerationRequest.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/request.h"
#include "serve/deploy/checkpoint.h"
#include "serve/modes/profiles.h"

namespace qvl::serve {

struct RequestParams {
  std::string model;
  std::optional<int> max_tokens;  // max_tokens | max_completion_tokens | max_new_tokens
  std::optional<float> temperature, top_p, min_p, presence_penalty, frequency_penalty, repetition_penalty;
  std::optional<int> top_k;
  std::optional<uint64_t> seed;
  std::map<int32_t, float> logit_bias;
  std::vector<std::string> stop;
  int n = 1;
  bool stream = false, include_usage = false;
  bool logprobs = false;
  int top_logprobs = 0;
  std::optional<int> thinking_budget;  // thinking_budget | thinking_token_budget | thinking_budget_tokens
  std::string effort;                  // low | medium | high from reasoning_effort or think; "" = none
  std::string user, task;
};

struct ServerLimits {
  int thinking_budget_max = 2048;
  // Default thinking budgets for reasoning_effort low / medium / high; -1 = the
  // ceiling. An explicit thinking_budget wins over the effort.
  int effort_low = 512, effort_medium = 2048, effort_high = -1;
  int max_n = 16;
  int max_images = 8;
};

// "low=N,medium=N,high=N" (any subset; N or "max" = the ceiling) into limits. Throws qvl::Error.
void parse_effort_budgets(const std::string& spec, ServerLimits& limits);

// chat: logprobs is a bool + top_logprobs; completions: logprobs is an integer.
RequestParams parse_request_params(const nlohmann::json& body, bool chat, const ServerLimits& limits);

struct Budget {
  int max_tokens = 0;
  int thinking_budget = -1;  // -1: none
};

// Applies profile defaults and request overrides; checks the prompt against the
// context (ApiError 400) and logit_bias ids against the vocabulary.
GenerationRequest make_generation(const RequestParams& p, const Profile& prof, const Checkpoint& cp, Mode mode,
                                  PromptInput prompt, int context_length, const ServerLimits& limits,
                                  bool prompt_opens_think, Budget* budget);

// Refuses (400 context_length_exceeded) a prompt text so long that it cannot fit
// the context whatever it tokenizes to, before the tokenizer spends time on it:
// every token covers at most cp.max_token_bytes bytes (2x slack for UTF-8 repair
// and normalisation).
void check_prompt_bytes(size_t bytes, const Checkpoint& cp, int context_length, const char* param = "messages");

// True when the text's last <think> is not closed (the template pre-filled it).
bool prompt_opens_think(const std::string& prompt);

}  // namespace qvl::serve
