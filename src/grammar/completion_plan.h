// CompletionPlan (grammar layer): a byte string that completes the grammar from
// a matcher's state, with the fewest tokens that spell each of its suffixes.
// Matcher::shortest_completion counts bytes; a tokenizer spells those bytes in
// far fewer tokens ("</body></html>" is a handful), so the token count here is
// what a caller near max_tokens compares with its budget (the engine's
// CompletionSteering, the serve layer's "max_tokens too small" check).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "grammar/matcher.h"
#include "grammar/token_trie.h"

namespace qvl::grammar {

struct CompletionPlan {
  static constexpr uint32_t kNoSpelling = UINT32_MAX;
  std::string bytes;           // completes the grammar from the state it was made for
  std::vector<uint32_t> cost;  // cost[i]: fewest usable tokens spelling bytes[i..]; cost[size] = 0
  uint32_t tokens() const { return cost.empty() ? kNoSpelling : cost[0]; }
  // The plan left after the first n bytes were generated.
  void drop_front(size_t n);
};

// Fewest usable tokens that spell each suffix of `bytes` (dynamic programming
// over the trie; kNoSpelling where no spelling exists).
std::vector<uint32_t> spelling_costs(const TokenTrie& trie, std::string_view bytes);

// Calls f(token, length) for each usable token of the trie that is a prefix of bytes.
template <class F>
void for_each_prefix_token(const TokenTrie& trie, std::string_view bytes, F&& f) {
  size_t lo = 0, hi = trie.node_count();
  for (size_t d = 0; d < bytes.size() && lo < hi; ++d) {
    size_t i = lo;
    while (i < hi && TokenTrie::byte(trie.node_[i]) != static_cast<uint8_t>(bytes[d])) i = TokenTrie::skip(trie.node_[i]);
    if (i >= hi) return;
    if (TokenTrie::ends_token(trie.node_[i])) f(trie.token_[i], d + 1);
    lo = i + 1;
    hi = TokenTrie::skip(trie.node_[i]);
  }
}

// The shortest completion (in bytes) of m's state with its token costs; false
// when the grammar cannot be completed from here.
bool plan_completion(Matcher& m, CompletionPlan* out);

// Fewest tokens known to complete the grammar from m's state (0 when it may end
// here), or -1 when it cannot be completed.
int64_t tokens_to_complete(Matcher& m);

}  // namespace qvl::grammar
