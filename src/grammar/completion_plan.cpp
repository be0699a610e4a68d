// CompletionPlan: token costs of a completion by dynamic programming over the trie.
#include "grammar/completion_plan.h"

#include <algorithm>

namespace qvl::grammar {

void CompletionPlan::drop_front(size_t n) {
  n = std::min(n, bytes.size());
  bytes.erase(0, n);
  cost.erase(cost.begin(), cost.begin() + static_cast<std::ptrdiff_t>(n));
}

std::vector<uint32_t> spelling_costs(const TokenTrie& trie, std::string_view bytes) {
  std::vector<uint32_t> cost(bytes.size() + 1, CompletionPlan::kNoSpelling);
  cost[bytes.size()] = 0;
  for (size_t i = bytes.size(); i-- > 0;) {
    uint32_t best = CompletionPlan::kNoSpelling;
    for_each_prefix_token(trie, bytes.substr(i), [&](int32_t, size_t len) {
      const uint32_t rest = cost[i + len];
      if (rest != CompletionPlan::kNoSpelling) best = std::min(best, rest + 1);
    });
    cost[i] = best;
  }
  return cost;
}

bool plan_completion(Matcher& m, CompletionPlan* out) {
  if (m.is_finished()) {
    out->bytes.clear();
    out->cost = {0};
    return true;
  }
  if (!m.shortest_completion(&out->bytes)) return false;
  out->cost = spelling_costs(m.trie(), out->bytes);
  return out->tokens() != CompletionPlan::kNoSpelling;
}

int64_t tokens_to_complete(Matcher& m) {
  CompletionPlan p;
  if (!plan_completion(m, &p)) return -1;
  return p.tokens();
}

}  // namespace qvl::grammar
