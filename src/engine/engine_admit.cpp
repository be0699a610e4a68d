// Engine: admission (which waiting request runs next), on-demand KV blocks and
// preemption by recompute, and reaping finished sequences. Engine thread only.
//
// Admission needs only the blocks of the tokens a sequence has to feed now (its
// prompt, or prompt + output after a preemption), plus one spare block per
// running sequence so the ones already decoding do not preempt at once. Decode
// growth takes blocks step by step; when none are left, ensure_blocks preempts
// the newest running sequence of the lowest class (thinking, then instruct).
#include <algorithm>

#include "base/log.h"
#include "engine/engine.h"
#include "engine/prefix_keys.h"
#include "engine/sequence.h"
#include "model/model.h"

namespace qvl {

namespace {

int64_t blocks_for(int64_t n_tokens) { return (n_tokens + KvCache::kBlockTokens - 1) / KvCache::kBlockTokens; }

}  // namespace

int Engine::cap_of(int klass) const {
  const int cap = klass == static_cast<int>(RequestClass::kThinking) ? opts_.max_running_thinking
                                                                      : opts_.max_running_instruct;
  return cap > 0 ? std::min(cap, opts_.max_running) : opts_.max_running;
}

// The waiting sequence to admit next: instruct before thinking, queue order
// within a class (preempted sequences sit at the front), skipping a class at
// its cap. nullptr when none may run.
Sequence* Engine::next_admissible() {
  for (int klass = 0; klass < kRequestClasses; ++klass) {
    if (running_[klass].load() >= cap_of(klass)) continue;
    for (auto& sp : waiting_)
      if (!sp->done && sp->klass() == klass) return sp.get();
  }
  return nullptr;
}

void Engine::admit() {
  while (static_cast<int>(running_seqs_.size()) < opts_.max_running) {
    Sequence* s = next_admissible();
    if (!s) return;
    const int64_t need = blocks_for(static_cast<int64_t>(s->tokens.size()));
    const int64_t spare = static_cast<int64_t>(running_seqs_.size());
    if (need > kv_blocks_total_) {  // cannot happen: the pool holds a context and prompts are shorter
      finish(*s, FinishReason::kError, "the sequence needs more KV blocks than the pool holds");
      continue;
    }
    if (kv_->free_blocks() < need + spare) return;  // wait for blocks to come back
    s->kv_seq = kv_->new_sequence();
    attach_cached_prefix(*s);
    kv_->reserve(s->kv_seq, static_cast<int64_t>(s->tokens.size()));
    s->admitted_seq = ++admissions_;
    if (s->preemptions == 0) s->queue_ms = s->since_submit.ms();
    s->queued = false;
    count_queued(*s, -1);
    count_running(*s, +1);
    auto it = std::find_if(waiting_.begin(), waiting_.end(), [&](const auto& p) { return p.get() == s; });
    running_seqs_.push_back(std::move(*it));
    waiting_.erase(it);
  }
  kv_free_.store(kv_->free_blocks());
}

// Starts s (just given an empty KV sequence) after the longest cached prefix of
// its tokens. Its last token is always computed (it gives the logits), and so
// is at least one more: a lone remaining token would run as a one-token row,
// whose arithmetic differs from the prefill that a cold request gets (0003).
void Engine::attach_cached_prefix(Sequence& s) {
  s.n_fed = 0;
  s.n_published = 0;
  if (!opts_.prefix_cache) return;
  const int64_t bt = KvCache::kBlockTokens, n = static_cast<int64_t>(s.tokens.size());
  const int64_t max_blocks = (n - 2) / bt;
  int64_t got = 0;
  if (max_blocks > 0) {
    extend_block_keys(s, max_blocks);
    got = kv_->attach_prefix(s.kv_seq, std::vector<std::string>(s.block_keys.begin(), s.block_keys.begin() + max_blocks));
  }
  s.n_fed = static_cast<int>(got * bt);
  s.n_published = got;
  if (s.preemptions == 0) {
    s.cached_tokens = std::min(s.n_fed, s.n_prompt);
    std::lock_guard<std::mutex> lk(mu_);
    stats_.prefix_query_tokens += static_cast<uint64_t>(s.n_prompt);
    stats_.prefix_hit_tokens += static_cast<uint64_t>(s.cached_tokens);
  }
}

// Offers s's newly filled blocks for sharing.
void Engine::publish_full_blocks(Sequence& s) {
  if (!opts_.prefix_cache || s.kv_seq < 0) return;
  const int64_t full = s.n_fed / KvCache::kBlockTokens;
  if (full <= s.n_published) return;
  extend_block_keys(s, full);
  for (; s.n_published < full; ++s.n_published)
    kv_->publish_block(s.kv_seq, s.n_published, s.block_keys[static_cast<size_t>(s.n_published)]);
}

// Grows s's block table to hold n_tokens, preempting other sequences (never one
// already in this step's batch) while the pool is empty. False when s itself
// had to be preempted or nothing could be freed.
bool Engine::ensure_blocks(Sequence& s, int64_t n_tokens) {
  while (!kv_->reserve(s.kv_seq, n_tokens)) {
    Sequence* victim = nullptr;
    for (auto& sp : running_seqs_) {
      Sequence& c = *sp;
      if (c.done || c.preempted || c.in_step || c.kv_seq < 0) continue;
      // Lower class first (thinking > instruct in enum order), then the newest.
      if (!victim || c.klass() > victim->klass() ||
          (c.klass() == victim->klass() && c.admitted_seq > victim->admitted_seq))
        victim = &c;
    }
    if (!victim) return false;
    preempt(*victim);
    if (victim == &s) return false;
  }
  return true;
}

void Engine::preempt(Sequence& s) {
  kv_->free_sequence(s.kv_seq);
  s.kv_seq = -1;
  s.n_fed = 0;
  s.preempted = true;
  s.preemptions += 1;
  {
    std::lock_guard<std::mutex> lk(mu_);
    stats_.preemptions += 1;
  }
  kv_free_.store(kv_->free_blocks());
  log_info("engine: preempted request ", s.id, " (", s.tokens.size(), " tokens to recompute; KV pool full)");
}

// Moves this step's preempted sequences to the head of the queue, oldest first.
void Engine::requeue_preempted() {
  std::vector<std::unique_ptr<Sequence>> back;
  for (auto& sp : running_seqs_)
    if (sp->preempted && !sp->done) back.push_back(std::move(sp));
  if (back.empty()) return;
  running_seqs_.erase(std::remove(running_seqs_.begin(), running_seqs_.end(), nullptr), running_seqs_.end());
  for (auto it = back.rbegin(); it != back.rend(); ++it) {
    Sequence& s = **it;
    s.preempted = false;
    s.queued = true;
    count_running(s, -1);
    count_queued(s, +1);
    waiting_.push_front(std::move(*it));
  }
}

// Removes finished sequences from the waiting and running lists.
void Engine::reap() {
  auto gone = [](const std::unique_ptr<Sequence>& s) { return s->done; };
  running_seqs_.erase(std::remove_if(running_seqs_.begin(), running_seqs_.end(), gone), running_seqs_.end());
  waiting_.erase(std::remove_if(waiting_.begin(), waiting_.end(), gone), waiting_.end());
  kv_free_.store(kv_->free_blocks());
  kv_cached_.store(kv_->cached_idle_blocks());
}

}  // namespace qvl
