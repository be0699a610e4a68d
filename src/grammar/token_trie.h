// TokenTrie (grammar layer): the vocabulary's token byte strings as a trie laid
// out in preorder, so a mask walk is one forward scan that skips a dead subtree
// with one jump. Built once per tokenizer and shared by all grammars.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

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
  size_t node_count() const { return byte_.size(); }
  size_t max_depth() const { return max_depth_; }

  // Preorder arrays (node i): its byte, depth (root children are 1), the index
  // after its subtree, and the token ending there (-1 none; duplicates in extra_).
  std::vector<uint8_t> byte_;
  std::vector<uint16_t> depth_;
  std::vector<uint32_t> skip_;
  std::vector<int32_t> token_;
  std::vector<std::pair<uint32_t, int32_t>> extra_;  // (node, token) for repeated byte strings

 private:
  int32_t vocab_size_;
  std::vector<std::string> bytes_;
  std::vector<bool> usable_;
  std::vector<int32_t> eos_;
  size_t max_depth_ = 0;
};

}  // namespace qvl::grammar
