// Test oracle: a deliberately plain recognizer over the grammar IR (sets of
// explicit frame stacks, no interning, no DFA, no trie), against which the
// compiled matcher and its token masks are checked. Stacks deeper than
// kMaxDepth are dropped, so tests keep their strings short.
#pragma once
#include <set>
#include <string_view>
#include <vector>

#include "grammar/ir.h"

namespace qvl::grammar::testing {

class NaiveRecognizer {
 public:
  static constexpr size_t kMaxDepth = 400;
  struct Frame {
    uint32_t rule, alt, idx;
    auto operator<=>(const Frame&) const = default;
  };
  using Stack = std::vector<Frame>;

  explicit NaiveRecognizer(const Grammar& g) : g_(g) {
    for (uint32_t a = 0; a < g_.rules[g_.root].alts.size(); ++a) expand({{g_.root, a, 0}}, start_);
  }

  // Configurations after `bytes` from the start (empty: the prefix is dead).
  std::set<Stack> run(std::string_view bytes) const { return run_from(start_, bytes); }
  std::set<Stack> run_from(std::set<Stack> cur, std::string_view bytes) const {
    for (unsigned char c : bytes) {
      std::set<Stack> next;
      for (const Stack& s : cur) {
        if (s.empty()) continue;
        const Frame& f = s.back();
        const Element& e = g_.rules[f.rule].alts[f.alt][f.idx];
        if (!g_.sets[e.id].test(c)) continue;
        Stack t = s;
        t.back().idx++;
        expand(t, next);
      }
      cur = std::move(next);
      if (cur.empty()) break;
    }
    return cur;
  }
  bool viable(std::string_view bytes) const { return !run(bytes).empty(); }
  bool complete(std::string_view bytes) const { return run(bytes).count(Stack{}) > 0; }

 private:
  void expand(Stack s, std::set<Stack>& out) const {
    while (!s.empty() && s.back().idx == g_.rules[s.back().rule].alts[s.back().alt].size()) s.pop_back();
    if (s.size() > kMaxDepth) return;
    if (s.empty()) {
      out.insert(s);
      return;
    }
    const Element& e = g_.rules[s.back().rule].alts[s.back().alt][s.back().idx];
    if (e.kind == Element::Kind::kBytes) {
      out.insert(s);
      return;
    }
    s.back().idx++;
    for (uint32_t a = 0; a < g_.rules[e.id].alts.size(); ++a) {
      Stack t = s;
      t.push_back({e.id, a, 0});
      expand(t, out);
    }
  }

  const Grammar& g_;
  std::set<Stack> start_;
};

}  // namespace qvl::grammar::testing
