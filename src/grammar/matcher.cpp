// Matcher: a history of DFA states, so rollback is a pop.
#include "grammar/matcher.h"

#include "base/error.h"

namespace qvl::grammar {

Matcher::Matcher(std::shared_ptr<CompiledGrammar> grammar, std::shared_ptr<const TokenTrie> trie)
    : g_(std::move(grammar)), trie_(std::move(trie)) {
  history_.push_back(g_->initial());
  finished_at_.push_back(0);
}

bool Matcher::accept_token(int32_t id) {
  if (finished_ || id < 0 || id >= trie_->vocab_size()) return false;
  if (trie_->is_eos(id)) {
    if (!g_->accepts(history_.back())) return false;
    history_.push_back(history_.back());
    finished_at_.push_back(1);
    finished_ = true;
    return true;
  }
  if (!trie_->usable(id)) return false;
  return accept_bytes(trie_->bytes_of(id));
}

bool Matcher::accept_bytes(std::string_view bytes) {
  if (finished_) return false;
  CompiledGrammar::StateId s = g_->step(history_.back(), bytes);
  if (s == CompiledGrammar::kDead) return false;
  history_.push_back(s);
  finished_at_.push_back(0);
  return true;
}

void Matcher::rollback(size_t n) {
  QVL_CHECK(n <= steps(), "grammar rollback of ", n, " steps, only ", steps(), " taken");
  history_.resize(history_.size() - n);
  finished_at_.resize(history_.size());
  finished_ = finished_at_.back();
}

bool Matcher::is_complete() { return g_->accepts(history_.back()); }
bool Matcher::can_continue() { return !finished_ && g_->can_continue(history_.back()); }

void Matcher::fill_next_token_mask(uint64_t* words) {
  if (finished_) {
    std::fill(words, words + trie_->mask_words(), 0);
    return;
  }
  g_->fill_mask(history_.back(), *trie_, words);
}

std::vector<uint64_t> Matcher::next_token_mask() {
  std::vector<uint64_t> m(trie_->mask_words());
  fill_next_token_mask(m.data());
  return m;
}

}  // namespace qvl::grammar
