// Profile defaults (Qwen3-VL README evaluation settings) and JSON overrides.
#include "serve/modes/profiles.h"

#include "base/error.h"

namespace qvl::serve {

Profiles Profiles::qwen_defaults() {
  Profiles p;
  SamplingParams& i = p.instruct.sampling;
  i.temperature = 0.7f;
  i.top_p = 0.8f;
  i.top_k = 20;
  i.presence_penalty = 1.5f;
  p.instruct.max_tokens = 16384;
  SamplingParams& t = p.thinking.sampling;
  t.temperature = 0.6f;
  t.top_p = 0.95f;
  t.top_k = 20;
  t.presence_penalty = 0.0f;
  p.thinking.max_tokens = 32768;
  return p;
}

static void apply_one(Profile& p, const nlohmann::json& j, const std::string& mode) {
  QVL_CHECK(j.is_object(), "profile '", mode, "' must be an object");
  for (const auto& item : j.items()) {
    // Named copies, not structured bindings: clang 14 (the fuzz build) cannot capture those.
    const std::string& k = item.key();
    const nlohmann::json& v = item.value();
    const std::string where = "profile '" + mode + "' field '" + k + "'";
    auto num = [&]() -> double {
      QVL_CHECK(v.is_number(), where, " must be a number");
      return v.get<double>();
    };
    auto integer = [&]() -> int {
      QVL_CHECK(v.is_number_integer() && v.get<int64_t>() >= 0, where, " must be a non-negative integer");
      return v.get<int>();
    };
    if (k == "temperature") p.sampling.temperature = static_cast<float>(num());
    else if (k == "top_p") p.sampling.top_p = static_cast<float>(num());
    else if (k == "top_k") p.sampling.top_k = integer();
    else if (k == "min_p") p.sampling.min_p = static_cast<float>(num());
    else if (k == "presence_penalty") p.sampling.presence_penalty = static_cast<float>(num());
    else if (k == "frequency_penalty") p.sampling.frequency_penalty = static_cast<float>(num());
    else if (k == "repetition_penalty") p.sampling.repetition_penalty = static_cast<float>(num());
    else if (k == "max_tokens") p.max_tokens = integer();
    else if (k == "thinking_budget") p.thinking_budget = integer();
    else if (k == "answer_floor") p.answer_floor = integer();
    else if (k == "sentence_grace") p.sentence_grace = integer();
    else if (k == "wrapup") {
      QVL_CHECK(v.is_string(), where, " must be a string");
      p.wrapup = v.get<std::string>();
      QVL_CHECK(p.wrapup.find("</think>") != std::string::npos, where, " must contain </think>");
    } else {
      QVL_FAIL("unknown ", where);
    }
  }
}

void Profiles::apply_json(const nlohmann::json& j) {
  QVL_CHECK(j.is_object(), "'profiles' must be an object with 'instruct' and/or 'thinking'");
  for (const auto& [k, v] : j.items()) {
    if (k == "instruct") apply_one(instruct, v, k);
    else if (k == "thinking") apply_one(thinking, v, k);
    else QVL_FAIL("unknown profile '", k, "' (expected instruct or thinking)");
  }
}

static nlohmann::json one(const Profile& p) {
  return {{"temperature", p.sampling.temperature}, {"top_p", p.sampling.top_p}, {"top_k", p.sampling.top_k},
          {"min_p", p.sampling.min_p}, {"presence_penalty", p.sampling.presence_penalty},
          {"frequency_penalty", p.sampling.frequency_penalty},
          {"repetition_penalty", p.sampling.repetition_penalty}, {"max_tokens", p.max_tokens},
          {"thinking_budget", p.thinking_budget}, {"answer_floor", p.answer_floor},
          {"sentence_grace", p.sentence_grace}, {"wrapup", p.wrapup}};
}

nlohmann::json Profiles::to_json() const { return {{"instruct", one(instruct)}, {"thinking", one(thinking)}}; }

}  // namespace qvl::serve
