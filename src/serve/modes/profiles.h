// Per-mode generation profiles: sampling defaults, output limits and the thinking
// budget settings. Defaults are the Qwen3-VL published settings (spec §8); a
// deployment file may override any field; request parameters override both.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "engine/request.h"
#include "serve/modes/mode.h"

namespace qvl::serve {

struct Profile {
  SamplingParams sampling;
  int max_tokens = 16384;      // default output cap when the request sets none (clamped to context)
  int thinking_budget = 2048;  // default reasoning budget (thinking mode), clamped to the server ceiling
  int answer_floor = 256;      // tokens of max_tokens always kept for the answer
  int sentence_grace = 32;     // tokens allowed to finish the sentence once the budget is spent
  std::string wrapup = "\n\nI have thought about this long enough, so I will answer now.\n</think>\n\n";
};

struct Profiles {
  Profile instruct, thinking;

  static Profiles qwen_defaults();
  const Profile& get(Mode m) const { return m == Mode::kThinking ? thinking : instruct; }
  // {"instruct": {...}, "thinking": {...}} with Profile field names
  // (temperature, top_p, top_k, min_p, presence_penalty, frequency_penalty,
  // repetition_penalty, max_tokens, thinking_budget, answer_floor, sentence_grace, wrapup).
  void apply_json(const nlohmann::json& j);
  nlohmann::json to_json() const;
};

}  // namespace qvl::serve
