// Byte-pair merging of one pre-tokenized word by merge rank (input layer).
// Works on raw bytes and token ids; the byte-level alphabet is resolved at load.
#pragma once
#include <cstdint>
#include <string_view>
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
  // Open-addressing table of pairs (linear probing, load <= 2/3): one cache line
  // per lookup on average, which is what the merge loop spends its time on.
  struct Slot {
    uint64_t key = kEmpty;
    int32_t rank = 0, result = 0;
  };
  static constexpr uint64_t kEmpty = ~uint64_t(0);
  static uint64_t key(int32_t l, int32_t r) { return (uint64_t(uint32_t(l)) << 32) | uint32_t(r); }
  size_t slot_of(uint64_t k) const { return (k * 0x9E3779B97F4A7C15ull) >> shift_; }
  const Slot* find(int32_t left, int32_t right) const {
    uint64_t k = key(left, right);
    for (size_t i = slot_of(k);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.key == k) return &s;
      if (s.key == kEmpty) return nullptr;
    }
  }
  void encode_small(std::string_view word, std::vector<int32_t>& out) const;
  void encode_large(std::string_view word, std::vector<int32_t>& out) const;

  int32_t byte_ids_[256];
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  int shift_ = 64;
};

}  // namespace qvl
