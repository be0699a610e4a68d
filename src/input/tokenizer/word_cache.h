// Thread-safe cache of BPE results per pre-tokenized word (input layer). Sharded
// spin locks keep concurrent encoders apart (held for one hash lookup, so a
// futex-based mutex costs more than it saves); a full shard is simply emptied.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace qvl {

class WordCache {
 public:
  static constexpr size_t kMaxWordBytes = 64;  // longer words are rare and not worth keeping

  // Appends the cached ids of `word` to out and returns true, or returns false.
  bool lookup(std::string_view word, std::vector<int32_t>& out) const {
    Shard& s = shard(word);
    std::lock_guard<SpinLock> lock(s.mu);
    auto it = s.map.find(word);
    if (it == s.map.end()) return false;
    out.insert(out.end(), it->second.begin(), it->second.end());
    return true;
  }
  void insert(std::string_view word, const int32_t* ids, size_t n) const {
    Shard& s = shard(word);
    std::lock_guard<SpinLock> lock(s.mu);
    if (s.map.size() >= kMaxEntriesPerShard) s.map.clear();
    s.map.emplace(std::string(word), std::vector<int32_t>(ids, ids + n));
  }

 private:
  static constexpr size_t kShards = 16, kMaxEntriesPerShard = 1 << 14;
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  class SpinLock {
   public:
    void lock() {
      while (flag_.exchange(true, std::memory_order_acquire))
        while (flag_.load(std::memory_order_relaxed)) std::this_thread::yield();
    }
    void unlock() { flag_.store(false, std::memory_order_release); }

   private:
    std::atomic<bool> flag_{false};
  };
  struct Shard {
    SpinLock mu;
    std::unordered_map<std::string, std::vector<int32_t>, Hash, std::equal_to<>> map;
  };
  Shard& shard(std::string_view w) const { return shards_[Hash{}(w) % kShards]; }
  mutable Shard shards_[kShards];
};

}  // namespace qvl
