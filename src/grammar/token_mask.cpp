// CompiledGrammar::fill_mask. A state's mask is built in two parts, after the
// idea of context-independent tokens (XGrammar): the state is cut down to its
// top kTopDepth frames per stack ("top state", the rest replaced by kOpaque);
// one preorder scan of the token trie over that top state decides every token
// whose bytes stay within the top frames, and records the trie subtrees where
// some stack popped past the cut. That split is cached per top state, which
// many full states share (the same place in a string at any nesting depth), so
// a new full state only walks those subtrees with its own DFA. Whole masks are
// cached per state as well.
#include <algorithm>
#include <cstring>

#include "grammar/compiled_grammar.h"
#include "grammar/token_trie.h"

namespace qvl::grammar {
namespace {

bool subset(const ByteSet& a, const ByteSet& b) {
  return ((a.w[0] & ~b.w[0]) | (a.w[1] & ~b.w[1]) | (a.w[2] & ~b.w[2]) | (a.w[3] & ~b.w[3])) == 0;
}

}  // namespace

// True when every text character (TokenTrie::text_below) leads from s back to
// s, every prefix of one staying alive: the well-formed UTF-8 patterns of
// Unicode's table 3-7, followed through the distinct states they reach.
bool CompiledGrammar::takes_all_text(StateId s) {
  if (text_loop_[s] >= 0) return text_loop_[s];
  bool ok = true;
  for (int b = 0; b < 0x80 && ok; ++b)
    if (TokenTrie::is_text_ascii(static_cast<uint8_t>(b))) ok = step_locked(s, static_cast<uint8_t>(b)) == s;
  struct Range {
    uint8_t lo, hi;
  };
  static const std::vector<std::vector<Range>> kPatterns = {
      {{0xC2, 0xDF}, {0x80, 0xBF}},
      {{0xE0, 0xE0}, {0xA0, 0xBF}, {0x80, 0xBF}},
      {{0xE1, 0xEC}, {0x80, 0xBF}, {0x80, 0xBF}},
      {{0xED, 0xED}, {0x80, 0x9F}, {0x80, 0xBF}},
      {{0xEE, 0xEF}, {0x80, 0xBF}, {0x80, 0xBF}},
      {{0xF0, 0xF0}, {0x90, 0xBF}, {0x80, 0xBF}, {0x80, 0xBF}},
      {{0xF1, 0xF3}, {0x80, 0xBF}, {0x80, 0xBF}, {0x80, 0xBF}},
      {{0xF4, 0xF4}, {0x80, 0x8F}, {0x80, 0xBF}, {0x80, 0xBF}}};
  for (const auto& pattern : kPatterns) {
    if (!ok) break;
    std::vector<StateId> at = {s};
    for (const Range& r : pattern) {
      std::vector<StateId> next;
      for (StateId x : at)
        for (int b = r.lo; b <= r.hi && ok; ++b) {
          StateId y = step_locked(x, static_cast<uint8_t>(b));
          if (y == kDead) ok = false;
          else if (std::find(next.begin(), next.end(), y) == next.end()) next.push_back(y);
        }
      at = std::move(next);
      if (!ok || at.size() > 64) { ok = false; break; }
    }
    ok = ok && at.size() == 1 && at[0] == s;
  }
  text_loop_[s] = ok;
  return ok;
}

uint32_t CompiledGrammar::truncate(uint32_t n, int depth) {
  if (n == 0 || n == kOpaque) return n;
  if (depth == 0) return kOpaque;
  return intern_node(nodes_[n].pos, truncate(nodes_[n].parent, depth - 1));
}

CompiledGrammar::StateId CompiledGrammar::top_state(StateId s) {
  auto it = top_of_.find(s);
  if (it != top_of_.end()) return it->second;
  std::vector<uint32_t> nodes;
  for (uint32_t n : states_[s]) nodes.push_back(truncate(n, kTopDepth));
  StateId top = intern_state(std::move(nodes));
  top_of_.emplace(s, top);
  return top;
}

// Walks trie nodes [begin, end) (a run of whole subtrees whose parent is at
// base_depth, reached in state `from`), setting the bit of every token whose
// bytes keep the automaton alive and jumping over dead subtrees. With `split`,
// a node whose state holds kOpaque is not decided: its subtree is recorded.
void CompiledGrammar::walk(StateId from, const TokenTrie& trie, size_t begin, size_t end, uint32_t base_depth,
                           uint64_t* words, TopMask* split) {
  std::vector<StateId> at(trie.max_depth() + 1);
  std::string path(trie.max_depth() + 1, '\0');
  at[base_depth] = from;
  const uint64_t* node = trie.node_.data();
  const int32_t* token = trie.token_.data();
  const int32_t* trans = trans_.data();
  for (size_t i = begin; i < end;) {
    uint64_t w = node[i];
    uint32_t d = TokenTrie::depth(w);
    int32_t t = trans[size_t{at[d - 1]} * 256 + TokenTrie::byte(w)];
    if (t < 0) {
      t = static_cast<int32_t>(compute_step(at[d - 1], TokenTrie::byte(w)));
      trans = trans_.data();  // the table may have grown
    }
    if (t == static_cast<int32_t>(kDead)) {
      i = TokenTrie::skip(w);
      continue;
    }
    if (split) {
      path[d - 1] = static_cast<char>(TokenTrie::byte(w));
      if (has_opaque_[t]) {
        split->uncertain.push_back({static_cast<uint32_t>(i), path.substr(0, d - 1)});
        i = TokenTrie::skip(w);
        continue;
      }
    }
    at[d] = static_cast<StateId>(t);
    uint32_t after = TokenTrie::skip(w);
    if (after > i + 1 && trans[size_t(t) * 256] < 0) {
      compute_step(static_cast<StateId>(t), 0);  // fills the whole row, loops_ with it
      trans = trans_.data();
    }
    if (looping_[t] && after > i + 1 && subset(trie.below_[i], loops_[t])) {
      // Every byte below loops on t (a string body, an identifier): all the
      // tokens of the subtree are allowed, no walk needed.
      uint32_t e = after;
      for (uint32_t k = trie.tok_begin_[i]; k < trie.tok_begin_[e]; ++k) {
        int32_t tok = trie.tok_order_[k];
        words[tok >> 6] |= uint64_t{1} << (tok & 63);
      }
      i = e;
      continue;
    }
    if (TokenTrie::text_below(w) && after > i + 1 && takes_all_text(static_cast<StateId>(t))) {
      trans = trans_.data();  // the check may have added states
      for (uint32_t k = trie.tok_begin_[i]; k < trie.tok_begin_[after]; ++k) {
        int32_t tok = trie.tok_order_[k];
        words[tok >> 6] |= uint64_t{1} << (tok & 63);
      }
      i = after;
      continue;
    }
    if (TokenTrie::ends_token(w)) {
      int32_t tok = token[i];
      words[tok >> 6] |= uint64_t{1} << (tok & 63);
    }
    ++i;
  }
}

const CompiledGrammar::TopMask& CompiledGrammar::top_mask(StateId top, const TokenTrie& trie) {
  auto hit = top_masks_.find(top);
  if (hit != top_masks_.end()) return hit->second;
  if (top_masks_.size() >= kMaxCachedMasks) top_masks_.clear();
  TopMask tm;
  tm.certain.assign(trie.mask_words(), 0);
  walk(top, trie, 0, trie.node_count(), 0, tm.certain.data(), has_opaque_[top] ? nullptr : &tm);
  if (has_opaque_[top]) {  // nothing is known without the frames below: walk everything per state
    std::fill(tm.certain.begin(), tm.certain.end(), 0);
    tm.uncertain = {{0, std::string()}};
  }
  return top_masks_.emplace(top, std::move(tm)).first->second;
}

void CompiledGrammar::fill_mask(StateId s, const TokenTrie& trie, uint64_t* words) {
  const size_t nw = trie.mask_words();
  std::lock_guard<std::mutex> lock(mu_);
  if (mask_trie_ != &trie) {
    masks_.clear();
    top_masks_.clear();
    mask_trie_ = &trie;
  }
  auto hit = masks_.find(s);
  if (hit != masks_.end()) {
    std::memcpy(words, hit->second.data(), nw * sizeof(uint64_t));
    return;
  }
  std::memset(words, 0, nw * sizeof(uint64_t));
  if (s != kDead) {
    StateId top = top_state(s);
    if (top == s) {  // nothing was cut: the walk is exact
      walk(s, trie, 0, trie.node_count(), 0, words, nullptr);
    } else {
      const TopMask& tm = top_mask(top, trie);
      std::memcpy(words, tm.certain.data(), nw * sizeof(uint64_t));
      for (const auto& [first, prefix] : tm.uncertain) {
        StateId st = s;
        for (char c : prefix) {
          st = step_locked(st, static_cast<uint8_t>(c));
          if (st == kDead) break;
        }
        if (st == kDead) continue;
        size_t end = first == 0 && prefix.empty() ? trie.node_count() : TokenTrie::skip(trie.node_[first]);
        walk(st, trie, first, end, static_cast<uint32_t>(prefix.size()), words, nullptr);
      }
    }
    for (auto [nd, tok] : trie.extra_) {  // tokens that repeat another's bytes share its fate
      int32_t first = trie.token_[nd];
      if ((words[first >> 6] >> (first & 63)) & 1) words[tok >> 6] |= uint64_t{1} << (tok & 63);
    }
    if (accepts_[s])
      for (int32_t e : trie.eos_ids()) words[e >> 6] |= uint64_t{1} << (e & 63);
  }
  if (masks_.size() >= kMaxCachedMasks) masks_.clear();
  masks_.emplace(s, std::vector<uint64_t>(words, words + nw));
}

}  // namespace qvl::grammar
