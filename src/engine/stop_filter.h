// Stop strings over the detokenised output (engine layer). Holds back token
// events whose text could be the start of a stop string, releases them once the
// text cannot match any more, and on a match cuts the output just before it.
// Works on bytes, so a match may span any number of tokens. Knows nothing about
// tokenizers: events arrive with their text already set.
#pragma once
#include <string>
#include <vector>

#include "engine/request.h"

namespace qvl {

class StopFilter {
 public:
  explicit StopFilter(std::vector<std::string> stops);

  // Adds one event; returns the events now safe to emit, in order. After a match
  // (matched() == true) the returned events end with text cut before the stop
  // string; events wholly inside the match are dropped. Events with
  // in_reasoning set bypass matching (held events are released first).
  std::vector<TokenEvent> push(TokenEvent ev);
  // End of generation without a match: everything still held.
  std::vector<TokenEvent> flush();

  bool matched() const { return matched_; }
  bool holding() const { return !held_.empty(); }

 private:
  std::vector<std::string> stops_;
  std::vector<TokenEvent> held_;
  std::string held_text_;  // concatenated text of held_
  bool matched_ = false;
};

}  // namespace qvl
