// CompiledGrammar: flattening, the left-recursion check, stack closure and the
// lazily built byte DFA.
#include "grammar/compiled_grammar.h"

#include <algorithm>
#include <functional>
#include <map>

#include "base/error.h"

namespace qvl::grammar {

size_t CompiledGrammar::VecHash::operator()(const std::vector<uint32_t>& v) const {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ v.size();
  for (uint32_t x : v) h = (h ^ x) * 0x100000001B3ull + (h >> 29);
  return static_cast<size_t>(h);
}

CompiledGrammar::CompiledGrammar(const Grammar& g) {
  QVL_CHECK(g.root < g.rules.size(), "grammar has no root rule");
  sets_ = g.sets;
  alt_starts_.resize(g.rules.size());
  for (size_t r = 0; r < g.rules.size(); ++r) {
    for (const Seq& alt : g.rules[r].alts) {
      alt_starts_[r].push_back(static_cast<uint32_t>(elems_.size()));
      for (const Element& e : alt) {
        QVL_CHECK(e.kind == Element::Kind::kBytes ? e.id < sets_.size() : e.id < g.rules.size(),
                  "grammar element refers to nothing");
        elems_.push_back({e.kind == Element::Kind::kBytes ? kBytes : kRule, e.id});
      }
      elems_.push_back({kEnd, 0});
    }
  }
  check_left_recursion(g);
  compute_min_lengths();
  nodes_.push_back({0, 0});
  nodes_.push_back({UINT32_MAX, 0});  // kOpaque
  states_.push_back({});
  trans_.assign(256, 0);
  accepts_.push_back(0);
  continues_.push_back(0);
  has_opaque_.push_back(0);
  loops_.push_back({});
  looping_.push_back(0);
  text_loop_.push_back(-1);
  std::vector<uint32_t> work, out;
  for (uint32_t s : alt_starts_[g.root]) work.push_back(cont(s, 0));
  expand(work, out);
  initial_ = intern_state(std::move(out));
}

// A rule that reaches itself before consuming a byte, with something left to
// match after the call, would grow the stack forever; calls in tail position
// (x* lowered to R ::= x R) do not, and the closure's visited set ends them.
void CompiledGrammar::check_left_recursion(const Grammar& g) {
  size_t n = g.rules.size();
  std::vector<uint8_t> nullable(n, 0);
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t r = 0; r < n; ++r) {
      if (nullable[r]) continue;
      for (const Seq& alt : g.rules[r].alts) {
        bool all = std::all_of(alt.begin(), alt.end(), [&](const Element& e) {
          return e.kind == Element::Kind::kRule && nullable[e.id];
        });
        if (all) { nullable[r] = 1; changed = true; break; }
      }
    }
  }
  struct Edge { uint32_t to; bool tail; };
  std::vector<std::vector<Edge>> edges(n);
  for (size_t r = 0; r < n; ++r)
    for (const Seq& alt : g.rules[r].alts)
      for (size_t i = 0; i < alt.size(); ++i) {
        if (alt[i].kind != Element::Kind::kRule) break;
        edges[r].push_back({alt[i].id, i + 1 == alt.size()});
        if (!nullable[alt[i].id]) break;
      }
  // Tarjan's strongly connected components (iterative), then any non-tail edge inside one fails.
  std::vector<int32_t> index(n, -1), low(n, 0), comp(n, -1);
  std::vector<uint8_t> on(n, 0);
  std::vector<uint32_t> stack;
  int32_t next = 0, ncomp = 0;
  for (uint32_t s = 0; s < n; ++s) {
    if (index[s] >= 0) continue;
    std::vector<std::pair<uint32_t, size_t>> call{{s, 0}};
    index[s] = low[s] = next++;
    stack.push_back(s);
    on[s] = 1;
    while (!call.empty()) {
      auto& [v, i] = call.back();
      if (i < edges[v].size()) {
        uint32_t w = edges[v][i++].to;
        if (index[w] < 0) {
          index[w] = low[w] = next++;
          stack.push_back(w);
          on[w] = 1;
          call.push_back({w, 0});
        } else if (on[w]) {
          low[v] = std::min(low[v], index[w]);
        }
      } else {
        uint32_t done = v;
        if (low[done] == index[done]) {
          uint32_t w;
          do {
            w = stack.back();
            stack.pop_back();
            on[w] = 0;
            comp[w] = ncomp;
          } while (w != done);
          ++ncomp;
        }
        call.pop_back();
        if (!call.empty()) low[call.back().first] = std::min(low[call.back().first], low[done]);
      }
    }
  }
  for (size_t r = 0; r < n; ++r)
    for (const Edge& e : edges[r])
      QVL_CHECK(e.tail || comp[r] != comp[e.to], "left recursion in rule '", g.rules[r].name,
                "' (a rule may not call itself before matching a character)");
}

// Fewest bytes per rule by fixpoint; the witness alternative changes only on a
// strict improvement, so following witnesses always terminates.
void CompiledGrammar::compute_min_lengths() {
  size_t n = alt_starts_.size();
  rule_min_.assign(n, kInf);
  rule_best_.assign(n, 0);
  suffix_min_.assign(elems_.size(), 0);
  auto alt_min = [&](uint32_t p) {
    uint64_t sum = 0;
    for (; elems_[p].kind != kEnd; ++p) {
      sum += elems_[p].kind == kBytes ? 1 : rule_min_[elems_[p].id];
      if (sum >= kInf) return kInf;
    }
    return sum;
  };
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t r = 0; r < n; ++r)
      for (uint32_t a = 0; a < alt_starts_[r].size(); ++a) {
        uint64_t m = alt_min(alt_starts_[r][a]);
        if (m < rule_min_[r]) {
          rule_min_[r] = m;
          rule_best_[r] = a;
          changed = true;
        }
      }
  }
  for (size_t p = elems_.size(); p-- > 0;) {
    if (elems_[p].kind == kEnd) continue;
    uint64_t here = elems_[p].kind == kBytes ? 1 : rule_min_[elems_[p].id];
    uint64_t rest = elems_[p + 1].kind == kEnd ? 0 : suffix_min_[p + 1];
    suffix_min_[p] = std::min(kInf, here + rest);
  }
}

void CompiledGrammar::append_min_string(uint32_t pos, std::string& out) const {
  for (; elems_[pos].kind != kEnd; ++pos) {
    const Elem& e = elems_[pos];
    if (e.kind == kBytes) {
      int b = 0;
      while (!sets_[e.id].test(static_cast<uint8_t>(b))) ++b;
      out += static_cast<char>(b);
    } else {
      append_min_string(alt_starts_[e.id][rule_best_[e.id]], out);
    }
  }
}

bool CompiledGrammar::shortest_completion(StateId s, std::string* out) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t best = kInf;
  uint32_t best_node = 0;
  for (uint32_t n : states_[s]) {
    if (n == kOpaque) continue;
    uint64_t cost = 0;
    for (uint32_t f = n; f != 0 && cost < kInf; f = nodes_[f].parent) cost += suffix_min_[nodes_[f].pos];
    if (cost < best) {
      best = cost;
      best_node = n;
    }
  }
  if (best >= kInf) return false;
  out->clear();
  for (uint32_t f = best_node; f != 0; f = nodes_[f].parent) append_min_string(nodes_[f].pos, *out);
  return true;
}

uint32_t CompiledGrammar::intern_node(uint32_t pos, uint32_t parent) {
  uint64_t key = (uint64_t{pos} << 32) | parent;
  auto [it, fresh] = node_ids_.emplace(key, static_cast<uint32_t>(nodes_.size()));
  if (fresh) {
    QVL_CHECK(nodes_.size() < kMaxNodes, "grammar state limit reached (", kMaxNodes, " stack frames)");
    nodes_.push_back({pos, parent});
  }
  return it->second;
}

// The stack "continue at pos, then return to parent"; at the end of an
// alternative that is simply the parent (tail call: no frame is kept).
uint32_t CompiledGrammar::cont(uint32_t pos, uint32_t parent) {
  return elems_[pos].kind == kEnd ? parent : intern_node(pos, parent);
}

// Closure: replaces every stack whose top is a rule call by the stacks of that
// rule's alternatives until each top expects a byte (or the stack is empty).
void CompiledGrammar::expand(std::vector<uint32_t>& work, std::vector<uint32_t>& out) {
  if (++stamp_gen_ == 0) {
    std::fill(stamp_.begin(), stamp_.end(), 0);
    stamp_gen_ = 1;
  }
  while (!work.empty()) {
    uint32_t n = work.back();
    work.pop_back();
    if (stamp_.size() < nodes_.size()) stamp_.resize(nodes_.size() * 2, 0);
    if (stamp_[n] == stamp_gen_) continue;
    stamp_[n] = stamp_gen_;
    if (n == 0 || n == kOpaque) {
      out.push_back(n);
      continue;
    }
    Node node = nodes_[n];
    const Elem& e = elems_[node.pos];
    if (e.kind == kBytes) {
      out.push_back(n);
      continue;
    }
    uint32_t ret = cont(node.pos + 1, node.parent);
    for (uint32_t s : alt_starts_[e.id]) work.push_back(cont(s, ret));
  }
}

CompiledGrammar::StateId CompiledGrammar::intern_state(std::vector<uint32_t> nodes) {
  std::sort(nodes.begin(), nodes.end());
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  if (nodes.empty()) return kDead;
  auto it = state_ids_.find(nodes);
  if (it != state_ids_.end()) return it->second;
  QVL_CHECK(states_.size() < kMaxStates, "grammar state limit reached (", kMaxStates, " automaton states)");
  auto id = static_cast<StateId>(states_.size());
  bool acc = nodes.front() == 0;
  bool more = nodes.size() > (acc ? 1u : 0u);
  has_opaque_.push_back(std::binary_search(nodes.begin(), nodes.end(), kOpaque));
  loops_.push_back({});
  looping_.push_back(0);
  text_loop_.push_back(-1);
  state_ids_.emplace(nodes, id);
  states_.push_back(std::move(nodes));
  trans_.resize(trans_.size() + 256, -1);
  accepts_.push_back(acc);
  continues_.push_back(more);
  return id;
}

// Fills all 256 transitions of state s at once: bytes that the same stacks
// accept lead to the same state, so one closure per class of bytes (a handful
// per state: ASCII letters, quote, backslash, UTF-8 lead ranges ...) suffices.
CompiledGrammar::StateId CompiledGrammar::compute_step(StateId s, uint8_t byte) {
  std::vector<uint32_t> live;  // nodes of s that expect a byte
  for (uint32_t n : states_[s])
    if (n != 0 && n != kOpaque) live.push_back(n);
  size_t words = (live.size() + 63) / 64;
  std::vector<uint64_t> sig(256 * words, 0);  // byte -> which live nodes accept it
  for (size_t i = 0; i < live.size(); ++i) {
    const ByteSet& set = sets_[elems_[nodes_[live[i]].pos].id];
    for (int b = 0; b < 256; ++b)
      if (set.test(static_cast<uint8_t>(b))) sig[b * words + i / 64] |= uint64_t{1} << (i % 64);
  }
  std::map<std::vector<uint64_t>, StateId> done;
  std::vector<uint32_t> work, out;
  for (int b = 0; b < 256; ++b) {
    std::vector<uint64_t> key(sig.begin() + b * words, sig.begin() + (b + 1) * words);
    auto it = done.find(key);
    if (it == done.end()) {
      work.clear();
      out.clear();
      for (size_t i = 0; i < live.size(); ++i)
        if ((key[i / 64] >> (i % 64)) & 1) work.push_back(cont(nodes_[live[i]].pos + 1, nodes_[live[i]].parent));
      expand(work, out);
      it = done.emplace(std::move(key), intern_state(out)).first;
    }
    trans_[size_t{s} * 256 + b] = static_cast<int32_t>(it->second);
  }
  int n_loop = 0;
  for (int b = 0; b < 256; ++b)
    if (trans_[size_t{s} * 256 + b] == static_cast<int32_t>(s)) {
      loops_[s].set(static_cast<uint8_t>(b));
      ++n_loop;
    }
  looping_[s] = n_loop >= 4;
  return static_cast<StateId>(trans_[size_t{s} * 256 + byte]);
}

CompiledGrammar::StateId CompiledGrammar::step(StateId s, uint8_t byte) {
  std::lock_guard<std::mutex> lock(mu_);
  return step_locked(s, byte);
}

CompiledGrammar::StateId CompiledGrammar::step(StateId s, std::string_view bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  for (char c : bytes) {
    if (s == kDead) break;
    s = step_locked(s, static_cast<uint8_t>(c));
  }
  return s;
}

bool CompiledGrammar::accepts(StateId s) {
  std::lock_guard<std::mutex> lock(mu_);
  return accepts_[s];
}

bool CompiledGrammar::can_continue(StateId s) {
  std::lock_guard<std::mutex> lock(mu_);
  return continues_[s];
}

size_t CompiledGrammar::state_count() {
  std::lock_guard<std::mutex> lock(mu_);
  return states_.size();
}

}  // namespace qvl::grammar
