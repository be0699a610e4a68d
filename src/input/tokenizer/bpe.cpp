// BPE merge loop (input layer). Short words keep the rank of every adjacent pair in
// a small array and rescan it (cache-friendly, no allocation); long words use a
// heap with lazy invalidation so a 100 kB run of one character stays O(n log n).
#include "input/tokenizer/bpe.h"

#include <algorithm>
#include <functional>

namespace qvl {
namespace {
constexpr size_t kSmallWord = 48;  // bytes; beyond this the heap wins
constexpr int32_t kNoRank = INT32_MAX;
constexpr size_t kKeepScratch = 64 << 10;  // bytes of word whose scratch stays allocated
}  // namespace

BpeMerger::BpeMerger(const int32_t (&byte_ids)[256], const std::vector<Merge>& merges) {
  for (int i = 0; i < 256; ++i) byte_ids_[i] = byte_ids[i];
  size_t n_slots = 16;
  while (n_slots < merges.size() * 3 / 2) n_slots *= 2;
  slots_.assign(n_slots, Slot{});
  mask_ = n_slots - 1;
  shift_ = 64 - __builtin_ctzll(n_slots);
  for (size_t r = 0; r < merges.size(); ++r) {
    uint64_t k = key(merges[r].left, merges[r].right);
    size_t i = slot_of(k);
    while (slots_[i].key != kEmpty && slots_[i].key != k) i = (i + 1) & mask_;
    // A pair listed twice keeps its first (best) rank, as a rank map built in order would.
    if (slots_[i].key == kEmpty) slots_[i] = Slot{k, static_cast<int32_t>(r), merges[r].result};
  }
}

void BpeMerger::encode(std::string_view word, std::vector<int32_t>& out) const {
  if (word.size() == 1) {
    out.push_back(byte_ids_[static_cast<uint8_t>(word[0])]);
  } else if (word.size() <= kSmallWord) {
    encode_small(word, out);
  } else {
    encode_large(word, out);
  }
}

void BpeMerger::encode_small(std::string_view word, std::vector<int32_t>& out) const {
  int32_t ids[kSmallWord], rank[kSmallWord], result[kSmallWord];
  size_t n = word.size();
  for (size_t i = 0; i < n; ++i) ids[i] = byte_ids_[static_cast<uint8_t>(word[i])];
  auto score = [&](size_t i) {  // pair (i, i + 1)
    const Slot* m = find(ids[i], ids[i + 1]);
    rank[i] = m ? m->rank : kNoRank;
    result[i] = m ? m->result : -1;
  };
  for (size_t i = 0; i + 1 < n; ++i) score(i);
  while (n > 1) {
    size_t best = 0;
    for (size_t i = 1; i + 1 < n; ++i)
      if (rank[i] < rank[best]) best = i;
    if (rank[best] == kNoRank) break;
    ids[best] = result[best];
    for (size_t i = best + 1; i + 1 < n; ++i) {
      ids[i] = ids[i + 1];
      rank[i] = rank[i + 1];
      result[i] = result[i + 1];
    }
    --n;
    if (best > 0) score(best - 1);
    if (best + 1 < n) score(best);
  }
  out.insert(out.end(), ids, ids + n);
}

void BpeMerger::encode_large(std::string_view word, std::vector<int32_t>& out) const {
  // Per position: its symbol (-1 once absorbed), neighbours, and the rank/result of
  // the pair it starts. Heap entries are (rank << 32 | position): one integer
  // compare per sift step; an entry is stale when its rank is no longer the
  // position's current pair rank (ranks name pairs uniquely).
  struct Work {
    std::vector<int32_t> ids, prev, next, rank, result;
    std::vector<uint64_t> heap;
  };
  thread_local Work w;
  const size_t n = word.size();
  w.ids.resize(n), w.prev.resize(n), w.next.resize(n), w.rank.resize(n), w.result.resize(n);
  w.heap.clear();
  int32_t *ids = w.ids.data(), *prev = w.prev.data(), *next = w.next.data(), *rank = w.rank.data(),
          *result = w.result.data();
  for (size_t i = 0; i < n; ++i) {
    ids[i] = byte_ids_[static_cast<uint8_t>(word[i])];
    prev[i] = static_cast<int32_t>(i) - 1;
    next[i] = i + 1 < n ? static_cast<int32_t>(i + 1) : -1;
  }
  bool building = true;  // the first pass fills the heap and heapifies once
  auto score = [&](int32_t pos) {
    if (pos < 0) return;
    const Slot* m = next[pos] >= 0 ? find(ids[pos], ids[next[pos]]) : nullptr;
    rank[pos] = m ? m->rank : kNoRank;
    if (!m) return;
    result[pos] = m->result;
    w.heap.push_back((uint64_t(uint32_t(m->rank)) << 32) | uint32_t(pos));
    if (!building) std::push_heap(w.heap.begin(), w.heap.end(), std::greater<uint64_t>());
  };
  for (size_t i = 0; i < n; ++i) score(static_cast<int32_t>(i));
  std::make_heap(w.heap.begin(), w.heap.end(), std::greater<uint64_t>());
  building = false;
  while (!w.heap.empty()) {
    std::pop_heap(w.heap.begin(), w.heap.end(), std::greater<uint64_t>());
    uint64_t top = w.heap.back();
    w.heap.pop_back();
    int32_t pos = static_cast<int32_t>(top & 0xFFFFFFFFu);
    if (ids[pos] < 0 || rank[pos] != static_cast<int32_t>(top >> 32)) continue;
    int32_t r = next[pos];
    ids[pos] = result[pos];
    ids[r] = -1;
    rank[r] = kNoRank;
    next[pos] = next[r];
    if (next[r] >= 0) prev[next[r]] = pos;
    score(prev[pos]);
    score(pos);
  }
  for (int32_t i = 0; i >= 0; i = next[i]) out.push_back(ids[i]);
  // The scratch is per thread and an HTTP thread lives on: after a multi-megabyte
  // word (20+ bytes of scratch per input byte) give the memory back rather than
  // keep it pinned for the life of the thread.
  if (n > kKeepScratch) w = Work{};
}

}  // namespace qvl
