// CompiledGrammar::fill_mask: one preorder scan of the token trie, stepping the
// byte DFA per trie node and jumping over every subtree whose prefix is dead.
// Whole masks are cached per DFA state, so a state seen before costs one copy.
#include <cstring>

#include "grammar/compiled_grammar.h"
#include "grammar/token_trie.h"

namespace qvl::grammar {

void CompiledGrammar::fill_mask(StateId s, const TokenTrie& trie, uint64_t* words) {
  const size_t nw = trie.mask_words();
  std::lock_guard<std::mutex> lock(mu_);
  if (mask_trie_ != &trie) {
    masks_.clear();
    mask_trie_ = &trie;
  }
  auto hit = masks_.find(s);
  if (hit != masks_.end()) {
    std::memcpy(words, hit->second.data(), nw * sizeof(uint64_t));
    return;
  }
  std::memset(words, 0, nw * sizeof(uint64_t));
  if (s != kDead) {
    std::vector<StateId> at(trie.max_depth() + 1);
    at[0] = s;
    const uint8_t* byte = trie.byte_.data();
    const uint16_t* depth = trie.depth_.data();
    const uint32_t* skip = trie.skip_.data();
    const int32_t* token = trie.token_.data();
    const size_t n = trie.node_count();
    for (size_t i = 0; i < n;) {
      StateId from = at[depth[i] - 1];
      int32_t t = trans_[size_t{from} * 256 + byte[i]];
      StateId next = t >= 0 ? static_cast<StateId>(t) : compute_step(from, byte[i]);
      if (next == kDead) {
        i = skip[i];
        continue;
      }
      at[depth[i]] = next;
      if (int32_t tok = token[i]; tok >= 0) words[tok >> 6] |= uint64_t{1} << (tok & 63);
      ++i;
    }
    for (auto [node, tok] : trie.extra_) {
      int32_t first = trie.token_[node];
      if ((words[first >> 6] >> (first & 63)) & 1) words[tok >> 6] |= uint64_t{1} << (tok & 63);
    }
    if (accepts_[s])
      for (int32_t e : trie.eos_ids()) words[e >> 6] |= uint64_t{1} << (e & 63);
  }
  if (masks_.size() >= kMaxCachedMasks) masks_.clear();
  masks_.emplace(s, std::vector<uint64_t>(words, words + nw));
}

}  // namespace qvl::grammar
