// StopFilter: the held text is never longer than the longest stop string plus
// one token's text, so plain substring searches are cheap enough.
#include "engine/stop_filter.h"

#include <algorithm>

namespace qvl {

StopFilter::StopFilter(std::vector<std::string> stops) {
  for (auto& s : stops)
    if (!s.empty()) stops_.push_back(std::move(s));
}

std::vector<TokenEvent> StopFilter::push(TokenEvent ev) {
  std::vector<TokenEvent> out;
  if (matched_) return out;
  if (stops_.empty() || ev.in_reasoning) {
    out = flush();
    out.push_back(std::move(ev));
    return out;
  }
  held_text_ += ev.text;
  held_.push_back(std::move(ev));

  size_t match = std::string::npos;
  for (const auto& s : stops_) match = std::min(match, held_text_.find(s));
  if (match != std::string::npos) {
    size_t start = 0;
    for (auto& e : held_) {
      if (start >= match) break;
      const size_t len = e.text.size();
      if (start + len > match) e.text.resize(match - start);
      start += len;
      out.push_back(std::move(e));
    }
    held_.clear();
    held_text_.clear();
    matched_ = true;
    return out;
  }

  // Longest suffix of the held text that is a proper prefix of some stop string.
  size_t keep = 0;
  for (const auto& s : stops_) {
    const size_t max_len = std::min(s.size() - 1, held_text_.size());
    for (size_t len = max_len; len > keep; --len)
      if (held_text_.compare(held_text_.size() - len, len, s, 0, len) == 0) {
        keep = len;
        break;
      }
  }
  const size_t safe = held_text_.size() - keep;
  size_t start = 0, n_release = 0;
  for (const auto& e : held_) {
    if (start + e.text.size() > safe) break;
    start += e.text.size();
    ++n_release;
  }
  for (size_t i = 0; i < n_release; ++i) out.push_back(std::move(held_[i]));
  held_.erase(held_.begin(), held_.begin() + n_release);
  held_text_.erase(0, start);
  return out;
}

std::vector<TokenEvent> StopFilter::flush() {
  std::vector<TokenEvent> out = std::move(held_);
  held_.clear();
  held_text_.clear();
  return out;
}

}  // namespace qvl
