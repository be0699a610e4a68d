// TokenTrie (grammar layer): the vocabulary's token byte strings as a trie laid
// out in preorder, so a mask walk is one forward scan that skips a dead subtree
// with one jump. Built once per tokenizer and shared by all grammars.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "grammar/ir.h"

namespace qvl::grammar {

class TokenTrie {
 public:
  // token_bytes[id]: the raw bytes of token id. usable[id] false for control /
  // unused tokens: a grammar never allows them. eos_ids: allowed when complete.
  // padded_vocab: the model's logit count when it exceeds the tokenizer's
  // (Qwen3: 151,936 logits for 151,669 tokens); the extra ids are never allowed.
  TokenTrie(const std::vector<std::string>& token_bytes, const std::vector<bool>& usable,
            std::vector<int32_t> eos_ids, int32_t padded_vocab = 0);

  int32_t vocab_size() const { return vocab_size_; }
  size_t mask_words() const { return (static_cast<size_t>(vocab_size_) + 63) / 64; }
  const std::string& bytes_of(int32_t id) const { return bytes_[id]; }
  bool usable(int32_t id) const { return usable_[id]; }
  bool is_eos(int32_t id) const;
  const std::vector<int32_t>& eos_ids() const { return eos_; }
  size_t node_count() const { return node_.size(); }
  size_t max_depth() const { return max_depth_; }

  // Preorder node i packed in one word, so the mask walk streams one array:
  // bits 0-7 its byte, 8-23 its depth (root children are 1), bit 24 set when a
  // token ends here, bit 25 set when below it every token continues with text
  // (see text_below), bits 32-63 the index after its subtree.
  static uint8_t byte(uint64_t n) { return static_cast<uint8_t>(n); }
  static uint32_t depth(uint64_t n) { return static_cast<uint32_t>(n >> 8) & 0xFFFF; }
  static bool ends_token(uint64_t n) { return (n >> 24) & 1; }
  static uint32_t skip(uint64_t n) { return static_cast<uint32_t>(n >> 32); }
  // Every token below the node continues, from a character boundary, with
  // well-formed UTF-8 (possibly cut inside its last character) of "text"
  // characters: none of U+0000-U+001F, '"', '\\', U+007F. A string body that
  // takes every such character allows all of them at once.
  static bool text_below(uint64_t n) { return (n >> 25) & 1; }
  static bool is_text_ascii(uint8_t b) { return b >= 0x20 && b < 0x7F && b != '"' && b != '\\'; }
  // Tokens in preorder of their end nodes: the subtree of node i ends
  // tokens tok_order_[tok_begin_[i] .. tok_begin_[skip(i)]).
  std::vector<uint64_t> node_;
  std::vector<int32_t> token_;  // the token ending at node i, -1 none (duplicates in extra_)
  std::vector<int32_t> tok_order_;
  std::vector<ByteSet> below_;  // node i: the bytes of all nodes under it (not its own)
  std::vector<uint32_t> tok_begin_;  // node_count() + 1 entries
  std::vector<std::pair<uint32_t, int32_t>> extra_;  // (node, token) for repeated byte strings

 private:
  int32_t vocab_size_;
  std::vector<std::string> bytes_;
  std::vector<bool> usable_;
  std::vector<int32_t> eos_;
  size_t max_depth_ = 0;
};

}  // namespace qvl::grammar
