// Thinking-budget state machine for one sequence (engine layer): tracks whether
// output is inside <think>, counts reasoning tokens and decides when to inject
// the wrap-up. Pure bookkeeping on token ids; the engine feeds it tokens and
// does the injecting.
//
// Rules (ThinkingControl in request.h):
//  - inside think: starts_open, or after think_start_id until think_end_id;
//    both tags count as reasoning tokens.
//  - budget >= 0: once `budget` reasoning tokens are out, the wrap-up is injected
//    at the next sentence end (a token whose text ends with . ! ? 。 ！ ？ or a
//    newline), or after sentence_grace more tokens, whichever comes first.
//  - answer floor: reasoning (wrap-up included) never exceeds
//    max_tokens - floor, floor = min(answer_floor, max_tokens / 2) so a small
//    max_tokens still leaves room to think. answer_floor <= 0 disables it.
//  - at most one injection per request.
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "engine/request.h"

namespace qvl {

bool ends_sentence(std::string_view token_text);

class ThinkingTracker {
 public:
  ThinkingTracker(const ThinkingControl& ctl, int max_tokens);

  bool in_think() const { return in_think_; }
  // Asked before sampling the next token: inject the wrap-up now instead?
  bool should_inject() const;
  // The tokens to force (wrap-up, or just think_end_id when none was given).
  // Marks the injection done; feed each returned token to on_token().
  std::vector<int32_t> take_wrapup();
  // Records one output token (sampled or injected); returns whether it is reasoning.
  bool on_token(int32_t id, bool sentence_end);

  int reasoning_tokens() const { return reasoning_; }
  bool budget_hit() const { return injected_; }

 private:
  ThinkingControl ctl_;
  int cap_;  // most reasoning tokens allowed by the answer floor (INT_MAX if none)
  bool in_think_ = false;
  bool injected_ = false;
  int reasoning_ = 0;
  bool last_ended_sentence_ = true;  // nothing generated yet counts as a boundary
};

}  // namespace qvl
