// CompletionSteering (see grammar_steering.h).
#include "engine/grammar_steering.h"

#include <algorithm>
#include <vector>

namespace qvl {

bool CompletionSteering::refresh(grammar::Matcher& m) {
  grammar::CompletionPlan fresh;
  const bool ok = grammar::plan_completion(m, &fresh);
  if (ok && (!valid_ || fresh.tokens() < plan_.tokens())) {
    plan_ = std::move(fresh);
    valid_ = true;
  }
  return valid_;
}

bool CompletionSteering::narrow(grammar::Matcher& m, int64_t budget, uint64_t* mask, bool force) {
  // Cheap test first: a plan that fits with room to spare needs no work.
  if (!force && valid_ && static_cast<int64_t>(plan_.tokens()) + kMargin < budget) return false;
  if (!refresh(m)) return false;
  if (!force && static_cast<int64_t>(plan_.tokens()) + kMargin < budget) return false;
  const grammar::TokenTrie& trie = m.trie();
  std::vector<uint64_t> narrowed(trie.mask_words(), 0);
  auto allow = [&](int32_t t) {
    const size_t w = static_cast<size_t>(t) / 64;
    const uint64_t bit = uint64_t{1} << (t % 64);
    if (mask[w] & bit) narrowed[w] |= bit;
  };
  if (plan_.bytes.empty()) {
    for (int32_t e : trie.eos_ids()) allow(e);  // complete: end here
  } else {
    grammar::for_each_prefix_token(trie, plan_.bytes, [&](int32_t t, size_t len) {
      if (plan_.cost[len] != grammar::CompletionPlan::kNoSpelling && static_cast<int64_t>(plan_.cost[len]) < budget)
        allow(t);
    });
  }
  if (std::all_of(narrowed.begin(), narrowed.end(), [](uint64_t w) { return w == 0; })) return false;
  std::copy(narrowed.begin(), narrowed.end(), mask);
  return true;
}

bool CompletionSteering::still_fits(grammar::Matcher& m, int32_t t, bool narrowed, int64_t budget_left) {
  if (m.is_finished()) {
    valid_ = false;
    return true;
  }
  if (narrowed) {  // t spells a prefix of the plan: the rest of the plan completes the new state
    plan_.drop_front(m.trie().bytes_of(t).size());
    return static_cast<int64_t>(plan_.tokens()) <= budget_left;
  }
  valid_ = false;
  return refresh(m) && static_cast<int64_t>(plan_.tokens()) <= budget_left;
}

}  // namespace qvl
