// Matcher (grammar layer): one sequence's position in a compiled grammar. It
// advances by tokens or raw bytes, rolls back (speculative checks), reports
// completion and fills the next-token mask over the whole vocabulary.
#pragma once
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "grammar/compiled_grammar.h"
#include "grammar/token_trie.h"

namespace qvl::grammar {

class Matcher {
 public:
  Matcher(std::shared_ptr<CompiledGrammar> grammar, std::shared_ptr<const TokenTrie> trie);

  // Advances by one token; false (and no change) when the grammar forbids it.
  // An end-of-sequence token is accepted only when the grammar is complete and
  // then finishes the matcher; control tokens are always refused.
  bool accept_token(int32_t id);
  // Advances by raw bytes (all or nothing); counts as one step for rollback.
  bool accept_bytes(std::string_view bytes);
  // Undoes the last n accepted steps (tokens or byte runs).
  void rollback(size_t n);
  size_t steps() const { return history_.size() - 1; }

  bool is_complete();   // the grammar may end here (EOS would be allowed)
  bool is_finished() const { return finished_; }  // EOS was accepted
  bool can_continue();  // more bytes may still follow
  // The shortest bytes that complete the grammar from here (see CompiledGrammar).
  bool shortest_completion(std::string* out) { return g_->shortest_completion(history_.back(), out); }
  // words: trie().mask_words() 64-bit words; bit t set when token t is allowed.
  void fill_next_token_mask(uint64_t* words);
  std::vector<uint64_t> next_token_mask();

  const TokenTrie& trie() const { return *trie_; }

 private:
  std::shared_ptr<CompiledGrammar> g_;
  std::shared_ptr<const TokenTrie> trie_;
  std::vector<CompiledGrammar::StateId> history_;
  std::vector<uint8_t> finished_at_;
  bool finished_ = false;
};

}  // namespace qvl::grammar
