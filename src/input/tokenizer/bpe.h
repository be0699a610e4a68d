// Byte-pair merging of one pre-tokenized word by merge rank (input layer).
// Works on raw bytes and token ids; the byte-level alphabet is resolved at load.
#pragma once
#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace qvl {

class BpeMerger {
 public:
  // byte_ids: the token of each single byte; merges: (left id, right id) -> merged id, by rank.
  struct Merge {
    int32_t left, right, result;
  };
  BpeMerger(const int32_t (&byte_ids)[256], const std::vector<Merge>& merges_by_rank);

  // Appends the ids of `word` (raw bytes). Equal (rank, position) order to Hugging
  // Face and llama.cpp: always the lowest-rank pair, leftmost first.
  void encode(std::string_view word, std::vector<int32_t>& out) const;

 private:
  struct RankedResult {
    int32_t rank, result;
  };
  const RankedResult* find(int32_t left, int32_t right) const {
    auto it = pairs_.find(key(left, right));
    return it == pairs_.end() ? nullptr : &it->second;
  }
  static uint64_t key(int32_t l, int32_t r) { return (uint64_t(uint32_t(l)) << 32) | uint32_t(r); }
  void encode_small(std::string_view word, std::vector<int32_t>& out) const;
  void encode_large(std::string_view word, std::vector<int32_t>& out) const;

  int32_t byte_ids_[256];
  std::unordered_map<uint64_t, RankedResult> pairs_;
};

}  // namespace qvl
