// Field-by-field validation of OpenAI sampling parameters.
#include "serve/openai/request_params.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "serve/http/api_error.h"
#include "serve/http/request_limits.h"

namespace qvl::serve {

namespace {

using nlohmann::json;

const json* field(const json& b, const char* key) {
  auto it = b.find(key);
  return it == b.end() || it->is_null() ? nullptr : &*it;
}

std::optional<float> number(const json& b, const char* key, double lo, double hi) {
  const json* v = field(b, key);
  if (!v) return std::nullopt;
  if (!v->is_number()) throw bad_param(key, std::string("'") + key + "' must be a number");
  const double x = v->get<double>();
  if (!std::isfinite(x) || x < lo || x > hi)
    throw bad_param(key, str("'", key, "' must be between ", lo, " and ", hi, " (got ", x, ")"));
  return static_cast<float>(x);
}

std::optional<int64_t> integer(const json& b, const char* key, int64_t lo, int64_t hi) {
  const json* v = field(b, key);
  if (!v) return std::nullopt;
  // Accept 5.0 (some clients serialise integers as floats) but not 5.5.
  if (!v->is_number() || (v->is_number_float() && v->get<double>() != std::floor(v->get<double>())))
    throw bad_param(key, std::string("'") + key + "' must be an integer");
  const double d = v->get<double>();
  if (d < static_cast<double>(lo) || d > static_cast<double>(hi))
    throw bad_param(key, str("'", key, "' must be between ", lo, " and ", hi));
  return static_cast<int64_t>(d);
}

bool boolean(const json& b, const char* key) {
  const json* v = field(b, key);
  if (!v) return false;
  if (!v->is_boolean()) throw bad_param(key, std::string("'") + key + "' must be true or false");
  return v->get<bool>();
}

std::string string_field(const json& b, const char* key) {
  const json* v = field(b, key);
  if (!v) return "";
  if (!v->is_string()) throw bad_param(key, std::string("'") + key + "' must be a string");
  if (v->get_ref<const std::string&>().size() > limits::kShortString)
    throw bad_param(key, str("'", key, "' is longer than ", limits::kShortString, " bytes"));
  return v->get<std::string>();
}

}  // namespace

RequestParams parse_request_params(const json& b, bool chat, const ServerLimits& limits) {
  RequestParams p;
  p.model = string_field(b, "model");
  for (const char* k : {"max_tokens", "max_completion_tokens", "max_new_tokens"}) {
    auto v = integer(b, k, 1, 1 << 30);
    if (v && !p.max_tokens) p.max_tokens = static_cast<int>(*v);
  }
  p.temperature = number(b, "temperature", 0, 2);
  p.top_p = number(b, "top_p", 0, 1);
  if (p.top_p && *p.top_p <= 0) throw bad_param("top_p", "'top_p' must be greater than 0");
  if (auto k = integer(b, "top_k", -1, 1 << 20)) p.top_k = static_cast<int>(std::max<int64_t>(*k, 0));
  p.min_p = number(b, "min_p", 0, 1);
  p.presence_penalty = number(b, "presence_penalty", -2, 2);
  p.frequency_penalty = number(b, "frequency_penalty", -2, 2);
  p.repetition_penalty = number(b, "repetition_penalty", 0, 10);
  if (p.repetition_penalty && *p.repetition_penalty <= 0)
    throw bad_param("repetition_penalty", "'repetition_penalty' must be greater than 0");
  if (const json* s = field(b, "seed")) {
    if (!s->is_number_integer()) throw bad_param("seed", "'seed' must be an integer");
    p.seed = s->is_number_unsigned() ? s->get<uint64_t>() : static_cast<uint64_t>(s->get<int64_t>());
  }
  if (const json* lb = field(b, "logit_bias")) {
    if (!lb->is_object()) throw bad_param("logit_bias", "'logit_bias' must be an object of token id -> bias");
    if (lb->size() > limits::kLogitBias)
      throw bad_param("logit_bias", str("'logit_bias' takes at most ", limits::kLogitBias, " entries"));
    for (const auto& [k, v] : lb->items()) {
      char* end = nullptr;
      const long id = std::strtol(k.c_str(), &end, 10);
      if (k.empty() || *end != 0 || id < 0 || id > INT32_MAX)
        throw bad_param("logit_bias", "'logit_bias' keys must be token ids, got '" + k + "'");
      if (!v.is_number() || v.get<double>() < -100 || v.get<double>() > 100)
        throw bad_param("logit_bias", "'logit_bias' values must be numbers between -100 and 100");
      p.logit_bias[static_cast<int32_t>(id)] = v.get<float>();
    }
  }
  if (const json* s = field(b, "stop")) {
    if (s->is_string()) p.stop.push_back(s->get<std::string>());
    else if (s->is_array()) {
      if (s->size() > limits::kStopStrings)
        throw bad_param("stop", str("'stop' takes at most ", limits::kStopStrings, " strings"));
      for (const auto& x : *s) {
        if (!x.is_string()) throw bad_param("stop", "'stop' must be a string or a list of strings");
        p.stop.push_back(x.get<std::string>());
      }
    } else {
      throw bad_param("stop", "'stop' must be a string or a list of strings");
    }
    if (p.stop.size() > limits::kStopStrings)
      throw bad_param("stop", str("'stop' takes at most ", limits::kStopStrings, " strings"));
    for (const auto& x : p.stop) {
      if (x.empty()) throw bad_param("stop", "'stop' strings must not be empty");
      if (x.size() > limits::kStopBytes)
        throw bad_param("stop", str("'stop' strings are at most ", limits::kStopBytes, " bytes"));
    }
  }
  p.n = static_cast<int>(integer(b, "n", 1, limits.max_n).value_or(1));
  p.stream = boolean(b, "stream");
  if (const json* so = field(b, "stream_options")) {
    if (!so->is_object()) throw bad_param("stream_options", "'stream_options' must be an object");
    if (!p.stream) throw bad_param("stream_options", "'stream_options' is only allowed with stream: true");
    p.include_usage = boolean(*so, "include_usage");
  }
  if (chat) {
    p.logprobs = boolean(b, "logprobs");
    p.top_logprobs = static_cast<int>(integer(b, "top_logprobs", 0, 20).value_or(0));
    if (p.top_logprobs > 0 && !p.logprobs)
      throw bad_param("top_logprobs", "'top_logprobs' needs 'logprobs': true");
  } else if (auto lp = integer(b, "logprobs", 0, 20)) {
    p.logprobs = true;
    p.top_logprobs = static_cast<int>(*lp);
  }
  for (const char* k : {"thinking_budget", "thinking_token_budget", "thinking_budget_tokens"}) {
    auto v = integer(b, k, 0, 1 << 30);
    if (v && !p.thinking_budget) p.thinking_budget = static_cast<int>(*v);
  }
  // The mode resolver validates these fields; here only the effort level is kept.
  for (const char* k : {"reasoning_effort", "think"})
    if (b.contains(k) && b[k].is_string() && (b[k] == "low" || b[k] == "medium" || b[k] == "high")) {
      p.effort = b[k];
      break;
    }
  p.user = string_field(b, "user");
  p.task = string_field(b, "task");
  return p;
}

void parse_effort_budgets(const std::string& spec, ServerLimits& limits) {
  size_t pos = 0;
  while (pos <= spec.size()) {
    const size_t end = std::min(spec.find(',', pos), spec.size());
    const std::string item = spec.substr(pos, end - pos);
    const size_t eq = item.find('=');
    QVL_CHECK(eq != std::string::npos, "effort budgets: '", item, "' is not LEVEL=N (e.g. low=512,medium=2048,high=max)");
    const std::string level = item.substr(0, eq), value = item.substr(eq + 1);
    int n = -1;
    if (value != "max") {
      QVL_CHECK(!value.empty() && value.size() < 10 && value.find_first_not_of("0123456789") == std::string::npos,
                "effort budgets: '", value, "' is not a non-negative integer or 'max'");
      n = std::stoi(value);
    }
    if (level == "low") limits.effort_low = n;
    else if (level == "medium") limits.effort_medium = n;
    else if (level == "high") limits.effort_high = n;
    else QVL_FAIL("effort budgets: level '", level, "' is not low, medium or high");
    pos = end + 1;
  }
}

void check_prompt_bytes(size_t bytes, const Checkpoint& cp, int context_length, const char* param) {
  if (cp.max_token_bytes == 0 || context_length <= 0) return;
  const size_t most = 2 * cp.max_token_bytes * static_cast<size_t>(context_length);
  if (bytes > most)
    throw ApiError(400, str("the prompt is ", bytes, " bytes, more than a context of ", context_length,
                            " tokens can hold (at most ", cp.max_token_bytes, " bytes per token)"),
                   param, "context_length_exceeded");
}

bool prompt_opens_think(const std::string& prompt) {
  const size_t open = prompt.rfind("<think>");
  return open != std::string::npos && prompt.find("</think>", open) == std::string::npos;
}

GenerationRequest make_generation(const RequestParams& p, const Profile& prof, const Checkpoint& cp, Mode mode,
                                  PromptInput prompt, int context_length, const ServerLimits& limits,
                                  bool opens_think, Budget* budget) {
  const int n_prompt = static_cast<int>(prompt.tokens.size());
  if (n_prompt == 0) throw bad_param("messages", "the prompt is empty");
  const int room = context_length - n_prompt;
  if (room < 1)
    throw ApiError(400, str("the prompt is ", n_prompt, " tokens but the context holds ", context_length),
                   "messages", "context_length_exceeded");
  const int vocab = cp.tokenizer->vocab_size();
  for (const auto& [id, bias] : p.logit_bias)
    if (id >= vocab) throw bad_param("logit_bias", str("'logit_bias' token id ", id, " is outside the vocabulary (", vocab, ")"));

  GenerationRequest g;
  g.prompt = std::move(prompt);
  g.sampling = prof.sampling;
  SamplingParams& s = g.sampling;
  if (p.temperature) s.temperature = *p.temperature;
  if (p.top_p) s.top_p = *p.top_p;
  if (p.top_k) s.top_k = *p.top_k;
  if (p.min_p) s.min_p = *p.min_p;
  if (p.presence_penalty) s.presence_penalty = *p.presence_penalty;
  if (p.frequency_penalty) s.frequency_penalty = *p.frequency_penalty;
  if (p.repetition_penalty) s.repetition_penalty = *p.repetition_penalty;
  // No seed: a fresh one, so repeated sampled requests differ (as with OpenAI).
  if (p.seed) s.seed = *p.seed;
  else {
    static thread_local std::mt19937_64 rng(std::random_device{}());
    s.seed = rng();
  }
  s.logit_bias = p.logit_bias;
  s.n_logprobs = p.logprobs ? std::max(p.top_logprobs, 0) : 0;
  g.max_tokens = std::min(p.max_tokens.value_or(prof.max_tokens), room);
  g.stop_tokens = cp.stop_ids;
  g.stop_strings = p.stop;

  *budget = Budget{};
  budget->max_tokens = g.max_tokens;
  ThinkingControl& t = g.thinking;
  t.think_start_id = cp.think_start;
  t.think_end_id = cp.think_end;
  t.starts_open = opens_think;
  if (mode == Mode::kThinking && cp.think_end >= 0) {
    // The answer floor is what is left after reasoning, the sentence grace and the
    // wrap-up line, so a spent budget still leaves room for an answer.
    t.wrapup_tokens = cp.tokenizer->encode(prof.wrapup, true);
    const int floor = std::min(prof.answer_floor, g.max_tokens / 2);
    const int overhead = floor + prof.sentence_grace + static_cast<int>(t.wrapup_tokens.size());
    int dflt = prof.thinking_budget;
    if (!p.effort.empty()) {
      const int e = p.effort == "low" ? limits.effort_low : p.effort == "medium" ? limits.effort_medium : limits.effort_high;
      dflt = e < 0 ? limits.thinking_budget_max : e;
    }
    int b = std::min(p.thinking_budget.value_or(dflt), limits.thinking_budget_max);
    b = std::max(0, std::min(b, g.max_tokens - overhead));
    t.budget = b;
    t.answer_floor = floor;
    t.sentence_grace = prof.sentence_grace;
    budget->thinking_budget = b;
  }
  return g;
}

}  // namespace qvl::serve
