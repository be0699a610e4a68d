// ThinkingTracker (see thinking.h for the rules).
#include "engine/thinking.h"

#include <algorithm>
#include <climits>
#include <string>

namespace qvl {

bool ends_sentence(std::string_view t) {
  static const char* const kEnds[] = {".", "!", "?", "\n", "\xE3\x80\x82" /* 。 */, "\xEF\xBC\x81" /* ！ */,
                                      "\xEF\xBC\x9F" /* ？ */};
  for (const char* e : kEnds) {
    const std::string_view s(e);
    if (t.size() >= s.size() && t.substr(t.size() - s.size()) == s) return true;
  }
  return false;
}

ThinkingTracker::ThinkingTracker(const ThinkingControl& ctl, int max_tokens)
    : ctl_(ctl), cap_(INT_MAX), in_think_(ctl.starts_open) {
  if (ctl.answer_floor > 0) cap_ = max_tokens - std::min(ctl.answer_floor, max_tokens / 2);
  if (ctl.answer_reserve > 0) cap_ = std::min(cap_, max_tokens - ctl.answer_reserve);
}

bool ThinkingTracker::should_inject() const {
  if (!in_think_ || injected_) return false;
  if (ctl_.wrapup_tokens.empty() && ctl_.think_end_id < 0) return false;  // nothing to inject
  const int w = ctl_.wrapup_tokens.empty() ? 1 : static_cast<int>(ctl_.wrapup_tokens.size());
  if (cap_ != INT_MAX && reasoning_ + w >= cap_) return true;
  if (ctl_.budget < 0 || reasoning_ < ctl_.budget) return false;
  return last_ended_sentence_ || reasoning_ - ctl_.budget >= ctl_.sentence_grace;
}

std::vector<int32_t> ThinkingTracker::take_wrapup() {
  injected_ = true;
  if (!ctl_.wrapup_tokens.empty()) return ctl_.wrapup_tokens;
  return {ctl_.think_end_id};
}

bool ThinkingTracker::on_token(int32_t id, bool sentence_end) {
  if (!in_think_) {
    if (id != ctl_.think_start_id || id < 0) return false;
    in_think_ = true;
    ++reasoning_;
    last_ended_sentence_ = true;
    return true;
  }
  ++reasoning_;
  last_ended_sentence_ = sentence_end;
  if (id == ctl_.think_end_id) in_think_ = false;
  return true;
}

}  // namespace qvl
