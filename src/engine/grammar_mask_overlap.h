// GrammarMaskOverlap (engine layer): computes the next-token masks of a step's
// constrained sequences while that step's forward pass runs, instead of after
// it. A mask depends only on the matcher's state after the previous token, so
// it is known before the logits are. One helper thread at the lowest CPU
// priority (SCHED_IDLE) takes the jobs while the engine thread and the pool's
// workers run the matmuls: it uses a core only when they leave it idle, so it
// never slows the forward pass down (docs/decisions/0017). After the forward
// pass the engine thread computes every job the helper has not started itself
// and waits for the one in progress, so a mask is never later than without the
// helper. Disabled with QVL_GRAMMAR_OVERLAP=0 (masks then come after the
// forward pass, on the engine thread, as before).
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "grammar/matcher.h"

namespace qvl {

class GrammarMaskOverlap {
 public:
  // enabled = false: no helper thread; begin() computes nothing ahead.
  explicit GrammarMaskOverlap(bool enabled);
  ~GrammarMaskOverlap();
  GrammarMaskOverlap(const GrammarMaskOverlap&) = delete;
  GrammarMaskOverlap& operator=(const GrammarMaskOverlap&) = delete;

  // QVL_GRAMMAR_OVERLAP unset or anything but "0".
  static bool enabled_by_env();
  bool enabled() const { return enabled_; }

  // Engine thread, before the forward pass. out: matcher->trie().mask_words()
  // or more words, zeroed by the caller; error: set to what filling the mask
  // threw (left alone when it worked). None of them may be touched by anyone
  // else until finish() returns.
  void clear() { jobs_.clear(); }  // engine thread, outside begin()..finish()
  void add(grammar::Matcher* matcher, uint64_t* out, std::string* error);
  void begin();  // hands the added jobs to the helper
  // Engine thread, after the forward pass (or when it failed): every job done.
  void finish();
  size_t jobs() const { return jobs_.size(); }

  // Masks computed by the helper before the engine thread wanted them / by
  // the engine thread itself after the forward pass (for logs and tests).
  uint64_t ahead() const { return ahead_.load(); }
  uint64_t behind() const { return behind_.load(); }

 private:
  struct Job {
    grammar::Matcher* matcher;
    uint64_t* out;
    std::string* error;
    std::atomic<bool> claimed{false};
  };
  static void run(Job& j);
  void helper_loop();

  const bool enabled_;
  std::vector<std::unique_ptr<Job>> jobs_;  // written by the engine thread outside a batch only
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t batch_ = 0;         // guarded by mu_: bumped by begin()
  bool open_ = false;          // guarded by mu_: between begin() and finish(); the helper enters jobs_ only then
  bool helper_busy_ = false;   // guarded by mu_: the helper is inside jobs_
  bool stop_ = false;          // guarded by mu_
  std::atomic<uint64_t> ahead_{0}, behind_{0};
  std::thread helper_;
};

}  // namespace qvl
