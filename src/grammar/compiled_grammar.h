// CompiledGrammar (grammar layer): the IR flattened into one element array and
// run as a byte-level pushdown automaton whose configurations (sets of stacks)
// are interned and determinised lazily into a DFA over bytes. The DFA and the
// per-state token masks are cached here and shared by every Matcher of this
// grammar (a mutex guards them), so a state is expanded once per process.
// See docs/GRAMMAR.md for the design and its limits.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "grammar/ir.h"

namespace qvl::grammar {

class TokenTrie;

class CompiledGrammar {
 public:
  using StateId = uint32_t;
  static constexpr StateId kDead = 0;  // no stack survives: nothing more can match
  static constexpr size_t kMaxStates = 1 << 15;   // DFA states (1 KiB of transitions each)
  static constexpr size_t kMaxNodes = 1 << 22;    // interned stack frames
  static constexpr size_t kMaxCachedMasks = 512;  // whole-vocabulary masks kept
  // Stack frames kept when a state is cut down to its top for the
  // context-independent part of its mask (see token_mask.cpp).
  static constexpr int kTopDepth = 3;

  // Throws qvl::Error for left recursion (the stack would grow without bound).
  explicit CompiledGrammar(const Grammar& g);
  CompiledGrammar(const CompiledGrammar&) = delete;
  CompiledGrammar& operator=(const CompiledGrammar&) = delete;

  StateId initial() const { return initial_; }
  StateId step(StateId s, uint8_t byte);
  StateId step(StateId s, std::string_view bytes);  // kDead once any byte fails
  bool accepts(StateId s);       // the whole grammar may end here
  bool can_continue(StateId s);  // some stack still expects a byte
  // Bit t of `words` (vocab bits, 64 per word) is set when token t may follow
  // state s: its bytes keep the automaton alive, or it is an end-of-sequence
  // token and s accepts. Control tokens are never set.
  void fill_mask(StateId s, const TokenTrie& trie, uint64_t* words);

  size_t rule_count() const { return alt_starts_.size(); }
  size_t state_count();

  // The shortest byte string that completes the grammar from state s (empty
  // when s accepts), or false when no completion exists. Every byte is a token
  // of a byte-level vocabulary, so its length bounds the tokens still needed:
  // an endpoint near max_tokens can force it to end with complete output.
  bool shortest_completion(StateId s, std::string* out);

 private:
  enum : uint8_t { kBytes, kRule, kEnd };
  struct Elem {
    uint8_t kind;
    uint32_t id;
  };
  struct Node {
    uint32_t pos, parent;
  };
  // Node 0 is the empty stack; node 1 stands for "the frames below, unknown":
  // a stack that pops into it has left the top part of its state.
  static constexpr uint32_t kOpaque = 1;
  struct VecHash {
    size_t operator()(const std::vector<uint32_t>& v) const;
  };

  void check_left_recursion(const Grammar& g);
  void compute_min_lengths();
  void append_min_string(uint32_t pos, std::string& out) const;  // elements pos..END

  static constexpr uint64_t kInf = UINT64_MAX / 4;
  std::vector<uint64_t> rule_min_;     // fewest bytes a rule matches (kInf: none)
  std::vector<uint32_t> rule_best_;    // the alternative that achieves it
  std::vector<uint64_t> suffix_min_;   // element position -> fewest bytes to the end of its alternative
  uint32_t intern_node(uint32_t pos, uint32_t parent);
  uint32_t cont(uint32_t pos, uint32_t parent);
  void expand(std::vector<uint32_t>& work, std::vector<uint32_t>& out);
  StateId intern_state(std::vector<uint32_t> nodes);
  uint32_t truncate(uint32_t node, int depth);
  StateId top_state(StateId s);
  struct TopMask {
    std::vector<uint64_t> certain;  // tokens allowed whatever lies below the top frames
    // Trie subtrees whose tokens depend on the frames below: (first node, the
    // bytes leading to it), walked again from each full state.
    std::vector<std::pair<uint32_t, std::string>> uncertain;
  };
  void walk(StateId from, const TokenTrie& trie, size_t begin, size_t end, uint32_t base_depth, uint64_t* words,
            TopMask* split);
  const TopMask& top_mask(StateId top, const TokenTrie& trie);
  StateId compute_step(StateId s, uint8_t byte);
  StateId step_locked(StateId s, uint8_t byte) {
    int32_t t = trans_[size_t{s} * 256 + byte];
    return t >= 0 ? static_cast<StateId>(t) : compute_step(s, byte);
  }

  std::vector<Elem> elems_;
  std::vector<ByteSet> sets_;
  std::vector<std::vector<uint32_t>> alt_starts_;  // rule -> first element of each alternative
  StateId initial_ = kDead;

  std::mutex mu_;
  std::vector<Node> nodes_;  // node 0: the empty stack (grammar complete)
  std::unordered_map<uint64_t, uint32_t> node_ids_;
  std::vector<uint32_t> stamp_;
  uint32_t stamp_gen_ = 0;
  std::vector<std::vector<uint32_t>> states_;  // sorted node ids; state 0 is empty
  std::unordered_map<std::vector<uint32_t>, StateId, VecHash> state_ids_;
  std::vector<int32_t> trans_;  // state * 256 + byte -> state, -1 unknown
  std::vector<uint8_t> accepts_, continues_;
  std::vector<ByteSet> loops_;   // bytes that lead from the state back to itself (row computed)
  std::vector<uint8_t> looping_; // loops_ holds more than a few bytes: worth testing in walks
  std::vector<int8_t> text_loop_; // every text character leads back to the state: -1 unknown, 0, 1
  bool takes_all_text(StateId s);
  std::vector<uint8_t> has_opaque_;  // the state holds kOpaque (a stack left the top frames)
  std::unordered_map<StateId, StateId> top_of_;
  const TokenTrie* mask_trie_ = nullptr;
  std::unordered_map<StateId, std::vector<uint64_t>> masks_;
  std::unordered_map<StateId, TopMask> top_masks_;
};

}  // namespace qvl::grammar
